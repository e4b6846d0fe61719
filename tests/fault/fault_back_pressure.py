#!/usr/bin/python3
"""Fault: the HIS is unavailable for longer than its queue's back-pressure threshold.

    fault_back_pressure.py HISBRIDGE

`hisbridge serve` runs as in fault_his_locked.py (SQLite journal and HIS, the stock LIS
mapping into a his-db destination), but the destination's queue may hold only
MAX_DEPTH entries (`max_queue_depth`). The load generator sends 200 lab results a second;
once the HIS holds some, another process takes the HIS database's write lock and holds it for
LOCK_SECONDS, several times as long as the queue takes to pass its limit. The engine must then
pause the source (MLLP reads stop: the generator's messages wait for their ACKs) rather than
let the queue grow, and resume once the HIS is back and the queue has drained below 80%.

Checks:
  - the source paused at least once (hisbridge_ingest_pauses_total) and is running again at
    the end (hisbridge_ingest_paused 0);
  - the queue stayed bounded: its deepest sampled depth (hisbridge_delivery_queue_depth, read
    every 100 ms) is at most twice MAX_DEPTH (the limit plus what arrives between two checks
    of the monitor and the router's lag);
  - nothing is dropped: every message sent is acknowledged in the end (the generator waits, it
    does not give up within ACK_TIMEOUT), and every acknowledged one is in the HIS with its
    results, once (lost 0, duplicated 0).
Figures: the deepest queue, pauses, the time the source was paused (sampled), ACK latency p99
(long: a paused source answers late, which is the point), drain time, peak RSS of the engine.

Exit status: 0 passed, 1 failed.
"""

import os
import threading
import time

import fault_his_locked as locked
import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
MAX_DEPTH = 400
LOCK_SECONDS = 15.0
AFTER_SECONDS = 5.0
DRAIN_TIMEOUT = 120.0
ACK_TIMEOUT = 60.0  # a paused source answers late; the sender waits, as senders do


class DepthWatch(threading.Thread):
    """Samples the queue depth and the source's paused gauge every 100 ms."""

    def __init__(self, admin_port):
        super().__init__(daemon=True)
        self.admin_port = admin_port
        self.deepest = 0
        self.paused_samples = 0
        self.samples = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            samples = fs.scrape(self.admin_port)
            depth = fs.metric_total(samples, "hisbridge_delivery_queue_depth")
            paused = fs.metric_total(samples, "hisbridge_ingest_paused")
            if depth is not None:
                self.deepest = max(self.deepest, int(depth))
                self.samples += 1
                self.paused_samples += 1 if paused else 0
            self.done.wait(0.1)


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    with e2e.temp_folder("hisbridge-fault-bp-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, fs.engine_config(
            admin_port, lis_port,
            [{"name": "his", "type": "his-db", "max_queue_depth": MAX_DEPTH,
              "retry": {"first_delay": "200ms", "max_delay": "2s"}}]))
        engine.start()
        path = os.path.join(folder, "var", "his.db")
        his = fs.SqliteHis(path)
        watch = DepthWatch(admin_port)
        watch.start()
        gen = fs.LoadGenerator(lis_port, template, rate=RATE, ack_timeout=ACK_TIMEOUT)
        try:
            gen.phase = "before"
            gen.start()
            locked.wait_first_rows(gen, his)
            locker = locked.Locker(path)
            try:
                gen.phase = "lock"
                time.sleep(LOCK_SECONDS)
                gen.phase = "after"
                locker.release()
            finally:
                locker.kill()
            time.sleep(AFTER_SECONDS)
            gen.stop_new()
            check(gen.wait_idle(ACK_TIMEOUT + 10), "ACKs still missing after the load stopped")
        finally:
            gen.close()
        print(gen.describe())
        verdict, drain_s = fs.wait_delivered(gen, his, DRAIN_TIMEOUT)
        watch.done.set()
        watch.join(5)
        rss, samples = fs.closing_figures(engine, admin_port, verdict)
        pauses = fs.metric_total(samples, "hisbridge_ingest_pauses_total") or 0
        paused_now = fs.metric_total(samples, "hisbridge_ingest_paused")
        p99 = fs.percentile(gen.latencies({"before", "lock", "after"}), 99)
        report.from_run(gen, verdict, p99, drain_s, rss)
        report.set(max_queue_depth=MAX_DEPTH, deepest_queue=watch.deepest, pauses=int(pauses),
                   paused_s=watch.paused_samples * 0.1)
        print("queue: limit %d, deepest sampled %d; source paused %d times, ~%.1f s in all"
              % (MAX_DEPTH, watch.deepest, pauses, watch.paused_samples * 0.1))
        check(pauses >= 1, "the source never paused while the queue was over its limit")
        check(paused_now == 0, "the source is still paused after the queue drained")
        check(watch.deepest <= 2 * MAX_DEPTH, "the queue grew to %d, limit %d"
              % (watch.deepest, MAX_DEPTH))
        unanswered = [a for a in gen.attempts() if a.code not in fs.POSITIVE]
        check(len(gen.acked()) == len(gen.sent()), "%d messages sent were never acknowledged "
              "(e.g. %s)" % (len(gen.sent()) - len(gen.acked()),
                             sorted({a.why for a in unanswered})[:3]))
        fs.verdict_checks(gen, verdict, DRAIN_TIMEOUT)
        engine.stop()


if __name__ == "__main__":
    fs.run_fault("back_pressure", main)
