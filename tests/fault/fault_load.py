"""The load of the fault tests: lab results made from a hand-reviewed fixture, sent over MLLP
at a steady rate, every sending and every ACK recorded.

The messages are ORU^R01 results made from tests/fixtures/mapping/lis/oru-r01-hoa-escapes.hl7,
each with its own control id (MSH-10), order number (ORC-2/OBR-2), visit and patient. The stock
LIS mapping turns each into one his_order row and the his_result rows the fixture's
expected.json lists (Vietnamese test names, escaped values): what the HIS must hold is taken
from that file, not from the engine.
"""

import collections
import contextlib
import json
import os
import re
import select
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import e2e_support as e2e  # noqa: E402  (the path above makes it importable)
from e2e_support import TestFailure, check  # noqa: E402

TEMPLATE = os.path.join(ROOT, "tests", "fixtures", "mapping", "lis", "oru-r01-hoa-escapes.hl7")
POSITIVE = ("AA", "CA")
NO_ANSWER = "none"


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
            sock = socket.create_connection((e2e.HOST, self.gen.port), timeout=2,
                                            source_address=self.gen.source_address)
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

    `phase` labels the attempts sent from then on (for latency figures per phase). With
    `source` (a local address such as "127.0.0.2"), the connections come from that address, for
    an engine that counts connections per source address."""

    def __init__(self, port, template, rate=200.0, connections=4, resend=False,
                 retry_delay=0.5, ack_timeout=30.0, max_in_flight=32, tag=None, source=None):
        self.port = port
        self.source_address = (source, 0) if source else None
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
