#!/usr/bin/python3
"""Back-pressure end to end: a destination queue past its max_queue_depth pauses its source,
and the source resumes once the queue drains.

    e2e_back_pressure.py HISBRIDGE

Runs `hisbridge serve` in a temporary folder with an MLLP listener `lis` and an HTTP listener
`web`, each with a channel forwarding every message to an `mllp` destination on a loopback port
where nothing listens yet, so every delivery is retried and the queues grow (max_queue_depth 3
for lis, 2 for web). Then:

  - four messages over MLLP are each acknowledged; the lis queue is then over its limit and
    /api/v1/channels shows lis paused, /metrics hisbridge_ingest_paused{source="lis"} 1 and one
    pause, and the log names the queue;
  - a fifth message on the same connection gets no ACK while lis is paused;
  - HTTP posts to web are answered 200 until its queue is over its limit, then 503 with
    Retry-After: 5, and a message answered 503 is not in the journal;
  - a peer that acknowledges everything starts on the destination's port: the queues drain, the
    fifth message gets its AA, both sources resume (paused false, the gauge 0) and the log says
    so; the engine stops cleanly.

Exit status: 0 passed, 1 failed.
"""

import http.client
import json
import re
import socket
import sys
import threading
import time

import e2e_support as e2e
from e2e_support import check

RETRY = {"first_delay": "10ms", "max_delay": "50ms", "max_attempts": 1000000}


def oru(control_id):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5\r"
            "PID|1||BP-%s^^^HOSP^MR\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r" % (control_id, control_id)
            ).encode("ascii")


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheader("Retry-After"), r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def paused_sources(admin_port):
    status, _, body = request(admin_port, "GET", "/api/v1/channels")
    check(status == 200, "/api/v1/channels answered %d" % status)
    return {s["name"]: s["paused"] for s in json.loads(body)["sources"]}


def sample(admin_port, name):
    _, _, text = request(admin_port, "GET", "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise e2e.TestFailure("no sample %s in /metrics" % name)



def journal_count(folder, control_id):
    return e2e.query(folder, "SELECT COUNT(*) FROM hisbridge_messages WHERE control_id = ?",
                     (control_id,))[0][0]


class AckingPeer:
    """An MLLP listener that answers AA to every frame, on a thread of its own."""

    def __init__(self, port):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((e2e.HOST, port))
        self.server.listen(8)
        self.server.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while not self.stopping:
            try:
                conn, _ = self.server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        buffer = b""
        conn.settimeout(30)
        with conn:
            while not self.stopping:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while e2e.EB + e2e.CR in buffer:
                    content, buffer = buffer.split(e2e.EB + e2e.CR, 1)
                    message = content[content.find(e2e.SB) + 1:]
                    control_id = e2e.msh_field(message, 10)
                    conn.sendall(e2e.frame(
                        b"MSH|^~\\&|PEER|X|HIS|HOSP|20260305081501||ACK|A" + control_id +
                        b"|P|2.5\rMSA|AA|" + control_id + b"\r"))

    def close(self):
        self.stopping = True
        self.server.close()
        self.thread.join(timeout=5)


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(80)
    peer = None
    with e2e.temp_folder("hisbridge-e2e-back-pressure-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, web_port, admin_port, peer_port = e2e.free_ports(4)
        config = e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port},
            {"name": "web", "type": "http", "host": e2e.HOST, "port": web_port}])
        forward = {"name": "fwd", "type": "mllp", "host": e2e.HOST, "port": peer_port,
                   "timeout": "2s", "retry": RETRY}
        config["channels"] = [
            {"name": "lab", "source": "lis", "destinations": [dict(forward, max_queue_depth=3)]},
            {"name": "portal", "source": "web",
             "destinations": [dict(forward, max_queue_depth=2)]}]
        e2e.write_config(folder, config)
        engine.start()
        engine.wait_for_log(r"admin: listening on 127\.0\.0\.1:%d " % admin_port)
        check(paused_sources(admin_port) == {"lis": False, "web": False}, "no source paused")

        lis = e2e.MllpConnection(lis_port)
        for n in range(1, 5):
            lis.send_message(oru("BP-L%d" % n))
            ack = lis.read_ack()
            check(ack.code == "AA", "BP-L%d answered %r" % (n, ack))
        e2e.wait_for("lis paused", lambda: paused_sources(admin_port)["lis"], 20.0)
        check(sample(admin_port, 'hisbridge_ingest_paused{source="lis"}') == 1, "gauge 1")
        check(sample(admin_port, 'hisbridge_ingest_pauses_total{source="lis"}') == 1,
              "one pause counted")
        engine.wait_for_log(r"lis: ingest paused: queue lab/fwd holds \d+ entries, over its "
                            r"max_queue_depth 3")

        # Paused: the fifth message waits on the connection, unread and unanswered.
        lis.send_message(oru("BP-L5"))
        lis.sock.settimeout(1.5)
        try:
            early = lis.read_frame()
        except socket.timeout:
            early = None
        check(early is None, "an answer while lis is paused: %r" % early)
        check(journal_count(folder, "BP-L5") == 0, "BP-L5 stored while lis is paused")

        answers = []
        for n in range(1, 21):
            status, retry_after, body = request(
                web_port, "POST", "/ingest/web", oru("BP-W%d" % n),
                {"Content-Type": "x-application/hl7-v2+er7"})
            answers.append(status)
            if status == 503:
                check(retry_after == "5", "Retry-After %r" % retry_after)
                check("paused" in body, "the 503 says why: %r" % body)
                check(journal_count(folder, "BP-W%d" % n) == 0, "a 503 message was stored")
                break
            check(status == 200, "web answered %d: %s" % (status, body))
            time.sleep(0.2)  # the monitor compares depths a few times a second
        check(answers[-1] == 503 and len(answers) >= 3,
              "web: 200 until its queue passed 2 entries, then 503: %r" % answers)

        peer = AckingPeer(peer_port)
        lis.sock.settimeout(20)
        ack = lis.read_ack()
        check(ack.code == "AA" and ack.control_id == b"BP-L5", "BP-L5 after resume: %r" % ack)
        e2e.wait_for("both sources resumed",
                     lambda: paused_sources(admin_port) == {"lis": False, "web": False}, 20.0)
        check(sample(admin_port, 'hisbridge_ingest_paused{source="lis"}') == 0, "gauge 0")
        engine.wait_for_log(r"lis: ingest resumed")
        engine.wait_for_log(r"web: ingest resumed")
        log = engine.log_text()
        check(len(re.findall(r"lis: ingest paused", log)) == 1, "lis paused once")
        lis.close()
        engine.stop()
    if peer is not None:
        peer.close()


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
