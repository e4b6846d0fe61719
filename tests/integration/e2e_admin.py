#!/usr/bin/python3
"""The admin HTTP server of a running engine, end to end.

    e2e_admin.py HISBRIDGE

Runs `hisbridge serve` in a temporary folder on free loopback ports: an MLLP listener `lis`
whose channel maps ORU messages with a small mapping file (hot reload every 200 ms), and an HTTP
listener `web`. Sends messages over raw MLLP (three ORU^R01, a duplicate, one that cannot be
read) and one over HTTP, then checks over HTTP, with Python's own client:

  - /healthz and /readyz; every answer has Cache-Control: no-store;
  - /metrics: the contract's metric names with the values the traffic must give, every name
    `hisbridge_`, and `promtool check metrics` on the scrape (Debian `prometheus`; the check is
    skipped, and says so, when promtool is not installed);
  - /api/v1/channels: counters, and the mapping's reload state after a broken edit (refused,
    counted, its error shown, also in hisbridge_config_reload_failures_total) and the fix;
  - /api/v1/messages?status=rejected, paging, time filters; /api/v1/messages/{id} gives the raw
    text byte for byte and what the mapping makes of it;
  - 404, 400 (naming the parameter) and 405 answers as JSON.
Exit status: 0 passed, 1 failed.
"""

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time

import e2e_support as e2e
from e2e_support import check

MAPPING = "orders.json"
MAPPING_TEXT = """{
  // One his_order row per ORU^R01, ordered and final when the message was sent (MSH-7): a
  // lab_order_to_final of 0 s per order for the turnaround metrics.
  "mapping": "orders",
  "discipline": "LAB",
  "messages": ["ORU^R01"],
  "records": [{"table": "his_order", "key": ["order_no"],
               "columns": {"order_no": "OBR-2.1", "status": "OBR-25",
                           "discipline": {"const": "LAB"},
                           "sent_at": {"path": "MSH-7.1", "transform": ["datetime"]}},
               "events": [{"kind": "ordered", "time": {"column": "sent_at"}},
                          {"kind": "final", "time": {"column": "sent_at"}}]}]
}
"""
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def oru(control_id, order):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5\r"
            "PID|1||P-%s^^^HOSP^MR||NGUY\xe1\xbb\x84N^V\xc4\x82N A\r"
            "OBR|1|%s||GLU^Glucose||||||||||||||||||||F\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r"
            % (control_id, control_id, order)).encode("latin-1")


class Admin:
    """GETs (and other methods) against the admin server; each answer checked for no-store."""

    def __init__(self, port):
        self.port = port

    def call(self, path, method="GET"):
        conn = http.client.HTTPConnection(e2e.HOST, self.port, timeout=10)
        try:
            conn.request(method, path)
            response = conn.getresponse()
            body = response.read()
            check(response.getheader("Cache-Control") == "no-store",
                  "%s %s: Cache-Control is %r" % (method, path,
                                                  response.getheader("Cache-Control")))
            return response.status, response, body
        finally:
            conn.close()

    def json(self, path, expected_status=200, method="GET"):
        status, response, body = self.call(path, method)
        check(status == expected_status, "%s %s: status %d, expected %d: %s"
              % (method, path, status, expected_status, body[:500]))
        check(response.getheader("Content-Type") == "application/json",
              "%s: Content-Type %r" % (path, response.getheader("Content-Type")))
        return json.loads(body)


def parse_metrics(text):
    """{(name, ((label, value), ...)): float} of every sample; checks each line's shape."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        m = SAMPLE.match(line)
        check(m is not None, "a line that is not a sample: %r" % line)
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        check(name.startswith("hisbridge_"), "a metric without the hisbridge_ prefix: %s" % name)
        key = (name, tuple(sorted(LABEL.findall(labels))))
        check(key not in samples, "a series written twice: %s" % line)
        samples[key] = float(value)
    return samples


def metric(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    check(key in samples, "no sample %s%s in the scrape" % (name, labels))
    return samples[key]


def scrape(admin):
    status, response, body = admin.call("/metrics")
    check(status == 200, "/metrics: status %d" % status)
    check(response.getheader("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
          "/metrics: Content-Type %r" % response.getheader("Content-Type"))
    return body.decode("utf-8")


def promtool_check(text):
    promtool = shutil.which("promtool")
    if promtool is None:
        print("note: promtool (Debian: prometheus) is not installed; "
              "`promtool check metrics` skipped")
        return False
    run = subprocess.run([promtool, "check", "metrics"], input=text.encode("utf-8"),
                         capture_output=True, timeout=30)
    problems = (run.stdout + run.stderr).decode("utf-8", "replace").strip()
    check(run.returncode == 0 and not problems,
          "promtool check metrics: exit %d: %s" % (run.returncode, problems))
    return True



def send_traffic(mllp_port, http_port):
    """3 ORU^R01 + a duplicate + one unreadable over MLLP, one ORU^R01 over HTTP."""
    sent = {}
    with e2e.MllpConnection(mllp_port) as c:
        for control_id, order in (("ADM-1", "XN-1"), ("ADM-2", "XN-2"), ("ADM-3", "XN-3")):
            sent[control_id] = oru(control_id, order)
            c.send_message(sent[control_id])
            check(c.read_ack().code == "AA", "%s not accepted" % control_id)
        c.send_message(sent["ADM-1"])
        check(c.read_ack().code == "AA", "the duplicate not accepted")
        c.send_message(b"this is not HL7\r")
        check(c.read_ack().code == "AR", "the unreadable message not rejected")
    conn = http.client.HTTPConnection(e2e.HOST, http_port, timeout=10)
    conn.request("POST", "/ingest/web", body=oru("WEB-1", "XN-W"),
                 headers={"Content-Type": "x-application/hl7-v2+er7"})
    response = conn.getresponse()
    response.read()
    conn.close()
    check(response.status == 200, "HTTP ingest answered %d" % response.status)
    return sent


def check_metrics(admin):
    text = scrape(admin)
    s = parse_metrics(text)
    check(metric(s, "hisbridge_messages_received_total", source="lis") == 5, "received lis")
    check(metric(s, "hisbridge_messages_received_total", source="web") == 1, "received web")
    check(metric(s, "hisbridge_messages_accepted_total", source="lis") == 4, "accepted lis")
    check(metric(s, "hisbridge_messages_rejected_total", source="lis") == 1, "rejected lis")
    check(metric(s, "hisbridge_messages_rejected_total", source="web") == 0, "rejected web")
    check(metric(s, "hisbridge_messages_duplicates_total", source="lis") == 1, "duplicates")
    check(metric(s, "hisbridge_ack_latency_seconds_count", source="lis") == 5, "ack count")
    check(metric(s, "hisbridge_ack_latency_seconds_bucket", source="lis", le="+Inf") == 5,
          "ack +Inf bucket")
    check(metric(s, "hisbridge_ack_latency_seconds_sum", source="lis") > 0, "ack sum")
    check(metric(s, "hisbridge_messages_processed_total", channel="lis-orders", type="ORU^R01",
                 status="processed") == 3, "processed by the lis channel")
    check(metric(s, "hisbridge_messages_processed_total", channel="web-inbound", type="ORU^R01",
                 status="processed") == 1, "processed by the web channel")
    for source in ("lis", "web"):
        check(metric(s, "hisbridge_processing_backlog", source=source) == 0, "backlog " + source)
    check(metric(s, "hisbridge_delivery_queue_depth", channel="lis-orders", destination="copy")
          == 0, "delivery queue")
    check(metric(s, "hisbridge_deliveries_total", channel="lis-orders", destination="copy") == 3,
          "deliveries")
    check(metric(s, "hisbridge_delivery_dead_letters", channel="lis-orders", destination="copy")
          == 0, "dead letters")
    check(metric(s, "hisbridge_store_size_bytes") > 0, "store size")
    check(metric(s, "hisbridge_store_messages", status="rejected") == 1, "rejected rows")
    check(metric(s, "hisbridge_store_messages", status="duplicate") == 1, "duplicate rows")
    check(metric(s, "hisbridge_store_messages", status="processed") == 4, "processed rows")
    check(metric(s, "hisbridge_store_committed_messages_total") == 6, "committed messages")
    check(metric(s, "hisbridge_mllp_frames_total", listener="lis") == 5, "mllp frames")
    check(metric(s, "hisbridge_mllp_negative_acks_total", listener="lis") == 1, "negative acks")
    check(metric(s, "hisbridge_config_reload_failures_total") == 0, "no reload failure yet")
    check(metric(s, "hisbridge_mapping_warnings_total", channel="lis-orders") == 0, "warnings")
    # The turnaround metrics: three orders of unknown priority and department, none overdue.
    check(metric(s, "hisbridge_turnaround_seconds_count", interval="lab_order_to_final",
                 priority="unknown", department="unknown") == 3, "turnaround count")
    check(metric(s, "hisbridge_turnaround_seconds_bucket", interval="lab_order_to_final",
                 priority="unknown", department="unknown", le="60") == 3, "turnaround bucket")
    check(metric(s, "hisbridge_turnaround_invalid_total", interval="lab_order_to_final") == 0,
          "no invalid interval")
    check(metric(s, "hisbridge_overdue_orders", interval="lab_order_to_final", priority="S")
          == 0, "no overdue order")
    check(metric(s, "hisbridge_timeline_errors_total") == 0, "no timeline error")
    check(metric(s, "hisbridge_timeline_events_skipped_total") == 0, "no skipped event")
    for name in ("hisbridge_messages_received_total", "hisbridge_messages_rejected_total",
                 "hisbridge_ack_latency_seconds", "hisbridge_delivery_queue_depth",
                 "hisbridge_turnaround_seconds", "hisbridge_overdue_orders"):
        check("# TYPE %s " % name in text, "no TYPE line for %s" % name)
    checked = promtool_check(text)
    print("metrics: %d series%s" % (len(s), ", promtool check metrics passed" if checked else ""))


def check_reload(admin, folder):
    """A broken edit is refused and shows; the fix is taken."""
    path = os.path.join(folder, MAPPING)
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"mapping": "orders", "records": [ this is not JSON')

    def refused():
        m = admin.json("/api/v1/channels")["channels"][0]["mapping"]
        return m if m["reload_failures"] == 1 else None

    m = e2e.wait_for("the broken mapping refused", refused, 10.0)
    check(m["last_error"], "no last_error for the refused reload: %r" % m)
    check(m["name"] == "orders" and m["reloads"] == 0, "mapping after refusal: %r" % m)
    s = parse_metrics(scrape(admin))
    check(metric(s, "hisbridge_config_reload_failures_total") == 1, "reload failures metric")
    check(metric(s, "hisbridge_mapping_reload_failures_total", file=MAPPING) == 1,
          "per-file reload failures metric")
    time.sleep(0.01)
    with open(path, "w", encoding="utf-8") as f:
        f.write(MAPPING_TEXT + "\n")

    def taken():
        m = admin.json("/api/v1/channels")["channels"][0]["mapping"]
        return m if m["reloads"] == 1 else None

    m = e2e.wait_for("the fixed mapping reloaded", taken, 10.0)
    check(m["last_error"] == "" and m["reload_failures"] == 1, "mapping after the fix: %r" % m)
    s = parse_metrics(scrape(admin))
    check(metric(s, "hisbridge_mapping_reloads_total", file=MAPPING) == 1, "reloads metric")
    print("reload: refused change shown with its error, fix taken")


def check_channels(admin, folder):
    j = admin.json("/api/v1/channels")
    names = [c["name"] for c in j["channels"]]
    check(names == ["lis-orders", "web-inbound"], "channels: %r" % names)
    lis = j["channels"][0]
    check(lis["source"] == "lis" and lis["filter"]["summary"] == "types ORU",
          "lis channel: %r" % lis)
    check(lis["mapping"]["file"] == MAPPING and lis["mapping"]["name"] == "orders",
          "lis mapping: %r" % lis["mapping"])
    check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$", lis["mapping"]["loaded_at"]),
          "loaded_at: %r" % lis["mapping"]["loaded_at"])
    check(lis["counters"]["processed"] == 3 and lis["counters"]["failed"] == 0,
          "lis counters: %r" % lis["counters"])
    check(lis["queue_depth"] == 0 and lis["processing_backlog"] == 0,
          "lis queue depth: %r, backlog %r" % (lis["queue_depth"], lis["processing_backlog"]))
    queue = lis["destinations"][0]["queue"]
    check(queue["pending"] == 0 and queue["dead"] == 0 and queue["oldest_pending"] is None and
          queue["max_depth"] == 10000 and queue["backing_off"] is False, "queue: %r" % queue)
    check(len(os.listdir(os.path.join(folder, "out"))) == 3, "one records file per order")
    check(j["channels"][1]["mapping"] is None, "web channel has no mapping")
    sources = {s["name"]: s for s in j["sources"]}
    check(sources["lis"]["received"] == 5 and sources["lis"]["rejected"] == 1 and
          sources["lis"]["duplicates"] == 1 and sources["lis"]["type"] == "mllp",
          "lis source: %r" % sources["lis"])
    check(sources["web"]["received"] == 1 and sources["web"]["type"] == "http",
          "web source: %r" % sources["web"])


def check_messages(admin, sent):
    rejected = admin.json("/api/v1/messages?status=rejected")
    check(rejected["count"] == 1, "rejected messages: %r" % rejected)
    r = rejected["messages"][0]
    check(r["status"] == "rejected" and r["error"] and r["source"] == "lis" and "raw" not in r,
          "the rejected message: %r" % r)

    every = admin.json("/api/v1/messages")
    check(every["count"] == 6 and every["next_before_id"] is None, "all: %r" % every["count"])
    ids = [m["id"] for m in every["messages"]]
    check(ids == sorted(ids, reverse=True), "not newest first: %r" % ids)
    page = admin.json("/api/v1/messages?source=lis&limit=2")
    check(page["count"] == 2 and page["next_before_id"] == page["messages"][1]["id"],
          "page 1: %r" % page)
    page2 = admin.json("/api/v1/messages?source=lis&limit=2&before_id=%d" % page["next_before_id"])
    check(page2["messages"][0]["id"] < page["next_before_id"], "page 2: %r" % page2)
    check(admin.json("/api/v1/messages?type=ORU&control_id=ADM-1")["count"] == 2,
          "ADM-1 and its duplicate")
    check(admin.json("/api/v1/messages?status=duplicate")["messages"][0]["duplicate_of"] > 0,
          "duplicate_of")
    check(admin.json("/api/v1/messages?patient_id=P-ADM-2")["count"] == 1, "by patient id")
    check(admin.json("/api/v1/messages?to=2000-01-01")["count"] == 0, "before 2000")
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    check(admin.json("/api/v1/messages?from=%s" % today)["count"] == 6, "since yesterday")
    check(admin.json("/api/v1/messages?from=2000-01-01T00:00:00%2B07:00")["count"] == 6,
          "from with an escaped offset")

    found = admin.json("/api/v1/messages?control_id=ADM-2")["messages"][0]
    detail = admin.json("/api/v1/messages/%d" % found["id"])
    check(detail["raw"].encode("utf-8") == sent["ADM-2"],
          "raw text differs: %r vs %r" % (detail["raw"], sent["ADM-2"]))
    check(detail["status"] == "processed" and detail["type"] == "ORU^R01", "detail: %r" % detail)
    mapped = detail["mapped"]
    check(len(mapped) == 1 and mapped[0]["channel"] == "lis-orders" and
          mapped[0]["mapping"] == "orders", "mapped: %r" % mapped)
    check(any(r["table"] == "his_order" and "XN-2" in json.dumps(r) for r in mapped[0]["records"]),
          "the order record: %r" % mapped[0]["records"])
    events = [(e["kind"], e["order_no"]) for e in mapped[0]["events"]]
    check(events == [("ordered", "XN-2"), ("final", "XN-2")], "its clinical events: %r"
          % mapped[0]["events"])
    print("messages: search, paging, filters, raw text and mapping preview as expected")


def check_errors(admin):
    for path in ("/nope", "/api/v1/messages/999999", "/api/v1/messages/abc", "/api/v1"):
        check(admin.json(path, 404)["error"], "404 %s" % path)
    for path, named in (("/api/v1/messages?limit=0", "'limit'"),
                        ("/api/v1/messages?from=yesterday", "'from'"),
                        ("/api/v1/messages?status=done", "'status'"),
                        ("/api/v1/messages?colour=red", "'colour'")):
        error = admin.json(path, 400)["error"]
        check(named in error, "400 %s does not name %s: %s" % (path, named, error))
    status, response, body = admin.call("/metrics", "POST")
    check(status == 405 and response.getheader("Allow") == "GET" and json.loads(body)["error"],
          "POST /metrics: %d %r" % (status, body))


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(55)
    with e2e.temp_folder("hisbridge-e2e-admin-") as folder, e2e.Engine(binary, folder) as engine:
        mllp_port, http_port, admin_port = e2e.free_ports(3)
        with open(os.path.join(folder, MAPPING), "w", encoding="utf-8") as f:
            f.write(MAPPING_TEXT)
        config = e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": mllp_port},
            {"name": "web", "type": "http", "host": e2e.HOST, "port": http_port}])
        config["mapping_reload_interval"] = "200ms"
        config["channels"][0] = {"name": "lis-orders", "source": "lis",
                                 "filter": {"message_types": ["ORU"]}, "mapping": MAPPING,
                                 "destinations": [{"name": "copy", "type": "file",
                                                   "folder": "out", "content": "records"}]}
        e2e.write_config(folder, config)
        engine.start()
        engine.wait_for_log(r"admin: listening on 127\.0\.0\.1:%d " % admin_port)
        admin = Admin(admin_port)

        check(admin.json("/healthz") == {"status": "ok"}, "/healthz")
        ready = admin.json("/readyz")
        check(ready["status"] == "ready", "/readyz: %r" % ready)

        sent = send_traffic(mllp_port, http_port)
        e2e.wait_until_processed(folder, 6, admin_port=admin_port)
        e2e.wait_for("the router's figures", lambda: admin.json("/api/v1/channels")["channels"][0]
                     ["counters"]["processed"] == 3, 10.0)
        e2e.wait_for("the deliveries", lambda: admin.json("/api/v1/channels")["channels"][0]
                     ["destinations"][0]["queue"]["pending"] == 0 and admin.json(
                         "/api/v1/channels")["channels"][0]["destinations"][0]["delivered"] == 3,
                     10.0)
        check_metrics(admin)
        check_channels(admin, folder)
        check_messages(admin, sent)
        check_errors(admin)
        check_reload(admin, folder)
        engine.stop()
        print("e2e_admin: 6 messages; /metrics, /healthz, /readyz, /api/v1/channels and "
              "/api/v1/messages checked")


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
