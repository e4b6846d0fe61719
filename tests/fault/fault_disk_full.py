#!/usr/bin/python3
"""Fault: the disks of the HIS and of the journal fill up under a steady load, then free.

    fault_disk_full.py HISBRIDGE

`hisbridge serve` runs in a temporary folder with two file systems of its own (each a 128 MiB
tmpfs mounted for the test; skipped where mounting is not allowed): `var/` holds the SQLite
journal (var/hisbridge.db) and the turnaround timeline, `his/` the SQLite HIS (his/his.db). One
MLLP listener and a channel mapping with the stock LIS mapping into a his-db destination. The
load generator sends 200 lab results a second and, as a real sender does, sends again a message
answered negatively or not at all. A ballast file takes every free byte of a disk and is
deleted again:

  before        3 s
  his-full     10 s   the HIS's disk full
  between       3 s
  journal-full 10 s   the journal's disk full
  after        10 s   then the load stops; the HIS has up to 180 s to catch up

Checks:
  - HIS full: ingest went on (every message sent then was acknowledged AA; the journal is on
    the other disk); the HIS writes failed and were retried
    (hisbridge_delivery_retries_total rose), none was given up (no dead letter at the end);
  - journal full: messages sent then got negative answers (the journal cannot grow), counted
    by hisbridge_messages_store_failures_total; the engine kept answering, and took messages
    again within 10 s of the space coming back, without a restart;
  - no message was acknowledged AA without being stored: every acknowledged message's order
    is in his_order with exactly the his_result rows its message carries (lost 0), and nothing
    is doubled although many messages were sent several times (duplicated 0);
  - the turnaround figures are whole: every order in the HIS has its lab_order_to_final and
    delivery_latency interval recorded once (marks the timeline could not take meanwhile are
    held and handed again);
  - the log says why (SQLite's "database or disk is full"), and does not flood: the journal's
    failed commits are logged once per 10 s (the counters count every one), so the log holds
    tens of error lines, not one per message.
Figures: retries while the HIS was full, negative answers while the journal was full, the
first AA after the journal's space came back (recovery_s), ACK p99 before the faults (the
summary's ack_p99_ms) and after them, error lines in the log, drain_s, peak RSS.

Exit status: 0 passed, 1 failed, 77 skipped (a tmpfs cannot be mounted here).
"""

import os
import time

import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
WARM_UP = 3.0
FULL_SECONDS = 10.0
BETWEEN_SECONDS = 3.0
AFTER_SECONDS = 10.0
DRAIN_TIMEOUT = 180.0
RECOVERY_LIMIT = 10.0  # seconds from the journal's space coming back to the first AA
TMPFS_SIZE = "128m"
DISK_FULL = "database or disk is full"
# Error lines the log may hold over both faults: each part that retries (router, delivery,
# timeline, HIS writer) says so about once a second, the journal's commits once per 10 s; a
# line per failed message would be thousands.
MAX_ERROR_LINES = 120
# Each message's order gives one of each (its ordered and final events; its delivery).
INTERVALS = ("lab_order_to_final", "delivery_latency")


class Faults:
    """What the run saw of each fault."""

    def __init__(self):
        self.retries_before_his = None
        self.retries_after_his = None
        self.journal_freed = None


def disk_full(var, engine, phase, gen):
    """The disk of `var` full for FULL_SECONDS under the load, then freed."""
    path, size = fs.fill(var)
    gen.phase = phase
    stats = os.statvfs(var)
    print("%s: ballast %.1f MiB, %d bytes free" % (phase, size / 1048576.0,
                                                   stats.f_bavail * stats.f_frsize))
    try:
        time.sleep(FULL_SECONDS)
        check(engine.process.poll() is None, "the engine exited during %s" % phase)
    finally:
        os.remove(path)


def full_run(gen, disks, engine, admin_port):
    """The load with both faults; returns Faults."""
    faults = Faults()
    gen.phase = "before"
    gen.start()
    time.sleep(WARM_UP)
    faults.retries_before_his = fs.delivery_retries(admin_port)
    disk_full(disks["his"], engine, "his-full", gen)
    gen.phase = "between"
    time.sleep(BETWEEN_SECONDS)
    faults.retries_after_his = fs.delivery_retries(admin_port)
    disk_full(disks["var"], engine, "journal-full", gen)
    faults.journal_freed = time.monotonic()
    gen.phase = "after"
    time.sleep(AFTER_SECONDS)
    gen.stop_new()
    check(gen.wait_idle(60), "ACKs still missing 60 s after the load stopped")
    return faults


def turnaround_counts(admin_port):
    """{interval: observations} of hisbridge_turnaround_seconds_count, summed over labels."""
    counts = {}
    for name, value in fs.scrape(admin_port).items():
        if name.startswith("hisbridge_turnaround_seconds_count{"):
            interval = name.split('interval="', 1)[1].split('"', 1)[0]
            counts[interval] = counts.get(interval, 0) + int(value)
    return counts


def wait_turnaround(admin_port, orders, timeout=60.0):
    """Waits until every order's lab_order_to_final and delivery_latency intervals are
    recorded; returns the last counts read."""
    deadline = time.monotonic() + timeout
    while True:
        counts = turnaround_counts(admin_port)
        if all(counts.get(i, 0) >= orders for i in INTERVALS) or time.monotonic() >= deadline:
            return counts
        time.sleep(0.5)


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    with e2e.temp_folder("hisbridge-fault-disk-full-") as folder, \
            fs.small_disk(folder, "var", TMPFS_SIZE) as var, \
            fs.small_disk(folder, "his", TMPFS_SIZE) as his_disk, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, fs.engine_config(admin_port, lis_port,
                                                  [{"name": "his", "type": "his-db"}],
                                                  his="his/his.db"))
        engine.start()
        his = fs.SqliteHis(os.path.join(his_disk, "his.db"))
        gen = fs.LoadGenerator(lis_port, template, rate=RATE, resend=True)
        try:
            faults = full_run(gen, {"var": var, "his": his_disk}, engine, admin_port)
        finally:
            gen.close()
        print(gen.describe())
        verdict, drain_s = fs.wait_delivered(gen, his, DRAIN_TIMEOUT)
        orders = his.counts(gen.tag)[0]
        turnaround = wait_turnaround(admin_port, orders)
        print("turnaround intervals recorded: %s for %d orders" % (turnaround, orders))
        rss, samples = fs.closing_figures(engine, admin_port, verdict)
        answered = [a for a in gen.attempts() if a.code is not None]
        his_full_negative = [a for a in answered
                             if a.phase == "his-full" and a.code not in fs.POSITIVE]
        journal_negative = [a for a in answered
                            if a.phase == "journal-full" and a.code not in fs.POSITIVE]
        his_retries = faults.retries_after_his - faults.retries_before_his
        recovery_s = fs.first_positive_after(gen, faults.journal_freed)
        store_failures = fs.metric_total(samples, "hisbridge_messages_store_failures_total")
        dead = fs.metric_total(samples, "hisbridge_delivery_failures_total")
        errors = fs.error_lines(engine)
        report.from_run(gen, verdict, fs.percentile(gen.latencies({"before"}), 99), drain_s,
                        rss)
        report.set(his_full_retries=int(his_retries),
                   his_full_negative=len(his_full_negative),
                   journal_full_negative=len(journal_negative),
                   store_failures="n/a" if store_failures is None else int(store_failures),
                   dead_letters="n/a" if dead is None else int(dead),
                   recovery_s="n/a" if recovery_s is None else recovery_s,
                   ack_p99_ms_after=fs.ms(fs.percentile(gen.latencies({"after"}), 99)),
                   error_lines=len(errors),
                   **{"turnaround_" + i: turnaround.get(i, 0) for i in INTERVALS})
        print("HIS full: %d HIS write retries, %d negative answers; journal full: %d negative "
              "answers (%s); first AA %s s after the journal's space came back; %d error lines"
              % (his_retries, len(his_full_negative), len(journal_negative),
                 sorted({a.code for a in journal_negative}),
                 "n/a" if recovery_s is None else "%.2f" % recovery_s, len(errors)))
        check(not his_full_negative, "%d messages sent while the HIS's disk was full were not "
              "acknowledged: %s" % (len(his_full_negative),
                                    sorted({a.code for a in his_full_negative})))
        check(his_retries > 0, "no HIS write was retried while its disk was full: the fault "
              "did not happen")
        check(dead == 0, "%s deliveries were given up (dead letters)" % dead)
        check(journal_negative, "no message was answered negatively while the journal's disk "
              "was full: the fault did not happen")
        check(store_failures, "hisbridge_messages_store_failures_total is %s" % store_failures)
        check(recovery_s is not None and recovery_s <= RECOVERY_LIMIT,
              "no AA within %.0f s of the journal's space coming back (%s)"
              % (RECOVERY_LIMIT, recovery_s))
        check(any(DISK_FULL in l for l in errors), "the log does not say %r" % DISK_FULL)
        check(len(errors) <= MAX_ERROR_LINES, "%d error lines in the log (at most %d)"
              % (len(errors), MAX_ERROR_LINES))
        fs.verdict_checks(gen, verdict, DRAIN_TIMEOUT)
        held = fs.metric_total(samples, "hisbridge_timeline_held_marks")
        check(held == 0, "hisbridge_timeline_held_marks is %s at the end" % held)
        for interval in INTERVALS:
            check(turnaround.get(interval, 0) == orders,
                  "%s intervals recorded for %d orders in the HIS: turnaround figures were "
                  "lost (or doubled) in the faults" % (turnaround.get(interval, 0), orders))
        check(engine.process.poll() is None, "the engine is not running at the end")
        engine.stop()


if __name__ == "__main__":
    fs.run_fault("disk_full", main, watchdog_seconds=480)
