#!/usr/bin/python3
"""Turnaround figures end to end: the fixture's orders through a real engine, every figure of
the admin API compared with what this script computes itself.

    e2e_turnaround.py HISBRIDGE FIXTURE MAPPINGS

FIXTURE is tests/fixtures/turnaround (make_fixture.py there says which case each order
covers); MAPPINGS holds lis-stock.json and ris-stock.json. `hisbridge serve` runs in a
temporary folder with an LIS and an RIS MLLP listener, each with a channel that maps with its
stock mapping into a his-db destination. The messages go in one at a time, in the fixture's
order, each to its listener. Then, over HTTP:

  - /api/v1/turnaround for six intervals, grouped by nothing, priority, department and both,
    over the whole fixture, over single days, with a department filter, and the radiology
    intervals by modality: every group's key and every figure (count, p50, p90, p95, p99,
    max, target, breaches, breach_pct, invalid) equal to what turnaround_model.py computes
    from the messages; the mean within 1e-9 (the engine sums in long double);
  - /api/v1/turnaround/distribution, /api/v1/turnaround/intervals;
  - /api/v1/overdue (all intervals, and one), each item and its order, against the clocks
    still running at the answer's `now` with the configured look-back (the 2016 order is
    older than it);
  - /metrics: the turnaround histogram's counts per interval (and at most the configured
    number of departments as labels), the invalid counters, the overdue gauge;
  - errors: an unknown interval (404 naming the known ones), bad parameters (400).
The engine is then stopped and started again, and the API must give the same figures from what
it stored. The whole run is done with the journal and timeline in SQLite, then, when
HISBRIDGE_TEST_PG holds a libpq URI, in a PostgreSQL database made for the run (dropped
afterwards).

Exit status: 0 passed, 1 failed, 77 skipped (the fixture is missing).
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

import e2e_support as e2e
import turnaround_model as tm
from e2e_support import check

LOOKBACK_HOURS = 5 * 8760  # the fixture's 2026 clocks are within, the 2016 one is not
METRIC_DEPARTMENTS = 3
WINDOW = ("2026-03-01T00:00:00+07:00", "2026-03-06T00:00:00+07:00")
DAYS = [("2026-03-02", "2026-03-03"), ("2026-03-03", "2026-03-04"), ("2026-03-04", "2026-03-05")]
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Admin:
    def __init__(self, port):
        self.port = port

    def get(self, path, params=None):
        target = path + ("?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
                         if params else "")
        conn = http.client.HTTPConnection(e2e.HOST, self.port, timeout=30)
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8")
        finally:
            conn.close()

    def json(self, path, params=None, expected=200):
        status, body = self.get(path, params)
        check(status == expected, "GET %s %r: status %d, expected %d: %s"
              % (path, params, status, expected, body[:600]))
        return json.loads(body)


def config(ports, mappings, location):
    listeners = [{"name": name, "type": "mllp", "host": e2e.HOST, "port": port}
                 for name, port in (("lis", ports[0]), ("ris", ports[1]))]
    c = e2e.base_config(ports[2], listeners)
    c["store"]["location"] = location
    c["channels"] = [
        {"name": "%s-inbound" % name, "source": name,
         "mapping": os.path.join(mappings, "%s-stock.json" % name),
         "destinations": [{"name": "his", "type": "his-db"}]}
        for name in ("lis", "ris")]
    c["mapping_reload_interval"] = "0s"
    c["turnaround"] = {"overdue_lookback": "%dh" % LOOKBACK_HOURS,
                       "metric_departments": METRIC_DEPARTMENTS}
    return c


def send_fixture(ports, messages):
    """Each message on its listener's connection, waiting for its ACK."""
    connections = {"lis": e2e.MllpConnection(ports[0]), "ris": e2e.MllpConnection(ports[1])}
    try:
        for channel, name, text in messages:
            c = connections[channel]
            c.send_message(text.encode("utf-8"))
            ack = c.read_ack()
            check(ack.positive, "%s: answered %r" % (name, ack))
    finally:
        for c in connections.values():
            c.close()


def wait_processed(admin, count, timeout=60.0):
    """Until the journal holds `count` messages, all processed (none left or in error), their
    deliveries done, and the timeline has recorded their marks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = admin.json("/api/v1/messages", {"limit": 500})["messages"]
        errors = [m for m in listed if m["status"] == "error"]
        check(not errors, "messages in error: %s" % [(m["control_id"], m["error"])
                                                     for m in errors])
        if len(listed) == count and all(m["status"] == "processed" for m in listed):
            e2e.wait_deliveries_done(admin.port, max(1.0, deadline - time.monotonic()))
            e2e.wait_timeline_recorded(admin.port, max(1.0, deadline - time.monotonic()))
            return
        time.sleep(0.1)
    raise e2e.TestFailure("the fixture was not processed within %.0f s" % timeout)


# ---------------------------------------------------------------- comparisons

def same_group(got, want, where):
    for name in ("key", "count", "p50_s", "p90_s", "p95_s", "p99_s", "max_s", "target_s",
                 "breaches", "breach_pct", "invalid"):
        check(got.get(name) == want[name], "%s, group %s: %s is %r, expected %r"
              % (where, want["key"], name, got.get(name), want[name]))
    mean, expected = got.get("mean_s"), want["mean_s"]
    check((mean is None) == (expected is None) and
          (expected is None or abs(mean - expected) <= 1e-9 * max(1.0, abs(expected))),
          "%s, group %s: mean_s is %r, expected %r" % (where, want["key"], mean, expected))


def check_statistics(admin, model, name, window, group_by, filters=()):
    params = {"interval": name, "from": window[0], "to": window[1]}
    if group_by:
        params["group_by"] = ",".join(group_by)
    params.update(dict(filters))
    got = admin.json("/api/v1/turnaround", params)
    where = "turnaround %s" % urllib.parse.urlencode(params)
    from_us, to_us = tm.parse_iso(got["from"]), tm.parse_iso(got["to"])
    check(got["interval"] == name and got["group_by"] == list(group_by),
          "%s: head %r" % (where, {k: got[k] for k in ("interval", "group_by")}))
    check(got["from"] == tm.format_iso(window_us(window[0])) and
          got["to"] == tm.format_iso(window_us(window[1])),
          "%s: window %s to %s" % (where, got["from"], got["to"]))
    want = tm.expected_statistics(model, name, from_us, to_us, group_by, filters)
    check(len(got["groups"]) == len(want), "%s: %d groups, expected %d: %s"
          % (where, len(got["groups"]), len(want), [g["key"] for g in got["groups"]]))
    for g, w in zip(got["groups"], want):
        same_group(g, w, where)
    return sum(w["count"] + w["invalid"] for w in want)


def window_us(text):
    """A window end as the test gives it: a date (midnight, +07:00) or a full time."""
    if len(text) == 10:
        text += "T00:00:00+07:00"
    return tm.parse_iso(text[:19] + ".000" + text[19:])


def check_all_statistics(admin, model):
    compared = 0
    for name in tm.INTERVALS:
        for group_by in ((), ("priority",), ("department",), ("priority", "department")):
            compared += check_statistics(admin, model, name, WINDOW, group_by)
        for day in DAYS:
            compared += check_statistics(admin, model, name, day, ("priority",))
        compared += check_statistics(admin, model, name, WINDOW, ("priority",),
                                     (("department", "CC"),))
    for name in ("rad_order_to_report", "rad_exam_to_report"):
        compared += check_statistics(admin, model, name, WINDOW, ("modality", "priority"))
    check(compared > 500, "only %d intervals compared" % compared)
    return compared


def check_distribution(admin, model):
    for name, bucket in (("lab_order_to_final", 900), ("rad_exam_to_report", 3600)):
        got = admin.json("/api/v1/turnaround/distribution",
                         {"interval": name, "from": WINDOW[0], "to": WINDOW[1],
                          "bucket_s": bucket})
        buckets, invalid = tm.expected_distribution(model, name, window_us(WINDOW[0]),
                                                    window_us(WINDOW[1]), bucket)
        check(got["buckets"] == buckets and got["invalid"] == invalid and
              got["bucket_s"] == bucket,
              "distribution of %s: %r, expected %r and %d invalid" % (name, got, buckets, invalid))


def check_overdue(admin, model):
    lookback_us = LOOKBACK_HOURS * 3600 * 1_000_000
    got = admin.json("/api/v1/overdue")
    want = tm.expected_overdue(model, tm.parse_iso(got["now"]), lookback_us)
    check(got["items"] == want, "overdue: %s\nexpected: %s"
          % (json.dumps(got["items"], indent=1), json.dumps(want, indent=1)))
    check(len(want) == 6, "the fixture has 6 overdue clocks, the model %d" % len(want))
    one = admin.json("/api/v1/overdue", {"interval": "rad_exam_to_report"})
    want = [i for i in tm.expected_overdue(model, tm.parse_iso(one["now"]), lookback_us)
            if i["interval"] == "rad_exam_to_report"]
    check(one["items"] == want and len(want) == 1, "overdue rad_exam_to_report: %r" % one)
    return got["items"]


def check_intervals_and_errors(admin):
    listed = admin.json("/api/v1/turnaround/intervals")["intervals"]
    by_name = {i["name"]: i for i in listed}
    check(set(tm.INTERVALS) | {"delivery_latency"} == set(by_name), "intervals: %r" % listed)
    for name, (scope, start, ends, discipline, targets) in tm.INTERVALS.items():
        i = by_name[name]
        check((i["scope"], i["from"], tuple(i["to"]), i["discipline"] or "") ==
              (scope, start, ends, discipline), "interval %s: %r" % (name, i))
        check(i["targets"] == {p: t for p, t in targets.items() if p} and
              i["default_target_s"] == targets.get(""), "targets of %s: %r" % (name, i))
    unknown = admin.json("/api/v1/turnaround", {"interval": "lab_order_to_finale"}, 404)
    check("lab_order_to_final" in unknown["error"] and "lab_order_to_finale" in unknown["error"],
          "404 for an unknown interval: %r" % unknown)
    for params, named in (({"interval": "lab_order_to_final", "from": "03/02/2026"}, "'from'"),
                          ({"interval": "lab_order_to_final", "group_by": "ward"}, "'group_by'"),
                          ({"interval": "lab_order_to_final", "bucket_s": "0"}, "'bucket_s'")):
        answer = admin.json("/api/v1/turnaround", params, 400)
        check(named in answer["error"], "400 for %r: %r" % (params, answer))
    admin.json("/api/v1/overdue", {"interval": "nope"}, 404)


# ---------------------------------------------------------------- metrics

def parse_metrics(text):
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            m = SAMPLE.match(line)
            check(m is not None, "a line that is not a sample: %r" % line)
            samples[(m.group(1), tuple(sorted(LABEL.findall(m.group(2) or ""))))] = \
                float(m.group(3))
    return samples


def check_metrics(admin, model, overdue, messages):
    status, text = admin.get("/metrics")
    check(status == 200, "/metrics: %d" % status)
    s = parse_metrics(text)
    counts, departments = {}, set()
    for (name, labels), value in s.items():
        if name == "hisbridge_turnaround_seconds_count":
            d = dict(labels)
            counts[d["interval"]] = counts.get(d["interval"], 0) + value
            departments.add(d["department"])
    for name in tm.INTERVALS:
        intervals = model.intervals(name)
        valid = sum(1 for _, b, e, _ in intervals if e >= b)
        check(counts.get(name, 0) == valid, "hisbridge_turnaround_seconds_count of %s: %r, "
              "expected %d" % (name, counts.get(name), valid))
        invalid = s.get(("hisbridge_turnaround_invalid_total", (("interval", name),)))
        check(invalid == len(intervals) - valid, "hisbridge_turnaround_invalid_total of %s: %r"
              % (name, invalid))
    check(counts.get("delivery_latency") == len(messages),
          "delivery_latency observed %r times for %d messages"
          % (counts.get("delivery_latency"), len(messages)))
    named = departments - {"other", "unknown"}
    check(len(named) <= METRIC_DEPARTMENTS and "other" in departments,
          "department labels %s: at most %d named, then other" % (departments,
                                                                  METRIC_DEPARTMENTS))
    check_overdue_gauge(s, overdue)
    check(s.get(("hisbridge_timeline_errors_total", ())) == 0, "timeline errors")
    return text


def check_overdue_gauge(samples, overdue):
    want = {}
    for name, (_, _, _, _, targets) in tm.INTERVALS.items():
        if targets:
            want[(name, "S")] = want[(name, "R")] = 0
    for item in overdue:
        key = (item["interval"], item["priority"] or "unknown")
        want[key] = want.get(key, 0) + 1
    got = {}
    for (name, labels), value in samples.items():
        if name == "hisbridge_overdue_orders":
            d = dict(labels)
            got[(d["interval"], d["priority"])] = value
    check(got == want, "hisbridge_overdue_orders: %r, expected %r" % (got, want))


def promtool_check(text):
    promtool = shutil.which("promtool")
    if promtool is None:
        print("note: promtool is not installed; `promtool check metrics` skipped")
        return
    run = subprocess.run([promtool, "check", "metrics"], input=text.encode("utf-8"),
                         capture_output=True, timeout=30)
    problems = (run.stdout + run.stderr).decode("utf-8", "replace").strip()
    check(run.returncode == 0 and not problems, "promtool check metrics: %s" % problems)


# ---------------------------------------------------------------- runs

def run(binary, mappings, messages, location, label):
    model = tm.Model([(c, t) for c, _, t in messages])
    with e2e.temp_folder("hisbridge-e2e-turnaround-") as folder:
        ports = e2e.free_ports(3)
        e2e.write_config(folder, config(ports, mappings, location))
        admin = Admin(ports[2])
        with e2e.Engine(binary, folder) as engine:
            engine.start()
            send_fixture(ports, messages)
            wait_processed(admin, len(messages))
            compared = check_all_statistics(admin, model)
            check_distribution(admin, model)
            overdue = check_overdue(admin, model)
            check_intervals_and_errors(admin)
            promtool_check(check_metrics(admin, model, overdue, messages))
            engine.stop()
            # Everything again from what the engine stored.
            engine.start()
            check_all_statistics(admin, model)
            check_distribution(admin, model)
            overdue = check_overdue(admin, model)
            status, text = admin.get("/metrics")
            check_overdue_gauge(parse_metrics(text), overdue)
            engine.stop()
        print("%s: %d messages, %d interval figures compared (before and after a restart), "
              "%d overdue" % (label, len(messages), compared, len(overdue)), flush=True)


def main():
    if len(sys.argv) != 4:
        print("usage: e2e_turnaround.py HISBRIDGE FIXTURE MAPPINGS")
        return 2
    binary = e2e.binary_from_argv()
    fixture, mappings = os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    if not os.path.isdir(fixture):
        print("SKIPPED: no fixture at %s" % fixture)
        return e2e.EXIT_SKIP
    messages = tm.load_fixture(fixture)
    e2e.watchdog(300)

    def everything():
        run(binary, mappings, messages, "var/hisbridge.db", "SQLite")
        server = os.environ.get("HISBRIDGE_TEST_PG")
        if not server:
            print("note: HISBRIDGE_TEST_PG is not set; the PostgreSQL run is skipped")
            return
        database = e2e.PostgresDatabase(server, "hisbridge_e2e_tat")
        try:
            run(binary, mappings, messages, database.uri, "PostgreSQL")
        finally:
            database.close()

    return e2e.run_main(everything)


if __name__ == "__main__":
    sys.exit(main())
