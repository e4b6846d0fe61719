#!/usr/bin/python3
"""Fault: the HIS database is locked by another writer for 30 s under a steady load.

    fault_his_locked.py HISBRIDGE

`hisbridge serve` runs in a temporary folder with a SQLite journal and a SQLite HIS
(var/his.db), one MLLP listener and a channel that maps with the stock LIS mapping into a
his-db destination. The load generator sends 200 lab results a second. Once the HIS holds
some of them, another process (Python's sqlite3) takes the HIS database's write lock
(BEGIN IMMEDIATE and an UPDATE that changes nothing) and holds it for 30 s, then rolls back;
the load goes on 5 s more and stops. Then the HIS has up to 180 s to catch up.

Checks:
  - the lock held: no order of the run was written to the HIS while it was taken;
  - ingest kept acknowledging during the lock (the journal is another file): every message
    sent while the lock was held got AA, and every one sent more than 5 s before the release
    got it before the release;
  - every acknowledged message's order is in his_order with exactly the his_result rows its
    message carries, names and values intact (lost 0);
  - no order holds more rows than its message carries, and no unknown order (duplicated 0).
Figures: ACK latency p99 while locked (the summary's ack_p99_ms) and outside the lock,
drain_s (end of the load to everything delivered), recovery_s (release to everything
delivered), the engine's peak RSS, its delivery counters from /metrics, and `rewritten`
(HIS writes the engine counted beyond one per message).

Exit status: 0 passed, 1 failed.
"""

import os
import subprocess
import time

import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
WARM_UP = 3.0
LOCK_SECONDS = 30.0
AFTER_SECONDS = 5.0
DRAIN_TIMEOUT = 180.0
# A message sent this long before the release must have its ACK before the release: it is
# far above any commit, and below the HIS writer's 5 s busy timeout, the wait that would show
# if ingest waited on the HIS.
ACK_MARGIN = 5.0

LOCKER = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE his_order SET status = status"
           " WHERE order_no = (SELECT order_no FROM his_order LIMIT 1)")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
print("released", flush=True)
"""


class Locker:
    """Another process holding the HIS database's write lock until release()."""

    def __init__(self, path):
        self.process = subprocess.Popen(["/usr/bin/python3", "-c", LOCKER, path],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
        line = self.process.stdout.readline()
        check(line.strip() == b"locked", "the locker did not lock: %r %r"
              % (line, self.process.stdout.read() if self.process.poll() is not None else b""))

    def release(self):
        self.process.stdin.write(b"\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        check(line.strip() == b"released", "the locker did not release: %r" % line)
        self.process.wait(10)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def wait_first_rows(gen, his, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if his.counts(gen.tag)[0] > 0 and time.monotonic() - gen.started_at >= WARM_UP:
            return
        time.sleep(0.1)
    raise fs.TestFailure("no order in the HIS %.0f s into the load" % timeout)


def locked_run(gen, his, path):
    """The load with the lock in the middle; returns (written while locked, release time)."""
    gen.phase = "before"
    gen.start()
    wait_first_rows(gen, his)
    locker = Locker(path)
    try:
        gen.phase = "lock"
        at_lock = his.counts(gen.tag)
        time.sleep(LOCK_SECONDS)
        written = [a - b for a, b in zip(his.counts(gen.tag), at_lock)]
        gen.phase = "after"
        locker.release()
        released = time.monotonic()
    finally:
        locker.kill()
    print("lock: held %.0f s; orders, results written meanwhile: %s" % (LOCK_SECONDS, written))
    time.sleep(AFTER_SECONDS)
    gen.stop_new()
    check(gen.wait_idle(30), "ACKs still missing 30 s after the load stopped")
    return written, released


def check_acks_during_lock(gen, released):
    lock_attempts = [a for a in gen.attempts() if a.phase == "lock"]
    check(lock_attempts, "nothing was sent while the HIS was locked")
    negative = [a for a in lock_attempts if a.code not in fs.POSITIVE]
    check(not negative, "%d of %d messages sent while the HIS was locked were not acknowledged: "
          "%s" % (len(negative), len(lock_attempts), sorted({a.why for a in negative})[:3]))
    late = [a for a in lock_attempts
            if a.sent_at < released - ACK_MARGIN and a.answered_at > released]
    check(not late, "%d messages sent while the HIS was locked were acknowledged only after "
          "its release (ingest waited on the HIS)" % len(late))


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    with e2e.temp_folder("hisbridge-fault-locked-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, fs.engine_config(admin_port, lis_port,
                                                  [{"name": "his", "type": "his-db"}]))
        engine.start()
        path = os.path.join(folder, "var", "his.db")
        his = fs.SqliteHis(path)
        gen = fs.LoadGenerator(lis_port, template, rate=RATE)
        try:
            written, released = locked_run(gen, his, path)
        finally:
            gen.close()
        print(gen.describe())
        verdict, drain_s = fs.wait_delivered(gen, his, DRAIN_TIMEOUT)
        recovery_s = time.monotonic() - released
        rss, samples = fs.closing_figures(engine, admin_port, verdict)
        p99_lock = fs.percentile(gen.latencies({"lock"}), 99)
        p99_outside = fs.percentile(gen.latencies({"before", "after"}), 99)
        report.from_run(gen, verdict, p99_lock, drain_s, rss)
        report.set(ack_p99_ms_unlocked=fs.ms(p99_outside), recovery_s=recovery_s,
                   written_while_locked=written[0],
                   rewritten=fs.rewritten(samples, len(verdict.delivered)
                                          + len(verdict.delivered_unacked)))
        print("ACK latency while locked: p50 %s ms, p99 %s ms, max %s ms; outside: p99 %s ms"
              % (fs.ms(fs.percentile(gen.latencies({"lock"}), 50)), fs.ms(p99_lock),
                 fs.ms(max(gen.latencies({"lock"}), default=None)), fs.ms(p99_outside)))
        check(written == [0, 0], "the lock did not hold: %s orders, results written while it "
              "was taken" % written)
        check_acks_during_lock(gen, released)
        fs.verdict_checks(gen, verdict, DRAIN_TIMEOUT)
        engine.stop()


if __name__ == "__main__":
    fs.run_fault("his_locked", main)
