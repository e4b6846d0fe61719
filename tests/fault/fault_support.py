"""Shared pieces of the reliability fault tests (fault_*.py): a steady MLLP load of lab results,
reads of the HIS staging tables, the delivered / lost / duplicated verdict, a private
PostgreSQL cluster, and the one-line summary every script ends with.

The load is ORU^R01 lab results made from a hand-reviewed fixture
(tests/fixtures/mapping/lis/oru-r01-hoa-escapes.hl7), each with its own control id (MSH-10),
order number (ORC-2/OBR-2), visit and patient. The stock LIS mapping turns each into one
his_order row and the his_result rows its expected.json lists (Vietnamese test names, escaped
values). What the HIS must hold is taken from that expected.json, not from the engine.

A test's verdict is about behaviour only (what the sender was told, what the HIS holds), never
about how the engine retries, so it holds whatever the delivery mechanism is.

Summary line, always the last line a script prints:

    fault NAME: sent N acked N delivered N duplicated N lost N ack_p99_ms X drain_s X
        peak_rss_mb N [more pairs] result PASS|FAIL

(on one line). `delivered` counts acknowledged messages whose order and results the HIS holds
exactly; `lost` acknowledged ones it does not hold; `duplicated` orders holding more rows than
their message carries, plus HIS orders no message of the run names.
"""

import collections
import contextlib
import json
import os
import pwd
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import e2e_support as e2e  # noqa: E402  (the path above makes it importable)
from e2e_support import TestFailure, check  # noqa: E402,F401

TEMPLATE = os.path.join(ROOT, "tests", "fixtures", "mapping", "lis", "oru-r01-hoa-escapes.hl7")
MAPPING = os.path.join(ROOT, "mappings", "lis-stock.json")
EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77
POSITIVE = ("AA", "CA")
NO_ANSWER = "none"
LOG_ENTRY = re.compile(r"^\d{4}-\d\d-\d\dT")
PG_BIN = os.environ.get("HISBRIDGE_PG_BIN", "/usr/lib/postgresql/15/bin")


class Skip(Exception):
    """The test cannot run here; the message says why."""


# ---------------------------------------------------------------- the messages

def _read_commented_json(path):
    with open(path, encoding="utf-8") as f:
        return json.loads("\n".join(l for l in f.read().split("\n")
                                    if not l.lstrip().startswith("//")))


class Template:
    """The fixture message and the his_result rows its expected.json (hand-reviewed) says the
    stock mapping makes of it: {(test_code, seq): (test_name, value)}."""

    def __init__(self, path=TEMPLATE):
        with open(path, "rb") as f:
            lines = [l for l in re.split(rb"\r\n|\r|\n", f.read()) if l]
        self.raw = b"".join(l + b"\r" for l in lines)
        expected = _read_commented_json(path[:-len(".hl7")] + ".expected.json")["records"]
        order = next(r["values"] for r in expected if r["table"] == "his_order")
        self.order_no = order["order_no"].encode()
        self.patient_id = order["patient_id"].encode()
        self.visit_id = order["visit_id"].encode()
        self.control_id = e2e.msh_field(self.raw, 10)
        self.results = {(r["values"]["test_code"], r["values"]["seq"]):
                        (r["values"]["test_name"], r["values"]["value"])
                        for r in expected if r["table"] == "his_result"}
        check(self.results, "%s: the expected output has no his_result row" % path)
        check(any(not name.isascii() for name, _ in self.results.values()),
              "%s: no Vietnamese test name to check" % path)
        for value in (self.order_no, self.patient_id, self.visit_id):
            check(value in self.raw, "%s: %r is not in the message" % (path, value))

    def make(self, tag, index):
        """Message number `index` of run `tag`: its own control id, order, visit, patient."""
        control_id = b"F%s%07d" % (tag, index)
        order_no = b"XN%s-%07d" % (tag, index)
        raw = (self.raw.replace(self.order_no, order_no)
               .replace(self.patient_id, b"SL%s%04d" % (tag, index % 1000))
               .replace(self.visit_id, b"KB%s%07d" % (tag, index)))
        msh, rest = raw.split(b"\r", 1)
        fields = msh.split(b"|")
        check(fields[9] == self.control_id, "MSH-10 of the template moved")
        fields[9] = control_id  # fields[n - 1] is MSH-n
        return Message(index, control_id.decode(), order_no.decode(), b"|".join(fields) + b"\r"
                       + rest)


class Attempt:
    """One sending of a message: when, and what came back (an ACK code, or NO_ANSWER when the
    connection broke or no ACK came in time)."""
    __slots__ = ("sent_at", "answered_at", "code", "phase", "why")

    def __init__(self, phase):
        self.sent_at = time.monotonic()
        self.answered_at = None
        self.code = None
        self.phase = phase
        self.why = None

    def latency(self):
        return None if self.answered_at is None else self.answered_at - self.sent_at


class Message:
    __slots__ = ("index", "control_id", "order_no", "raw", "attempts")

    def __init__(self, index, control_id, order_no, raw):
        self.index = index
        self.control_id = control_id
        self.order_no = order_no
        self.raw = raw
        self.attempts = []

    @property
    def acked(self):
        return any(a.code in POSITIVE for a in self.attempts)


# ---------------------------------------------------------------- the load generator

class _Lane:
    """One MLLP connection of the generator: its sender thread keeps the lane's share of the
    rate; a reader thread per socket matches ACKs to messages in order (MLLP answers in the
    order messages arrived)."""

    def __init__(self, gen, number):
        self.gen = gen
        self.number = number
        self.lock = threading.Lock()
        self.sock = None
        self.in_flight = collections.deque()
        self.readers = []
        self.next_connect = 0.0

    def in_flight_count(self):
        with self.lock:
            return len(self.in_flight)

    def run(self):
        gen = self.gen
        interval = gen.connections / gen.rate
        slot = time.monotonic() + interval * self.number / gen.connections
        while not gen.closing.is_set():
            now = time.monotonic()
            if slot > now:
                time.sleep(slot - now)
            # A steady rate: after a stall, carry on from now rather than burst to catch up.
            slot = max(slot + interval, time.monotonic() - interval)
            if not self.connected() or self.in_flight_count() >= gen.max_in_flight:
                gen.count("skipped_slots")
                continue
            message = gen.next_message()
            if message is not None:
                self.send(message)

    def connected(self):
        with self.lock:
            if self.sock is not None:
                return True
        now = time.monotonic()
        if now < self.next_connect:
            return False
        self.next_connect = now + self.gen.reconnect_delay
        try:
            sock = socket.create_connection((e2e.HOST, self.gen.port), timeout=2)
        except OSError:
            self.gen.count("connect_failures")
            return False
        sock.settimeout(10)  # bounds sendall; reads go through select()
        with self.lock:
            self.sock = sock
        self.gen.count("connections")
        reader = threading.Thread(target=self.read, args=(sock,), daemon=True)
        self.readers.append(reader)
        reader.start()
        return True

    def send(self, message):
        attempt = Attempt(self.gen.phase)
        message.attempts.append(attempt)
        with self.lock:
            sock = self.sock
            self.in_flight.append((message, attempt))
        try:
            sock.sendall(e2e.frame(message.raw))
        except OSError as e:
            self.fail(sock, "send: %s" % e)

    def fail(self, sock, why, broken=True):
        """The connection broke: every message awaiting its ACK on it had no answer."""
        with self.lock:
            if self.sock is not sock:
                return
            self.sock = None
            failed = list(self.in_flight)
            self.in_flight.clear()
        with contextlib.suppress(OSError):
            sock.close()
        now = time.monotonic()
        for message, attempt in failed:
            attempt.code, attempt.answered_at, attempt.why = NO_ANSWER, now, why
            self.gen.unanswered(message)
        if broken:
            self.gen.count("link_failures")

    def read(self, sock):
        buffer = b""
        while True:
            with self.lock:
                if self.sock is not sock:
                    return
                oldest = self.in_flight[0][1].sent_at if self.in_flight else None
            if oldest is not None and time.monotonic() - oldest > self.gen.ack_timeout:
                return self.fail(sock, "no ACK within %.0f s" % self.gen.ack_timeout)
            try:
                ready, _, _ = select.select([sock], [], [], 0.2)
                chunk = sock.recv(65536) if ready else None
            except (OSError, ValueError) as e:
                return self.fail(sock, "read: %s" % e)
            if chunk is None:
                continue
            if not chunk:
                return self.fail(sock, "closed by the engine")
            buffer += chunk
            buffer = self.take_frames(sock, buffer)
            if buffer is None:
                return

    def take_frames(self, sock, buffer):
        while True:
            start = buffer.find(e2e.SB)
            end = buffer.find(e2e.EB + e2e.CR, max(start, 0))
            if start == -1 or end == -1:
                return buffer
            content, buffer = buffer[start + 1:end], buffer[end + 2:]
            with self.lock:
                entry = self.in_flight.popleft() if self.in_flight else None
            if entry is None:
                self.gen.problem("an ACK with no message awaiting one: %r" % content[:200])
                self.fail(sock, "unexpected ACK")
                return None
            message, attempt = entry
            try:
                ack = e2e.Ack(content)
            except TestFailure as e:
                self.gen.problem("%s: %s" % (message.control_id, e))
                ack = None
            if ack is not None and ack.control_id.decode("ascii", "replace") != message.control_id:
                self.gen.problem("%s answered with MSA-2 %r" % (message.control_id,
                                                               ack.control_id))
            attempt.answered_at = time.monotonic()
            attempt.code = ack.code if ack is not None else "??"
            if attempt.code not in POSITIVE:
                attempt.why = "NAK %s" % (ack.errors[:1] if ack is not None else content[:120])
                self.gen.unanswered(message)


class LoadGenerator:
    """Sends messages made from `template` to `port` at `rate` a second over `connections`
    MLLP connections, at most `max_in_flight` unanswered on each (a slot that finds its
    connection full or down is skipped, so the rate is what the engine lets in). With `resend`,
    a message answered negatively or not at all is sent again after `retry_delay`, before new
    ones, as a real sender would; the same message, same control id.

    `phase` labels the attempts sent from then on (for latency figures per phase)."""

    def __init__(self, port, template, rate=200.0, connections=4, resend=False,
                 retry_delay=0.5, ack_timeout=30.0, max_in_flight=32, tag=None):
        self.port = port
        self.template = template
        self.rate = rate
        self.connections = connections
        self.resend = resend
        self.retry_delay = retry_delay
        self.ack_timeout = ack_timeout
        self.max_in_flight = max_in_flight
        self.reconnect_delay = 0.2
        self.tag = tag or run_tag()
        self.phase = "load"
        self.messages = []
        self.lock = threading.Lock()
        self.retry = collections.deque()  # (due, message)
        self.making = threading.Event()
        self.closing = threading.Event()
        self.counters = collections.Counter()
        self.problems = []
        self.lanes = [_Lane(self, n) for n in range(connections)]
        self.threads = []
        self.started_at = None
        self.stopped_at = None

    def count(self, name, n=1):
        with self.lock:
            self.counters[name] += n

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def start(self):
        self.started_at = time.monotonic()
        self.making.set()
        self.threads = [threading.Thread(target=l.run, daemon=True) for l in self.lanes]
        for t in self.threads:
            t.start()

    def stop_new(self):
        """No new messages from now on; resends (with `resend`) go on."""
        self.making.clear()
        self.stopped_at = time.monotonic()

    def next_message(self):
        now = time.monotonic()
        with self.lock:
            if self.retry and self.retry[0][0] <= now:
                return self.retry.popleft()[1]
            if not self.making.is_set():
                return None
            message = self.template.make(self.tag, len(self.messages) + 1)
            self.messages.append(message)
            return message

    def unanswered(self, message):
        if self.resend:
            with self.lock:
                self.retry.append((time.monotonic() + self.retry_delay, message))

    def resend_all_unacked(self):
        """Queues every message without a positive ACK that is not awaiting one."""
        with self.lock:
            waiting = {id(m) for _, m in self.retry}
        busy = set()
        for lane in self.lanes:
            with lane.lock:
                busy |= {id(m) for m, _ in lane.in_flight}
        todo = [m for m in list(self.messages)
                if not m.acked and id(m) not in waiting and id(m) not in busy]
        with self.lock:
            self.retry.extend((0.0, m) for m in todo)
        return len(todo)

    def idle(self):
        with self.lock:
            pending = len(self.retry)
        return pending == 0 and all(l.in_flight_count() == 0 for l in self.lanes)

    def wait_idle(self, timeout):
        """Waits until nothing awaits an ACK (and, with `resend`, nothing waits to be resent)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.making.clear()
        self.closing.set()
        for t in self.threads:
            t.join(5)
        for lane in self.lanes:
            with lane.lock:
                sock = lane.sock
            if sock is not None:
                lane.fail(sock, "the generator closed", broken=False)
            for r in lane.readers:
                r.join(5)

    # ---- figures

    def sent(self):
        return [m for m in self.messages if m.attempts]

    def acked(self):
        return [m for m in self.messages if m.acked]

    def attempts(self):
        return [a for m in self.messages for a in m.attempts]

    def latencies(self, phases=None):
        """Seconds from sending to a positive ACK, of the attempts sent in `phases`."""
        return [a.latency() for a in self.attempts()
                if a.code in POSITIVE and (phases is None or a.phase in phases)]

    def codes(self):
        return collections.Counter(a.code or "pending" for a in self.attempts())

    def describe(self):
        codes = self.codes()
        elapsed = (self.stopped_at or time.monotonic()) - self.started_at
        new = len(self.messages)
        return ("load: %d messages in %.1f s (%.0f/s, target %.0f/s over %d connections), %d "
                "attempts: %s; resent %d; connections %d, broken %d, connect failures %d, "
                "slots skipped (link down or %d in flight) %d"
                % (new, elapsed, new / elapsed if elapsed else 0, self.rate, self.connections,
                   sum(codes.values()), dict(codes), sum(codes.values()) - len(self.sent()),
                   self.counters["connections"], self.counters["link_failures"],
                   self.counters["connect_failures"], self.max_in_flight,
                   self.counters["skipped_slots"]))


def run_tag():
    """Four characters that differ between runs, so orders of two runs never meet."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n = (int(time.time() * 1000) ^ (os.getpid() << 16)) % (36 ** 4)
    return "".join(digits[(n // 36 ** i) % 36] for i in range(4)).encode()


def percentile(values, p):
    """Nearest-rank percentile, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def ms(seconds):
    return "n/a" if seconds is None else "%.1f" % (seconds * 1000.0)


# ---------------------------------------------------------------- the HIS tables

class SqliteHis:
    """The HIS staging database as a SQLite file, read on read-only connections (which never
    checkpoint or change the file the engine writes)."""

    label = "SQLite"

    def __init__(self, path):
        self.path = path

    def _query(self, sql, params=()):
        if not os.path.exists(self.path):
            return []
        uri = "file:%s?mode=ro" % urllib.parse.quote(self.path)
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
                return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return []
            raise

    def counts(self, tag):
        """(his_order rows, his_result rows) of run `tag`."""
        prefix = "XN%s-%%" % tag.decode()
        rows = self._query("SELECT (SELECT COUNT(*) FROM his_order WHERE order_no LIKE ?),"
                           " (SELECT COUNT(*) FROM his_result WHERE order_no LIKE ?)",
                           (prefix, prefix))
        return tuple(rows[0]) if rows else (0, 0)

    def rows(self):
        """(every his_order order_no, every his_result row as (order_no, test_code, seq,
        test_name, value))."""
        orders = [r[0] for r in self._query("SELECT order_no FROM his_order")]
        results = self._query("SELECT order_no, test_code, seq, test_name, value FROM his_result")
        return orders, [tuple(r) for r in results]


class PostgresHis:
    """The HIS staging database on PostgreSQL, read with psql (rows as JSON: exact text)."""

    label = "PostgreSQL"

    def __init__(self, uri):
        self.uri = uri

    def _json(self, sql):
        out = psql(self.uri, "SELECT COALESCE(json_agg(t), '[]'::json) FROM (%s) t" % sql)
        return json.loads(out)

    def counts(self, tag):
        prefix = "XN%s-%%" % tag.decode()
        try:
            got = self._json("SELECT (SELECT COUNT(*) FROM his_order WHERE order_no LIKE '%s') o,"
                             " (SELECT COUNT(*) FROM his_result WHERE order_no LIKE '%s') r"
                             % (prefix, prefix))
        except TestFailure:
            return (0, 0)  # the server is down or the tables are not made yet
        return (got[0]["o"], got[0]["r"])

    def rows(self):
        orders = [r["order_no"] for r in self._json("SELECT order_no FROM his_order")]
        results = [(r["order_no"], r["test_code"], r["seq"], r["test_name"], r["value"])
                   for r in self._json("SELECT order_no, test_code, seq, test_name, value"
                                       " FROM his_result")]
        return orders, results


class Verdict:
    """What the HIS holds, message by message, against what the sender was told."""

    def __init__(self, gen, his):
        template = gen.template
        orders, results = his.rows()
        by_order = collections.defaultdict(list)
        for order_no, test_code, seq, name, value in results:
            by_order[order_no].append(((test_code, int(seq)), (name, value)))
        order_rows = collections.Counter(orders)
        sent = {m.order_no: m for m in gen.sent()}
        self.delivered, self.lost, self.garbled, self.delivered_unacked = [], [], [], []
        self.duplicated = []   # orders with more rows than their message carries
        self.strangers = sorted(set(order_rows) - set(sent))  # orders no message named
        self.extra_rows = 0
        want = template.results
        for order_no, message in sent.items():
            rows = by_order.get(order_no, [])
            keys = collections.Counter(k for k, _ in rows)
            surplus = sum(n - 1 for n in keys.values()) + sum(
                1 for k in keys if k not in want) + max(0, order_rows[order_no] - 1)
            if surplus:
                self.extra_rows += surplus
                self.duplicated.append(order_no)
            complete = order_rows[order_no] >= 1 and set(keys) >= set(want)
            exact = complete and all(want.get(k) == v for k, v in rows)
            if complete and not exact:
                self.garbled.append(order_no)
            if message.acked:
                (self.delivered if exact else self.lost).append(message)
            elif complete:
                self.delivered_unacked.append(message)

    def describe(self):
        return ("HIS: %d acknowledged messages delivered exactly, %d lost (%s), %d with wrong "
                "values (%s); %d orders with extra rows (%d rows: %s); %d orders no message "
                "named (%s); %d unacknowledged messages delivered too"
                % (len(self.delivered), len(self.lost), [m.order_no for m in self.lost[:5]],
                   len(self.garbled), self.garbled[:5], len(self.duplicated), self.extra_rows,
                   self.duplicated[:5], len(self.strangers), self.strangers[:5],
                   len(self.delivered_unacked)))


def wait_delivered(gen, his, timeout, poll=0.5):
    """Waits until the HIS holds every acknowledged message's order and results. Returns
    (Verdict, seconds waited); the verdict is the last one read (with what is still lost)."""
    started = time.monotonic()
    deadline = started + timeout
    acked = len(gen.acked())
    results = len(gen.template.results)
    verdict = None
    while True:
        orders, rows = his.counts(gen.tag)
        if orders >= acked and rows >= acked * results:
            verdict = Verdict(gen, his)
            if not verdict.lost:
                return verdict, time.monotonic() - started
        if time.monotonic() >= deadline:
            return verdict or Verdict(gen, his), time.monotonic() - started
        time.sleep(poll)


# ---------------------------------------------------------------- the engine

def engine_config(admin_port, lis_port, destinations, store=None, his=None, log_level="info"):
    """One MLLP listener `lis` and one channel mapping it with the stock LIS mapping."""
    config = e2e.base_config(admin_port, [
        {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port}], log_level)
    if store:
        config["store"]["location"] = store
    if his:
        config["his"]["location"] = his
    config["channels"] = [{"name": "lis-his", "source": "lis", "mapping": MAPPING,
                           "destinations": destinations}]
    return config


def log_digest(engine, shown=8):
    """The engine's log lines by level over every run, and its last error lines."""
    # An entry starts with its time; a driver's message may go on over further lines.
    entries = [l.split(" ", 2) for l in engine.all_logs().splitlines() if LOG_ENTRY.match(l)]
    levels = collections.Counter(e[1] for e in entries if len(e) == 3)
    errors = [" ".join(e) for e in entries if len(e) == 3 and e[1] in ("error", "critical")]
    return "engine log: %d entries, by level %s%s" % (
        len(entries), dict(levels), "".join("\n  " + l[:300] for l in errors[-shown:]))


def rewritten(samples, delivered):
    """Writes the engine counted (hisbridge_deliveries_total) beyond one per message the
    destination holds: deliveries repeated, which idempotent writes absorb; "n/a" without
    the counter."""
    total = metric_total(samples, "hisbridge_deliveries_total")
    return "n/a" if total is None else int(total) - delivered


def peak_rss_mb(process):
    """VmHWM of a running process, in MiB; None once it has exited."""
    try:
        with open("/proc/%d/status" % process.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def scrape(admin_port):
    """The engine's /metrics as {sample name with labels: value}; {} when it does not answer."""
    try:
        with urllib.request.urlopen("http://%s:%d/metrics" % (e2e.HOST, admin_port),
                                    timeout=5) as r:
            text = r.read().decode("utf-8")
    except OSError:
        return {}
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                samples[name] = float(value)
    return samples


def metric_total(samples, name):
    """The sum of every sample of `name` (all label sets); None when there is none."""
    values = [v for k, v in samples.items() if k == name or k.startswith(name + "{")]
    return sum(values) if values else None


def metrics_line(samples):
    names = ["hisbridge_messages_received_total", "hisbridge_messages_duplicates_total",
             "hisbridge_deliveries_total", "hisbridge_delivery_retries_total",
             "hisbridge_delivery_failures_total", "hisbridge_messages_store_failures_total",
             "hisbridge_store_commits_total", "hisbridge_delivery_queue_depth"]
    parts = []
    for n in names:
        v = metric_total(samples, n)
        parts.append("%s %s" % (n[len("hisbridge_"):], "n/a" if v is None else "%d" % v))
    return "metrics: " + ", ".join(parts)


# ---------------------------------------------------------------- PostgreSQL

def psql(uri, sql, timeout=60):
    run = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri,
                          "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=timeout, env=dict(os.environ, PGCLIENTENCODING="UTF8"))
    check(run.returncode == 0, "psql %r: %s" % (sql[:200], run.stderr.decode("utf-8", "replace")))
    return run.stdout.decode("utf-8")


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, in a new folder under /tmp, on a free loopback
    port, fsync on (a restart must not lose what it acknowledged). initdb refuses root, so as
    root the server runs as `postgres`. close() stops it and removes the folder; use it as a
    context manager so every exit path does."""

    def __init__(self):
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                raise Skip("no PostgreSQL server binaries in %s (%s missing)" % (PG_BIN, tool))
        if not shutil.which("psql"):
            raise Skip("psql is not installed")
        self.as_user = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise Skip("running as root and there is no `postgres` user to run initdb")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.folder = tempfile.mkdtemp(prefix="hisbridge-fault-pg-", dir="/tmp")
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "server.log")
        self.port = None

    def __enter__(self):
        try:
            if self.as_user:
                shutil.chown(self.folder, "postgres", "postgres")
            self._run(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                       "--encoding=UTF8", "--no-locale", "--no-sync"], 120)
            self.port = e2e.free_ports(1)[0]
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _run(self, args, timeout=60):
        run = subprocess.run(self.as_user + [os.path.join(PG_BIN, args[0])] + args[1:],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        check(run.returncode == 0, "%s failed: %s\n%s" % (args[0], run.stdout.decode(
            "utf-8", "replace")[-2000:], self.log_tail()))

    def log_tail(self, lines=30):
        with contextlib.suppress(OSError):
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        return ""

    def start(self):
        self._run(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                   "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on "
                   "-c synchronous_commit=on -c max_connections=50" % (self.port, self.folder),
                   "start"])

    def stop(self, mode="fast"):
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"])

    def uri(self, database="postgres"):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, database)

    def create_database(self, name):
        psql(self.uri(), "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0" % name)
        return self.uri(name)

    def close(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            for mode in ("fast", "immediate"):
                with contextlib.suppress(TestFailure, subprocess.TimeoutExpired):
                    self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"])
                    break
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------- the report

class Report:
    """The figures of one test, printed as its summary line whatever the outcome."""

    FIELDS = ("sent", "acked", "delivered", "duplicated", "lost", "ack_p99_ms", "drain_s",
              "peak_rss_mb")

    def __init__(self, name):
        self.name = name
        self.values = collections.OrderedDict((f, "n/a") for f in self.FIELDS)

    def set(self, **figures):
        for key, value in figures.items():
            if isinstance(value, float):
                value = "%.1f" % value
            self.values[key] = value

    def from_run(self, gen, verdict, p99_seconds, drain_s, rss_mb):
        self.set(sent=len(gen.sent()), acked=len(gen.acked()),
                 delivered=len(verdict.delivered) if verdict else "n/a",
                 duplicated=(len(verdict.duplicated) + len(verdict.strangers)) if verdict
                 else "n/a",
                 lost=len(verdict.lost) if verdict else "n/a",
                 ack_p99_ms=ms(p99_seconds), drain_s=drain_s,
                 peak_rss_mb="%.0f" % rss_mb if rss_mb else "n/a")

    def line(self, result):
        return "fault %s: %s result %s" % (
            self.name, " ".join("%s %s" % kv for kv in self.values.items()), result)


def verdict_checks(gen, verdict, drain_timeout):
    """The checks every test makes once the HIS had its time: nothing acknowledged lost, nothing
    doubled, nothing garbled, and the generator saw no protocol problem."""
    check(not gen.problems, "the sender saw %d protocol problems: %s"
          % (len(gen.problems), gen.problems[:5]))
    check(gen.acked(), "no message was acknowledged")
    check(not verdict.lost, "%d acknowledged messages not in the HIS (or incomplete) %.0f s "
          "after the load: %s" % (len(verdict.lost), drain_timeout,
                                  [m.order_no for m in verdict.lost[:10]]))
    check(not verdict.duplicated and not verdict.strangers,
          "doubled rows: %d orders with extra rows (%d rows: %s), %d unknown orders (%s)"
          % (len(verdict.duplicated), verdict.extra_rows, verdict.duplicated[:10],
             len(verdict.strangers), verdict.strangers[:10]))
    check(not verdict.garbled, "%d orders whose rows differ from the message: %s"
          % (len(verdict.garbled), verdict.garbled[:10]))


def run_fault(name, main, watchdog_seconds=300):
    """Runs `main(report)` and exits: 0 passed, 1 failed, 77 skipped. The summary line is the
    last thing printed, on every path."""
    report = Report(name)
    started = time.monotonic()

    def terminated(signum, frame):
        raise TestFailure("terminated by signal %d" % signum)

    signal.signal(signal.SIGTERM, terminated)
    e2e.watchdog(watchdog_seconds)
    result, code = "PASS", EXIT_PASS
    try:
        main(report)
    except Skip as e:
        signal.alarm(0)
        print("fault %s: skipped: %s" % (name, e), flush=True)
        sys.exit(EXIT_SKIP)
    except TestFailure as e:
        print("FAILED: %s" % e, flush=True)
        result, code = "FAIL", EXIT_FAIL
    except Exception:  # a bug of the test itself still ends with its summary line
        traceback.print_exc()
        result, code = "FAIL", EXIT_FAIL
    finally:
        signal.alarm(0)
    print("time: %.1f s" % (time.monotonic() - started), flush=True)
    print(report.line(result), flush=True)
    sys.exit(code)
