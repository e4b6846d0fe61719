#!/usr/bin/python3
"""Fault: the engine is killed with SIGKILL while deliveries are under way, and restarted.

    fault_sigkill.py HISBRIDGE

`hisbridge serve` runs in a temporary folder with a SQLite journal and a SQLite HIS
(var/his.db), one MLLP listener and a channel mapping with the stock LIS mapping into a his-db
destination. The load generator sends 200 lab results a second over four connections and,
as a real sender does, sends again (same message, same control id) whatever got no ACK or a
negative one. Once the load has run 3 s and the HIS holds some orders but fewer than were
acknowledged (deliveries under way), the engine gets SIGKILL (no shutdown code runs) and is
started again on the same files. The load goes on until it has run 10 s; the messages that
lost their ACK in the kill are sent again; the HIS then has up to 180 s to catch up.

Checks:
  - every acknowledged message's order is in his_order with exactly the his_result rows its
    message carries, names and values intact (lost 0);
  - no order holds more rows than its message carries, and no unknown order (duplicated 0);
  - every message sent got its positive ACK in the end (after the resends).
Figures: acknowledged and written to the HIS at the kill, messages awaiting an ACK at the kill,
resends, ACK latency p99 (every positive ACK), drain_s (end of the load to everything
delivered), peak RSS of either run of the engine.

Exit status: 0 passed, 1 failed.
"""

import os
import time

import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
LOAD_SECONDS = 10.0
KILL_AFTER = 3.0
DRAIN_TIMEOUT = 180.0


def wait_deliveries_under_way(gen, his, timeout=15.0):
    """Waits until the HIS holds some of the run's orders, but fewer than were acknowledged.
    Returns (acknowledged, HIS orders) as last seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if time.monotonic() - gen.started_at >= KILL_AFTER:
            acked = len(gen.acked())
            orders = his.counts(gen.tag)[0]
            if 0 < orders < acked:
                return acked, orders
        time.sleep(0.01)
    raise fs.TestFailure("the HIS never lagged behind the ACKs within %.0f s" % timeout)


def killed_run(engine, gen, his):
    """The load with a SIGKILL and a restart in it; returns figures about the kill."""
    gen.phase = "before"
    gen.start()
    acked, orders = wait_deliveries_under_way(gen, his)
    rss = fs.peak_rss_mb(engine.process)
    in_flight = sum(l.in_flight_count() for l in gen.lanes)
    engine.sigkill()
    killed = time.monotonic()
    gen.phase = "restart"
    engine.start()
    down_s = time.monotonic() - killed
    gen.phase = "after"
    print("kill: %.1f s into the load; acknowledged %d, HIS orders %d, awaiting an ACK %d; "
          "the engine was down %.2f s" % (killed - gen.started_at, acked, orders, in_flight,
                                         down_s))
    time.sleep(max(0.0, gen.started_at + LOAD_SECONDS - time.monotonic()))
    gen.stop_new()
    queued = gen.resend_all_unacked()
    check(gen.wait_idle(60), "messages still without a positive ACK 60 s after the load: %d"
          % (len(gen.sent()) - len(gen.acked())))
    return {"acked_at_kill": acked, "his_orders_at_kill": orders, "in_flight_at_kill": in_flight,
            "down_s": down_s, "rss": rss, "late_resends": queued}


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    with e2e.temp_folder("hisbridge-fault-kill-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, fs.engine_config(admin_port, lis_port,
                                                  [{"name": "his", "type": "his-db"}]))
        engine.start()
        his = fs.SqliteHis(os.path.join(folder, "var", "his.db"))
        gen = fs.LoadGenerator(lis_port, template, rate=RATE, resend=True)
        try:
            kill = killed_run(engine, gen, his)
        finally:
            gen.close()
        print(gen.describe())
        verdict, drain_s = fs.wait_delivered(gen, his, DRAIN_TIMEOUT)
        rss = max(kill["rss"] or 0, fs.peak_rss_mb(engine.process) or 0)
        samples = fs.scrape(admin_port)
        print(verdict.describe())
        print(fs.log_digest(engine))
        print(fs.metrics_line(samples) + " (the run after the restart)")
        report.from_run(gen, verdict, fs.percentile(gen.latencies(), 99), drain_s, rss)
        codes = gen.codes()
        report.set(acked_at_kill=kill["acked_at_kill"],
                   his_orders_at_kill=kill["his_orders_at_kill"],
                   in_flight_at_kill=kill["in_flight_at_kill"],
                   resent=sum(codes.values()) - len(gen.sent()), down_s=kill["down_s"],
                   delivered_unacked=len(verdict.delivered_unacked))
        unacked = [m.control_id for m in gen.sent() if not m.acked]
        check(not unacked, "%d messages never acknowledged: %s" % (len(unacked), unacked[:10]))
        fs.verdict_checks(gen, verdict, DRAIN_TIMEOUT)
        engine.stop()


if __name__ == "__main__":
    fs.run_fault("sigkill", main)
