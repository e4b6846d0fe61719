"""Shared pieces of the reliability fault tests (fault_*.py), which import this module only:

  - fault_load.py: the load generator (lab results with unique orders at a steady rate over
    MLLP, every sending and every ACK recorded, resends as a real sender makes them);
  - fault_his.py: the HIS staging tables read back (SQLite or PostgreSQL) and the verdict;
  - fault_pg.py: a private PostgreSQL cluster;
  - fault_disk.py: small file systems of a test's own (tmpfs) and a ballast that fills one;
  - here: the engine's config, its peak RSS, /metrics and log, and the summary line.

A test's verdict is about behaviour only (what the sender was told, what the HIS holds), never
about how the engine retries, so it holds whatever the delivery mechanism is.

Summary line, always the last line a script prints:

    fault NAME: sent N acked N delivered N duplicated N lost N ack_p99_ms X drain_s X
        peak_rss_mb N [more pairs] result PASS|FAIL

(on one line). `delivered` counts acknowledged messages whose order and results the HIS holds
exactly; `lost` acknowledged ones it does not hold; `duplicated` orders holding more rows than
their message carries, plus HIS orders no message of the run names.
"""

import collections
import contextlib
import os
import re
import signal
import sys
import time
import traceback
import urllib.request

from fault_his import PostgresHis, SqliteHis, Verdict, psql, verdict_checks, wait_delivered
from fault_load import (NO_ANSWER, POSITIVE, ROOT, Attempt, LoadGenerator, Message, Template,
                        TestFailure, check, e2e, ms, percentile, run_tag)
from fault_pg import PG_BIN, PrivateCluster, Skip
from fault_disk import fill, small_disk

# The scripts reach the load, the HIS readers and the cluster through this module.
__all__ = ["NO_ANSWER", "POSITIVE", "Attempt", "LoadGenerator", "Message", "Template",
           "TestFailure", "check", "e2e", "ms", "percentile", "run_tag", "PostgresHis",
           "SqliteHis", "Verdict", "psql", "wait_delivered", "PG_BIN", "PrivateCluster", "Skip",
           "engine_config", "log_digest", "rewritten", "peak_rss_mb", "scrape", "metric_total",
           "metrics_line", "Report", "verdict_checks", "run_fault", "EXIT_PASS", "EXIT_FAIL",
           "EXIT_SKIP", "MAPPING", "fill", "small_disk", "start_on_cluster", "delivery_retries",
           "first_positive_after", "error_lines", "closing_figures"]

MAPPING = os.path.join(ROOT, "mappings", "lis-stock.json")
EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77
LOG_ENTRY = re.compile(r"^\d{4}-\d\d-\d\dT")


# ---------------------------------------------------------------- the engine

def engine_config(admin_port, lis_port, destinations, store=None, his=None, log_level="info"):
    """One MLLP listener `lis` and one channel mapping it with the stock LIS mapping."""
    config = e2e.base_config(admin_port, [
        {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port}], log_level)
    if store:
        config["store"]["location"] = store
    if his:
        config["his"]["location"] = his
    config["channels"] = [{"name": "lis-his", "source": "lis", "mapping": MAPPING,
                           "destinations": destinations}]
    return config


def start_on_cluster(cluster, engine, folder):
    """The engine started with its journal and the HIS in two new databases of `cluster` (a
    PrivateCluster) and its config in `folder`; returns the HIS reader, the MLLP port and the
    admin port."""
    store_uri = cluster.create_database("faults_store")
    his_uri = cluster.create_database("faults_his")
    lis_port, admin_port = e2e.free_ports(2)
    e2e.write_config(folder, engine_config(admin_port, lis_port,
                                           [{"name": "his", "type": "his-db"}],
                                           store=store_uri, his=his_uri))
    engine.start()
    return PostgresHis(his_uri), lis_port, admin_port


def error_lines(engine):
    """The engine's error lines over every run."""
    return [l for l in engine.all_logs().splitlines() if " error " in l[:40]]


def log_digest(engine, shown=8):
    """The engine's log lines by level over every run, and its last error lines."""
    # An entry starts with its time; a driver's message may go on over further lines.
    entries = [l.split(" ", 2) for l in engine.all_logs().splitlines() if LOG_ENTRY.match(l)]
    levels = collections.Counter(e[1] for e in entries if len(e) == 3)
    errors = [" ".join(e) for e in entries if len(e) == 3 and e[1] in ("error", "critical")]
    return "engine log: %d entries, by level %s%s" % (
        len(entries), dict(levels), "".join("\n  " + l[:300] for l in errors[-shown:]))


def rewritten(samples, delivered):
    """Writes the engine counted (hisbridge_deliveries_total) beyond one per message the
    destination holds: deliveries repeated, which idempotent writes absorb; "n/a" without
    the counter."""
    total = metric_total(samples, "hisbridge_deliveries_total")
    return "n/a" if total is None else int(total) - delivered


def peak_rss_mb(process):
    """VmHWM of a running process, in MiB; None once it has exited."""
    try:
        with open("/proc/%d/status" % process.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def scrape(admin_port):
    """The engine's /metrics as {sample name with labels: value}; {} when it does not answer."""
    try:
        with urllib.request.urlopen("http://%s:%d/metrics" % (e2e.HOST, admin_port),
                                    timeout=5) as r:
            text = r.read().decode("utf-8")
    except OSError:
        return {}
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                samples[name] = float(value)
    return samples


def metric_total(samples, name):
    """The sum of every sample of `name` (all label sets); None when there is none."""
    values = [v for k, v in samples.items() if k == name or k.startswith(name + "{")]
    return sum(values) if values else None


def delivery_retries(admin_port):
    return metric_total(scrape(admin_port), "hisbridge_delivery_retries_total") or 0


def first_positive_after(gen, moment):
    """Seconds from `moment` to the first AA answered after it; None without one."""
    times = [a.answered_at for a in gen.attempts()
             if a.code in POSITIVE and a.answered_at is not None and a.answered_at >= moment]
    return min(times) - moment if times else None


def closing_figures(engine, admin_port, verdict):
    """After the HIS caught up: the engine's peak RSS and its /metrics, read in that order, with
    the verdict, the log digest and the metrics line printed; returns (rss, samples)."""
    rss = peak_rss_mb(engine.process)
    samples = scrape(admin_port)
    print(verdict.describe())
    print(log_digest(engine))
    print(metrics_line(samples))
    return rss, samples


def metrics_line(samples):
    names = ["hisbridge_messages_received_total", "hisbridge_messages_duplicates_total",
             "hisbridge_deliveries_total", "hisbridge_delivery_retries_total",
             "hisbridge_delivery_failures_total", "hisbridge_messages_store_failures_total",
             "hisbridge_store_commits_total", "hisbridge_delivery_queue_depth"]
    parts = []
    for n in names:
        v = metric_total(samples, n)
        parts.append("%s %s" % (n[len("hisbridge_"):], "n/a" if v is None else "%d" % v))
    return "metrics: " + ", ".join(parts)


# ---------------------------------------------------------------- the report

class Report:
    """The figures of one test, printed as its summary line whatever the outcome."""

    FIELDS = ("sent", "acked", "delivered", "duplicated", "lost", "ack_p99_ms", "drain_s",
              "peak_rss_mb")

    def __init__(self, name):
        self.name = name
        self.values = collections.OrderedDict((f, "n/a") for f in self.FIELDS)

    def set(self, **figures):
        for key, value in figures.items():
            if isinstance(value, float):
                value = "%.1f" % value
            self.values[key] = value

    def from_run(self, gen, verdict, p99_seconds, drain_s, rss_mb):
        self.set(sent=len(gen.sent()), acked=len(gen.acked()),
                 delivered=len(verdict.delivered) if verdict else "n/a",
                 duplicated=(len(verdict.duplicated) + len(verdict.strangers)) if verdict
                 else "n/a",
                 lost=len(verdict.lost) if verdict else "n/a",
                 ack_p99_ms=ms(p99_seconds), drain_s=drain_s,
                 peak_rss_mb="%.0f" % rss_mb if rss_mb else "n/a")

    def line(self, result):
        return "fault %s: %s result %s" % (
            self.name, " ".join("%s %s" % kv for kv in self.values.items()), result)


def run_fault(name, main, watchdog_seconds=300):
    """Runs `main(report)` and exits: 0 passed, 1 failed, 77 skipped. The summary line is the
    last thing printed, on every path."""
    report = Report(name)
    started = time.monotonic()

    def terminated(signum, frame):
        raise TestFailure("terminated by signal %d" % signum)

    signal.signal(signal.SIGTERM, terminated)
    e2e.watchdog(watchdog_seconds)
    result, code = "PASS", EXIT_PASS
    try:
        main(report)
    except Skip as e:
        signal.alarm(0)
        print("fault %s: skipped: %s" % (name, e), flush=True)
        sys.exit(EXIT_SKIP)
    except TestFailure as e:
        print("FAILED: %s" % e, flush=True)
        result, code = "FAIL", EXIT_FAIL
    except Exception:  # a bug of the test itself still ends with its summary line
        traceback.print_exc()
        result, code = "FAIL", EXIT_FAIL
    finally:
        signal.alarm(0)
    print("time: %.1f s" % (time.monotonic() - started), flush=True)
    print(report.line(result), flush=True)
    sys.exit(code)
