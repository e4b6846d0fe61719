#!/usr/bin/env bash
# packaging/hisbridge.service through `systemd-analyze verify` (syntax, known settings, the
# binary executable) with ExecStart pointing at the built binary, and its exposure score from
# `systemd-analyze security --offline`. Exit 77 (skipped) when systemd-analyze is missing or
# cannot run here.
# Usage: systemd_unit_test.sh HISBRIDGE UNIT_FILE
set -euo pipefail

hisbridge=$1 unit=$2
if ! command -v systemd-analyze >/dev/null; then
  echo "skipped: systemd-analyze not installed (Debian package systemd)"
  exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/hisbridge-unit.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# The unit's ExecStart names /usr/bin/hisbridge, which verify checks is executable.
sed "s#/usr/bin/hisbridge#$hisbridge#g" "$unit" >"$dir/hisbridge.service"
grep -q '^ExecStart=/usr/bin/hisbridge serve --config /etc/hisbridge/hisbridge.json$' "$unit" ||
  { echo "FAIL: ExecStart is not the packaged command"; exit 1; }
if ! systemd-analyze --version >/dev/null 2>&1; then
  echo "skipped: systemd-analyze does not run here"
  exit 77
fi
# verify prints problems and exits non-zero on errors; any output is a problem too.
out=$(systemd-analyze verify "$dir/hisbridge.service" 2>&1) || { printf '%s\n' "$out"; exit 1; }
if [[ -n $out ]]; then
  printf 'FAIL: systemd-analyze verify reported:\n%s\n' "$out"
  exit 1
fi
# `security` is informative (lower is better; "OK" is below 5); a unit that lost its hardening
# scores above 5, which fails here.
score=$(systemd-analyze security --offline=yes "$dir/hisbridge.service" 2>/dev/null |
  sed -n 's/.*Overall exposure level for hisbridge.service: \([0-9.]*\).*/\1/p')
if [[ -z $score ]]; then
  echo "systemd-analyze verify: clean; security score not available here"
  exit 0
fi
echo "systemd-analyze verify: clean; exposure level $score (systemd-analyze security)"
awk -v s="$score" 'BEGIN { exit !(s < 3.0) }' || { echo "FAIL: exposure $score, want < 3.0"; exit 1; }
