#!/usr/bin/python3
"""No patient data in the engine's log: every name, id, birth date and observation value the
messages carry is looked for in everything the engine wrote.

    e2e_phi_log_scan.py HISBRIDGE ROOT [SAMPLES]

ROOT is the repository (tests/fixtures, mappings); SAMPLES the shared sample messages (their
corpus/ and fhir-converter/hl7v2/; the test goes on without them when the folder is absent).

`hisbridge serve` runs in a temporary folder set up as the stock configuration is (LIS and RIS
MLLP listeners with the stock mappings into the SQLite HIS, log.show_patient_data false), plus
an HTTP ingest listener `web` mapped with the LIS mapping, at log level debug: the most the
engine ever writes, and patient data must stay out of it at every level. Into it go:

  - over MLLP, every sample message (RIS ones to the RIS listener) and the repository's
    fixtures with Vietnamese names (the stock mappings' fixtures, the CP1258 and TCVN 5712
    messages, the escapes message), each on a connection of its own;
  - over HTTP, three fixtures as ER7 and one as HL7 v2.xml;
  - a message that cannot be read (segments without MSH, carrying a patient), over MLLP and
    over HTTP, and one with an unknown MSH-18 character set;
  - a message the LIS mapping fails on: its birth date is not a date;
  - through the admin API, a look at the failed message, and a reprocess of it and of a
    processed result.
Once every message is processed, the engine is stopped and its whole output (stdout and
stderr) is scanned for each message's patient names (PID-5: family, given and middle names of
three letters or more, and the whole name in Vietnamese order), ids (PID-2, PID-3, PID-4,
PID-19: CX-1 of four characters or more), birth date (PID-7, as sent and as an ISO date) and
observation values (OBX-5: each repetition's components and each line of the decoded value;
values shorter than four characters and plain numbers shorter than six are left out, since
"7.8" or "138" would be found in times and counts, not in patient data). The values are read
with the engine's own `hisbridge parse --json` (decoded from the message's character set) and,
for the names, also as the raw bytes the message carried. Any hit fails the test, listed with
the log line it is in.

Then the engine starts once more with "show_patient_data": true: it must warn loudly about it
before it is ready, and, as a control that the scan finds what it looks for, the unmappable
message sent again must now show in the log (its mapping failure's reason quotes the birth
date).

Exit status: 0 passed, 1 failed.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import e2e_support as e2e
from e2e_support import check

LINE_END = re.compile(rb"\r\n|\r|\n")
PLAIN_NUMBER = re.compile(r"[-+<>=]?\d+([.,]\d+)?")
BOM = b"\xef\xbb\xbf"
FIXTURES = ["tests/fixtures/mapping/lis", "tests/fixtures/mapping/ris",
            "tests/fixtures/hl7/charset/oru-r01-vi-cp1258.hl7",
            "tests/fixtures/hl7/charset/oru-r01-vi-tcvn5712.hl7",
            "tests/fixtures/hl7/er7/oru-r01-vi-escapes.hl7"]
HTTP_FIXTURES = ["tests/fixtures/mapping/lis/oru-r01-hoa-escapes.hl7",
                 "tests/fixtures/mapping/lis/oul-r22-two-specimens.hl7",
                 "tests/fixtures/mapping/lis/adt-a04-no-pv1-44.hl7"]
V2XML = "tests/fixtures/hl7/xml/oru_r01_vi.xml"  # its ER7 twin is oru_r01_vi.hl7 beside it
WARNING = "PATIENT DATA IN LOGS"

# Messages of the test's own, each with a patient: one without MSH (cannot be read), one with a
# character set nobody knows, one whose birth date is not a date (the LIS mapping fails on it).
UNREADABLE = ("PID|1||BN-UNREAD-4471^^^BV^MR||Quàng^Pao^Thị||19761104|F\r"
              "OBX|1|ST|GHI^Ghi chú||Bệnh nhân khó lấy ven tay trái||||||F\r").encode("utf-8")
BAD_CHARSET = ("MSH|^~\\&|LIS_SL|BVDK_SONLA|HIS_VNPT|BVDK_SONLA|20260305081500+0700||"
               "ORU^R01^ORU_R01|PHI-CHARSET-1|P|2.5.1|||AL|NE|VNM|NO-SUCH-SET\r"
               "PID|1||BN-CHARSET-5582^^^BV^MR||Mùa^Dính^A||19820519|M\r"
               "OBX|1|ST|GHI^Ghi chú||Dị ứng penicillin từ năm 2019||||||F\r").encode("utf-8")
UNMAPPABLE = ("MSH|^~\\&|LIS_SL|BVDK_SONLA|HIS_VNPT|BVDK_SONLA|20260305081500+0700||"
              "ORU^R01^ORU_R01|PHI-MAPFAIL-1|P|2.5.1|||AL|NE|VNM|UNICODE UTF-8\r"
              "PID|1||BN-MAPFAIL-6693^^^BV^MR||Hoàng^Yến^Thị||19770231|F\r"
              "PV1|1|O|KKB^P105^01^BV||||||||||||||||KB-MAPFAIL-01^^^BV^VN\r"
              "ORC|RE|XN-MAPFAIL-01^HIS||||CM||||20260305071000+0700\r"
              "OBR|1|XN-MAPFAIL-01^HIS||GLU^Glucose máu^L|||20260305073000+0700|||||||"
              "20260305074500+0700||||||||20260305081200+0700|||F\r"
              "OBX|1|NM|GLU^Glucose máu^L||16.42|mmol/L|3.9-6.4|H|||F|||20260305080500+0700\r"
              "OBX|2|ST|NOTE^Ghi chú^L||Đường huyết rất cao, báo bác sĩ trực||||||F\r"
              ).encode("utf-8")


# ---------------------------------------------------------------- messages and their data

class Message:
    """One message sent: its bytes as sent (segments ended by CR), where it goes, and the
    patient data it carries as (what, value) pairs."""

    def __init__(self, name, raw, route):
        self.name = name
        self.raw = raw
        self.route = route
        self.markers = []
        self.raw_markers = []


def normalised(data):
    data = data[len(BOM):] if data.startswith(BOM) else data
    return b"".join(line + b"\r" for line in LINE_END.split(data) if line)


def route_of(raw):
    """RIS messages to the RIS listener (their sending or receiving application says RIS)."""
    if not raw.startswith(b"MSH"):
        return "lis"
    apps = e2e.msh_field(raw, 3) + b" " + e2e.msh_field(raw, 5)
    return "ris" if b"RIS" in apps.upper() else "lis"


def collect(root, samples):
    paths = []
    for folder in ("corpus", os.path.join("fhir-converter", "hl7v2")):
        path = os.path.join(samples, folder) if samples else None
        if path and os.path.isdir(path):
            paths += [os.path.join(path, n) for n in sorted(os.listdir(path))
                      if n.endswith(".hl7")]
    for entry in FIXTURES:
        path = os.path.join(root, entry)
        paths += ([os.path.join(path, n) for n in sorted(os.listdir(path)) if n.endswith(".hl7")]
                  if os.path.isdir(path) else [path])
    messages = []
    for number, path in enumerate(paths, 1):
        with open(path, "rb") as f:
            raw = unique(normalised(f.read()), number)
        name = os.path.relpath(path, samples if samples and path.startswith(samples) else root)
        messages.append(Message(name, raw, route_of(raw)))
    return messages


def unique(raw, number):
    """The message with MSH-10 + "-P<number>": samples share control ids, and a duplicate
    would be journalled without being mapped, leaving the mapping's error paths untried."""
    if not raw.startswith(b"MSH") or len(raw) < 4:
        return raw
    separator = raw[3:4]
    msh, rest = raw.split(b"\r", 1)
    fields = msh.split(separator)
    if len(fields) > 9:
        fields[9] += b"-P%03d" % number  # fields[n - 1] is MSH-n
    return separator.join(fields) + b"\r" + rest


def long_enough(value):
    value = value.strip()
    if len(value) < 4:
        return False
    return not (PLAIN_NUMBER.fullmatch(value) and len(value) < 6)


def field(segment, number):
    return next((f for f in segment["fields"] if f["number"] == number), None)


def components(f):
    """Every component's text (its sub-components joined as sent) of every repetition."""
    if f is None:
        return []
    return ["&".join(sub for sub in component) for repetition in f["repetitions"]
            for component in repetition]


def patient_data(parsed):
    """(what, value) pairs of one parsed message (hisbridge parse --json)."""
    found = []
    for segment in parsed["segments"]:
        if segment["id"] == "PID":
            found += pid_data(segment)
        elif segment["id"] == "OBX":
            f = field(segment, 5)
            pieces = components(f) + (re.split(r"[\n~]", f["value"]) if f else [])
            found += [("OBX-5", p.strip()) for p in pieces if long_enough(p)]
    return found


def pid_data(segment):
    found = []
    names = field(segment, 5)
    for repetition in names["repetitions"] if names else []:
        parts = [(repetition[i][0] if i < len(repetition) and repetition[i] else "")
                 for i in range(3)]
        family, given, middle = parts
        found += [("PID-5", p) for p in parts if len(p) >= 3]
        whole = " ".join(p for p in (family, middle, given) if p)
        if whole.count(" ") >= 1:
            found.append(("PID-5", whole))
    for number in (2, 3, 4, 19):
        f = field(segment, number)
        for repetition in f["repetitions"] if f else []:
            if repetition and repetition[0] and len(repetition[0][0]) >= 4:
                found.append(("PID-%d" % number, repetition[0][0]))
    birth = field(segment, 7)
    if birth and re.match(r"\d{8}", birth["value"]):
        date = birth["value"][:8]
        found += [("PID-7", date), ("PID-7", "%s-%s-%s" % (date[:4], date[4:6], date[6:]))]
    return found


def raw_names(raw):
    """PID-5's names as the bytes the message carried (another character set than UTF-8
    shows in a log as those bytes)."""
    for segment in raw.split(b"\r"):
        if segment.startswith(b"PID") and len(segment) > 3:
            fields = segment.split(segment[3:4])
            if len(fields) > 5:
                return [n for n in re.split(rb"[\^~&]", fields[5]) if len(n) >= 3]
    return []


def read_markers(binary, folder, message, index):
    path = os.path.join(folder, "parse-%d.hl7" % index)
    with open(path, "wb") as f:
        f.write(message.raw)
    run = subprocess.run([binary, "parse", "--json", path], capture_output=True, timeout=30)
    if run.returncode == 0:
        for parsed in json.loads(run.stdout)["messages"]:
            message.markers += patient_data(parsed)
    else:
        # Not readable as HL7 (the test's own unreadable message): its PID read by hand.
        text = message.raw.decode("utf-8", "replace")
        pid = next((s for s in text.split("\r") if s.startswith("PID|")), "").split("|")
        message.markers += [("PID-5", n) for n in re.split(r"[\^~]", pid[5]) if len(n) >= 3] \
            if len(pid) > 5 else []
        message.markers += [("PID-3", pid[3].split("^")[0])] if len(pid) > 3 else []
        message.markers += [("PID-7", pid[7])] if len(pid) > 7 and pid[7] else []
    message.raw_markers = [n for n in raw_names(message.raw) if not n.isascii()]


# ---------------------------------------------------------------- the engine

def config(admin_port, ports, mappings, show_patient_data):
    listeners = [{"name": "lis", "type": "mllp", "host": e2e.HOST, "port": ports["lis"],
                  "max_frame_bytes": 16777216, "max_connections": 1000, "idle_timeout": "10m"},
                 {"name": "ris", "type": "mllp", "host": e2e.HOST, "port": ports["ris"],
                  "max_frame_bytes": 16777216, "max_connections": 1000, "idle_timeout": "10m"},
                 {"name": "web", "type": "http", "host": e2e.HOST, "port": ports["web"]}]
    conf = e2e.base_config(admin_port, listeners, log_level="debug")
    conf["log"]["show_patient_data"] = show_patient_data
    his = [{"name": "his", "type": "his-db"}]
    conf["channels"] = [
        {"name": "lis-inbound", "source": "lis",
         "mapping": os.path.join(mappings, "lis-stock.json"), "destinations": his},
        {"name": "ris-inbound", "source": "ris",
         "mapping": os.path.join(mappings, "ris-stock.json"), "destinations": his},
        {"name": "web-inbound", "source": "web",
         "mapping": os.path.join(mappings, "lis-stock.json"), "destinations": his}]
    return conf


def post(port, body, content_type):
    request = urllib.request.Request("http://%s:%d/ingest/web" % (e2e.HOST, port), data=body,
                                     method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def admin(port, method, path):
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def send_all(messages, ports):
    """Every message on its own connection; returns {ACK code: count}."""
    codes = {}
    for message in messages:
        with e2e.MllpConnection(ports[message.route]) as conn:
            conn.send_message(message.raw)
            raw = conn.read_frame()
        code = e2e.Ack(raw).code if raw is not None else "none"
        codes[code] = codes.get(code, 0) + 1
    return codes


def send_http(root, ports, messages):
    """The HTTP fixtures as ER7, the v2.xml one, and the unreadable message: the statuses."""
    statuses = []
    for entry in HTTP_FIXTURES:
        message = next(m for m in messages if m.name == entry)
        statuses.append(post(ports["web"], message.raw, "x-application/hl7-v2+er7"))
    with open(os.path.join(root, V2XML), "rb") as f:
        statuses.append(post(ports["web"], f.read(), "application/xml"))
    check(statuses == [200] * len(statuses), "HTTP ingest answered %s" % statuses)
    # Answered as the engine sees fit (a negative ACK); it is stored all the same.
    return statuses + [post(ports["web"], UNREADABLE, "x-application/hl7-v2+er7")]


def message_id(folder, control_id):
    rows = e2e.query(folder, "SELECT id, status FROM hisbridge_messages WHERE control_id = ?",
                     (control_id,))
    check(rows, "%s is not in the journal" % control_id)
    return rows[0]


def exercise_admin(folder, admin_port, processed_control_id):
    """A look at the failed message, then a reprocess of it and of a processed result."""
    failed, status = message_id(folder, "PHI-MAPFAIL-1")
    check(status == "error", "the unmappable message is %s, not error" % status)
    got, _ = admin(admin_port, "GET", "/api/v1/messages/%d" % failed)
    check(got == 200, "GET the failed message: %d" % got)
    for control_id in ("PHI-MAPFAIL-1", processed_control_id):
        number, _ = message_id(folder, control_id)
        got, body = admin(admin_port, "POST", "/api/v1/messages/%d/reprocess" % number)
        check(got == 202, "reprocess %s: %d %r" % (control_id, got, body[:200]))


def scan(log_bytes, messages):
    """Every hit of a message's patient data in the log: (message, what, value, line)."""
    text = log_bytes.decode("utf-8", "replace")
    lines = text.splitlines()
    raw_lines = log_bytes.split(b"\n")
    hits = []
    for message in messages:
        for what, value in set(message.markers):
            if value in text:
                line = next((l for l in lines if value in l), "")
                hits.append((message.name, what, value, line.strip()[:240]))
        for value in set(message.raw_markers):
            if value in log_bytes:
                line = next((l for l in raw_lines if value in l), b"")
                hits.append((message.name, "PID-5 bytes", value, line.strip()[:240]))
    return hits


def first_run(binary, root, messages, folder, engine):
    lis, ris, web, admin_port = e2e.free_ports(4)
    ports = {"lis": lis, "ris": ris, "web": web}
    e2e.write_config(folder, config(admin_port, ports, os.path.join(root, "mappings"), False))
    engine.start()
    own = [m for m in messages if m.name.startswith("own/")]
    codes = send_all([m for m in messages if not m.name.startswith("own/")], ports)
    codes_own = send_all(own, ports)
    statuses = send_http(root, ports, messages)
    print("MLLP ACK codes: %s; the test's own messages: %s; HTTP statuses %s"
          % (codes, codes_own, statuses))
    total = len(messages) + len(statuses)
    e2e.wait_until_processed(folder, total, timeout=60)
    processed = next(m for m in messages if m.name.endswith("oru-r01-hoa-escapes.hl7"))
    exercise_admin(folder, admin_port, e2e.msh_field(processed.raw, 10).decode())
    e2e.wait_until_processed(folder, total, timeout=60)
    counts = e2e.query(folder, "SELECT status, COUNT(*) FROM hisbridge_messages GROUP BY status")
    print("journal: %s" % dict(counts))
    engine.stop()


def second_run(binary, root, folder, engine, unmappable):
    """show_patient_data on: the warning before `ready`; and, as a control of the scan, the
    unmappable message again, whose mapping failure's reason (quoting the birth date that is
    not a date) may now be logged, and the scan must find it there."""
    lis, ris, web, admin_port = e2e.free_ports(4)
    ports = {"lis": lis, "ris": ris, "web": web}
    e2e.write_config(folder, config(admin_port, ports, os.path.join(root, "mappings"), True))
    engine.start()
    lines = engine.log_lines()
    ready = next(i for i, l in enumerate(lines) if l.endswith(" ready"))
    warned = [l for l in lines[:ready] if WARNING in l]
    check(warned, "no %r warning before `ready` with show_patient_data on; log:\n%s"
          % (WARNING, "\n".join(lines)))
    check(" warn" in warned[0] or "warning" in warned[0],
          "the show_patient_data notice is not a warning: %s" % warned[0])
    print("with show_patient_data: %s" % warned[0])
    control = Message("own/unmappable-shown", unique(UNMAPPABLE, 999), "lis")
    control.markers = unmappable.markers
    send_all([control], ports)
    control_id = e2e.msh_field(control.raw, 10).decode()
    e2e.wait_for("%s marked error" % control_id,
                 lambda: e2e.query(folder, "SELECT status FROM hisbridge_messages WHERE "
                                   "control_id = ?", (control_id,)) == [("error",)], 30)
    engine.stop()
    check(WARNING not in engine.log_text(1), "the warning was printed with show_patient_data off")
    with open(engine.log_path, "rb") as f:
        hits = scan(e2e.ANSI.sub(b"", f.read()), [control])
    check(hits, "with show_patient_data on, the scan found none of the unmappable message's "
          "data in the log: a mapping failure's reason is not logged, or the scan would miss it")
    print("control, show_patient_data on: %d hits, e.g. %s %r" % (len(hits), hits[0][1],
                                                                   hits[0][2]))


def main():
    e2e.watchdog(150)
    binary = e2e.binary_from_argv()
    check(len(sys.argv) >= 3, "usage: %s HISBRIDGE ROOT [SAMPLES]" % sys.argv[0])
    root = os.path.abspath(sys.argv[2])
    samples = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None
    messages = collect(root, samples)
    messages += [Message("own/unreadable", UNREADABLE, "lis"),
                 Message("own/bad-charset", BAD_CHARSET, "lis"),
                 Message("own/unmappable", UNMAPPABLE, "lis")]
    with e2e.temp_folder("hisbridge-e2e-phi-") as folder, e2e.Engine(binary, folder) as engine:
        for index, message in enumerate(messages):
            read_markers(binary, folder, message, index)
        values = [v for m in messages for _, v in m.markers]
        kinds = {}
        for m in messages:
            for what, _ in m.markers:
                kinds[what] = kinds.get(what, 0) + 1
        print("%d messages (%d samples), %d patient values to look for (%d distinct): %s"
              % (len(messages), sum(1 for m in messages if not m.name.startswith(("tests", "own"))),
                 len(values), len(set(values)), kinds))
        check(kinds.get("PID-5") and kinds.get("PID-3") and kinds.get("PID-7")
              and kinds.get("OBX-5"), "the messages gave no names, ids, birth dates or values")
        first_run(binary, root, messages, folder, engine)
        log_bytes = e2e.ANSI.sub(b"", open(engine.log_path, "rb").read())
        hits = scan(log_bytes, messages)
        print("engine log: %d bytes, %d lines scanned" % (len(log_bytes),
                                                           log_bytes.count(b"\n")))
        check(not hits, "%d patient values in the engine's log:\n  %s" % (
            len(hits), "\n  ".join("%s %s %r in: %s" % h for h in hits[:40])))
        second_run(binary, root, folder, engine,
                   next(m for m in messages if m.name == "own/unmappable"))


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
