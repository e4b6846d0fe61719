#!/usr/bin/python3
"""A vendor's own XML results, end to end: HTTP and a drop folder in, HIS rows out.

    e2e_vendor_xml.py HISBRIDGE REPO

Runs `hisbridge serve` in a temporary folder with an HTTP listener and a drop-folder listener,
each with a channel that maps with REPO/mappings/lis-vendor-xml.json (LabLink's
<KetQuaXetNghiem>, a copy with its table) into a his-db destination. Then:

  - two result files are POSTed to /ingest/web as application/xml: each is answered 200 with
    an HL7 v2.xml ACK whose MSA-1 is AA, and its journal row holds the bytes as sent, with the
    root element as message type;
  - the corrected result is written into the drop folder (temporary name, then renamed, as an
    export does) and is moved to done/;
  - a file with a test code the site's table lacks is acknowledged (stored), then marked
    `error` with the reason naming the lookup table: nothing of it reaches the HIS;
  - XML that is not well-formed is answered 4xx and stored as `rejected`;
  - the HIS tables then hold, column by column, what the fixtures' reviewed outputs say, the
    corrected file's values replacing the first ones.

Exit status: 0 passed, 1 failed.
"""

import json
import os
import re
import shutil
import sqlite3
import sys
import urllib.error
import urllib.request

import e2e_support as e2e
from e2e_support import check

FIXTURES = "tests/fixtures/mapping/vendor-xml"
IN_ORDER = ["ketqua-sinh-hoa", "ketqua-cong-thuc-mau", "ketqua-hieu-chinh"]
TABLES = ["his_patient", "his_visit", "his_order", "his_result"]


def read_expected(repo, name):
    """The reviewed output of a fixture: JSON with // comment lines."""
    with open(os.path.join(repo, FIXTURES, name + ".expected.json"), encoding="utf-8") as f:
        text = "".join(line for line in f if not line.lstrip().startswith("//"))
    return json.loads(text)


def post_xml(port, body):
    request = urllib.request.Request("http://%s:%d/ingest/web" % (e2e.HOST, port), data=body,
                                     headers={"Content-Type": "application/xml"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def expected_state(repo):
    """Rows per table after the fixtures in order: a later record's non-null values win."""
    state = {table: {} for table in TABLES}
    for name in IN_ORDER:
        for record in read_expected(repo, name)["records"]:
            rows = state[record["table"]]
            key = json.dumps(record["key"], sort_keys=True)
            row = rows.setdefault(key, {})
            for column, value in record["values"].items():
                if value is not None or column not in row:
                    row[column] = value
    return state


def compare(his_db, state):
    """Every expected column of every expected row, against the HIS database."""
    db = sqlite3.connect(his_db)
    fields = 0
    try:
        for table, rows in state.items():
            count = db.execute("SELECT COUNT(*) FROM %s" % table).fetchone()[0]
            check(count == len(rows), "%s has %d rows, expected %d" % (table, count, len(rows)))
            for key, row in rows.items():
                where = json.loads(key)
                sql = "SELECT %s FROM %s WHERE %s" % (
                    ", ".join(row), table, " AND ".join("%s = ?" % k for k in where))
                found = db.execute(sql, list(where.values())).fetchall()
                check(len(found) == 1, "%s %s: %d rows" % (table, key, len(found)))
                for column, got in zip(row, found[0]):
                    check(got == row[column], "%s %s.%s: %r, expected %r"
                          % (table, key, column, got, row[column]))
                    fields += 1
    finally:
        db.close()
    return fields


def main():
    binary = e2e.binary_from_argv()
    repo = os.path.abspath(sys.argv[2])
    e2e.watchdog(80)
    with e2e.temp_folder("hisbridge-e2e-vendor-xml-") as folder:
        shutil.copytree(os.path.join(repo, "mappings"), os.path.join(folder, "mappings"))
        os.makedirs(os.path.join(folder, "drop"))
        http_port, admin_port = e2e.free_ports(2)
        listeners = [
            {"name": "web", "type": "http", "host": e2e.HOST, "port": http_port},
            {"name": "drop", "type": "file", "folder": "drop", "poll_interval": "100ms"},
        ]
        config = e2e.base_config(admin_port, listeners)
        for channel in config["channels"]:
            channel["mapping"] = "mappings/lis-vendor-xml.json"
            channel["destinations"] = [{"name": "his", "type": "his-db"}]
        e2e.write_config(folder, config)

        def fixture(name):
            with open(os.path.join(repo, FIXTURES, name + ".xml"), "rb") as f:
                return f.read()

        with e2e.Engine(binary, folder) as engine:
            engine.start()
            for name in IN_ORDER[:2]:
                status, ack = post_xml(http_port, fixture(name))
                check(status == 200, "%s: HTTP %d: %s" % (name, status, ack))
                check(re.search(r"<MSA\.1>AA</MSA\.1>", ack), "%s: no AA in the ACK:\n%s"
                      % (name, ack))
            # The corrected result through the drop folder, written as an export writes it.
            temporary = os.path.join(folder, "drop", ".ketqua.tmp")
            with open(temporary, "wb") as f:
                f.write(fixture(IN_ORDER[2]))
            e2e.wait_until_processed(folder, 2)
            os.rename(temporary, os.path.join(folder, "drop", "ketqua-hieu-chinh.xml"))
            e2e.wait_until_processed(folder, 3)
            check(os.path.exists(os.path.join(folder, "drop", "done", "ketqua-hieu-chinh.xml")),
                  "the dropped file is not in done/: %r" % os.listdir(os.path.join(folder, "drop")))

            status, ack = post_xml(http_port, fixture("ketqua-ma-la"))
            check(status == 200, "unknown code: HTTP %d: %s" % (status, ack))
            status, answer = post_xml(http_port, b"<KetQuaXetNghiem><BenhNhan></KetQuaXetNghiem>")
            check(400 <= status < 500, "malformed XML: HTTP %d, expected 4xx: %s" % (status, answer))
            e2e.wait_until_processed(folder, 5)
            engine.stop()

        rows = e2e.query(folder, "SELECT id, status, message_type, error, source FROM"
                                 " hisbridge_messages ORDER BY id")
        statuses = [r[1] for r in rows]
        check(statuses == ["processed", "processed", "processed", "error", "rejected"],
              "journal statuses: %r" % rows)
        check(all(r[2] == "KetQuaXetNghiem" for r in rows[:4]), "message types: %r" % rows)
        check("lookup table" in rows[3][3], "the unknown code's reason: %r" % rows[3][3])
        check(rows[2][4] == "drop", "the corrected file's source: %r" % rows[2][4])
        # query() reads through a view that gives each row's bytes as received.
        raw = e2e.query(folder, "SELECT raw FROM hisbridge_messages WHERE id = 1")[0][0]
        check(raw == fixture(IN_ORDER[0]),
              "the journal does not hold the first file's bytes as sent")

        fields = compare(os.path.join(folder, "var", "his.db"), expected_state(repo))
        print("e2e_vendor_xml: 2 files over HTTP (AA, XML ACK), 1 through the drop folder, "
              "1 unknown code marked error, 1 malformed answered 4xx and rejected; "
              "%d HIS fields compared, 0 mismatches" % fields)


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
