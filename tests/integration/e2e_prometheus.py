#!/usr/bin/python3
"""A real Prometheus server scraping a real engine.

    e2e_prometheus.py HISBRIDGE FIXTURE MAPPINGS METRICS_DOC

`hisbridge serve` runs as in e2e_turnaround.py (LIS and RIS listeners with the stock mappings)
and Prometheus (Debian `prometheus`, /usr/bin/prometheus) on a free loopback port, scraping the
engine's admin port every second, with its own storage in the temporary folder and, as its
rule file, the alert rules of docs/metrics.md (METRICS_DOC; first checked with `promtool check
rules`). The turnaround fixture goes in over MLLP; then Prometheus's HTTP API is polled (at
most 30 s) until hisbridge_messages_received_total and hisbridge_turnaround_seconds_count hold,
series for series, the values the engine's own /metrics gives; every alert rule must have been
evaluated without error. Prometheus is stopped at the end.

Exit status: 0 passed, 1 failed, 77 skipped (Prometheus is not installed).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import e2e_support as e2e
import e2e_turnaround as tat
import turnaround_model as tm
from e2e_support import check

PROMETHEUS = "/usr/bin/prometheus"
COMPARED = ("hisbridge_messages_received_total", "hisbridge_turnaround_seconds_count")


def alert_rules(doc):
    """The YAML block of docs/metrics.md that holds the alert rules (`groups:`)."""
    with open(doc, encoding="utf-8") as f:
        blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
    rules = [b for b in blocks if b.startswith("groups:")]
    check(len(rules) == 1, "%s: %d YAML blocks of alert rules, expected one" % (doc, len(rules)))
    return rules[0]


def promtool_check_rules(path):
    promtool = shutil.which("promtool")
    check(promtool is not None, "prometheus is installed but promtool is not")
    run = subprocess.run([promtool, "check", "rules", path], capture_output=True, timeout=30)
    check(run.returncode == 0, "promtool check rules: %s"
          % (run.stdout + run.stderr).decode("utf-8", "replace"))


class Prometheus:
    def __init__(self, folder, admin_port, rules_file):
        self.port = e2e.free_ports(1)[0]
        config = os.path.join(folder, "prometheus.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files: [%s]\n"
                    "scrape_configs:\n  - job_name: hisbridge\n    static_configs:\n"
                    "      - targets: ['%s:%d']\n" % (json.dumps(rules_file), e2e.HOST,
                                                     admin_port))
        self.log_path = os.path.join(folder, "prometheus.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [PROMETHEUS, "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(folder, "tsdb"),
                 "--web.listen-address=%s:%d" % (e2e.HOST, self.port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=folder)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]

    def get(self, path, params=None):
        url = "http://%s:%d%s" % (e2e.HOST, self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode("utf-8")

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            check(self.process.poll() is None, "prometheus exited: %s" % self.log())
            try:
                self.get("/-/ready")
                return
            except OSError:
                time.sleep(0.2)
        raise e2e.TestFailure("prometheus not ready within %.0f s: %s" % (timeout, self.log()))

    def query(self, expr):
        """{labels without job and instance: value} of an instant query."""
        answer = json.loads(self.get("/api/v1/query", {"query": expr}))
        check(answer["status"] == "success", "query %s: %r" % (expr, answer))
        out = {}
        for r in answer["data"]["result"]:
            labels = {k: v for k, v in r["metric"].items()
                      if k not in ("__name__", "job", "instance")}
            out[tuple(sorted(labels.items()))] = float(r["value"][1])
        return out

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def engine_series(admin, name):
    status, text = admin.get("/metrics")
    check(status == 200, "/metrics: %d" % status)
    return {labels: value for (n, labels), value in tat.parse_metrics(text).items() if n == name}


def wait_same(prometheus, admin, name, timeout=30.0):
    """Until Prometheus holds every series of `name` with the engine's value."""
    want = engine_series(admin, name)
    check(want, "the engine has no %s series" % name)
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = prometheus.query(name)
        if got == want:
            return len(want)
        time.sleep(0.5)
    raise e2e.TestFailure("%s in Prometheus after %.0f s: %r\nthe engine's: %r"
                          % (name, timeout, got, want))


def wait_rules_evaluated(prometheus, timeout=30.0):
    deadline = time.monotonic() + timeout
    rules = []
    while time.monotonic() < deadline:
        answer = json.loads(prometheus.get("/api/v1/rules"))
        rules = [r for g in answer["data"]["groups"] for r in g["rules"]]
        if rules and all(r.get("health") == "ok" for r in rules):
            return len(rules)
        bad = [r for r in rules if r.get("health") == "err"]
        check(not bad, "alert rules failing: %s" % [(r["name"], r.get("lastError")) for r in bad])
        time.sleep(0.5)
    raise e2e.TestFailure("alert rules not evaluated within %.0f s: %r" % (timeout, rules))


def main():
    if len(sys.argv) != 5:
        print("usage: e2e_prometheus.py HISBRIDGE FIXTURE MAPPINGS METRICS_DOC")
        return 2
    if not os.access(PROMETHEUS, os.X_OK):
        print("SKIPPED: %s is not installed (Debian: prometheus)" % PROMETHEUS)
        return e2e.EXIT_SKIP
    binary = e2e.binary_from_argv()
    fixture, mappings, doc = (os.path.abspath(a) for a in sys.argv[2:5])
    messages = tm.load_fixture(fixture)
    e2e.watchdog(180)

    def scrape_and_compare():
        with e2e.temp_folder("hisbridge-e2e-prometheus-") as folder:
            rules = os.path.join(folder, "hisbridge-rules.yml")
            with open(rules, "w", encoding="utf-8") as f:
                f.write(alert_rules(doc))
            promtool_check_rules(rules)
            ports = e2e.free_ports(3)
            e2e.write_config(folder, tat.config(ports, mappings, "var/hisbridge.db"))
            admin = tat.Admin(ports[2])
            with e2e.Engine(binary, folder) as engine:
                engine.start()
                prometheus = Prometheus(folder, ports[2], rules)
                try:
                    prometheus.wait_ready()
                    tat.send_fixture(ports, messages)
                    tat.wait_processed(admin, len(messages))
                    compared = [wait_same(prometheus, admin, name) for name in COMPARED]
                    evaluated = wait_rules_evaluated(prometheus)
                finally:
                    prometheus.stop()
                engine.stop()
            print("Prometheus holds the engine's values: %d received series, %d turnaround "
                  "count series; %d alert rules evaluated" % (compared[0], compared[1],
                                                             evaluated), flush=True)

    return e2e.run_main(scrape_and_compare)


if __name__ == "__main__":
    sys.exit(main())
