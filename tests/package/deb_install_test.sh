#!/usr/bin/env bash
# The Debian package for real: builds it with cpack from a build tree, installs it with dpkg,
# checks what postinst made (user, folders, owners and modes, unit, conffiles), runs the
# installed binary as the unit would (user hisbridge, /var/lib/hisbridge, the installed config,
# no capabilities, a notify socket this script listens on for READY=1), sends it an HL7 message
# and sees it acknowledged, stored and mapped into the HIS tables, stops it with SIGTERM, then
# removes (binary gone; config and data kept) and purges (config and logs gone; data kept) the
# package. At the end, and on any failure, it removes everything it made (the package, the
# user, /var/lib/hisbridge, /var/log/hisbridge), so it can run again.
#
# Needs root (exit 77, skipped, otherwise) and a machine with no hisbridge of its own: it
# refuses to start when the package, the user or /var/lib/hisbridge already exists, or when the
# packaged config's ports (2575, 2576, 8080) are taken.
#
# Usage: deb_install_test.sh BUILD_DIR      (a configured and built tree: build/)
set -euo pipefail

SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BUILD_DIR=$(cd "${1:?usage: deb_install_test.sh BUILD_DIR}" && pwd -P)
USER_NAME=hisbridge
STATE_DIR=/var/lib/hisbridge
LOG_DIR=/var/log/hisbridge
CONF_DIR=/etc/hisbridge
CONFIG=$CONF_DIR/hisbridge.json
UNIT_FILE=/lib/systemd/system/hisbridge.service
PORTS=(2575 2576 8080)
NOTIFY_ADDRESS=@hisbridge-deb-test-$$

checks=0
owns_system=0  # set once the machine is known to hold no hisbridge of its own
engine_pid="" listener_pid=""
tmp=""

log() { printf '%s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
# check DESCRIPTION COMMAND...: runs COMMAND; a failure names the check.
check() {
  local what=$1
  shift
  if ! "$@"; then
    fail "$what"
  fi
  checks=$((checks + 1))
  printf '  ok  %s\n' "$what"
}
not() { ! "$@"; }
now_ms() { date +%s%3N; }
# The package known to dpkg in any state but "not-installed" (installed, config-files...).
package_present() {
  dpkg-query -W -f='${db:Status-Status}' hisbridge 2>/dev/null | grep -qv '^not-installed$'
}
seconds_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# ---- set-up and clean-up ----

if ((EUID != 0)); then
  log "skipped: the package test installs a .deb and creates a system user; run it as root"
  exit 77
fi
for tool in cpack dpkg dpkg-deb setpriv sqlite3 /usr/bin/python3 adduser; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/lib/packages.txt lists what to install)"
done

cleanup() {
  local rc=$?
  set +e
  [[ -n $engine_pid ]] && kill -KILL "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null
  [[ -n $listener_pid ]] && kill "$listener_pid" 2>/dev/null && wait "$listener_pid" 2>/dev/null
  if ((owns_system)); then
    if package_present; then
      dpkg --purge hisbridge >/dev/null 2>&1
    fi
    rm -rf "$STATE_DIR" "$LOG_DIR" "$CONF_DIR"
    if getent passwd "$USER_NAME" >/dev/null; then
      deluser --system --quiet "$USER_NAME" >/dev/null 2>&1 || userdel "$USER_NAME"
    fi
    if getent group "$USER_NAME" >/dev/null; then
      delgroup --system --quiet "$USER_NAME" >/dev/null 2>&1 || groupdel "$USER_NAME"
    fi
    # What deb-systemd-helper keeps, should a failure have come before the purge.
    rm -f /etc/systemd/system/multi-user.target.wants/hisbridge.service \
      /etc/systemd/system/hisbridge.service \
      /var/lib/systemd/deb-systemd-helper-enabled/hisbridge.service.dsh-also \
      /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/hisbridge.service \
      /var/lib/systemd/deb-systemd-helper-masked/hisbridge.service
  fi
  if ((rc != 0)) && [[ -f $tmp/engine.log ]]; then
    printf -- '--- engine log (last 30 lines)\n' >&2
    tail -n 30 "$tmp/engine.log" >&2
  fi
  [[ -n $tmp ]] && rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Nothing of an installation this script did not make may be touched.
if package_present; then
  fail "a hisbridge package is already on this machine (dpkg -l hisbridge): this test installs and purges its own; remove it first"
fi
for path in "$STATE_DIR" "$LOG_DIR" "$CONF_DIR"; do
  [[ ! -e $path ]] || fail "$path exists: this test would remove it at the end; move it away first"
done
getent passwd "$USER_NAME" >/dev/null &&
  fail "user $USER_NAME exists: this test creates and deletes it; delete it first"
for port in "${PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is in use (the packaged config listens on ${PORTS[*]}): stop what uses it ($(ss -Hltnp "sport = :$port" 2>/dev/null | awk '{print $NF}' | head -n 1))"
  fi
done
owns_system=1
start_all=$(now_ms)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hisbridge-deb.XXXXXX")

# ---- build ----

log "building the package (cpack, tree $BUILD_DIR)"
[[ -x $BUILD_DIR/engine/app/hisbridge ]] || fail "no binary in $BUILD_DIR: build it first"
t=$(now_ms)
cpack --config "$BUILD_DIR/CPackConfig.cmake" -B "$tmp/package" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack"; }
cpack_s=$(seconds_since "$t")
deb=$(find "$tmp/package" -maxdepth 1 -name 'hisbridge_*.deb' -print -quit)
[[ -n $deb ]] || fail "cpack made no hisbridge_*.deb"
deb_bytes=$(stat -c %s "$deb")
check "package name and architecture" \
  test "$(dpkg-deb -f "$deb" Package Architecture | tr '\n' ' ')" = "Package: hisbridge Architecture: $(dpkg --print-architecture) "
depends=$(dpkg-deb -f "$deb" Depends)
depends_on_all() {
  local p
  for p in libsqlite3-0 libpq5 libssl3 libpugixml1v5 libspdlog1.10 libfmt9 adduser tzdata; do
    grep -q "\(^\|, \)$p" <<<"$depends" || { echo "Depends lacks $p: $depends"; return 1; }
  done
}
check "dependencies from dpkg-shlibdeps and the scripts' (adduser, tzdata)" depends_on_all
check "nothing from tests/ in the package" \
  not grep -E '_test|_bench|_fuzz|\.py$' <(dpkg-deb -c "$deb")

# ---- install ----

log "dpkg -i $(basename "$deb")"
t=$(now_ms)
dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1 || { cat "$tmp/dpkg-i.log"; fail "dpkg -i"; }
install_s=$(seconds_since "$t")
installed_kb=$(dpkg-query -W -f='${Installed-Size}' hisbridge)

mode_of() { stat -c '%U:%G %a' "$1"; }
check "binary /usr/bin/hisbridge runs" /usr/bin/hisbridge --version
check "binary stripped (no symbol table)" not grep -q '\.symtab' <(readelf -S /usr/bin/hisbridge)
system_user() {
  local uid home shell
  IFS=: read -r _ _ uid _ _ home shell < <(getent passwd "$USER_NAME")
  ((uid < 1000)) && [[ $home == "$STATE_DIR" && $shell == */nologin ]]
}
check "system user hisbridge, home $STATE_DIR, no login shell" system_user
check "group hisbridge, the user's primary group" \
  test "$(id -gn "$USER_NAME")" = "$USER_NAME"
check "$STATE_DIR hisbridge:hisbridge 750" test "$(mode_of "$STATE_DIR")" = "hisbridge:hisbridge 750"
check "$LOG_DIR hisbridge:hisbridge 750" test "$(mode_of "$LOG_DIR")" = "hisbridge:hisbridge 750"
check "$CONF_DIR root:hisbridge 750" test "$(mode_of "$CONF_DIR")" = "root:hisbridge 750"
check "$CONFIG root:hisbridge 640" test "$(mode_of "$CONFIG")" = "root:hisbridge 640"
check "unit file $UNIT_FILE" test -f "$UNIT_FILE"
check "unit enabled (deb-systemd-helper link)" \
  test -L /etc/systemd/system/multi-user.target.wants/hisbridge.service
conffiles=$(dpkg-query -W -f='${Conffiles}\n' hisbridge)
all_conffiles() {
  local f
  while IFS= read -r f; do
    grep -q " $CONF_DIR/$f " <<<"$conffiles" || { echo "not a conffile: $CONF_DIR/$f"; return 1; }
  done < <(cd "$SOURCE_DIR/mappings" && find . -type f | sed 's#^\./#mappings/#')
  grep -q " $CONFIG " <<<"$conffiles"
}
check "conffiles: the config and every mapping" all_conffiles
check "reference copies in /usr/share/hisbridge" \
  diff -r /usr/share/hisbridge/mappings "$CONF_DIR/mappings"
# postinst again over what it made (an upgrade or a reinstall runs it so): it must succeed and
# leave the same user and modes.
uid_before=$(id -u "$USER_NAME")
dpkg -i "$deb" >"$tmp/dpkg-i2.log" 2>&1 || { cat "$tmp/dpkg-i2.log"; fail "dpkg -i a second time"; }
check "reinstall: same user, same owners and modes" \
  test "$(id -u "$USER_NAME") $(mode_of "$STATE_DIR") $(mode_of "$CONFIG")" \
  = "$uid_before hisbridge:hisbridge 750 root:hisbridge 640"
as_engine() {
  setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups "$@"
}
check "check-config accepts the installed config (as hisbridge)" \
  as_engine /usr/bin/hisbridge check-config --config "$CONFIG"

# ---- run as the unit would ----

log "starting /usr/bin/hisbridge as the unit would (user hisbridge, notify socket $NOTIFY_ADDRESS)"
/usr/bin/python3 "$SOURCE_DIR/tests/package/notify_listener.py" "$NOTIFY_ADDRESS" "$tmp/notify.log" &
listener_pid=$!
for _ in $(seq 100); do
  grep -q '^LISTENING$' "$tmp/notify.log" 2>/dev/null && break
  sleep 0.05
done
grep -q '^LISTENING$' "$tmp/notify.log" || fail "the notify listener did not start"
t=$(now_ms)
(
  cd "$STATE_DIR"
  umask 0027        # UMask=
  # LimitNOFILE=; a container may hold the hard limit lower, and then that is what it gets.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  # User=, Group=, NoNewPrivileges=, CapabilityBoundingSet= (empty), no inherited environment.
  exec setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups --no-new-privs \
    --inh-caps=-all --bounding-set=-all \
    env -i PATH=/usr/bin:/bin LANG=C.UTF-8 NOTIFY_SOCKET="$NOTIFY_ADDRESS" \
    /usr/bin/hisbridge serve --config "$CONFIG"
) 2>"$tmp/engine.log" &
engine_pid=$!
for _ in $(seq 600); do
  grep -qx 'READY=1' "$tmp/notify.log" && break
  kill -0 "$engine_pid" 2>/dev/null || fail "the engine exited before READY=1"
  sleep 0.05
done
check "READY=1 on the notify socket" grep -qx 'READY=1' "$tmp/notify.log"
ready_s=$(seconds_since "$t")
check "engine runs as hisbridge" test "$(ps -o user= -p "$engine_pid")" = "$USER_NAME"
check "/healthz answers 200" /usr/bin/python3 -c '
import urllib.request
with urllib.request.urlopen("http://127.0.0.1:8080/healthz", timeout=10) as r:
    raise SystemExit(0 if r.status == 200 else 1)'

# The tour's glucose result without MSH-15/16, so the answer is an original-mode AA.
fixture=$SOURCE_DIR/tests/fixtures/hl7/tour/oru-r01-glucose.hl7
sed -e 's/|TOUR-0001|P|2.5|||AL|NE|/|DEB-0001|P|2.5|||||/' "$fixture" >"$tmp/oru.hl7"
grep -q '|DEB-0001|' "$tmp/oru.hl7" || fail "the fixture $fixture changed: no MSH-10 TOUR-0001 to replace"
/usr/bin/hisbridge send --port 2575 "$tmp/oru.hl7" >"$tmp/send.log" 2>&1 || { cat "$tmp/send.log"; fail "hisbridge send"; }
check "ACK MSA|AA|DEB-0001" grep -q '^MSA|AA|DEB-0001' "$tmp/send.log"
check "journal $STATE_DIR/hisbridge.db hisbridge 640 (UMask=0027)" \
  test "$(stat -c '%U %a' "$STATE_DIR/hisbridge.db")" = "hisbridge 640"
# The engine opens its audit file at start (config "audit", /var/log/hisbridge: LogsDirectory=).
if [[ -e $LOG_DIR/audit.log ]]; then
  check "audit file $LOG_DIR/audit.log hisbridge 640" \
    test "$(stat -c '%U %a' "$LOG_DIR/audit.log")" = "hisbridge 640"
fi
his_rows() {
  as_engine sqlite3 "$STATE_DIR/his.db" \
    "SELECT count(*) FROM his_result WHERE order_no = 'XN260305-0042'" 2>/dev/null || echo 0
}
for _ in $(seq 200); do
  (($(his_rows) > 0)) && break
  sleep 0.1
done
check "mapped into $STATE_DIR/his.db (his_result) by /etc/hisbridge/mappings/lis-stock.json" \
  test "$(his_rows)" -gt 0

t=$(now_ms)
kill -TERM "$engine_pid"
engine_rc=0
wait "$engine_pid" || engine_rc=$?
engine_pid=""
stop_s=$(seconds_since "$t")
check "SIGTERM: exit status 0" test "$engine_rc" -eq 0
check "STOPPING=1 on the notify socket" grep -qx 'STOPPING=1' "$tmp/notify.log"
check "no notify failure in the engine's log" not grep -q 'cannot notify' "$tmp/engine.log"
kill "$listener_pid" 2>/dev/null || true
wait "$listener_pid" 2>/dev/null || true
listener_pid=""

# ---- remove, then purge ----

log "dpkg -r hisbridge"
t=$(now_ms)
dpkg -r hisbridge >"$tmp/dpkg-r.log" 2>&1 || { cat "$tmp/dpkg-r.log"; fail "dpkg -r"; }
remove_s=$(seconds_since "$t")
check "remove: binary gone" test ! -e /usr/bin/hisbridge
check "remove: unit file gone" test ! -e "$UNIT_FILE"
check "remove: package state config-files" \
  test "$(dpkg-query -W -f='${db:Status-Status}' hisbridge)" = config-files
check "remove: config (conffiles) kept" test -f "$CONFIG" -a -f "$CONF_DIR/mappings/lis-stock.json"
check "remove: data kept" test -f "$STATE_DIR/hisbridge.db" -a -f "$STATE_DIR/his.db"
check "remove: user kept" getent passwd "$USER_NAME"

log "dpkg -P hisbridge"
t=$(now_ms)
dpkg -P hisbridge >"$tmp/dpkg-p.log" 2>&1 || { cat "$tmp/dpkg-p.log"; fail "dpkg -P"; }
purge_s=$(seconds_since "$t")
check "purge: package gone" not package_present
check "purge: $CONF_DIR gone" test ! -e "$CONF_DIR"
check "purge: $LOG_DIR gone" test ! -e "$LOG_DIR"
check "purge: data kept ($STATE_DIR/hisbridge.db)" test -f "$STATE_DIR/hisbridge.db"
check "purge: says the data is kept" grep -q "$STATE_DIR .*kept" "$tmp/dpkg-p.log"
check "purge: no unit links or masks left" not grep -q . <(find /etc/systemd/system \
  /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  -name 'hisbridge*' 2>/dev/null)

# ---- summary ----

log "deb install test: $checks checks passed"
printf 'package %s: %.1f MB (installed %.1f MB), cpack %s s\n' "$(basename "$deb")" \
  "$(awk -v b="$deb_bytes" 'BEGIN { print b / 1e6 }')" \
  "$(awk -v k="$installed_kb" 'BEGIN { print k * 1024 / 1e6 }')" "$cpack_s"
printf 'dpkg -i %s s; READY=1 after %s s; SIGTERM to exit %s s; dpkg -r %s s; dpkg -P %s s; total %s s\n' \
  "$install_s" "$ready_s" "$stop_s" "$remove_s" "$purge_s" "$(seconds_since "$start_all")"
