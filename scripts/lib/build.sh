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
# The unit, ASan and fuzz trees together hold more objects than ccache's default 5 GB keeps,
# and an evicted ASan tree costs the better part of an hour to build again on two cores. The
# cache is compressed; the limit is a ceiling, not a reservation.
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-12G}

# hb_npm_ci DIR: installs the npm packages of $HB_ROOT/DIR from its package-lock.json when
# node_modules is missing or older than the lock file (npm keeps a copy of the lock file in
# node_modules/.package-lock.json); otherwise does nothing, without the network.
hb_npm_ci() {
  local dir=$HB_ROOT/$1
  if [[ -f $dir/node_modules/.package-lock.json &&
    ! $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    return 0
  fi
  hb_log "npm ci in $1"
  (cd "$dir" && npm ci --no-audit --no-fund)
}

# hb_configure DIR CMAKE_ARGS...: configure $HB_ROOT/DIR with Ninja. A tree that an earlier
# `cmake` without -G configured for another generator is started afresh, since CMake refuses
# to switch generators in place.
hb_configure() {
  local dir=$HB_ROOT/$1
  shift
  # The dashboard's charting library, which the build embeds in the binary.
  hb_npm_ci adapters/admin/dashboard
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
