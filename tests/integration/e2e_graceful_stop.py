#!/usr/bin/python3
"""Graceful shutdown: SIGTERM while senders have messages in flight.

    e2e_graceful_stop.py HISBRIDGE

Four connections pipeline ORU^R01 messages (unique control ids, each its own order) without
waiting for their ACKs, to a channel with a file destination. While they are still sending,
the engine gets SIGTERM. Each connection then reads every answer until the engine closes it.
The engine must exit 0, and:

  - every message the engine answered AA is in the journal (nothing acknowledged is lost);
  - every message in the journal was answered before the connection closed: messages the
    engine had taken are stored and acknowledged, never stored and left unanswered (a sender
    would resend those and they would count as duplicates);
  - the journal is consistent: after a restart on the same files, every stored message is
    processed and every queue entry delivered, and each message has exactly one records file.

The last line is a summary: sent, answered, stored, stored without an answer (0), delivered.
Exit status: 0 passed, 1 failed.
"""

import os
import socket
import threading
import time

import e2e_support as e2e
from e2e_support import check

CONNECTIONS = 4
PER_CONNECTION = 400


def oru(control_id):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5\r"
            "PID|1||P-%s^^^HOSP^MR||TRAN^THI B\r"
            "OBR|1|XN-%s||GLU^Glucose||||||||||||||||||||F\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r"
            % (control_id, control_id, control_id)).encode("ascii")


MAPPING = """{
  "mapping": "orders",
  "messages": ["ORU^R01"],
  "records": [{"table": "his_order", "key": ["order_no"],
               "columns": {"order_no": "OBR-2.1", "status": "OBR-25"}}]
}
"""


class Sender(threading.Thread):
    """Sends its messages as fast as the socket takes them, then reads answers until closed."""

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.ids = ["G%d-%04d" % (n, i) for i in range(PER_CONNECTION)]
        self.sent = []
        self.answers = {}  # control id -> ACK code
        self.conn = e2e.MllpConnection(port, timeout=15)
        self.error = None

    def run(self):
        reader = threading.Thread(target=self.read, daemon=True)
        reader.start()
        try:
            for control_id in self.ids:
                self.conn.send_message(oru(control_id))
                self.sent.append(control_id)
        except OSError:
            pass  # the engine closed the connection: the rest is not sent
        reader.join(30)

    def read(self):
        try:
            while True:
                raw = self.conn.read_frame()
                if raw is None:
                    return
                ack = e2e.Ack(raw)
                self.answers[ack.control_id.decode()] = ack.code
        except (OSError, socket.timeout) as e:
            self.error = e


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(55)
    with e2e.temp_folder("hisbridge-e2e-stop-") as folder:
        port, admin_port = e2e.free_ports(2)
        with open(os.path.join(folder, "orders.json"), "w", encoding="utf-8") as f:
            f.write(MAPPING)
        config = e2e.base_config(admin_port, [{"name": "lis", "type": "mllp", "host": e2e.HOST,
                                               "port": port}])
        config["channels"][0]["mapping"] = "orders.json"
        config["channels"][0]["destinations"] = [
            {"name": "copy", "type": "file", "folder": "out", "content": "records"}]
        e2e.write_config(folder, config)
        with e2e.Engine(binary, folder) as engine:
            engine.start()
            senders = [Sender(port, n) for n in range(CONNECTIONS)]
            for s in senders:
                s.start()
            deadline = time.monotonic() + 10
            while (sum(len(s.answers) for s in senders) < 200 and
                   time.monotonic() < deadline):
                time.sleep(0.005)
            engine.stop(timeout=15)  # SIGTERM, exit 0
            for s in senders:
                s.join(30)
                check(not s.is_alive(), "a sender still runs: the engine kept its connection")
                s.conn.close()

        sent = [c for s in senders for c in s.sent]
        answers = {c: code for s in senders for c, code in s.answers.items()}
        rows = e2e.query(folder, "SELECT control_id, status FROM hisbridge_messages")
        stored = {c for c, _ in rows}
        positive = {c for c, code in answers.items() if code in ("AA", "CA")}
        check(positive <= stored, "acknowledged but not stored: %r" % sorted(positive - stored)[:10])
        unanswered = stored - set(answers)
        check(not unanswered, "stored but never answered: %d, e.g. %r"
              % (len(unanswered), sorted(unanswered)[:10]))
        check(len(sent) > len(answers), "the stop came after every message was answered; "
              "the test proves nothing (sent %d, answered %d)" % (len(sent), len(answers)))

        # The next run finishes what the stop left: every message processed and delivered once.
        with e2e.Engine(binary, folder) as engine:
            engine.start()
            e2e.wait_until_processed(folder, len(stored), timeout=30)
            engine.stop()
        delivered = e2e.query(folder, "SELECT COUNT(*) FROM hisbridge_deliveries"
                                      " WHERE state = 'delivered'")[0][0]
        files = os.listdir(os.path.join(folder, "out"))
        check(delivered == len(stored), "delivered %d of %d stored" % (delivered, len(stored)))
        check(len(files) == len(stored) and not [f for f in files if f.endswith(".tmp")],
              "%d records files for %d stored messages" % (len(files), len(stored)))
        print("graceful stop: sent %d, answered %d (%d AA), stored %d, stored without an answer 0,"
              " delivered %d after restart" % (len(sent), len(answers), len(positive),
                                               len(stored), delivered))


if __name__ == "__main__":
    e2e.run_main(main)
