#!/usr/bin/python3
"""Hot reload of a mapping in a running engine, end to end.

    e2e_mapping_reload.py HISBRIDGE MAPPINGS

Copies the stock LIS mapping (MAPPINGS/lis-stock.json and MAPPINGS/tables/) into a temporary
folder and runs `hisbridge serve` there with `"mapping_reload_interval": "200ms"`: one MLLP
listener whose channel maps with that copy into a his-db destination (var/his.db). Each step
edits the copy the way IT staff would (the new file written beside it, then renamed over it),
waits for the engine's log to say what it made of the change, sends one ORU^R01 for a new
order with python-hl7's MLLP client, and reads that order's his_order row:

  1. the stock mapping: department = PV1-3 (KSAN), service_name = OBR-4.2;
  2. a lookup table of departments is added (tables/khoa.csv) and the mapping's department
     goes through it: "reloaded", department K07;
  3. only the table changes (KSAN -> K19): "reloaded", department K19;
  4. a typo'd transform ("prefx") on service_name: "the change was refused" (once, with the
     file, line and did-you-mean), and the message still maps with version 3;
  5. the typo fixed: "reloaded", service_name gets its prefix.

The log lines are what is checked besides the rows (e2e_admin checks the same reloads through
/api/v1/channels).
Exit status: 0 passed, 1 failed, 77 skipped (python-hl7 is not installed).
"""

import contextlib
import os
import re
import shutil
import sqlite3
import sys
import time

import e2e_support as e2e
from e2e_support import check

try:
    import hl7
    import hl7.client
except ImportError:  # pragma: no cover - depends on the machine
    hl7 = None

MAPPING = os.path.join("mappings", "lis-stock.json")
RELOADED = re.compile(r"mapping .*lis-stock\.json: reloaded")
REFUSED = re.compile(r"mapping .*lis-stock\.json: the change was refused")
SERVICE_NAME = "Glucose máu"
# A distinct modification time for every write, whatever the file system's resolution.
_mtime = [time.time_ns()]


def segment(name, fields):
    """`fields`: {field number: value}; the segment with every field up to the last one."""
    last = max(fields)
    return name + "|" + "|".join(fields.get(n, "") for n in range(1, last + 1))


def message(step):
    order = "XN-RELOAD-%d" % step
    return "\r".join([
        "MSH|^~\\&|LIS_SL|BVDK_SONLA|HIS_VNPT|BVDK_SONLA|20260305081500+0700||ORU^R01^ORU_R01|"
        "RELOAD-%d|P|2.5|||AL|NE|VNM|UNICODE UTF-8" % step,
        segment("PID", {1: "1", 3: "SL26009001^^^BVDK_SONLA^MR", 5: "Nguyễn^An^Văn",
                        7: "19800101", 8: "M"}),
        segment("PV1", {1: "1", 2: "O", 3: "KSAN^P101^01^BVDK_SONLA",
                        19: "KB260305990%d^^^BVDK_SONLA^VN" % step}),
        segment("ORC", {1: "RE", 2: order + "^HIS_VNPT", 5: "CM", 9: "20260305070000+0700"}),
        segment("OBR", {1: "1", 2: order + "^HIS_VNPT", 4: "SH-GLU^%s^BYT_DVKT" % SERVICE_NAME,
                        7: "20260305071000+0700", 22: "20260305081000+0700", 25: "F"}),
        segment("OBX", {1: "1", 2: "NM", 3: "GLU^Glucose^L", 5: "5.4", 6: "mmol/L",
                        7: "3.9-6.4", 8: "N", 11: "F"}),
    ]).encode("utf-8") + b"\r"


def write(folder, name, text):
    """As an editor that saves safely does: a new file beside it, renamed over the old one."""
    path = os.path.join(folder, name)
    with open(path + ".new", "w", encoding="utf-8") as f:
        f.write(text)
    _mtime[0] += 1_000_000_000
    os.utime(path + ".new", ns=(_mtime[0], _mtime[0]))
    os.replace(path + ".new", path)


def read(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return f.read()


def edit(folder, name, *replacements):
    """Replaces every `old` of each (old, new) pair, in one write: the engine never sees half
    an edit. The stock mapping must still hold each `old`."""
    text = read(folder, name)
    for old, new in replacements:
        check(old in text, "%s no longer holds %r: the test's edit needs updating" % (name, old))
        text = text.replace(old, new)
    write(folder, name, text)


def count(engine, pattern):
    return sum(1 for line in engine.log_lines() if pattern.search(line))


def wait_for_count(engine, pattern, n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(engine, pattern) >= n:
            return
        time.sleep(0.02)
    raise e2e.TestFailure("%d log lines matching %r expected within %.0f s, found %d; log:\n%s"
                          % (n, pattern.pattern, timeout, count(engine, pattern),
                             engine.log_text()))


def send_and_read(engine, folder, port, step):
    """Sends the step's message; returns its order row once the message is processed."""
    with hl7.client.MLLPClient(e2e.HOST, port) as client:
        client.socket.settimeout(10)
        ack = client.send_message(message(step))
        while not ack.endswith(e2e.EB + e2e.CR):
            more = client.socket.recv(4096)
            check(more, "the connection closed inside an ACK")
            ack += more
    check(e2e.Ack(ack.strip(e2e.SB + e2e.EB + e2e.CR)).positive, "step %d: ACK %r" % (step, ack))
    e2e.wait_until_processed(folder, step)
    status = e2e.query(folder, "SELECT status, error FROM hisbridge_messages WHERE control_id = ?",
                       ("RELOAD-%d" % step,))
    check(status == [("processed", "")], "step %d: journal says %r; log:\n%s"
          % (step, status, engine.log_text()))
    his = os.path.join(folder, "var", "his.db")
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % his, uri=True)) as db:
        rows = db.execute("SELECT department, service_name FROM his_order WHERE order_no = ?",
                          ("XN-RELOAD-%d" % step,)).fetchall()
    check(len(rows) == 1, "step %d: %d his_order rows for XN-RELOAD-%d" % (step, len(rows), step))
    return rows[0]


def expect_row(got, department, service_name, step, what):
    check(got == (department, service_name),
          "step %d (%s): his_order has department %r, service_name %r; expected %r, %r"
          % (step, what, got[0], got[1], department, service_name))
    print("step %d: %s -> department %s, service_name %s" % (step, what, got[0], got[1]))


def main():
    binary = e2e.binary_from_argv()
    check(len(sys.argv) == 3, "usage: e2e_mapping_reload.py HISBRIDGE MAPPINGS")
    stock = os.path.abspath(sys.argv[2])
    e2e.watchdog(80)
    with e2e.temp_folder("hisbridge-e2e-reload-") as folder, e2e.Engine(binary, folder) as engine:
        os.makedirs(os.path.join(folder, "mappings"))
        shutil.copy(os.path.join(stock, "lis-stock.json"), os.path.join(folder, MAPPING))
        if os.path.isdir(os.path.join(stock, "tables")):
            shutil.copytree(os.path.join(stock, "tables"),
                            os.path.join(folder, "mappings", "tables"))
        else:
            os.makedirs(os.path.join(folder, "mappings", "tables"))
        port, admin_port = e2e.free_ports(2)
        config = e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": port}])
        config["mapping_reload_interval"] = "200ms"
        config["channels"] = [{"name": "lis-his", "source": "lis", "mapping": MAPPING,
                               "destinations": [{"name": "his", "type": "his-db"}]}]
        e2e.write_config(folder, config)
        engine.start()

        got = send_and_read(engine, folder, port, 1)
        expect_row(got, "KSAN", SERVICE_NAME, 1, "stock mapping")

        # The table first, then the mapping that names it.
        write(folder, "mappings/tables/khoa.csv",
              "# Mã khoa của LIS -> mã khoa của HIS\nma_khoa,ma_khoa_his\nKSAN,K07\n")
        edit(folder, MAPPING,
             ('"discipline": "LAB",',
              '"discipline": "LAB",\n  "tables": {"khoa": "tables/khoa.csv"},'),
             ('"department": {"coalesce": ["PV1-3.1.1", "ORC-17.1"]},',
              '"department": {"coalesce": ["PV1-3.1.1", "ORC-17.1"], "transform": '
              '[{"lookup": "khoa", "column": "ma_khoa_his", "missing": "keep"}]},'))
        wait_for_count(engine, RELOADED, 1)
        got = send_and_read(engine, folder, port, 2)
        expect_row(got, "K07", SERVICE_NAME, 2, "department through a new lookup table")

        write(folder, "mappings/tables/khoa.csv",
              "# Mã khoa của LIS -> mã khoa của HIS\nma_khoa,ma_khoa_his\nKSAN,K19\n")
        wait_for_count(engine, RELOADED, 2)
        got = send_and_read(engine, folder, port, 3)
        expect_row(got, "K19", SERVICE_NAME, 3, "lookup table edited")

        edit(folder, MAPPING,
             ('"service_name": "OBR-4.2",',
              '"service_name": {"path": "OBR-4.2", "transform": [{"prefx": "XN: "}]},'))
        wait_for_count(engine, REFUSED, 1)
        refusal = next(line for line in engine.log_lines() if REFUSED.search(line))
        check(re.search(r"lis-stock\.json:\d+:\d+: ", refusal) and "prefix" in refusal,
              "the refusal does not name the place and the transform meant: %s" % refusal)
        got = send_and_read(engine, folder, port, 4)
        expect_row(got, "K19", SERVICE_NAME, 4, "typo refused, version 3 still runs")
        time.sleep(1.0)  # five polls: the same broken file must not be reported again
        check(count(engine, REFUSED) == 1 and count(engine, RELOADED) == 2,
              "after the refusal: %d refusals, %d reloads logged; log:\n%s"
              % (count(engine, REFUSED), count(engine, RELOADED), engine.log_text()))

        edit(folder, MAPPING, ('"prefx"', '"prefix"'))
        wait_for_count(engine, RELOADED, 3)
        got = send_and_read(engine, folder, port, 5)
        expect_row(got, "K19", "XN: " + SERVICE_NAME, 5, "typo fixed")

        engine.stop()
        print("e2e_mapping_reload: 5 messages, 3 reloads (mapping + new table, table only, "
              "fix) and 1 refused change logged; each message mapped with the version then "
              "running")


if __name__ == "__main__":
    if hl7 is None:
        print("skipped: python-hl7 (Debian python3-hl7) is not installed")
        sys.exit(e2e.EXIT_SKIP)
    sys.exit(e2e.run_main(main))
