"""Shared pieces of the end-to-end tests (e2e_*.py): the real `hisbridge` binary run as a
subprocess in a temporary folder with its own config and store, MLLP over raw sockets, and
reads of the SQLite journal with Python's own sqlite3 module.

Every test is hermetic: a fresh temporary folder, loopback ports the OS reported free (bound
to port 0, then closed and written into the config), and an engine that is always killed at
the end. Every wait has a deadline; the whole script is bounded by `watchdog()`.
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import zstandard  # Debian: python3-zstandard

EXIT_SKIP = 77
HOST = "127.0.0.1"
SB = b"\x0b"
EB = b"\x1c"
CR = b"\r"
ANSI = re.compile(rb"\x1b\[[0-9;]*m")


class TestFailure(Exception):
    """A check failed; the message says which and why."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def watchdog(seconds):
    """Fails the script (and so kills its engines, in their `finally`) after `seconds`."""

    def expired(signum, frame):
        raise TestFailure("the test ran longer than %d s" % seconds)

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)


def run_main(main):
    """Runs `main()` and turns its outcome into an exit status: 0 passed, 1 failed."""
    started = time.monotonic()
    try:
        main()
    except TestFailure as e:
        print("FAILED: %s" % e, flush=True)
        return 1
    finally:
        signal.alarm(0)
        print("time: %.1f s" % (time.monotonic() - started), flush=True)
    print("PASSED", flush=True)
    return 0


def free_ports(count):
    """`count` distinct loopback ports the OS reports free: all bound at once, then closed."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@contextlib.contextmanager
def temp_folder(prefix):
    """A fresh folder, removed afterwards unless HISBRIDGE_E2E_KEEP is set (for debugging)."""
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        yield path
    finally:
        if os.environ.get("HISBRIDGE_E2E_KEEP"):
            print("kept %s" % path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def write_config(folder, config, name="hisbridge.json"):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    return name


def base_config(admin_port, listeners, log_level="info"):
    """A config with a channel per listener; the store is var/hisbridge.db in the folder."""
    return {
        "timezone": "Asia/Ho_Chi_Minh",
        "store": {"location": "var/hisbridge.db", "duplicate_window": "24h"},
        "his": {"location": "var/his.db"},
        "admin": {"host": HOST, "port": admin_port},
        "log": {"level": log_level, "show_patient_data": False},
        "listeners": listeners,
        "channels": [{"name": l["name"] + "-inbound", "source": l["name"]} for l in listeners],
    }


class Engine:
    """`hisbridge serve --config CONFIG` run in `folder`, its stdout and stderr in a log file.

    Use as a context manager: on the way out the process is killed if it still runs."""

    def __init__(self, binary, folder, config_name="hisbridge.json"):
        self.binary = binary
        self.folder = folder
        self.config_name = config_name
        self.process = None
        self.runs = 0
        self.log_path = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def start(self, timeout=20.0):
        """Starts the engine and waits for its `ready` line; fails when it exits or the
        deadline passes first."""
        check(self.process is None or self.process.poll() is not None, "engine already running")
        self.runs += 1
        self.log_path = os.path.join(self.folder, "engine-%d.log" % self.runs)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--config", self.config_name],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line.endswith(" ready") for line in self.log_lines()):
                return
            if self.process.poll() is not None:
                raise TestFailure(
                    "the engine exited with %d before it was ready; its log:\n%s"
                    % (self.process.returncode, self.log_text())
                )
            time.sleep(0.02)
        raise TestFailure("no `ready` line within %.0f s; log:\n%s" % (timeout, self.log_text()))

    def log_text(self, run=None):
        path = self.log_path if run is None else os.path.join(self.folder, "engine-%d.log" % run)
        if path is None or not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            return ANSI.sub(b"", f.read()).decode("utf-8", "replace")

    def all_logs(self):
        return "".join(self.log_text(run) for run in range(1, self.runs + 1))

    def log_lines(self):
        return self.log_text().splitlines()

    def wait_for_log(self, pattern, timeout=5.0):
        """Waits until a line of the current run's log matches `pattern` (a regex)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_lines():
                if regex.search(line):
                    return line
            time.sleep(0.02)
        raise TestFailure("no log line matching %r within %.0f s; log:\n%s"
                          % (pattern, timeout, self.log_text()))

    def running(self):
        return self.process is not None and self.process.poll() is None

    def sigkill(self):
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        check(self.running(), "the engine died before it was killed; log:\n" + self.log_text())
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout=10.0):
        """SIGTERM, and the engine must exit 0 within `timeout` (no hang on shutdown)."""
        check(self.running(), "the engine is not running; log:\n" + self.log_text())
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailure("the engine did not exit within %.0f s of SIGTERM; log:\n%s"
                              % (timeout, self.log_text()))
        check(code == 0, "the engine exited with %d after SIGTERM; log:\n%s"
              % (code, self.log_text()))

    def kill(self):
        if self.running():
            self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


# ---------------------------------------------------------------- HL7 and MLLP

def frame(message):
    return SB + message + EB + CR


def segments(message):
    return [s for s in re.split(rb"\r\n|\r|\n", message) if s]


def msh_field(message, number):
    """MSH-`number` of an ER7 message (bytes), with the message's own field separator."""
    msh = segments(message)[0]
    check(msh.startswith(b"MSH") and len(msh) > 3, "not an MSH segment: %r" % msh[:40])
    if number == 1:
        return msh[3:4]
    fields = msh.split(msh[3:4])  # fields[n - 1] is MSH-n for n >= 2
    return fields[number - 1] if number - 1 < len(fields) else b""


class Ack:
    """An ACK as the engine sends it: MSA-1, MSA-2 and its ERR segments."""

    def __init__(self, raw):
        self.raw = raw
        segs = segments(raw)
        check(segs and segs[0].startswith(b"MSH"), "an ACK without MSH: %r" % raw[:200])
        separator = segs[0][3:4]
        self.msa = next((s.split(separator) for s in segs if s.startswith(b"MSA")), None)
        check(self.msa is not None, "an ACK without MSA: %r" % raw[:300])
        self.code = self.msa[1].decode("ascii", "replace")
        self.control_id = self.msa[2] if len(self.msa) > 2 else b""
        self.errors = [s for s in segs if s.startswith(b"ERR")]

    @property
    def positive(self):
        return self.code in ("AA", "CA")

    def __repr__(self):
        return "Ack(%s, %r, %d ERR)" % (self.code, self.control_id, len(self.errors))


class MllpConnection:
    """A raw MLLP client socket: whole frames out, frames (or the close) in."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buffer = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_message(self, message):
        self.sock.sendall(frame(message))

    def read_frame(self):
        """The next frame's content, or None when the peer closed first."""
        while True:
            start = self.buffer.find(SB)
            end = self.buffer.find(EB + CR, max(start, 0))
            if start != -1 and end != -1:
                content = self.buffer[start + 1:end]
                self.buffer = self.buffer[end + 2:]
                return content
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk

    def read_ack(self):
        raw = self.read_frame()
        check(raw is not None, "the connection closed before an ACK")
        return Ack(raw)

    def read_until_closed(self, timeout=5.0):
        """Reads until the engine closes; returns what came. Fails if it stays open."""
        self.sock.settimeout(timeout)
        got = self.buffer
        self.buffer = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return got
                got += chunk
        except ConnectionResetError:
            return got
        except socket.timeout:
            raise TestFailure("the engine kept the connection open longer than %.0f s" % timeout)


def exchange(port, message):
    """Sends one message on a connection of its own and returns its ACK."""
    with MllpConnection(port) as c:
        c.send_message(message)
        return c.read_ack()


# ---------------------------------------------------------------- the journal

def stored_bytes(raw, raw_format):
    """A row's message as received: raw_format 1 keeps it as one zstd frame (the SQLite
    journal's raw_compression_level), 0 as it is."""
    if raw is None or raw_format == 0:
        return raw
    check(raw_format == 1, "raw_format %r is not one the tests know" % raw_format)
    return zstandard.ZstdDecompressor().decompress(raw)


def open_store(folder):
    db = sqlite3.connect(os.path.join(folder, "var", "hisbridge.db"), timeout=10)
    # A temporary view of the same name goes before the table in unqualified names: every
    # query reads `raw` as it was received, whether the journal keeps it compressed or not.
    columns = [row[1] for row in db.execute("PRAGMA main.table_info(hisbridge_messages)")]
    if "raw_format" in columns:
        db.create_function("hb_stored_bytes", 2, stored_bytes, deterministic=True)
        listed = ", ".join("hb_stored_bytes(raw, raw_format) AS raw" if c == "raw" else c
                           for c in columns)
        db.execute("CREATE TEMP VIEW hisbridge_messages AS SELECT %s FROM main.hisbridge_messages"
                   % listed)
    return db


def query(folder, sql, params=()):
    with contextlib.closing(open_store(folder)) as db:
        return db.execute(sql, params).fetchall()


def wait_until_processed(folder, expected_rows, timeout=20.0, admin_port=None):
    """Waits until the journal holds at least `expected_rows` rows, none is `received` and no
    destination queue entry is still pending (every result delivered or a dead letter); with
    `admin_port`, also until the turnaround timeline has recorded every mark handed to it
    (wait_timeline_recorded)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if os.path.exists(os.path.join(folder, "var", "hisbridge.db")):
            last = query(folder, "SELECT COUNT(*), COALESCE(SUM(status = 'received'), 0),"
                                 " (SELECT COUNT(*) FROM hisbridge_deliveries"
                                 " WHERE state = 'pending') FROM hisbridge_messages")[0]
            if last[0] >= expected_rows and last[1] == 0 and last[2] == 0:
                if admin_port is not None:
                    wait_timeline_recorded(admin_port, max(1.0, deadline - time.monotonic()))
                return
        time.sleep(0.05)
    raise TestFailure("processing not done within %.0f s: (rows, still received, deliveries "
                      "pending) = %r, "
                      "expected %d rows" % (timeout, last, expected_rows))


def wait_deliveries_done(admin_port, timeout=20.0):
    """Waits until /api/v1/channels shows no destination queue entry pending, twice in a row
    (a batch's entries are counted a moment after its statuses are written), for journals this
    process cannot open itself (PostgreSQL)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    waiting = None
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(HOST, admin_port, timeout=10)
        try:
            conn.request("GET", "/api/v1/channels")
            channels = json.loads(conn.getresponse().read())["channels"]
        finally:
            conn.close()
        waiting = {"%s/%s" % (c["name"], d["name"]): d["queue"]["pending"]
                   for c in channels for d in c["destinations"] if d.get("queue")}
        quiet = quiet + 1 if not any(waiting.values()) else 0
        if quiet == 2:
            return
        time.sleep(0.1)
    raise TestFailure("deliveries still pending after %.0f s: %r" % (timeout, waiting))


def wait_timeline_recorded(admin_port, timeout=20.0):
    """Waits until /metrics says the timeline worker has caught up
    (hisbridge_timeline_backlog_batches 0): the router hands each batch's marks over before
    it writes the batch's statuses, so once processing is done this means every mark is
    recorded and observed in the turnaround histogram."""
    deadline = time.monotonic() + timeout
    line = None
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(HOST, admin_port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            text = conn.getresponse().read().decode("utf-8")
        finally:
            conn.close()
        line = next((l for l in text.splitlines()
                     if l.startswith("hisbridge_timeline_backlog_batches ")), None)
        if line is None or line.split()[1] == "0":
            return  # no line: the engine runs without a timeline
        time.sleep(0.05)
    raise TestFailure("the timeline did not catch up within %.0f s: %s" % (timeout, line))


def wait_for(what, condition, timeout, interval=0.05):
    """Calls `condition` every `interval` seconds until it returns something true, and returns
    that; fails naming `what` when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TestFailure("%s: not within %.0f s" % (what, timeout))


def metrics_text(admin_port):
    """The admin server's /metrics page as text."""
    conn = http.client.HTTPConnection(HOST, admin_port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode("utf-8")
    finally:
        conn.close()


def sample(text, series):
    """The value of `series` (a name, with its labels as written: 'name{label="x"}') in a
    /metrics page."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    raise TestFailure("no %s in /metrics" % series)


def binary_from_argv():
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        print("usage: %s HISBRIDGE [...]: HISBRIDGE must be the hisbridge binary" % sys.argv[0])
        sys.exit(2)
    return os.path.abspath(sys.argv[1])


def with_database(uri, name):
    """`uri` naming database `name` instead: a URI's path, or a key=value string's dbname."""
    if uri.startswith(("postgresql://", "postgres://")):
        parts = urllib.parse.urlsplit(uri)
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))
    return uri + " dbname=" + name  # the last dbname of a key=value string wins


def psql(uri, sql):
    """`sql` run by psql on `uri`; its output (unaligned, tuples only) as text."""
    run = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri,
                          "-c", sql],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                         env=dict(os.environ, PGCLIENTENCODING="UTF8"))
    check(run.returncode == 0, "psql %r: %s" % (sql, run.stderr.decode("utf-8", "replace")))
    return run.stdout.decode("utf-8")


class PostgresDatabase:
    """A database of its own, `PREFIX_PID`, on the server `server_uri` names (the tests take it
    from HISBRIDGE_TEST_PG): made empty for the run, dropped by close()."""

    def __init__(self, server_uri, prefix):
        check(shutil.which("psql"), "HISBRIDGE_TEST_PG is set but psql is not installed")
        self.server_uri = server_uri
        self.name = "%s_%d" % (prefix, os.getpid())
        self.psql_server("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
        self.psql_server("CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0" % self.name)
        self.uri = with_database(server_uri, self.name)

    def psql_server(self, sql):
        return psql(self.server_uri, sql)

    def query(self, sql):
        return psql(self.uri, sql)

    def close(self):
        self.psql_server("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
