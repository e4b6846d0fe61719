#!/usr/bin/python3
"""Fault: PostgreSQL, which holds both the journal and the HIS, restarts under load.

    fault_pg_restart.py HISBRIDGE

A PostgreSQL cluster of the test's own (the Debian server binaries, a temporary folder, a free
loopback port, fsync on) holds two databases: the engine's journal and the HIS staging tables.
`hisbridge serve` runs with both on it, one MLLP listener and a channel mapping with the stock
LIS mapping into a his-db destination. The load generator sends 200 lab results a second and,
as a real sender does, sends again (same message, same control id) whatever got a negative
ACK or none. Once the HIS holds some orders and the load has run 4 s, the server is stopped
(`pg_ctl stop -m fast`: sessions ended, a clean shutdown), stays down 3 s and starts again.
The load runs 20 s in all; then every message still without a positive ACK is sent again and
the HIS has up to 180 s to catch up.

Checks:
  - the engine is still running at the end;
  - every message sent got its positive ACK in the end (NAKed or unanswered while the server
    was down, then resent);
  - every acknowledged message's order is in his_order with exactly the his_result rows its
    message carries, names and values intact (lost 0);
  - no order holds more rows than its message carries, and no unknown order (duplicated 0).
Figures: NAKs and unanswered messages, resends, ACK latency p99 (every positive ACK), drain_s
(end of the load to everything delivered), peak RSS, and `rewritten`: HIS writes the engine
counted beyond one per message (deliveries repeated after the restart, which the idempotent
upserts absorb; a figure, not a failure).

Skipped (exit status 77) when the PostgreSQL server binaries or psql are missing. The cluster
is stopped and its folder removed on every way out.

Exit status: 0 passed, 1 failed, 77 skipped.
"""

import collections
import time

import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
LOAD_SECONDS = 20.0
DOWN_AFTER = 4.0
DOWN_SECONDS = 3.0
DRAIN_TIMEOUT = 180.0


def wait_first_rows(gen, his, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if time.monotonic() - gen.started_at >= DOWN_AFTER and his.counts(gen.tag)[0] > 0:
            return
        time.sleep(0.1)
    raise fs.TestFailure("no order in the HIS %.0f s into the load" % timeout)


def restarted_run(cluster, engine, gen, his):
    gen.phase = "before"
    gen.start()
    wait_first_rows(gen, his)
    gen.phase = "down"
    stopping = time.monotonic()
    cluster.stop("fast")
    stopped = time.monotonic()
    time.sleep(DOWN_SECONDS)
    cluster.start()
    gen.phase = "after"
    print("PostgreSQL: stopped %.1f s into the load (stop took %.2f s), down %.1f s, started "
          "again in %.2f s" % (stopping - gen.started_at, stopped - stopping, DOWN_SECONDS,
                               time.monotonic() - stopped - DOWN_SECONDS))
    time.sleep(max(0.0, gen.started_at + LOAD_SECONDS - time.monotonic()))
    gen.stop_new()
    check(engine.running(), "the engine exited after the PostgreSQL restart; its log:\n%s"
          % engine.log_text()[-4000:])
    gen.resend_all_unacked()
    check(gen.wait_idle(60), "messages still without a positive ACK 60 s after the load: %d"
          % (len(gen.sent()) - len(gen.acked())))


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    with fs.PrivateCluster() as cluster, \
            e2e.temp_folder("hisbridge-fault-pg-") as folder, \
            e2e.Engine(binary, folder) as engine:
        his, lis_port, admin_port = fs.start_on_cluster(cluster, engine, folder)
        gen = fs.LoadGenerator(lis_port, template, rate=RATE, resend=True)
        try:
            restarted_run(cluster, engine, gen, his)
        finally:
            gen.close()
        print(gen.describe())
        verdict, drain_s = fs.wait_delivered(gen, his, DRAIN_TIMEOUT, poll=1.0)
        rss, samples = fs.closing_figures(engine, admin_port, verdict)
        report.from_run(gen, verdict, fs.percentile(gen.latencies(), 99), drain_s, rss)
        codes = gen.codes()
        down = [a for a in gen.attempts() if a.phase == "down"]
        report.set(nak=sum(n for c, n in codes.items() if c not in fs.POSITIVE + (fs.NO_ANSWER,)),
                   unanswered=codes[fs.NO_ANSWER],
                   resent=sum(codes.values()) - len(gen.sent()),
                   sent_while_down=len(down),
                   delivered_unacked=len(verdict.delivered_unacked),
                   rewritten=fs.rewritten(samples, len(verdict.delivered)
                                          + len(verdict.delivered_unacked)))
        print("while PostgreSQL was down: %d sent, answers %s; reasons: %s"
              % (len(down), dict(collections.Counter(a.code for a in down)),
                 sorted({a.why for a in gen.attempts() if a.why})[:5]))
        unacked = [m.control_id for m in gen.sent() if not m.acked]
        check(not unacked, "%d messages never acknowledged: %s" % (len(unacked), unacked[:10]))
        fs.verdict_checks(gen, verdict, DRAIN_TIMEOUT)
        check(engine.running(), "the engine exited; its log:\n%s" % engine.log_text()[-4000:])
        engine.stop()


if __name__ == "__main__":
    fs.run_fault("pg_restart", main)
