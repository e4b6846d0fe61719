#!/usr/bin/python3
"""Fault: the FHIR server fails for 30 s (errors and answers past the timeout) under load.

    fault_http_down.py HISBRIDGE

`hisbridge serve` runs in a temporary folder with a channel that maps lab results with the
stock LIS mapping and delivers them to a `fhir` destination whose `url` is a test FHIR server
in this script (http.server in a thread) and whose `timeout` is 2 s. The load generator sends
200 lab results a second. Once the server has applied some bundles it fails for 30 s: every
other request is answered 500 at once; the rest are held 3 s, past the destination's timeout,
and then half of those are applied and answered 200 (the answer comes too late for the
engine, but the server did the work) and half answered 503 and not applied. After the 30 s
every request is applied and answered 200 with a transaction-response Bundle (one entry per
request entry, each with its response status), which is what the engine's FHIR client reads
as success (adapters/fhir/fhir_client.cpp classify(): any 2xx). The load goes on 5 s more.

The server keeps a log per Idempotency-Key: the order number the bundle carries (the run's
order numbers are unique) and whether it was applied. A request whose key was already applied
is not applied again and is answered 200 as the first time: a redelivery, deduplicated by key
(delivery is at least once; the key makes it exactly once at the server). The figure is
reported as `redelivered`.

Checks (after up to 180 s for the engine to catch up):
  - every acknowledged message's order was applied by the server (lost 0);
  - no order was applied under two different keys (the key would not protect the server):
    `duplicated` 0; no key was used for two different orders (the server would drop the
    second as a repeat); every request carried a key and exactly one of the run's orders.
Figures: ACK latency p99 during the outage, drain_s (end of the load to everything applied),
recovery_s (end of the outage to everything applied), requests and answers by kind, peak RSS.

Exit status: 0 passed, 1 failed.
"""

import collections
import http.server
import json
import re
import threading
import time

import fault_support as fs
from fault_support import check, e2e

RATE = 200.0
OUTAGE_SECONDS = 30.0
AFTER_SECONDS = 5.0
DESTINATION_TIMEOUT = "2s"
SLOW_SECONDS = 3.0  # past DESTINATION_TIMEOUT
DRAIN_TIMEOUT = 180.0


class KeyLog:
    __slots__ = ("orders", "requests", "applied")

    def __init__(self):
        self.orders = set()
        self.requests = 0
        self.applied = False


class FhirServer:
    """The test FHIR server: a ThreadingHTTPServer on a free loopback port."""

    def __init__(self, tag):
        self.order_pattern = re.compile(rb"XN%s-\d{7}" % tag)
        self.lock = threading.Lock()
        self.outage_until = 0.0
        self.requests = 0
        self.outage_requests = 0
        self.keys = collections.defaultdict(KeyLog)
        self.applied = collections.defaultdict(set)  # order number -> keys applied under
        self.answers = collections.Counter()
        self.redelivered = 0
        self.problems = []
        self.server = http.server.ThreadingHTTPServer((e2e.HOST, 0), self.handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def fail_for(self, seconds):
        with self.lock:
            self.outage_until = time.monotonic() + seconds

    def handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The answer leaves in one write, at the flush after do_POST: headers and body
            # written apart would wait on the client's delayed ACK (Nagle), 40 ms a request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = server.serve(self.headers.get("Idempotency-Key"), body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/fhir+json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the engine gave up waiting: the answer is lost, as in real life

        return Handler

    def serve(self, key, body):
        """(status, JSON answer) for one request; applies the bundle unless failing."""
        with self.lock:
            number = self.requests
            self.requests += 1
            failing = time.monotonic() < self.outage_until
            self.outage_requests += 1 if failing else 0
        if failing and number % 2 == 0:
            return self.answer("500 at once", 500, outcome("exception", "test outage"))
        if failing:
            time.sleep(SLOW_SECONDS)
            if number % 4 == 3:
                return self.answer("503 late", 503, outcome("transient", "test outage"))
        return self.apply(key, body, "200 late" if failing else "200")

    def apply(self, key, body, kind):
        orders = set(self.order_pattern.findall(body))
        try:
            bundle = json.loads(body)
        except ValueError:
            bundle = None
        with self.lock:
            if not key:
                self.problems.append("a request without Idempotency-Key")
            if len(orders) != 1 or not isinstance(bundle, dict) or \
                    bundle.get("type") != "transaction":
                self.problems.append("key %s: a bundle with orders %s, type %r" % (
                    key, sorted(orders), bundle.get("type") if isinstance(bundle, dict) else None))
            log = self.keys[key]
            log.requests += 1
            log.orders |= {o.decode() for o in orders}
            if log.applied:
                self.redelivered += 1
            else:
                log.applied = True
                for order in log.orders:
                    self.applied[order].add(key)
        entries = bundle.get("entry", []) if isinstance(bundle, dict) else []
        return self.answer(kind, 200, {
            "resourceType": "Bundle", "type": "transaction-response",
            "entry": [{"response": {"status": "201 Created"}} for _ in entries]})

    def answer(self, kind, status, body):
        with self.lock:
            self.answers[kind] += 1
        return status, body


def outcome(code, text):
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}]}


class FhirVerdict:
    def __init__(self, gen, server):
        with server.lock:
            applied = {o: set(k) for o, k in server.applied.items()}
            conflicts = sorted(k for k, log in server.keys.items() if len(log.orders) > 1)
        self.delivered = [m for m in gen.acked() if m.order_no in applied]
        self.lost = [m for m in gen.acked() if m.order_no not in applied]
        self.duplicated = sorted(o for o, keys in applied.items() if len(keys) > 1)
        self.conflicts = conflicts
        sent = {m.order_no for m in gen.sent()}
        self.strangers = sorted(set(applied) - sent)

    def describe(self, server):
        with server.lock:
            return ("FHIR server: %d requests (%d during the outage), answers %s; %d keys, "
                    "redelivered (deduplicated by key) %d; %d acknowledged messages applied, "
                    "%d lost (%s); %d orders applied under several keys (%s); %d keys naming "
                    "several orders; %d orders no message named"
                    % (server.requests, server.outage_requests, dict(server.answers),
                       len(server.keys), server.redelivered, len(self.delivered),
                       len(self.lost), [m.order_no for m in self.lost[:5]],
                       len(self.duplicated), self.duplicated[:5], len(self.conflicts),
                       len(self.strangers)))


def wait_applied(gen, server, timeout):
    started = time.monotonic()
    while True:
        verdict = FhirVerdict(gen, server)
        if not verdict.lost or time.monotonic() - started >= timeout:
            return verdict, time.monotonic() - started
        time.sleep(0.25)


def wait_first_applied(server, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with server.lock:
            if server.applied:
                return
        time.sleep(0.05)
    raise fs.TestFailure("the FHIR server got no bundle %.0f s into the load" % timeout)


def outage_run(gen, server):
    gen.phase = "before"
    gen.start()
    wait_first_applied(server)
    time.sleep(1.0)
    gen.phase = "outage"
    server.fail_for(OUTAGE_SECONDS)
    time.sleep(OUTAGE_SECONDS)
    ended = time.monotonic()
    gen.phase = "after"
    time.sleep(AFTER_SECONDS)
    gen.stop_new()
    check(gen.wait_idle(30), "ACKs still missing 30 s after the load stopped")
    return ended


def main(report):
    binary = e2e.binary_from_argv()
    template = fs.Template()
    gen_tag = fs.run_tag()
    server = FhirServer(gen_tag)
    server.start()
    try:
        with e2e.temp_folder("hisbridge-fault-http-") as folder, \
                e2e.Engine(binary, folder) as engine:
            lis_port, admin_port = e2e.free_ports(2)
            e2e.write_config(folder, fs.engine_config(admin_port, lis_port, [
                {"name": "fhir", "type": "fhir", "url": "http://%s:%d/fhir"
                 % (e2e.HOST, server.port), "timeout": DESTINATION_TIMEOUT}]))
            engine.start()
            gen = fs.LoadGenerator(lis_port, template, rate=RATE, tag=gen_tag)
            try:
                ended = outage_run(gen, server)
            finally:
                gen.close()
            print(gen.describe())
            verdict, drain_s = wait_applied(gen, server, DRAIN_TIMEOUT)
            recovery_s = time.monotonic() - ended
            rss = fs.peak_rss_mb(engine.process)
            samples = fs.scrape(admin_port)
            print(verdict.describe(server))
            print(fs.log_digest(engine))
            print(fs.metrics_line(samples))
            p99 = fs.percentile(gen.latencies({"outage"}), 99)
            report.set(sent=len(gen.sent()), acked=len(gen.acked()),
                       delivered=len(verdict.delivered),
                       duplicated=len(verdict.duplicated) + len(verdict.strangers),
                       lost=len(verdict.lost), ack_p99_ms=fs.ms(p99), drain_s=drain_s,
                       peak_rss_mb="%.0f" % rss if rss else "n/a",
                       redelivered=server.redelivered, recovery_s=recovery_s,
                       requests=server.requests, outage_requests=server.outage_requests)
            check(not gen.problems, "the sender saw protocol problems: %s" % gen.problems[:5])
            check(not server.problems, "%d bad requests: %s"
                  % (len(server.problems), server.problems[:5]))
            check(server.outage_requests > 0, "no request came during the outage")
            check(not verdict.lost, "%d acknowledged messages never applied by the FHIR server "
                  "%.0f s after the load: %s" % (len(verdict.lost), DRAIN_TIMEOUT,
                                                 [m.order_no for m in verdict.lost[:10]]))
            check(not verdict.conflicts, "keys used for several orders: %s"
                  % verdict.conflicts[:10])
            check(not verdict.duplicated and not verdict.strangers,
                  "orders applied under several keys: %s; unknown orders: %s"
                  % (verdict.duplicated[:10], verdict.strangers[:10]))
            engine.stop()
    finally:
        server.close()


if __name__ == "__main__":
    fs.run_fault("http_down", main)
