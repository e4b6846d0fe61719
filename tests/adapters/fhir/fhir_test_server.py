"""A stand-in FHIR server for fhir_client_test, over real HTTP/1.1 (and HTTPS).

Usage: fhir_test_server.py PORT_FILE [CERT KEY]

Binds 127.0.0.1 on a free port, writes the port to PORT_FILE, and serves until killed (or for
two minutes at most). Every POST is counted by its Idempotency-Key. What it answers depends on
the path:
  /fhir               200 with a transaction-response Bundle, when the body is a transaction
                      Bundle sent as application/fhir+json (400 otherwise)
  /fhir-fail-once     500 the first time a key is seen, then as /fhir
  /fhir-close         as /fhir, with `Connection: close`
  /fhir-drop          as /fhir, keep-alive announced, then the connection is closed anyway
                      (a server's idle timeout)
  /fhir-status/NNN    status NNN with an OperationOutcome
  /fhir-slow          as /fhir, three seconds late the first time a key is seen
  /stats              the counts as JSON (not counted themselves)
"""

import http.server
import json
import os
import signal
import ssl
import sys
import threading
import time

LOCK = threading.Lock()
STATS = {"connections": 0, "requests": 0, "keys": {}, "content_types": []}


def outcome(text):
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "processing", "diagnostics": text}]}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with LOCK:
            STATS["connections"] += 1

    def log_message(self, *args):
        pass

    def reply(self, status, document, close=False):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def transaction_response(self, body):
        try:
            bundle = json.loads(body)
        except ValueError:
            return 400, outcome("not JSON")
        if self.headers.get("Content-Type") != "application/fhir+json":
            return 400, outcome("not application/fhir+json")
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            return 400, outcome("not a transaction Bundle")
        entries = [{"response": {"status": "200 OK"}} for _ in bundle.get("entry", [])]
        return 200, {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/stats":
            with LOCK:
                return self.reply(200, STATS)
        key = self.headers.get("Idempotency-Key", "")
        with LOCK:
            STATS["requests"] += 1
            STATS["keys"][key] = STATS["keys"].get(key, 0) + 1
            STATS["content_types"].append(self.headers.get("Content-Type"))
            seen = STATS["keys"][key]
        if self.path == "/fhir-fail-once" and seen == 1:
            return self.reply(500, outcome("try again"))
        if self.path.startswith("/fhir-status/"):
            return self.reply(int(self.path.rsplit("/", 1)[1]), outcome("as asked"))
        if self.path == "/fhir-slow" and seen == 1:
            time.sleep(3)
        status, document = self.transaction_response(body)
        self.reply(status, document, close=self.path == "/fhir-close")
        if self.path in ("/fhir-close", "/fhir-drop"):
            self.close_connection = True


def main():
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(0))
    signal.alarm(120)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    # Renamed into place so the test never reads half a number.
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
