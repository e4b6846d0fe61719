"""The hostile and broken MLLP peers of fault_hostile_peers.py, run in a process of their own
(`run`), each peer on threads of its own and from a loopback address of its own, so that the
engine's per-address limit sees them apart from the well-behaved sender:

  Flood         127.0.0.1       waves of connections opened as fast as possible, held open
  SlowSenders   127.0.0.3-6     a message one byte every 200 ms, replaced as the engine closes
  Oversize      127.0.0.8       a frame over max_frame_bytes now and then
  Abuser        127.0.0.7       messages pipelined on one connection as fast as it takes them
  Garbage       127.0.0.9       bytes outside any frame, then a valid message

Each peer records what it saw (never asserts: the test decides), and `run` sends every peer's
figures back as one JSON text, with the ACK code of each message the abuser and the garbage
peer sent (they must be stored and delivered like any other).
"""

import collections
import json
import os
import resource
import selectors
import socket
import threading
import time
import traceback

from fault_load import TestFailure, e2e

PER_IP_LIMIT = 50
MESSAGE_TIMEOUT = 3  # seconds
# Frames a second a connection may send: twice what each of the well-behaved sender's four
# connections sends (200 a second in all), so that only the abuser meets it.
FRAME_RATE = 100
MAX_FRAME_BYTES = 64 * 1024

FLOOD_SOURCE = "127.0.0.1"
SLOW_SOURCES = ("127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6")
ABUSER_SOURCE = "127.0.0.7"
OVERSIZE_SOURCE = "127.0.0.8"
GARBAGE_SOURCE = "127.0.0.9"

FLOOD_WAVE = 1000
FLOOD_EVERY = 2.0
SLOW_CONNECTIONS = 100
SLOW_STEP = 0.2
SLOW_MIN = MESSAGE_TIMEOUT - 0.5  # a slow sender closed sooner was not closed by the timeout
SLOW_MAX = MESSAGE_TIMEOUT + 2.0
SLOW_GRACE = MESSAGE_TIMEOUT + 3  # after the attack, for the last slow senders to be closed
OVERSIZE_BYTES = 200 * 1024
OVERSIZE_EVERY = 3.0
ABUSER_MESSAGES = 1000  # about 10 s at FRAME_RATE
ABUSER_DEADLINE = 60.0  # seconds for all its ACKs
GARBAGE_BYTES = 32 * 1024
GARBAGE_EVERY = 1.0
# Message numbers of the hostile tag: the abuser's from 1, the others' above.
GARBAGE_FIRST = 100001
OVERSIZE_FIRST = 200001
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)


def connect(source, port, timeout):
    """A connection to the engine's listener from local address `source`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # The port is chosen at connect, per destination: thousands of connections from one
        # address do not run out of ports to bind.
        sock.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
        sock.settimeout(timeout)
        sock.connect((e2e.HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def read_frames(sock, buffer, frames):
    """Reads once; appends whole frames' contents to `frames`. Returns (rest, closed)."""
    try:
        chunk = sock.recv(65536)
    except (ConnectionResetError, BrokenPipeError):
        chunk = b""
    if not chunk:
        return buffer, True
    buffer += chunk
    while True:
        start = buffer.find(e2e.SB)
        end = buffer.find(e2e.EB + e2e.CR, max(start, 0))
        if start == -1 or end == -1:
            return buffer, False
        frames.append(buffer[start + 1:end])
        buffer = buffer[end + 2:]


def ack_code(content):
    try:
        return e2e.Ack(content).code
    except TestFailure:
        return "??"


class Flood:
    """Waves of FLOOD_WAVE connections from one address, each held until the engine closes it."""

    name = "flood"

    def __init__(self, port):
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.attempts = self.connect_failures = self.closed = self.answered = 0
        self.held_between_waves = []
        self.held = None

    def run(self, stop):
        next_wave = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_wave:
                if self.attempts:
                    self.held_between_waves.append(len(self.selector.get_map()))
                self.wave(stop)
                next_wave += FLOOD_EVERY
            self.reap(0.05)
        deadline = time.monotonic() + 1.0  # the engine's last closes
        while time.monotonic() < deadline:
            self.reap(0.05)
        self.held = len(self.selector.get_map())
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()

    def wave(self, stop):
        for n in range(FLOOD_WAVE):
            if stop.is_set():
                return
            self.attempts += 1
            try:
                sock = connect(FLOOD_SOURCE, self.port, 3.0)
            except OSError:
                self.connect_failures += 1
                continue
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            if n % 100 == 99:
                self.reap(0)

    def reap(self, timeout):
        for key, _ in self.selector.select(timeout):
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                self.answered += 1  # the engine has nothing to say to a silent connection
                continue
            self.closed += 1
            self.selector.unregister(sock)
            sock.close()

    def figures(self):
        return {"attempts": self.attempts, "connect_failures": self.connect_failures,
                "closed": self.closed, "held": self.held, "answered": self.answered,
                "held_between_waves": self.held_between_waves}


class SlowSenders:
    """SLOW_CONNECTIONS connections each sending a valid message one byte every SLOW_STEP
    (it would take minutes to complete); each one the engine closes is replaced while the
    attack lasts. A lifetime runs from the first byte sent to the close seen."""

    name = "slow"

    def __init__(self, port, message):
        self.port = port
        self.data = e2e.frame(message)
        self.selector = selectors.DefaultSelector()
        self.opened = self.connect_failures = self.answered = 0
        self.lifetimes = []
        self.left_open = None

    def open(self, slot):
        try:
            sock = connect(SLOW_SOURCES[slot % len(SLOW_SOURCES)], self.port, 3.0)
        except OSError:
            self.connect_failures += 1
            return
        sock.setblocking(False)
        self.opened += 1
        self.selector.register(sock, selectors.EVENT_READ, {"slot": slot, "sent": 0,
                                                            "first": None})

    def run(self, stop):
        for slot in range(SLOW_CONNECTIONS):
            self.open(slot)
        stopped_at = None
        while self.selector.get_map():
            if stop.is_set() and stopped_at is None:
                stopped_at = time.monotonic()
            if stopped_at is not None and time.monotonic() - stopped_at > SLOW_GRACE:
                break
            for slot in self.step():
                if stopped_at is None:
                    self.open(slot)
            time.sleep(SLOW_STEP)
        self.left_open = len(self.selector.get_map())
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()

    def step(self):
        """Sees which connections the engine closed, sends the others their next byte; returns
        the slots of the closed ones."""
        now = time.monotonic()
        closed = set()
        for key, _ in self.selector.select(0):
            try:
                data = key.fileobj.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                self.answered += 1
            else:
                closed.add(key.fileobj)
        for key in list(self.selector.get_map().values()):
            state = key.data
            if key.fileobj in closed:
                continue
            try:
                key.fileobj.send(self.data[state["sent"]:state["sent"] + 1])
                state["first"] = state["first"] or now
                state["sent"] += 1
            except BlockingIOError:
                pass
            except OSError:
                closed.add(key.fileobj)
        slots = []
        for sock in closed:
            state = self.selector.get_key(sock).data
            self.lifetimes.append(round(now - (state["first"] or now), 2))
            slots.append(state["slot"])
            self.selector.unregister(sock)
            sock.close()
        return slots

    def figures(self):
        return {"opened": self.opened, "connect_failures": self.connect_failures,
                "closed": len(self.lifetimes), "answered": self.answered,
                "left_open": self.left_open,
                "closed_early": sum(1 for t in self.lifetimes if t < SLOW_MIN),
                "closed_late": sum(1 for t in self.lifetimes if t > SLOW_MAX),
                "lifetime_min": min(self.lifetimes, default=None),
                "lifetime_max": max(self.lifetimes, default=None),
                "lifetimes": sorted(collections.Counter(self.lifetimes).items())}


class Oversize:
    """Every OVERSIZE_EVERY a connection sending one frame of OVERSIZE_BYTES: it must be
    answered AR and closed. The frame goes out on a thread of its own while the answer is
    read, since the engine answers before it has read the whole frame."""

    name = "oversize"

    def __init__(self, port, template, tag):
        self.port, self.template, self.tag = port, template, tag
        self.outcomes = []

    def run(self, stop):
        while not stop.is_set():
            self.one()
            stop.wait(OVERSIZE_EVERY)

    def one(self):
        message = self.template.make(self.tag, OVERSIZE_FIRST + len(self.outcomes))
        data = e2e.frame(message.raw + b"NTE|1|L|" + b"x" * OVERSIZE_BYTES + b"\r")
        sock = connect(OVERSIZE_SOURCE, self.port, 10.0)
        sender = threading.Thread(target=self.send_all, args=(sock, data), daemon=True)
        sender.start()
        frames, buffer, closed = [], b"", False
        try:
            while not closed:
                buffer, closed = read_frames(sock, buffer, frames)
        except socket.timeout:
            pass
        sender.join(10)
        sock.close()
        codes = [ack_code(f) for f in frames]
        self.outcomes.append("AR+closed" if closed and codes == ["AR"] else
                             "codes %s, %s" % (codes, "closed" if closed else "left open"))

    @staticmethod
    def send_all(sock, data):
        try:
            sock.sendall(data)
        except OSError:
            pass  # the engine closed while the rest of the frame was on its way

    def figures(self):
        return {"sent": len(self.outcomes),
                "ar_then_closed": self.outcomes.count("AR+closed"),
                "outcomes": [o for o in self.outcomes if o != "AR+closed"] or self.outcomes[:1]}


class Abuser:
    """ABUSER_MESSAGES messages pipelined on one connection as fast as the socket takes them,
    their ACKs read on another thread until every one came or ABUSER_DEADLINE passed."""

    name = "abuser"

    def __init__(self, port, template, tag):
        self.port, self.template, self.tag = port, template, tag
        self.sent = 0
        self.codes = {}  # message number -> ACK code
        self.ack_times = []
        self.started = None

    def run(self, stop):
        sock = connect(ABUSER_SOURCE, self.port, 10.0)
        sock.settimeout(ABUSER_DEADLINE)
        self.started = time.monotonic()
        reader = threading.Thread(target=self.read, args=(sock,), daemon=True)
        reader.start()
        try:
            for index in range(1, ABUSER_MESSAGES + 1):
                sock.sendall(e2e.frame(self.template.make(self.tag, index).raw))
                self.sent += 1
        finally:
            reader.join(ABUSER_DEADLINE)
            sock.close()

    def read(self, sock):
        frames, buffer = [], b""
        deadline = self.started + ABUSER_DEADLINE
        try:
            while len(self.codes) < ABUSER_MESSAGES and time.monotonic() < deadline:
                count = len(frames)
                buffer, closed = read_frames(sock, buffer, frames)
                for content in frames[count:]:
                    self.ack_times.append(time.monotonic())
                    # MLLP answers in arrival order: the n-th ACK is the n-th message's.
                    self.codes[len(self.codes) + 1] = ack_code(content)
                if closed:
                    return
        except OSError:
            return

    def figures(self):
        skip = 2 * FRAME_RATE  # a burst at the start may go faster than the limit
        tail = self.ack_times[skip:]
        span = tail[-1] - tail[0] if len(tail) > 1 else 0.0
        return {"sent": self.sent,
                "acked": sum(1 for c in self.codes.values() if c in ("AA", "CA")),
                "codes": dict(collections.Counter(self.codes.values())),
                "seconds": round(self.ack_times[-1] - self.started, 1) if self.ack_times else None,
                "sustained_rate": round((len(tail) - 1) / span, 1) if span else 0.0}


class Garbage:
    """Every GARBAGE_EVERY a connection sending GARBAGE_BYTES that hold no MLLP block
    character, then a valid message: the garbage is skipped, the message answered."""

    name = "garbage"

    def __init__(self, port, template, tag):
        self.port, self.template, self.tag = port, template, tag
        self.bytes = 0
        self.codes = {}

    def run(self, stop):
        while not stop.is_set():
            self.one()
            stop.wait(GARBAGE_EVERY)

    def one(self):
        index = GARBAGE_FIRST + len(self.codes)
        junk = os.urandom(GARBAGE_BYTES).translate(None, e2e.SB + e2e.EB)
        sock = connect(GARBAGE_SOURCE, self.port, 10.0)
        try:
            for at in range(0, len(junk), 4096):
                sock.sendall(junk[at:at + 4096])
            self.bytes += len(junk)
            sock.sendall(e2e.frame(self.template.make(self.tag, index).raw))
            frames, buffer, closed = [], b"", False
            while not frames and not closed:
                buffer, closed = read_frames(sock, buffer, frames)
            self.codes[index] = ack_code(frames[0]) if frames else "none"
        except OSError as e:
            self.codes[index] = "none (%s)" % e
        finally:
            sock.close()

    def figures(self):
        return {"connections": len(self.codes), "bytes": self.bytes,
                "acked": sum(1 for c in self.codes.values() if c in ("AA", "CA")),
                "codes": dict(collections.Counter(self.codes.values()))}


def guarded(peer, stop, errors):
    def body():
        try:
            peer.run(stop)
        except Exception:  # reported to the test, which fails on it
            errors.append("%s: %s" % (peer.name, traceback.format_exc(limit=3)))
    return body


def run(port, template, tag, go, stop, results):
    """The hostile process: waits for `go`, runs every peer until `stop` (the abuser until its
    ACKs are in), then puts the figures on `results` as JSON."""
    # On a site the hostile peers are other machines: here they share the engine's CPUs, and
    # their own work (thousands of connects a second from Python) must not be what slows the
    # engine and the well-behaved sender's measurement.
    os.nice(10)
    parent = os.getppid()
    while not go.wait(1.0):
        if os.getppid() != parent:
            return  # the test is gone
    slow_message = template.make(tag, OVERSIZE_FIRST - 1).raw
    abuser, garbage = Abuser(port, template, tag), Garbage(port, template, tag)
    peers = [Flood(port), SlowSenders(port, slow_message), Oversize(port, template, tag),
             abuser, garbage]
    errors = []
    threads = [threading.Thread(target=guarded(p, stop, errors), daemon=True) for p in peers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(ABUSER_DEADLINE + 30)
    out = {p.name: p.figures() for p in peers}
    out["errors"] = errors + ["%s did not end" % p.name for p, t in zip(peers, threads)
                              if t.is_alive()]
    codes = dict(abuser.codes)
    codes.update({i: "none" for i in range(len(codes) + 1, abuser.sent + 1)})
    codes.update(garbage.codes)
    out["acked"] = {str(k): v for k, v in codes.items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    results.put(json.dumps(out))
