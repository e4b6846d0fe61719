#!/usr/bin/python3
"""`hisbridge simulate` against a running engine, end to end.

    e2e_simulate.py HISBRIDGE MAPPINGS

MAPPINGS holds lis-stock.json and ris-stock.json. `hisbridge serve` runs in a temporary folder
as config/hisbridge.json sets it up: an LIS and an RIS MLLP listener on free loopback ports,
each with a channel that maps with its stock mapping and writes to a his-db destination
(SQLite var/his.db). Then:

  - bad options exit 2, and a port where nothing listens exits 1 naming the address;
  - a dry run writes the day's messages and a manifest (what to expect, message by message);
  - the same day (two hospitals, a seed, a start 23 h 50 min ago, 24 h long) is sent: the day
    so far at once, the last ten minutes at 600 times real time. The run must exit 0 with the
    dry run's messages, and its summary must match the engine: per listener,
    hisbridge_messages_received_total and _rejected_total on /metrics are the sent and AR
    counts; the rejected ones in /api/v1/messages are exactly the malformed ones of the
    manifest; every other message is processed (none `error`);
  - the HIS tables hold exactly the orders, visits and reports the well-formed messages name,
    with both priorities, results, and Vietnamese names intact.
Exit status: 0 passed, 1 failed.
"""

import contextlib
import csv
import datetime
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys

import e2e_support as e2e
from e2e_support import check

SEED = "20260305"
TALLY = re.compile(r"^(lis|ris) (\S+): (\d+) sent, (\d+) AA, (\d+) AE, (\d+) AR, (\d+) errors")
MADE = re.compile(r"^made: (\d+) messages .* (\d+) malformed$")


def config_for(admin_port, lis_port, ris_port, mappings):
    config = e2e.base_config(admin_port, [
        {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port},
        {"name": "ris", "type": "mllp", "host": e2e.HOST, "port": ris_port},
    ])
    destination = {"name": "his", "type": "his-db"}
    config["channels"] = [
        {"name": "lis-inbound", "source": "lis",
         "mapping": os.path.join(mappings, "lis-stock.json"), "destinations": [destination]},
        {"name": "ris-inbound", "source": "ris",
         "mapping": os.path.join(mappings, "ris-stock.json"), "destinations": [destination]},
    ]
    return config


def simulate(binary, folder, *args, timeout=45):
    run = subprocess.run([binary, "simulate", *args], cwd=folder, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return run.returncode, run.stdout.decode("utf-8"), run.stderr.decode("utf-8")


def admin_get(port, path):
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode("utf-8")
        check(response.status == 200, "%s: status %d: %s" % (path, response.status, body[:300]))
        return body
    finally:
        conn.close()


def metric(text, name, source):
    m = re.search(r'^%s\{source="%s"\} (\S+)$' % (name, source), text, re.M)
    check(m is not None, "no %s{source=%s} in /metrics" % (name, source))
    return int(float(m.group(1)))


def check_usage_errors(binary, folder, free_port):
    for args in (["--speed", "-1"], ["--start", "yesterday"], ["--duration", "8"],
                 ["--start", "2026-03-05", "--backfill", "1h"], ["--malformed-rate", "2"],
                 ["--hospitals", "0"], ["--nonsense"]):
        code, out, err = simulate(binary, folder, "--dry-run", "unused", *args)
        check(code == 2, "simulate %s: exit %d, expected 2; %s" % (args, code, err))
    code, out, err = simulate(binary, folder, "--lis-port", str(free_port), "--ris-port",
                              str(free_port), "--quiet", "--start", "2026-03-05T08:00",
                              "--duration", "1h", "--seed", "1")
    check(code == 1, "nothing listening: exit %d, expected 1; %s %s" % (code, out, err))
    check("127.0.0.1:%d: connection refused" % free_port in err, "refused: %r" % err)


def read_summary(out):
    tallies = {}
    made = None
    for line in out.splitlines():
        m = TALLY.match(line)
        if m:
            tallies[m.group(1)] = dict(zip(("sent", "AA", "AE", "AR", "errors"),
                                           map(int, m.group(3, 4, 5, 6, 7))))
        m = MADE.match(line)
        if m:
            made = (int(m.group(1)), int(m.group(2)))
    check(set(tallies) == {"lis", "ris"} and made, "no summary in:\n%s" % out)
    return tallies, made


def read_manifest(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def his_rows(folder, sql):
    with contextlib.closing(sqlite3.connect(os.path.join(folder, "var", "his.db"),
                                            timeout=10)) as db:
        return db.execute(sql).fetchall()


def check_engine(admin_port, folder, tallies, manifest):
    metrics = admin_get(admin_port, "/metrics")
    for source in ("lis", "ris"):
        received = metric(metrics, "hisbridge_messages_received_total", source)
        rejected = metric(metrics, "hisbridge_messages_rejected_total", source)
        check(received == tallies[source]["sent"],
              "%s: engine received %d, simulate sent %d" % (source, received,
                                                           tallies[source]["sent"]))
        check(rejected == tallies[source]["AR"],
              "%s: engine rejected %d, simulate counted %d AR" % (source, rejected,
                                                                  tallies[source]["AR"]))
    rejected = json.loads(admin_get(admin_port, "/api/v1/messages?status=rejected&limit=500"))
    malformed = [row for row in manifest if row["malformed"]]
    check(rejected["count"] == len(malformed),
          "%d rejected in the journal, %d malformed made" % (rejected["count"], len(malformed)))
    readable = {row["control_id"] for row in malformed if row["malformed"] != "missing_header"}
    found = {m["control_id"] for m in rejected["messages"] if m["control_id"]}
    check(found <= readable, "rejected messages that were not malformed: %s" % (found - readable))
    statuses = dict(e2e.query(folder, "SELECT status, COUNT(*) FROM hisbridge_messages"
                                      " GROUP BY status"))
    check(statuses.get("processed", 0) == len(manifest) - len(malformed) and
          set(statuses) <= {"processed", "rejected"}, "journal statuses: %r" % statuses)


def check_his(folder, manifest):
    good = [row for row in manifest if not row["malformed"]]
    orders = {row["order"] for row in good if row["order"]}
    visits = {row["visit"] for row in good}
    reports = {row["order"] for row in good if row["step"] in
               ("rad_preliminary", "rad_final", "rad_corrected")}
    in_his = {r[0] for r in his_rows(folder, "SELECT order_no FROM his_order")}
    check(in_his == orders, "his_order: %d rows, %d orders sent; missing %s, extra %s"
          % (len(in_his), len(orders), sorted(orders - in_his)[:5], sorted(in_his - orders)[:5]))
    in_his = {r[0] for r in his_rows(folder, "SELECT visit_id FROM his_visit")}
    check(in_his == visits, "his_visit: %d rows, %d visits sent" % (len(in_his), len(visits)))
    in_his = {r[0] for r in his_rows(folder, "SELECT order_no FROM his_report")}
    check(in_his == reports, "his_report: %d rows, %d reported orders" % (len(in_his),
                                                                          len(reports)))
    priorities = dict(his_rows(folder, "SELECT priority, COUNT(*) FROM his_order"
                                        " GROUP BY priority"))
    check(priorities.get("S", 0) > 0 and priorities.get("R", 0) > 0, "priorities %r" % priorities)
    results = his_rows(folder, "SELECT COUNT(*) FROM his_result")[0][0]
    check(results > len(reports), "only %d his_result rows" % results)
    names = [r[0] for r in his_rows(folder, "SELECT full_name FROM his_patient")]
    check(any(re.search(r"[ĐđăâêôơưÀ-ỹ]", n) for n in names), "no Vietnamese names: %r"
          % names[:5])
    departments = {r[0] for r in his_rows(folder, "SELECT DISTINCT department FROM his_visit")}
    check({"KKB", "CC"} <= departments, "departments %r" % departments)


def main():
    binary = e2e.binary_from_argv()
    mappings = os.path.abspath(sys.argv[2])
    e2e.watchdog(58)
    admin_port, lis_port, ris_port, free_port = e2e.free_ports(4)
    hanoi = datetime.timezone(datetime.timedelta(hours=7))
    start = (datetime.datetime.now(hanoi) - datetime.timedelta(hours=23, minutes=50))
    day = ["--hospitals", "2", "--patients", "50", "--seed", SEED, "--duration", "24h",
           "--start", start.replace(microsecond=0).isoformat(), "--malformed-rate", "0.02"]
    with e2e.temp_folder("hisbridge-e2e-simulate-") as folder, \
            e2e.Engine(binary, folder) as engine:
        check_usage_errors(binary, folder, free_port)

        code, out, err = simulate(binary, folder, *day, "--dry-run", "day")
        check(code == 0, "dry run: exit %d: %s" % (code, err))
        manifest = read_manifest(os.path.join(folder, "day", "manifest.tsv"))
        check(len(manifest) > 300, "a small day: %d messages" % len(manifest))

        e2e.write_config(folder, config_for(admin_port, lis_port, ris_port, mappings))
        engine.start()
        code, out, err = simulate(binary, folder, *day, "--lis-port", str(lis_port),
                                  "--ris-port", str(ris_port), "--speed", "600", "--rate", "0")
        check(code == 0, "simulate: exit %d\n%s\n%s" % (code, out, err))
        check(out.count("\n[") >= 1, "no progress line:\n%s" % out)
        tallies, (made, malformed) = read_summary(out)
        print(out.splitlines()[-2], out.splitlines()[-1], sep="\n")
        check(made == len(manifest), "sent %d messages, the dry run made %d" % (made,
                                                                                len(manifest)))
        check(malformed == sum(1 for row in manifest if row["malformed"]) > 0,
              "malformed: %d in the summary" % malformed)
        for source in ("lis", "ris"):
            t = tallies[source]
            expected = sum(1 for row in manifest if row["destination"] == source)
            check(t["sent"] == expected, "%s: sent %d, the manifest has %d"
                  % (source, t["sent"], expected))
            check(t["AE"] == 0 and t["errors"] == 0 and t["AA"] + t["AR"] == t["sent"],
                  "%s: %r" % (source, t))
        check(tallies["lis"]["AR"] + tallies["ris"]["AR"] == malformed, "AR %r" % tallies)

        e2e.wait_until_processed(folder, made, timeout=30)
        check_engine(admin_port, folder, tallies, manifest)
        check_his(folder, manifest)
        engine.stop()


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
