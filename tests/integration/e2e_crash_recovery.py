#!/usr/bin/python3
"""Crash test: several MLLP senders under load, SIGKILL the engine, restart it.

    e2e_crash_recovery.py HISBRIDGE

Four sender threads, each on a connection of its own, send messages with unique control ids
(MSH-10) as fast as the engine answers and record which got a positive ACK. Three keep four
messages in flight; the fourth keeps 32 in flight and reads its ACKs slowly, so that at the
kill it holds messages the engine stored and answered but whose ACK it never read. Once every
sender has some answers and 1.5 s have passed (or 5000 messages were sent, which bounds the
test's time), the engine is killed with SIGKILL (no shutdown code runs), every sender gives up
on what it has in flight, and the engine is started again on the same journal. Each sender
then connects again and sends every message it had no ACK for, plus three it had one for (to
exercise the duplicate rule), and waits for all their ACKs. When processing is idle (no row
still `received`) the journal must show:

  - every message acknowledged AA/CA before the kill;
  - every message sent at all, after the resends: nothing lost;
  - per (sending application, facility, control id), exactly one row `processed`, and any
    further rows `duplicate` pointing at it (duplicate_of): processing ran once;
  - every row's raw bytes equal to what was sent; no row `error` or `rejected`;
  - a message acknowledged before the kill and sent again: exactly two rows; one
    acknowledged and not sent again: exactly one.

The engine then exits 0 on SIGTERM. Last lines: a summary with the counts, `lost 0`.

Every answer must be positive. A 207 "store busy" NAK in particular means ingest waited out
the store's busy timeout behind another writer: processing with a backlog after the restart
used to starve the group committer that way, before status updates went through its thread.

Exit status: 0 passed, 1 failed.
"""

import collections
import os
import shutil
import socket
import sys
import threading
import time

import e2e_support as e2e
from e2e_support import check

SENDERS = 4
WINDOW = 4
SLOW_WINDOW = 32  # below the listener's 64 messages in flight per connection
SLOW_READ_DELAY = 0.01
RUN_BEFORE_KILL = 1.5
MAX_BEFORE_KILL = 5000
RESEND_ACKED = 3
ACK_TIMEOUT = 15  # above the store's 5 s busy timeout, twice over


def store_busy(ack):
    """The NAK Ingest gives when its commit failed with the store busy (see the note above)."""
    return not ack.positive and any(b"207" in e and b"store busy" in e for e in ack.errors)


def message(sender, seq, control_id):
    # Even senders ask for enhanced mode (MSH-15 AL: answered CA), odd ones for original (AA).
    ack_fields = b"|||AL|NE" if sender % 2 == 0 else b""
    return (
        b"MSH|^~\\&|LIS|BV_E2E|HIS|BV_E2E|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5.1%s\r"
        b"PID|1||CR%d%06d^^^BV_E2E^MR||Crashtest^Patient||19700101|M\r"
        b"OBR|1|HIS-%d-%d|LIS-%d-%d|GLU^Glucose^L|||20260305070000+0700\r"
        b"OBX|1|NM|GLU^Glucose^L||%d.%d|mmol/L|3.9-6.4|N|||F\r"
        % (control_id, ack_fields, sender, seq, sender, seq, sender, seq, 4 + seq % 5, seq % 10)
    )


class Sender:
    def __init__(self, index, window=WINDOW, read_delay=0.0):
        self.index = index
        self.window = window
        self.read_delay = read_delay
        self.messages = {}  # control id -> raw, every message ever made
        self.order = []  # control ids in the order first sent
        self.acked_before_kill = set()
        self.resent = []
        self.problem = None
        self.seq = 0

    def new_message(self):
        self.seq += 1
        control_id = b"E2E-S%d-%06d" % (self.index, self.seq)
        self.messages[control_id] = message(self.index, self.seq, control_id)
        self.order.append(control_id)
        return control_id

    def exchange(self, port, next_id, acked, give_up=None):
        """Keeps `window` messages in flight; `next_id()` gives the next control id to send
        (None when done). Records positive ACKs in `acked`. Returns True when done, False when
        the link broke or `give_up` was set."""
        in_flight = collections.deque()
        try:
            with e2e.MllpConnection(port, timeout=ACK_TIMEOUT) as conn:
                done = False
                while True:
                    while not done and len(in_flight) < self.window:
                        control_id = next_id()
                        if control_id is None:
                            done = True
                            break
                        conn.send_message(self.messages[control_id])
                        in_flight.append(control_id)
                    if not in_flight:
                        return True
                    if self.read_delay:
                        time.sleep(self.read_delay)
                    if give_up is not None and give_up.is_set():
                        return False
                    raw = conn.read_frame()
                    if raw is None:
                        return False
                    ack = e2e.Ack(raw)
                    expected = in_flight.popleft()
                    if ack.control_id != expected or not ack.positive:
                        self.problem = "sender %d: %r answered %r%s" % (
                            self.index, expected, ack.raw,
                            " (ingest starved by another store writer)" if store_busy(ack) else "")
                        return False
                    acked.add(expected)
        except (OSError, socket.timeout) as e:
            if isinstance(e, socket.timeout):
                self.problem = "sender %d: no ACK within %d s" % (self.index, ACK_TIMEOUT)
            return False
        except e2e.TestFailure as e:  # an answer that is no ACK
            self.problem = "sender %d: %s" % (self.index, e)
            return False

    def load(self, port, killed):
        self.exchange(port, lambda: None if killed.is_set() else self.new_message(),
                      self.acked_before_kill, killed)

    def resend(self, port):
        unacked = [c for c in self.order if c not in self.acked_before_kill]
        acked = [c for c in self.order if c in self.acked_before_kill]
        again = [acked[0], acked[len(acked) // 2], acked[-1]][:RESEND_ACKED] if acked else []
        self.resent = unacked + sorted(set(again))
        queue = collections.deque(self.resent)
        answered = set()
        finished = self.exchange(port, lambda: queue.popleft() if queue else None, answered)
        if self.problem is None and (not finished or answered != set(self.resent)):
            self.problem = "sender %d: %d of %d resent messages answered" % (
                self.index, len(answered), len(self.resent))


def journal_at_kill(folder):
    """(rows, rows still received) of a copy of the journal as the kill left it: reading the
    journal itself would checkpoint its WAL on close, and the restart must find it hot."""
    copy = os.path.join(folder, "at-kill")
    os.makedirs(os.path.join(copy, "var"))
    for suffix in ("", "-wal"):
        path = os.path.join(folder, "var", "hisbridge.db" + suffix)
        if os.path.exists(path):
            shutil.copyfile(path, os.path.join(copy, "var", "hisbridge.db" + suffix))
    return e2e.query(copy, "SELECT COUNT(*), COALESCE(SUM(status = 'received'), 0)"
                           " FROM hisbridge_messages")[0]


def run_threads(targets):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    return threads


def join_all(threads, timeout):
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    check(not any(t.is_alive() for t in threads), "a sender thread is stuck")


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(55)
    with e2e.temp_folder("hisbridge-e2e-crash-") as folder, e2e.Engine(binary, folder) as engine:
        port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": port}]))
        engine.start()

        # 1. Load, then SIGKILL while the senders are mid-stream.
        senders = [Sender(i) for i in range(SENDERS - 1)]
        senders.append(Sender(SENDERS - 1, SLOW_WINDOW, SLOW_READ_DELAY))
        killed = threading.Event()
        started = time.monotonic()
        threads = run_threads([lambda s=s: s.load(port, killed) for s in senders])
        deadline = started + 10
        while time.monotonic() < deadline and (
                any(len(s.acked_before_kill) < 20 for s in senders)
                or (time.monotonic() - started < RUN_BEFORE_KILL
                    and sum(len(s.order) for s in senders) < MAX_BEFORE_KILL)):
            time.sleep(0.02)
        check(all(t.is_alive() for t in threads),
              "a sender stopped before the kill: %s" % [s.problem for s in senders])
        engine.sigkill()
        killed.set()
        load_time = time.monotonic() - started
        join_all(threads, 15)
        for s in senders:
            check(s.problem is None, s.problem or "")
            check(s.acked_before_kill, "sender %d got no ACK before the kill" % s.index)
        sent = sum(len(s.order) for s in senders)
        acked = sum(len(s.acked_before_kill) for s in senders)
        wal = os.path.join(folder, "var", "hisbridge.db-wal")
        wal_bytes = os.path.getsize(wal) if os.path.exists(wal) else 0
        stored_at_kill, received_at_kill = journal_at_kill(folder)

        # 2. Restart on the same journal; every sender resends what had no ACK, and a few that had.
        engine.start()
        threads = run_threads([lambda s=s: s.resend(port) for s in senders])
        join_all(threads, 30)
        for s in senders:
            check(s.problem is None, s.problem or "")
        e2e.wait_until_processed(folder, sent, timeout=35)

        # 3. The journal.
        rows = e2e.query(folder, "SELECT id, control_id, sending_application, sending_facility,"
                                 " status, duplicate_of, raw FROM hisbridge_messages ORDER BY id")
        by_key = collections.defaultdict(list)
        for row in rows:
            by_key[(row[2], row[3], row[1].encode())].append(row)
        statuses = collections.Counter(row[4] for row in rows)
        check(set(statuses) <= {"processed", "duplicate"}, "unexpected statuses: %r" % statuses)
        lost = []
        for s in senders:
            again = set(s.resent)
            for control_id in s.order:
                group = by_key.get(("LIS", "BV_E2E", control_id), [])
                if not group:
                    lost.append(control_id)
                    continue
                for row in group:
                    check(bytes(row[6]) == s.messages[control_id],
                          "row %d: raw differs from what was sent for %r" % (row[0], control_id))
                originals = [r for r in group if r[4] == "processed"]
                check(len(originals) == 1, "%r: %d processed rows: %r"
                      % (control_id, len(originals), [(r[0], r[4]) for r in group]))
                check(all(r[4] == "duplicate" and r[5] == originals[0][0]
                          for r in group if r is not originals[0]),
                      "%r: extra rows are not duplicates of row %d: %r"
                      % (control_id, originals[0][0], [(r[0], r[4], r[5]) for r in group]))
                if control_id in s.acked_before_kill:
                    wanted = 2 if control_id in again else 1
                    check(len(group) == wanted, "%r, acknowledged before the kill%s: %d rows"
                          % (control_id, " and sent again" if wanted == 2 else "", len(group)))
        lost_acked = [c for s in senders for c in s.acked_before_kill if c in lost]
        check(not lost_acked, "acknowledged before the kill but not stored: %r" % lost_acked[:10])
        check(not lost, "sent, resent, and still not stored: %r" % lost[:10])
        unique = sum(len(s.order) for s in senders)
        check(len(by_key) == unique, "%d keys in the journal, %d messages sent"
              % (len(by_key), unique))
        integrity = e2e.query(folder, "PRAGMA integrity_check")[0][0]
        check(integrity == "ok", "integrity_check: %s" % integrity)
        engine.stop()

        resent = sum(len(s.resent) for s in senders)
        print("e2e_crash_recovery: %d senders, SIGKILL after %.1f s; sent %d, acknowledged "
              "before the kill %d; in the journal at the kill %d (%d stored without the sender "
              "reading its ACK, %d not yet processed; WAL left %d KiB); resent %d (%d without "
              "an ACK, %d with one); duplicates %d, processed %d, lost %d"
              % (SENDERS, load_time, sent, acked, stored_at_kill, stored_at_kill - acked,
                 received_at_kill, wal_bytes // 1024, resent, sent - acked, resent - (sent - acked),
                 statuses["duplicate"], statuses["processed"], len(lost)))


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
