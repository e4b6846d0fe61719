#!/usr/bin/python3
"""`hisbridge backup` against a running engine, then a restore from what it wrote.

An engine with a SQLite journal and a SQLite HIS database (the stock LIS mapping writing
his_order) takes lab orders over MLLP from a sender that never stops while the backup runs.
Then, with the engine stopped:
  - the manifest names the journal, its timeline and the HIS database, each with the SHA-256,
    size and page count of its copy, and the copy's own rows (the journal's message count);
  - each copy opens with Python's sqlite3, passes integrity_check, and is a consistent
    state: message ids 1..n without a gap, every message ACKed before the backup began in it,
    none that was never sent, the status counts agreeing with the rows, every order the
    journal's copy says was delivered present in the HIS copy;
  - a DIR that holds files is refused (exit 2), and nothing is written to it;
  - the backup is in the audit file and the journal's audit rows (the copy's too: it is
    recorded before anything is copied), once: the refused one is not;
  - the copies put back where the manifest says, in a fresh folder, start an engine that lists
    every message of the copy through /api/v1/messages, finishes what the copy had not
    processed yet, and delivers the order of every message in the copy (so every one ACKed
    before the backup) to its HIS database.
Usage: e2e_backup.py HISBRIDGE MAPPINGS_DIR. Exit status: 0 passed, 1 failed.
"""

import contextlib
import datetime
import hashlib
import http.client
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import e2e_support as e2e
from e2e_support import check

ZONE = datetime.timezone(datetime.timedelta(hours=7))
BEFORE_BACKUP = 300  # messages ACKed before the backup starts


def order_message(n):
    """Lab order number n: control id BK-n, order XN-BK-n, patient BN-BK-(n % 50)."""
    now = datetime.datetime.now(ZONE).strftime("%Y%m%d%H%M%S%z")
    segments = [
        "MSH|^~\\&|LIS_BK|BV_BK|HIS|BV_BK|%s||ORM^O01^ORM_O01|BK-%d|P|2.5|||AL|NE|VNM|"
        "UNICODE UTF-8" % (now, n),
        "PID|1||BN-BK-%d^^^BV_BK^MR||Nguyễn^Văn %d||19800101|M" % (n % 50, n),
        "PV1|1|O|NOI^P1^01^BV_BK||||||||||||||||KB-BK-%d^^^BV_BK^VN" % n,
        "ORC|NW|XN-BK-%d^HIS||||||||%s" % (n, now),
        "OBR|1|XN-BK-%d^HIS||SH-DG^Điện giải đồ^BYT||%s" % (n, now),
    ]
    return ("\r".join(segments) + "\r").encode("utf-8")


class Sender(threading.Thread):
    """Sends orders 1, 2, 3... on one MLLP connection, each after the last one's ACK, until
    stopped; `acked` is how many were positively acknowledged (all of 1..acked)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.acked = 0
        self.error = None
        self.stopping = threading.Event()

    def run(self):
        try:
            with e2e.MllpConnection(self.port) as c:
                while not self.stopping.is_set():
                    c.send_message(order_message(self.acked + 1))
                    ack = c.read_ack()
                    if not ack.positive:
                        raise e2e.TestFailure("order %d answered %r" % (self.acked + 1, ack))
                    self.acked += 1
        except Exception as e:  # reported by the main thread
            self.error = e

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)
        check(not self.is_alive(), "the sender did not stop")
        check(self.error is None, "the sender failed: %s" % self.error)


def engine_config(admin_port, lis_port, mappings):
    config = e2e.base_config(admin_port, [
        {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port}])
    config["channels"] = [
        {"name": "lis-his", "source": "lis", "mapping": os.path.join(mappings, "lis-stock.json"),
         "destinations": [{"name": "his", "type": "his-db"}]}]
    return config


def run_backup(binary, folder, to, *extra):
    return subprocess.run([binary, "backup", "--config", "hisbridge.json", "--to", to] +
                          list(extra), cwd=folder, capture_output=True, timeout=120)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def one_value(path, sql):
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % path, uri=True)) as db:
        return db.execute(sql).fetchone()[0]


def check_manifest(manifest, folder, backup):
    files = {f["role"]: f for f in manifest["files"]}
    check(sorted(files) == ["his", "journal", "timeline"], "copied: %r" % sorted(files))
    check(manifest["engine_version"] and manifest["created_at"].endswith("Z"),
          "version and time: %r" % manifest)
    for role, expected in (("journal", "var/hisbridge.db"),
                           ("timeline", "var/hisbridge.timeline.db"), ("his", "var/his.db")):
        f = files[role]
        copy = os.path.join(backup, f["copy"])
        check(f["source"] == os.path.join(os.path.realpath(folder), expected) and
              f["configured"] == expected, "%s source: %r" % (role, f))
        check(f["sha256"] == sha256(copy), "%s: SHA-256 differs from the manifest" % role)
        check(f["size_bytes"] == os.path.getsize(copy) == f["page_size"] * f["page_count"],
              "%s: size %d, manifest %r" % (role, os.path.getsize(copy), f))
        check(one_value(copy, "PRAGMA integrity_check") == "ok", "%s: integrity" % role)
        for table, rows in f["tables"].items():
            got = one_value(copy, 'SELECT count(*) FROM "%s"' % table)
            check(got == rows, "%s.%s: %d rows, manifest %d" % (role, table, got, rows))
    check(files["journal"]["messages"] == files["journal"]["tables"]["hisbridge_messages"],
          "the journal's message count")
    check(sorted(os.listdir(backup)) ==
          sorted(["backup.json", "hisbridge.db", "hisbridge.timeline.db", "his.db"]),
          "the backup folder holds %r" % os.listdir(backup))
    also = [a["what"] for a in manifest["also_back_up"]]
    check("config" in also and any(w.startswith("audit log") for w in also) and
          any(w.startswith("mapping") for w in also), "also_back_up: %r" % also)
    return files


def check_consistent(files, backup, acked_before, sent_total):
    """The journal's copy against what was sent, and the HIS copy against the journal's."""
    journal = os.path.join(backup, files["journal"]["copy"])
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % journal, uri=True)) as db:
        n, first, last = db.execute(
            "SELECT count(*), min(id), max(id) FROM hisbridge_messages").fetchone()
        check(first == 1 and last == n, "ids %r..%r for %d messages: a gap" % (first, last, n))
        check(acked_before <= n <= sent_total,
              "%d messages in the copy; %d ACKed before the backup, %d sent in all"
              % (n, acked_before, sent_total))
        ids = sorted(int(c[3:]) for (c,) in db.execute("SELECT control_id FROM hisbridge_messages"))
        check(ids == list(range(1, n + 1)), "the copy's control ids are not BK-1..BK-%d" % n)
        counted = db.execute("SELECT sum(messages) FROM hisbridge_counts").fetchone()[0]
        check(counted == n, "hisbridge_counts says %d, rows %d" % (counted, n))
        delivered = [int(c[3:]) for (c,) in db.execute(
            "SELECT m.control_id FROM hisbridge_deliveries d JOIN hisbridge_messages m"
            " ON m.id = d.message_id WHERE d.state = 'delivered'")]
    his = os.path.join(backup, files["his"]["copy"])
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % his, uri=True)) as db:
        orders = {o for (o,) in db.execute("SELECT order_no FROM his_order")}
    missing = [n for n in delivered if "XN-BK-%d" % n not in orders]
    check(not missing, "delivered in the journal's copy, not in the HIS copy: %r" % missing[:5])
    check(orders <= {"XN-BK-%d" % i for i in range(1, sent_total + 1)}, "unknown orders")
    print("copy: %d messages (%d ACKed before the backup, %d sent), %d delivered, %d orders"
          % (n, acked_before, sent_total, len(delivered), len(orders)))
    return n


def check_audited(folder, backup, copy):
    """The backup is in the audit file and in the journal's audit rows, of the copy too (it is
    recorded before anything is copied), once."""
    with open(os.path.join(folder, "var", "audit.log")) as f:
        lines = [json.loads(l) for l in f if '"action":"backup"' in l]
    check(len(lines) == 1, "audit file: %d backup entries" % len(lines))
    entry = lines[0]
    check(entry["actor"] == pwd.getpwuid(os.geteuid()).pw_name and entry["from"] == "cli" and
          entry["detail"] == {"via": "cli", "to": os.path.realpath(backup),
                              "databases": ["journal", "timeline", "his"]},
          "audit entry: %r" % entry)
    for journal in (os.path.join(folder, "var", "hisbridge.db"), copy):
        rows = one_value(journal, "SELECT count(*) FROM hisbridge_audit WHERE action = 'backup'")
        check(rows == 1, "%s: %d backup rows in hisbridge_audit" % (journal, rows))


def api_message_ids(admin_port):
    """Every message id /api/v1/messages lists, page by page."""
    ids, before = [], None
    while True:
        path = "/api/v1/messages?limit=500" + ("&before_id=%d" % before if before else "")
        conn = http.client.HTTPConnection(e2e.HOST, admin_port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            page = json.loads(response.read())
            check(response.status == 200, "%s: %d %r" % (path, response.status, page))
        finally:
            conn.close()
        ids += [m["id"] for m in page["messages"]]
        before = page["next_before_id"]
        if before is None:
            return ids


def restore(binary, manifest, backup, target, mappings, copied):
    """The restore the operator guide describes, into a fresh folder, and an engine on it."""
    for f in manifest["files"]:
        place = os.path.join(target, f["configured"])
        os.makedirs(os.path.dirname(place), exist_ok=True)
        shutil.copy2(os.path.join(backup, f["copy"]), place)
        check(sha256(place) == f["sha256"], "restored %s differs" % f["configured"])
    admin_port, lis_port = e2e.free_ports(2)
    e2e.write_config(target, engine_config(admin_port, lis_port, mappings))
    with e2e.Engine(binary, target) as engine:
        engine.start()
        ids = api_message_ids(admin_port)
        check(sorted(ids) == list(range(1, copied + 1)),
              "the restored engine lists %d messages, the copy held %d" % (len(ids), copied))
        e2e.wait_until_processed(target, copied, timeout=60, admin_port=admin_port)
        with contextlib.closing(sqlite3.connect(os.path.join(target, "var", "his.db"))) as db:
            orders = {o for (o,) in db.execute("SELECT order_no FROM his_order")}
        # Every message of the copy (a superset of those ACKed before the backup) delivered.
        lost = [i for i in range(1, copied + 1) if "XN-BK-%d" % i not in orders]
        check(not lost, "orders of the copy's messages missing after the restore: %r" % lost[:5])
        engine.stop()
    print("restored: %d messages listed, %d orders in the HIS database" % (len(ids), len(orders)))


def refuses_a_folder_with_files(binary, folder):
    used = os.path.join(folder, "used")
    os.makedirs(used)
    with open(os.path.join(used, "old.txt"), "w") as f:
        f.write("yesterday")
    refused = run_backup(binary, folder, "used")
    check(refused.returncode == 2 and b"holds files already" in refused.stderr,
          "a folder with files: %d %r" % (refused.returncode, refused.stderr))
    check(os.listdir(used) == ["old.txt"], "the refused folder was written to")


def main():
    binary = e2e.binary_from_argv()
    mappings = os.path.abspath(sys.argv[2])
    e2e.watchdog(240)
    with e2e.temp_folder("hisbridge_e2e_backup_") as root:
        folder = os.path.join(root, "site")
        os.makedirs(folder)
        admin_port, lis_port = e2e.free_ports(2)
        e2e.write_config(folder, engine_config(admin_port, lis_port, mappings))
        backup = os.path.join(root, "backup", "nightly")
        with e2e.Engine(binary, folder) as engine:
            engine.start()
            sender = Sender(lis_port)
            sender.start()
            e2e.wait_for("%d orders ACKed" % BEFORE_BACKUP,
                         lambda: sender.acked >= BEFORE_BACKUP or sender.error, 60)
            acked_before = sender.acked
            started = time.monotonic()
            done = run_backup(binary, folder, backup, "--json")
            took = time.monotonic() - started
            acked_during = sender.acked - acked_before
            e2e.wait_for("orders ACKed after the backup",
                         lambda: sender.acked > acked_before + acked_during or sender.error, 30)
            sender.stop()
            check(done.returncode == 0, "backup: exit %d\n%s" % (done.returncode,
                                                                 done.stderr.decode()))
            e2e.wait_until_processed(folder, sender.acked, timeout=60)
            refuses_a_folder_with_files(binary, folder)
            engine.stop()
        print("backup of a running engine: %.2f s, %d orders ACKed meanwhile"
              % (took, acked_during))
        manifest = json.loads(done.stdout)
        with open(os.path.join(backup, "backup.json")) as f:
            check(json.load(f) == manifest, "--json printed something else than backup.json")
        files = check_manifest(manifest, folder, backup)
        check_audited(folder, backup, os.path.join(backup, files["journal"]["copy"]))
        copied = check_consistent(files, backup, acked_before, sender.acked)
        restore(binary, manifest, backup, os.path.join(root, "restored"), mappings, copied)


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
