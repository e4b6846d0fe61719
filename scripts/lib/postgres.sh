# shellcheck shell=bash
# A throw-away PostgreSQL 15 cluster for the tests that need one. Sourced by scripts/test.
#
# hb_pg_start makes a cluster in a new temporary directory, listening only on 127.0.0.1 on a
# port the OS says is free, with its unix socket in that directory, creates a database and
# exports HISBRIDGE_TEST_PG (a libpq URI) for the tests. hb_pg_stop stops the server and
# removes the directory; scripts/test calls it from its EXIT trap, so it runs on failure too.

HB_PG_BIN=${HISBRIDGE_PG_BIN:-/usr/lib/postgresql/15/bin}
HB_PG_DIR=""

# Runs a command as the `postgres` user when we are root: initdb refuses to run as root.
hb_as_pg() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Prints a TCP port on 127.0.0.1 that was free a moment ago. The system python, not one found
# first on PATH, so that this works the same on every machine.
hb_free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Returns non-zero, after printing the server log, when the cluster could not be started.
hb_pg_start() {
  # Under /tmp rather than $TMPDIR: the postgres user must be able to reach the directory.
  HB_PG_DIR=$(mktemp -d /tmp/hisbridge-pg.XXXXXX) || return 1
  if ((EUID == 0)); then
    chown postgres:postgres "$HB_PG_DIR" || return 1
  fi
  if ! hb_as_pg "$HB_PG_BIN/initdb" -D "$HB_PG_DIR/data" -U postgres --auth=trust \
    --encoding=UTF8 --no-locale --no-sync >"$HB_PG_DIR/initdb.log" 2>&1; then
    cat "$HB_PG_DIR/initdb.log" >&2
    return 1
  fi
  # Another process may take the port between the check and the start; try a few times.
  # fsync is off: the cluster is thrown away after the run.
  local attempt port=""
  for attempt in 1 2 3; do
    port=$(hb_free_port) || return 1
    if hb_as_pg "$HB_PG_BIN/pg_ctl" -D "$HB_PG_DIR/data" -l "$HB_PG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $HB_PG_DIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
      start >/dev/null; then
      break
    fi
    hb_log "postgres: start attempt $attempt on port $port failed"
    port=""
  done
  if [[ -z $port ]]; then
    tail -n 30 "$HB_PG_DIR/server.log" >&2
    return 1
  fi
  if ! hb_as_pg "$HB_PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres hisbridge_test; then
    return 1
  fi
  export HISBRIDGE_TEST_PG="postgresql://postgres@127.0.0.1:$port/hisbridge_test"
  hb_log "postgres: $("$HB_PG_BIN/postgres" --version) on 127.0.0.1:$port, HISBRIDGE_TEST_PG=$HISBRIDGE_TEST_PG"
}

# Stops the server (fast, then immediate, then SIGKILL) and removes the directory. Safe to call
# twice and when nothing was started.
hb_pg_stop() {
  [[ -n $HB_PG_DIR ]] || return 0
  local data=$HB_PG_DIR/data
  if [[ -f $data/postmaster.pid ]]; then
    if ! hb_as_pg "$HB_PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 &&
      ! hb_as_pg "$HB_PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1; then
      local pid
      pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || pid=""
      if [[ $pid =~ ^[0-9]+$ ]]; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    hb_log "postgres: stopped"
  fi
  rm -rf "$HB_PG_DIR"
  HB_PG_DIR=""
  unset HISBRIDGE_TEST_PG
}
