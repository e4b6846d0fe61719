#!/usr/bin/env bash
# Runs the reliability fault tests in order against one hisbridge binary and prints their
# summary lines as a table:
#   fault_his_locked   the SQLite HIS locked by another writer for 30 s under load
#   fault_http_down    the FHIR server failing for 30 s (500s and answers past the timeout)
#   fault_sigkill      SIGKILL of the engine while deliveries are under way, and a restart
#   fault_pg_restart   PostgreSQL (journal and HIS) restarted under load; skipped without the
#                      PostgreSQL server binaries
#   fault_back_pressure the HIS down for longer than its queue's max_queue_depth takes to
#                      fill: the source pauses, the queue stays bounded, nothing is dropped
#   fault_retention    journal retention pruning every second under load, against a run
#                      without it (ACK p99 within 2x; run twice when the first pair is over)
#   fault_hostile_peers a connection flood, slow senders, oversize frames, a frame-rate abuser
#                      and garbage on the MLLP listener beside the load: each limit holds, the
#                      load's ACK p99 within 2x of its baseline
#   fault_disk_full    the HIS's disk, then the journal's, full for 10 s each under load (two
#                      tmpfs mounts; skipped where mounting is not allowed)
#   fault_pg_disk_full the disk of PostgreSQL (journal and HIS) full for 10 s under load (a
#                      tmpfs mount; skipped where mounting is not allowed or without the
#                      PostgreSQL server binaries)
# Each test runs the real binary on loopback ports and temporary folders, sends 200 lab results
# a second and checks that nothing acknowledged is lost or doubled (see each script's header).
#
# Usage: tests/fault/run_all.sh HISBRIDGE [TEST...]    (no TEST: all nine, in the order above)
# Exit status 0 when none failed (skipped ones do not fail), 1 otherwise, 2 on bad usage.
# The last line: "faults: N passed, N failed, N skipped".
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PYTHON=/usr/bin/python3  # the system python, whose Debian modules the tests import
ALL=(fault_his_locked fault_http_down fault_sigkill fault_pg_restart fault_back_pressure
  fault_retention fault_hostile_peers fault_disk_full fault_pg_disk_full)

if (($# < 1)) || [[ ! -x $1 || -d $1 ]]; then
  printf 'usage: %s HISBRIDGE [TEST...]: HISBRIDGE must be the hisbridge binary\n' "$0" >&2
  exit 2
fi
BINARY=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
shift
TESTS=("$@")
if ((${#TESTS[@]} == 0)); then
  TESTS=("${ALL[@]}")
fi

LOGS=$(mktemp -d "${TMPDIR:-/tmp}/hisbridge-faults.XXXXXX")
trap 'rm -rf "$LOGS"' EXIT

passed=0 failed=0 skipped=0
declare -a lines=()
for test in "${TESTS[@]}"; do
  test=${test%.py}
  printf -- '\n--- %s\n' "$test"
  if [[ ! -f $HERE/$test.py ]]; then
    printf 'no such fault test: %s\n' "$test"
    failed=$((failed + 1))
    lines+=("fault ${test#fault_}: unknown_test 1 result FAIL")
    continue
  fi
  "$PYTHON" "$HERE/$test.py" "$BINARY" 2>&1 | tee "$LOGS/$test.log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^fault [a-z_]+: ' "$LOGS/$test.log" | tail -n 1) || true
  case $rc in
    0) passed=$((passed + 1)) ;;
    77) skipped=$((skipped + 1)) ;;
    *)
      failed=$((failed + 1))
      if [[ -z $line || $line != *" result FAIL" ]]; then
        line="fault ${test#fault_}: exit_status $rc result FAIL"
      fi
      ;;
  esac
  lines+=("${line:-fault ${test#fault_}: exit_status $rc result ?}")
done

# The table: the fixed figures in columns, a test's own figures after them.
printf '\n'
printf '%s\n' "${lines[@]}" | awk '
BEGIN {
  n = split("sent acked delivered duplicated lost ack_p99_ms drain_s peak_rss_mb", cols, " ")
  for (i = 1; i <= n; i++) known[cols[i]] = 1
  known["result"] = 1
  printf "%-12s %-6s", "fault", "result"
  for (i = 1; i <= n; i++) printf " %11s", cols[i]
  printf "  %s\n", "other"
}
{
  name = $2; sub(/:$/, "", name)
  if ($3 == "skipped:") {
    reason = $0; sub(/^[^:]*: skipped: /, "", reason)
    printf "%-12s %-6s", name, "SKIP"
    for (i = 1; i <= n; i++) printf " %11s", "-"
    printf "  %s\n", reason
    next
  }
  delete v; other = ""
  for (i = 3; i < NF; i += 2) {
    v[$i] = $(i + 1)
    if (!($i in known)) other = other " " $i "=" $(i + 1)
  }
  printf "%-12s %-6s", name, ("result" in v) ? v["result"] : "?"
  for (i = 1; i <= n; i++) printf " %11s", (cols[i] in v) ? v[cols[i]] : "-"
  printf " %s\n", other
}'
printf 'faults: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
((failed == 0))
