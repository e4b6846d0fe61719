#!/usr/bin/python3
"""Fault: journal retention pruning hard while ingest is under a steady load.

    fault_retention.py HISBRIDGE

Two phases, each on a fresh temporary folder with its own `hisbridge serve`: a SQLite journal
(var/hisbridge.db) and a SQLite HIS (var/his.db), one MLLP listener and a channel mapping with
the stock LIS mapping into a his-db destination. The load generator sends 200 lab results a
second; after a 3 s warm-up the next 20 s of load are measured, then the load stops and the
HIS has up to 180 s to catch up.

  (a) without retention (the journal keeps every message);
  (b) with `store.retention` pruning as hard as the configuration allows: duplicate_window
      1s, max_age 2s (it must not be shorter than the duplicate window), interval 1s, batch
      500, so from about 2 s into the load every wake deletes what was processed and
      delivered, while ingest's group commits go on in the same file.

Checks:
  - every message sent was acknowledged in each phase, and every acknowledged message's
    order is in his_order with exactly the his_result rows its message carries, names and
    values intact (lost 0); no order holds more rows than its message carries, no unknown
    order (duplicated 0);
  - retention deleted something in (b): hisbridge_store_pruned_messages_total > 0;
  - ACK latency p99 of the measured load of (b) is at most twice that of (a), with (a)'s
    taken as at least 5 ms: on an idle machine (a) can be 1 ms, and a 2 ms against 1 ms
    comparison would be noise, not a finding about pruning; 10 ms still shows a delete that
    holds the journal's write lock for long. When the ratio is over, both phases run once
    more on new engines and the second pair decides (a stall of a busy host in one phase is
    not pruning's doing; a delete that holds the lock fails both times).
Figures: the summary's ack_p99_ms (and the other usual ones) are phase (b)'s; the pairs after
them give ACK p50/p99 of both phases, their ratio, messages pruned, and the journal's size on
disk (var/hisbridge.db and its -wal, in bytes) at the end of each phase, once the HIS caught up;
`attempts` says whether the phases ran twice, `p99_ratio_first` gives the first ratio then.

Exit status: 0 passed, 1 failed.
"""

import os
import time

import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
WARM_UP = 3.0
LOAD_SECONDS = 20.0
DRAIN_TIMEOUT = 180.0
RATIO_LIMIT = 2.0
P99_FLOOR = 0.005  # seconds: the baseline p99 is taken as at least this (see above)
RETENTION = {"max_age": "2s", "interval": "1s", "batch": 500}
DUPLICATE_WINDOW = "1s"


class Phase:
    """The figures of one phase."""

    def __init__(self, name):
        self.name = name
        self.gen = None
        self.verdict = None
        self.drain_s = None
        self.rss = None
        self.samples = {}
        self.journal_bytes = None

    def latency(self, p):
        return fs.percentile(self.gen.latencies({"load"}), p)

    def pruned(self):
        value = fs.metric_total(self.samples, "hisbridge_store_pruned_messages_total")
        return None if value is None else int(value)

    def kept(self):
        """Rows the journal holds at the end (hisbridge_store_messages, every status)."""
        value = fs.metric_total(self.samples, "hisbridge_store_messages")
        return "n/a" if value is None else int(value)


def journal_bytes(folder):
    """(var/hisbridge.db, its -wal) in bytes, as the engine left them (no checkpoint forced)."""
    base = os.path.join(folder, "var", "hisbridge.db")
    return tuple(os.path.getsize(p) if os.path.exists(p) else 0 for p in (base, base + "-wal"))


def config(admin_port, lis_port, retention):
    conf = fs.engine_config(admin_port, lis_port, [{"name": "his", "type": "his-db"}])
    if retention:
        conf["store"]["duplicate_window"] = DUPLICATE_WINDOW
        conf["store"]["retention"] = dict(RETENTION)
    return conf


def load(gen):
    """The warm-up, the measured load, and every ACK in."""
    gen.phase = "warm-up"
    gen.start()
    time.sleep(WARM_UP)
    gen.phase = "load"
    time.sleep(LOAD_SECONDS)
    gen.stop_new()
    check(gen.wait_idle(30), "ACKs still missing 30 s after the load stopped")


def run_phase(binary, template, phase, retention):
    with e2e.temp_folder("hisbridge-fault-retention-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, config(admin_port, lis_port, retention))
        engine.start()
        his = fs.SqliteHis(os.path.join(folder, "var", "his.db"))
        phase.gen = fs.LoadGenerator(lis_port, template, rate=RATE)
        try:
            load(phase.gen)
        finally:
            phase.gen.close()
        print("phase %s: %s" % (phase.name, phase.gen.describe()))
        phase.verdict, phase.drain_s = fs.wait_delivered(phase.gen, his, DRAIN_TIMEOUT)
        phase.rss = fs.peak_rss_mb(engine.process)
        phase.samples = fs.scrape(admin_port)
        phase.journal_bytes = journal_bytes(folder)
        print("phase %s: %s" % (phase.name, phase.verdict.describe()))
        print("phase %s: %s" % (phase.name, fs.log_digest(engine)))
        print("phase %s: %s, store_pruned_messages_total %s, store_messages %s"
              % (phase.name, fs.metrics_line(phase.samples), phase.pruned(), phase.kept()))
        print("phase %s: ACK latency p50 %s ms, p99 %s ms, max %s ms over %d ACKs; journal %d "
              "bytes (file %d, -wal %d); drain %.1f s"
              % (phase.name, fs.ms(phase.latency(50)), fs.ms(phase.latency(99)),
                 fs.ms(max(phase.gen.latencies({"load"}), default=None)),
                 len(phase.gen.latencies({"load"})), sum(phase.journal_bytes),
                 phase.journal_bytes[0], phase.journal_bytes[1], phase.drain_s))
        engine.stop()


def check_phase(phase):
    gen = phase.gen
    unacked = [m for m in gen.sent() if not m.acked]
    check(not unacked, "phase %s: %d of %d messages not acknowledged: %s"
          % (phase.name, len(unacked), len(gen.sent()),
             sorted({a.why for m in unacked for a in m.attempts})[:3]))
    check(gen.latencies({"load"}), "phase %s: no ACK in the measured load" % phase.name)
    fs.verdict_checks(gen, phase.verdict, DRAIN_TIMEOUT)


def report_figures(report, plain, pruning):
    p99_a, p99_b = plain.latency(99), pruning.latency(99)
    ratio = p99_b / max(p99_a, P99_FLOOR) if p99_a is not None and p99_b is not None else None
    report.from_run(pruning.gen, pruning.verdict, p99_b, pruning.drain_s,
                    max(plain.rss or 0, pruning.rss or 0))
    report.set(ack_p50_ms_a=fs.ms(plain.latency(50)), ack_p99_ms_a=fs.ms(p99_a),
               ack_p50_ms_b=fs.ms(pruning.latency(50)), ack_p99_ms_b=fs.ms(p99_b),
               p99_ratio="n/a" if ratio is None else "%.2f" % ratio,
               pruned="n/a" if pruning.pruned() is None else pruning.pruned(),
               journal_bytes_a=sum(plain.journal_bytes),
               journal_bytes_b=sum(pruning.journal_bytes),
               sent_a=len(plain.gen.sent()), acked_a=len(plain.gen.acked()),
               delivered_a=len(plain.verdict.delivered), lost_a=len(plain.verdict.lost))
    return ratio


def measure(binary, template, report):
    """Both phases on new engines, with every check but the latency's; returns them and the
    p99 ratio, the figures in the summary whatever happens."""
    plain, pruning = Phase("a"), Phase("b")
    run_phase(binary, template, plain, retention=False)
    run_phase(binary, template, pruning, retention=True)
    ratio = report_figures(report, plain, pruning)
    print("ACK p99 with retention / without (floor %.0f ms): %s"
          % (P99_FLOOR * 1000, "n/a" if ratio is None else "%.2f" % ratio))
    check_phase(plain)
    check_phase(pruning)
    check(not plain.pruned(), "phase a pruned %s messages without retention" % plain.pruned())
    check(pruning.pruned(), "retention deleted nothing (hisbridge_store_pruned_messages_total "
          "%s)" % pruning.pruned())
    return plain, pruning, ratio


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    plain, pruning, ratio = measure(binary, template, report)
    report.set(attempts=1)
    if ratio is None or ratio > RATIO_LIMIT:
        # The phases run one after the other, 25 s apart: a stall of the host (a flush of
        # several ms while other jobs load the disk) in one of them alone is not pruning's
        # doing. Both phases once more on new engines tell one from the other; a delete that
        # holds the journal's write lock fails both times.
        print("ACK p99 ratio %s over %.0f: both phases once more"
              % ("n/a" if ratio is None else "%.2f" % ratio, RATIO_LIMIT))
        first = ratio
        plain, pruning, ratio = measure(binary, template, report)
        report.set(attempts=2, p99_ratio_first="n/a" if first is None else "%.2f" % first)
    check(ratio is not None and ratio <= RATIO_LIMIT,
          "ACK p99 with retention %s ms is more than %.0fx that without, %s ms (floor %.0f ms)"
          % (fs.ms(pruning.latency(99)), RATIO_LIMIT, fs.ms(plain.latency(99)),
             P99_FLOOR * 1000))


if __name__ == "__main__":
    fs.run_fault("retention", main, watchdog_seconds=900)
