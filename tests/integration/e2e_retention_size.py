#!/usr/bin/python3
"""Retention by size end to end: a running engine keeps its journal's data under max_size.

    e2e_retention_size.py HISBRIDGE

Runs `hisbridge serve` in a temporary folder with an MLLP listener and a channel without a
mapping (a message is processed as soon as it is stored), `store.retention.max_size` at the
smallest size check-config takes (10 MB), checked every second, and a duplicate window of one
second (the size rule keeps anything younger). Then:

  - 2,400 ORU^R01 of about 8 kB (some 6 kB each in the journal, 15 MB in all) are sent pipelined on one
    connection, every one acknowledged AA;
  - within 60 s hisbridge_store_data_bytes is under 10 MB and stays there while a second
    round of 400 arrives; hisbridge_store_pruned_messages_total counts what went;
  - the journal keeps the newest messages: every one of the second round is still in it, and
    what was deleted is the oldest (no message left is older than one that went);
  - the log says that retention deleted messages to keep the journal under max_size, and never
    a patient's name or id.

Exit status: 0 passed, 1 failed.
"""

import random
import re
import string
import sys
import time

import e2e_support as e2e
from e2e_support import check

MAX_SIZE = 10_000_000
PATIENT_NAME = "L\xc3\x92 V\xc4\x82N C"  # LÒ VĂN C, as UTF-8 bytes read as latin-1
PIPELINE = 100
LETTERS = string.ascii_letters + string.digits


def oru(control_id):
    # A long comment of random letters, which the journal's compression cannot shrink much:
    # each message keeps some 6 kB in the journal.
    rng = random.Random(control_id)
    note = "".join("NTE|%d||%s\r" % (n, "".join(rng.choices(LETTERS, k=100)))
                   for n in range(1, 81))
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5\r"
            "PID|1||SZ-%s^^^HOSP^MR||%s\r"
            "OBR|1|XN-%s||GLU^Glucose|||20260305080000+0700\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r"
            % (control_id, control_id, PATIENT_NAME, control_id) + note).encode("latin-1")


def send(port, control_ids):
    with e2e.MllpConnection(port, timeout=30.0) as c:
        for start in range(0, len(control_ids), PIPELINE):
            chunk = control_ids[start:start + PIPELINE]
            for control_id in chunk:
                c.send_message(oru(control_id))
            for control_id in chunk:
                ack = c.read_ack()
                check(ack.code == "AA", "%s answered %r" % (control_id, ack))



def metric_of(admin_port, name):
    return e2e.sample(e2e.metrics_text(admin_port), name)


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(150)
    with e2e.temp_folder("hisbridge-e2e-retention-size-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        config = e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port}])
        config["store"]["duplicate_window"] = "1s"
        config["store"]["retention"] = {"max_size": "10MB", "interval": "1s", "batch": 200}
        e2e.write_config(folder, config)
        engine.start()
        engine.wait_for_log(r"admin: listening on 127\.0\.0\.1:%d " % admin_port)

        first = ["SZ-A%04d" % n for n in range(2400)]
        send(lis_port, first)
        e2e.wait_until_processed(folder, 1, timeout=60.0)
        e2e.wait_for("the journal's data under max_size",
                     lambda: metric_of(admin_port, "hisbridge_store_data_bytes") <= MAX_SIZE, 60.0,
                     interval=0.2)
        pruned = metric_of(admin_port, "hisbridge_store_pruned_messages_total")
        check(pruned > 0, "retention deleted nothing")

        second = ["SZ-B%04d" % n for n in range(400)]
        send(lis_port, second)
        e2e.wait_until_processed(folder, 1, timeout=60.0)
        time.sleep(2.5)  # two more passes of the pruner
        data = metric_of(admin_port, "hisbridge_store_data_bytes")
        check(data <= MAX_SIZE, "the journal's data is %d bytes, over max_size" % data)

        rows = e2e.query(folder, "SELECT id, control_id FROM hisbridge_messages ORDER BY id")
        kept = {control_id for _, control_id in rows}
        check(set(second) <= kept, "a message of the second round was deleted")
        gone = [c for c in first if c not in kept]
        check(gone, "nothing of the first round was deleted")
        # Oldest first: what went is a prefix of the first round.
        check(gone == first[:len(gone)], "retention deleted a message newer than one it kept")
        pruned = metric_of(admin_port, "hisbridge_store_pruned_messages_total")
        check(pruned == len(gone), "pruned_messages_total %d, %d gone" % (pruned, len(gone)))

        log = engine.log_text()
        check(re.search(r"retention deleted \d+ messages to keep the journal under max_size",
                        log), "the log says what retention deleted")
        for secret in ("SZ-A0001", "L\u00d2 V\u0102N C"):
            check(secret not in log, "the log holds patient data: %r" % secret)
        print("e2e_retention_size: %d of %d messages kept, %d pruned oldest first, "
              "data %.1f MB under max_size %.1f MB"
              % (len(rows), len(first) + len(second), len(gone), data / 1e6, MAX_SIZE / 1e6))


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
