#!/usr/bin/python3
"""Fault: the disk of PostgreSQL, which holds both the journal and the HIS, fills up under a
steady load, then frees.

    fault_pg_disk_full.py HISBRIDGE

A PostgreSQL cluster of the test's own (the Debian server binaries, fsync on) lives on a
160 MiB tmpfs mounted for the test (skipped where mounting is not allowed), with 1 MiB WAL
segments and max_wal_size 32 MB so that its own files leave room. It holds two databases: the
engine's journal and the HIS staging tables. `hisbridge serve` runs with both on it, one MLLP
listener and a channel mapping with the stock LIS mapping into a his-db destination. The load
generator sends 200 lab results a second and, as a real sender does, sends again a message
answered negatively or not at all. A ballast file takes every free byte of the disk and is
deleted again:

  before  3 s
  full   10 s   PostgreSQL's disk full ("could not extend file ...: No space left on device")
  after  10 s   then the load stops; every message still without an AA is sent again and
                the HIS has up to 180 s to catch up

Should the server stop itself meanwhile (a WAL write that finds no room ends in a PANIC), it
is started again once the space is back, as an operator would, and the summary says so
(pg_restarted 1).

Checks:
  - while the disk was full, messages got negative answers (the journal cannot grow), counted
    by hisbridge_messages_store_failures_total, and the engine kept answering;
  - it took messages again within 10 s of the space coming back (of the server's restart,
    when it had to be), without a restart of its own;
  - every message sent got its AA in the end; every acknowledged message's order is in
    his_order with exactly the his_result rows its message carries (lost 0), and nothing is
    doubled (duplicated 0); no delivery was given up (no dead letter);
  - the log says why (PostgreSQL's "No space left on device") and does not flood (at most 120
    error lines: the retrying parts say so about once a second, not once per message).
Figures: negative answers and unanswered sendings while full, the first AA after the space
came back (recovery_s), HIS write retries, error lines, ACK p99 before the fault and after,
drain_s, peak RSS.

Exit status: 0 passed, 1 failed, 77 skipped (no tmpfs, or no PostgreSQL server binaries).
"""

import contextlib
import os
import shutil
import tempfile
import time

import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
WARM_UP = 3.0
FULL_SECONDS = 10.0
AFTER_SECONDS = 10.0
DRAIN_TIMEOUT = 180.0
RECOVERY_LIMIT = 10.0  # seconds from the space coming back to the first AA
TMPFS_SIZE = "160m"
NO_SPACE = "No space left on device"
MAX_ERROR_LINES = 120
# PostgreSQL's own files kept small, so that the ballast, not its WAL, decides when it is full.
INITDB_ARGS = ("--wal-segsize=1",)
SETTINGS = ("max_wal_size=32MB", "min_wal_size=4MB")


def full_run(cluster, disk, engine, gen, admin_port):
    """The load with the fault; returns (when the space came back, whether PostgreSQL had to
    be started again, HIS write retries while full)."""
    gen.phase = "before"
    gen.start()
    time.sleep(WARM_UP)
    retries_before = fs.delivery_retries(admin_port)
    path, size = fs.fill(disk)
    gen.phase = "full"
    stats = os.statvfs(disk)
    print("full: ballast %.1f MiB, %d bytes free" % (size / 1048576.0,
                                                     stats.f_bavail * stats.f_frsize))
    try:
        time.sleep(FULL_SECONDS)
        check(engine.running(), "the engine exited while PostgreSQL's disk was full")
    finally:
        os.remove(path)
        freed = time.monotonic()
        gen.phase = "after"
    full_retries = fs.delivery_retries(admin_port) - retries_before
    restarted = not cluster.running()
    if restarted:
        print("PostgreSQL stopped itself while its disk was full; started again. Its log:\n%s"
              % cluster.log_tail(12))
        cluster.start()
        freed = time.monotonic()
    time.sleep(AFTER_SECONDS)
    gen.stop_new()
    gen.resend_all_unacked()
    check(gen.wait_idle(90), "messages still without a positive ACK 90 s after the load: %d"
          % (len(gen.sent()) - len(gen.acked())))
    return freed, restarted, full_retries


@contextlib.contextmanager
def passable_folder(prefix):
    """A new folder the server's user (`postgres`, under root) may pass through, removed on the
    way out: under /tmp itself, as PrivateCluster's, since the folders of $TMPDIR may be their
    owner's alone."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    try:
        os.chmod(path, 0o711)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    with e2e.temp_folder("hisbridge-fault-pg-disk-full-") as folder, \
            passable_folder("hisbridge-fault-pg-disk-") as mount_point, \
            fs.small_disk(mount_point, "pg", TMPFS_SIZE) as disk, \
            fs.PrivateCluster(disk, INITDB_ARGS, SETTINGS) as cluster, \
            e2e.Engine(binary, folder) as engine:
        his, lis_port, admin_port = fs.start_on_cluster(cluster, engine, folder)
        gen = fs.LoadGenerator(lis_port, template, rate=RATE, resend=True)
        try:
            freed, restarted, full_retries = full_run(cluster, disk, engine, gen, admin_port)
        finally:
            gen.close()
        print(gen.describe())
        verdict, drain_s = fs.wait_delivered(gen, his, DRAIN_TIMEOUT, poll=1.0)
        rss, samples = fs.closing_figures(engine, admin_port, verdict)
        full = [a for a in gen.attempts() if a.phase == "full"]
        negative = [a for a in full if a.code is not None and a.code not in fs.POSITIVE]
        recovery_s = fs.first_positive_after(gen, freed)
        store_failures = fs.metric_total(samples, "hisbridge_messages_store_failures_total")
        dead = fs.metric_total(samples, "hisbridge_delivery_failures_total")
        errors = fs.error_lines(engine)
        report.from_run(gen, verdict, fs.percentile(gen.latencies({"before"}), 99), drain_s,
                        rss)
        report.set(full_negative=len(negative),
                   full_unanswered=sum(1 for a in full if a.code == fs.NO_ANSWER),
                   store_failures="n/a" if store_failures is None else int(store_failures),
                   his_retries=int(full_retries),
                   dead_letters="n/a" if dead is None else int(dead),
                   recovery_s="n/a" if recovery_s is None else recovery_s,
                   pg_restarted=int(restarted),
                   ack_p99_ms_after=fs.ms(fs.percentile(gen.latencies({"after"}), 99)),
                   error_lines=len(errors))
        print("disk full: %d sent, %d negative answers (%s); first AA %s s after the space "
              "came back; %d error lines"
              % (len(full), len(negative), sorted({a.code for a in negative}),
                 "n/a" if recovery_s is None else "%.2f" % recovery_s, len(errors)))
        check(negative, "no message was answered negatively while the disk was full: the "
              "fault did not happen")
        check(store_failures, "hisbridge_messages_store_failures_total is %s" % store_failures)
        check(recovery_s is not None and recovery_s <= RECOVERY_LIMIT,
              "no AA within %.0f s of the space coming back (%s)" % (RECOVERY_LIMIT, recovery_s))
        unacked = [m.control_id for m in gen.sent() if not m.acked]
        check(not unacked, "%d messages never acknowledged: %s" % (len(unacked), unacked[:10]))
        check(dead == 0, "%s deliveries were given up (dead letters)" % dead)
        check(any(NO_SPACE in l for l in errors), "the log does not say %r" % NO_SPACE)
        check(len(errors) <= MAX_ERROR_LINES, "%d error lines in the log (at most %d)"
              % (len(errors), MAX_ERROR_LINES))
        fs.verdict_checks(gen, verdict, DRAIN_TIMEOUT)
        check(engine.running(), "the engine is not running at the end")
        engine.stop()


if __name__ == "__main__":
    fs.run_fault("pg_disk_full", main, watchdog_seconds=480)
