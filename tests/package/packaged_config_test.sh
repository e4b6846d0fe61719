#!/usr/bin/env bash
# The install tree and the packaged config, without root: `cmake --install` into a staging
# folder (DESTDIR) must give the binary, the reference copies, the /etc files and the unit, and
# nothing built only for testing; `hisbridge check-config` must accept the packaged config with
# its /etc/hisbridge paths pointing into that staging folder (the mappings as installed).
# Usage: packaged_config_test.sh HISBRIDGE SOURCE_DIR BUILD_DIR
set -euo pipefail

hisbridge=$1 source_dir=$2 build_dir=$3
stage=$(mktemp -d "${TMPDIR:-/tmp}/hisbridge-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

DESTDIR=$stage cmake --install "$build_dir" --prefix /usr >"$stage.log" 2>&1 ||
  { cat "$stage.log" >&2; rm -f "$stage.log"; fail "cmake --install"; }
rm -f "$stage.log"

# What must be there.
for path in usr/bin/hisbridge etc/hisbridge/hisbridge.json etc/hisbridge/mappings/lis-stock.json \
  etc/hisbridge/mappings/ris-stock.json etc/hisbridge/mappings/tables \
  usr/share/hisbridge/mappings/lis-stock.json usr/share/hisbridge/config/hisbridge.json \
  usr/share/hisbridge/config/examples lib/systemd/system/hisbridge.service \
  usr/share/doc/hisbridge/operator-guide.md; do
  [[ -e $stage/$path ]] || fail "not installed: /$path"
done
# What must not: one executable only, and nothing from tests/.
mapfile -t executables < <(cd "$stage" && find . -type f -perm -u+x | sort)
[[ ${executables[*]} == ./usr/bin/hisbridge ]] ||
  fail "executables installed besides /usr/bin/hisbridge: ${executables[*]}"
if found=$(cd "$stage" && find . \( -name '*_test*' -o -name '*_bench*' -o -name '*_fuzz*' \
  -o -name '*.py' -o -name '*.a' -o -name '*.hpp' \) -print -quit) && [[ -n $found ]]; then
  fail "test, bench, fuzz or build file installed: $found"
fi
# Every mapping of the source tree is an editable copy and a reference copy.
diff -r "$source_dir/mappings" "$stage/etc/hisbridge/mappings" >/dev/null ||
  fail "/etc/hisbridge/mappings differs from mappings/"
diff -r "$source_dir/mappings" "$stage/usr/share/hisbridge/mappings" >/dev/null ||
  fail "/usr/share/hisbridge/mappings differs from mappings/"

# The packaged config, its /etc/hisbridge paths moved into the staging tree; every other
# absolute path must be under /var/lib/hisbridge or /var/log/hisbridge (what the unit lets the
# engine write).
config=$stage/etc/hisbridge/hisbridge.json
others=$(grep -o '"/[^"]*"' "$config" | grep -v -E '^"/(etc/hisbridge|var/lib/hisbridge|var/log/hisbridge)/' || true)
[[ -z $others ]] || fail "paths outside /etc/hisbridge, /var/lib/hisbridge, /var/log/hisbridge: $others"
sed "s#\"/etc/hisbridge/#\"$stage/etc/hisbridge/#g" "$config" >"$stage/check.json"
"$hisbridge" check-config --config "$stage/check.json" || fail "check-config refused the packaged config"
printf 'install tree: %d files; packaged config valid\n' "$(cd "$stage" && find . -type f | wc -l)"
