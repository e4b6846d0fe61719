# shellcheck shell=bash
# Configures and builds one CMake build tree with Ninja. Sourced by scripts/run and scripts/test
# after they set HB_ROOT (the repository root) and source deps.sh.

# Two parallel jobs by default: the project's machines and CI have two cores.
HB_JOBS=${HISBRIDGE_JOBS:-2}

# ccache (found by the top-level CMakeLists.txt) keeps its default cache in the home directory.
# Paths under the repository are hashed relative to it, so another clone of the repository (as
# CI uses) still hits the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$HB_ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

# hb_configure DIR CMAKE_ARGS...: configure $HB_ROOT/DIR with Ninja. A tree that an earlier
# `cmake` without -G configured for another generator is started afresh, since CMake refuses
# to switch generators in place.
hb_configure() {
  local dir=$HB_ROOT/$1
  shift
  if [[ -f $dir/CMakeCache.txt ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt"; then
    hb_log "${dir#"$HB_ROOT"/} was configured for another generator; configuring it afresh"
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
  fi
  cmake -S "$HB_ROOT" -B "$dir" -G Ninja "$@"
}

# hb_build DIR [NINJA_ARGS...]: build $HB_ROOT/DIR (all targets by default).
hb_build() {
  local dir=$HB_ROOT/$1
  shift
  ninja -C "$dir" -j "$HB_JOBS" "$@"
}
