#!/usr/bin/python3
"""A dead letter fixed and replayed through the admin API of a running engine.

    e2e_replay_dead_letters.py HISBRIDGE

Runs `hisbridge serve` in a temporary folder: an MLLP listener `lis`, a channel `lab` mapping
ORU^R01 into his_order rows, a his-db destination `his` (the SQLite HIS database var/his.db).
Then:

  - a first result reaches his_order;
  - a trigger in the HIS database refuses order XN-BAD, as a site's own constraint would; its
    result becomes a dead letter with the HIS's reason (GET /api/v1/messages/{id} lists the
    entry), while a later result of another order is delivered;
  - the trigger is dropped (the fix) and POST /api/v1/replay {"dead_letters": "lab/his"} with
    an X-Hisbridge-Actor header answers 202 with one entry; the worker delivers it and
    XN-BAD is in his_order;
  - POST /api/v1/messages/{id}/reprocess sends the first result through processing again: a
    second queue entry, delivered; a rejected message answers 409, an unknown id 404;
  - GET /api/v1/audit shows the replays, newest first, with the actor and counts (and the
    looks at messages between them, which are audited too).
Exit status: 0 passed, 1 failed.
"""

import contextlib
import http.client
import json
import os
import sqlite3
import sys

import e2e_support as e2e
from e2e_support import check

WAIT_S = 20.0  # how long a delivery or a replay may take to show
MAPPING = """{
  "mapping": "orders",
  "messages": ["ORU^R01"],
  "records": [{"table": "his_order", "key": ["order_no"],
               "columns": {"order_no": "OBR-2.1", "patient_id": "PID-3.1",
                           "status": "OBR-25"}}]
}
"""


def oru(control_id, order, patient):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01|%s|P|2.5\r"
            "PID|1||%s^^^HOSP^MR\rOBR|1|%s||GLU||||||||||||||||||||F\r"
            % (control_id, patient, order)).encode("ascii")


def call(port, method, path, body=None, actor=None):
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if actor:
            headers["X-Hisbridge-Actor"] = actor
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def his_orders(folder):
    path = os.path.join(folder, "var", "his.db")
    if not os.path.exists(path):
        return set()
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
        try:
            return {r[0] for r in db.execute("SELECT order_no FROM his_order")}
        except sqlite3.OperationalError:
            return set()


def his_exec(folder, sql):
    with contextlib.closing(sqlite3.connect(os.path.join(folder, "var", "his.db"),
                                            timeout=10)) as db:
        db.execute(sql)
        db.commit()


def deliveries(port, message_id):
    status, body = call(port, "GET", "/api/v1/messages/%d" % message_id)
    check(status == 200, "GET message %d: %d %r" % (message_id, status, body))
    return body["deliveries"]


def send(port, message):
    ack = e2e.exchange(port, message)
    return ack


def message_id(folder, control_id):
    return e2e.query(folder, "SELECT id FROM hisbridge_messages WHERE control_id = ?",
                     (control_id,))[0][0]


def dead_letter(folder, mllp, admin):
    check(send(mllp, oru("C-BAD", "XN-BAD", "P2")).positive, "XN-BAD not accepted")
    bad = message_id(folder, "C-BAD")
    entries = e2e.wait_for("XN-BAD's entry is dead",
                           lambda: [e for e in deliveries(admin, bad) if e["state"] == "dead"],
                           WAIT_S)
    check(entries[0]["queue"] == "lab/his", "%r" % entries)
    check("refused by the HIS" in entries[0]["last_error"], "reason: %r" % entries[0])
    check(send(mllp, oru("C-2", "XN-2", "P3")).positive, "XN-2 not accepted")
    e2e.wait_for("XN-2 in his_order", lambda: "XN-2" in his_orders(folder), WAIT_S)
    check("XN-BAD" not in his_orders(folder), "the refused order got in")
    return bad


def replay_dead_letters(folder, admin, bad):
    his_exec(folder, "DROP TRIGGER refuse_bad_order")
    status, body = call(admin, "POST", "/api/v1/replay", {"dead_letters": "lab/his"},
                        actor="ward-it")
    check(status == 202, "replay dead letters: %d %r" % (status, body))
    check(body == {"action": "requeue-dead-letters", "queue": "lab/his", "entries": 1},
          "%r" % body)
    e2e.wait_for("XN-BAD delivered after the replay", lambda: "XN-BAD" in his_orders(folder),
                 WAIT_S)
    entries = deliveries(admin, bad)
    check([e["state"] for e in entries] == ["delivered"], "entries after the replay: %r" % entries)
    check(entries[0]["last_error"] == "", "a delivered entry keeps no error: %r" % entries)


def reprocess(folder, admin, first):
    status, body = call(admin, "POST", "/api/v1/messages/%d/reprocess" % first)
    check(status == 202, "reprocess: %d %r" % (status, body))
    check(body == {"message_id": first, "status": "received", "previous_status": "processed"},
          "%r" % body)
    e2e.wait_for("a second entry delivered",
                 lambda: [e["state"] for e in deliveries(admin, first)] == ["delivered", "delivered"],
                 WAIT_S)
    rejected = e2e.query(folder, "SELECT id FROM hisbridge_messages WHERE status = 'rejected'")[0][0]
    status, body = call(admin, "POST", "/api/v1/messages/%d/reprocess" % rejected)
    check(status == 409 and "rejected when it arrived" in body["error"], "%d %r" % (status, body))
    status, body = call(admin, "POST", "/api/v1/messages/99999/reprocess")
    check(status == 404, "unknown id: %d %r" % (status, body))


def check_audit(admin):
    status, body = call(admin, "GET", "/api/v1/audit?limit=10")
    check(status == 200, "audit: %d %r" % (status, body))
    # The looks at messages (view-message, audited too) between the replays are left aside.
    views = [r for r in body["entries"] if r["action"] == "view-message"]
    check(views and all(r["detail"]["via"] == "api" for r in views), "no view-message rows")
    rows = [r for r in body["entries"] if r["action"] != "view-message"]
    check([r["action"] for r in rows] == ["reprocess-messages", "reprocess-messages",
                                          "reprocess-messages", "requeue-dead-letters"],
          "audit rows: %r" % rows)
    dead = rows[-1]
    check(dead["actor"].startswith("ward-it (127.0.0.1:"), "actor: %r" % dead)
    check(dead["detail"] == {"via": "api", "queue": "lab/his", "changed": 1}, "%r" % dead)
    check(rows[2]["detail"]["sent_back"] == 1, "%r" % rows[2])
    check(rows[1]["detail"]["refused"] == 1 and rows[0]["detail"]["not_found"] == 1, "%r" % rows)


def main():
    e2e.watchdog(100)
    binary = e2e.binary_from_argv()
    with e2e.temp_folder("hisbridge-e2e-replay-dead-") as folder:
        mllp, admin = e2e.free_ports(2)
        with open(os.path.join(folder, "orders.json"), "w") as f:
            f.write(MAPPING)
        config = e2e.base_config(admin, [{"name": "lis", "type": "mllp", "host": e2e.HOST,
                                          "port": mllp}])
        config["channels"] = [{"name": "lab", "source": "lis", "mapping": "orders.json",
                               "destinations": [{"name": "his", "type": "his-db",
                                                 "retry": {"first_delay": "10ms",
                                                           "max_attempts": 3}}]}]
        e2e.write_config(folder, config)
        with e2e.Engine(binary, folder) as engine:
            engine.start()
            check(send(mllp, oru("C-1", "XN-1", "P1")).positive, "XN-1 not accepted")
            check(not send(mllp, b"not HL7").positive, "garbage accepted")
            e2e.wait_for("XN-1 in his_order", lambda: "XN-1" in his_orders(folder), WAIT_S)
            his_exec(folder, "CREATE TRIGGER refuse_bad_order BEFORE INSERT ON his_order"
                             " WHEN NEW.order_no = 'XN-BAD'"
                             " BEGIN SELECT RAISE(ABORT, 'order XN-BAD refused by the HIS'); END")
            bad = dead_letter(folder, mllp, admin)
            replay_dead_letters(folder, admin, bad)
            reprocess(folder, admin, message_id(folder, "C-1"))
            check_audit(admin)
            engine.stop()


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
