#!/usr/bin/python3
"""Retention end to end: the engine prunes its journal while it runs, and only what is due.

    e2e_retention.py HISBRIDGE REPO

Runs `hisbridge serve` in a temporary folder with an MLLP listener whose channel maps with
REPO/mappings/lis-stock.json into a his-db destination, and `store.retention` at a few seconds
(max_age 6 s, interval 1 s, batches of 2; duplicate_window 1 s, as check-config asks). Then:

  - six ORU^R01 (the first batch) are sent, acknowledged and processed; the HIS tables hold
    their results;
  - within 30 s the pruner has deleted five of them from the journal (in batches of two): the
    newest row of the journal always stays, so that no message id is ever given twice;
  - three more (the second batch) are sent and processed; the sixth of the first batch goes
    now that it is not the newest, while the three, younger than max_age, stay;
    /metrics counts six pruned messages and hisbridge_store_messages three processed;
  - the HIS tables still hold every result of both batches: retention prunes the journal only;
  - the engine's log says what retention deleted, and never a patient's name or id.

Exit status: 0 passed, 1 failed.
"""

import os
import re
import sqlite3
import sys
import time

import e2e_support as e2e
from e2e_support import check

MAX_AGE_S = 6
PATIENT_NAME = "TR\xe1\xba\xa6N TH\xe1\xbb\x8a B"  # TRẦN THỊ B, as UTF-8 bytes read as latin-1


def oru(control_id, order):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5\r"
            "PID|1||RET-%s^^^HOSP^MR||%s\r"
            "PV1|1|O|KKB\r"
            "OBR|1|%s||GLU^Glucose|||20260305080000+0700|||||||||||||||20260305083000+0700|||F\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r"
            % (control_id, control_id, PATIENT_NAME, order)).encode("latin-1")


def send(port, control_ids):
    with e2e.MllpConnection(port) as c:
        for control_id in control_ids:
            c.send_message(oru(control_id, "XN-" + control_id))
            ack = c.read_ack()
            check(ack.code == "AA", "%s answered %r" % (control_id, ack))




def journal_ids(folder):
    return {row[0] for row in e2e.query(folder, "SELECT control_id FROM hisbridge_messages")}


def his_orders(folder):
    with sqlite3.connect(os.path.join(folder, "var", "his.db")) as db:
        return {row[0] for row in db.execute("SELECT order_no FROM his_order")}



def main():
    binary = e2e.binary_from_argv()
    repository = sys.argv[2]
    e2e.watchdog(80)
    with e2e.temp_folder("hisbridge-e2e-retention-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        config = e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port}])
        config["store"]["duplicate_window"] = "1s"
        config["store"]["retention"] = {"max_age": "%ds" % MAX_AGE_S, "interval": "1s",
                                        "batch": 2}
        config["channels"] = [{
            "name": "lis-his", "source": "lis",
            "mapping": os.path.join(repository, "mappings", "lis-stock.json"),
            "destinations": [{"name": "his", "type": "his-db"}]}]
        e2e.write_config(folder, config)
        engine.start()
        engine.wait_for_log(r"admin: listening on 127\.0\.0\.1:%d " % admin_port)

        first = ["RET-A%d" % n for n in range(1, 7)]
        send(lis_port, first)
        e2e.wait_until_processed(folder, len(first), admin_port=admin_port)
        check(journal_ids(folder) == set(first), "the first batch in the journal")
        check({"XN-" + c for c in first} <= his_orders(folder), "the first batch in the HIS")

        e2e.wait_for("the first batch pruned but its newest",
                     lambda: journal_ids(folder) == {first[-1]}, 30.0, interval=0.1)
        check(e2e.sample(e2e.metrics_text(admin_port), "hisbridge_store_pruned_messages_total") == 5,
              "five pruned messages counted")

        second = ["RET-B%d" % n for n in range(1, 4)]
        sent_at = time.monotonic()
        send(lis_port, second)
        e2e.wait_until_processed(folder, len(first[-1:] + second), admin_port=admin_port)
        e2e.wait_for("the first batch's newest pruned",
                     lambda: first[-1] not in journal_ids(folder), 30.0, interval=0.1)
        text = e2e.metrics_text(admin_port)
        check(time.monotonic() - sent_at < MAX_AGE_S,
              "the second batch took longer than max_age to check: the check means nothing")
        check(journal_ids(folder) == set(second), "only the second batch left in the journal: "
              "%r" % sorted(journal_ids(folder)))
        check(e2e.sample(text, "hisbridge_store_pruned_messages_total") == 6,
              "six pruned messages counted")
        check(e2e.sample(text, 'hisbridge_store_messages{status="processed"}') == 3,
              "three processed messages in the journal's counts")
        check({"XN-" + c for c in first + second} <= his_orders(folder),
              "every order still in the HIS: retention prunes the journal only")

        log = engine.log_text()
        check(re.search(r"retention deleted \d+ messages received before", log),
              "the log says what retention deleted")
        for secret in ("RET-A1", "TR\u1ea6N TH\u1eca B"):
            check(secret not in log, "the log holds patient data: %r" % secret)
        print("e2e_retention: 6 messages pruned in batches of 2, 3 younger ones kept, "
              "%d HIS orders untouched" % len(his_orders(folder)))


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
