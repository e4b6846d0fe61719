#!/usr/bin/python3
"""End to end over real sockets, with an independent sender: python-hl7's MLLP client.

    e2e_independent_client.py HISBRIDGE FIXTURES [CORPUS]

Starts `hisbridge serve` in a temporary folder with an MLLP, an HTTP and a drop folder
listener on free loopback ports, then sends every `*.hl7` file under FIXTURES (and under
CORPUS, the shared samples, when that folder exists):

  - a file python-hl7's `mllp_send --loose` reads as the sender meant (it starts with
    `MSH|^~\\&|` and holds only segment lines) goes through the `mllp_send` console entry
    point, run as a process of its own;
  - any other file (batch envelopes, comments, other delimiters) is split into its messages
    here and each is sent with `hl7.client.MLLPClient`.

Checks: every ACK reads MSA-1 AA or CA and MSA-2 = the message's MSH-10 (read both with
python-hl7 and with this script's own reader); the journal (var/hisbridge.db, read with
sqlite3) holds every message in the order sent, byte for byte as the client put it on the
wire (mllp_send turns CRLF and LF into CR and strips the end: the comparison is with that);
processing marks the first message of each (sending application, facility, MSH-10) and
bytes `processed` and every later one with the same key and bytes `duplicate` of it; one with
the same key and other bytes is a new message, `processed`, and counted in
hisbridge_messages_control_id_reused_total. One ER7 message and one HL7 v2.xml
message (the XML twin of a fixture) POSTed to `/ingest/<listener>`, and one file dropped into
the drop folder (written under a temporary name, then renamed), are stored as sent and
processed too. The engine then exits 0 on SIGTERM, and its
log holds none of the patient ids sent.

Exit status: 0 passed, 1 failed, 77 skipped (python-hl7 is not installed).
"""

import io
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import e2e_support as e2e
from e2e_support import check

try:
    import hl7
    import hl7.client
except ImportError:  # pragma: no cover - depends on the machine
    hl7 = None

LINE_END = re.compile(rb"\r\n|\r|\n")
ENVELOPE_IDS = (b"FHS", b"BHS", b"BTS", b"FTS")
SEGMENT_LINE = re.compile(rb"[A-Z][A-Z0-9]{2}\|")
MSH_LINE = re.compile(rb"MSH[^A-Za-z0-9\s]")

HTTP_MESSAGE = (
    b"MSH|^~\\&|LIS|BV_E2E|HIS|BV_E2E|20260305081500+0700||ORU^R01^ORU_R01|E2E-HTTP-0001|P|"
    b"2.5.1|||AL|NE|VNM|UNICODE UTF-8\r"
    b"PID|1||E2EHTTP0001^^^BV_E2E^MR||Tr\xe1\xba\xa7n^V\xc4\x83n B\xc3\xacnh||19700101|M\r"
    b"OBR|1|HIS-9001|LIS-9001|GLU^Glucose m\xc3\xa1u^L|||20260305070000+0700\r"
    b"OBX|1|NM|GLU^Glucose m\xc3\xa1u^L||5.4|mmol/L|3.9-6.4|N|||F\r"
)
DROP_MESSAGE = (
    b"MSH|^~\\&|RIS|BV_E2E|HIS|BV_E2E|20260305091500+0700||ORU^R01^ORU_R01|E2E-DROP-0001|P|"
    b"2.5.1\r"
    b"PID|1||E2EDROP0001^^^BV_E2E^MR||Ph\xe1\xba\xa1m^Th\xe1\xbb\x8b Lan||19850202|F\r"
    b"OBR|1|HIS-9002|RIS-9002|CT01^CT ng\xe1\xbb\xb1c^L|||20260305080000+0700\r"
    b"OBX|1|TX|FIND^Findings^L||"
    b"Kh\xc3\xb4ng th\xe1\xba\xa5y t\xe1\xbb\x95n th\xc6\xb0\xc6\xa1ng.||||||F\r"
)


def hl7_files(root):
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        found += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".hl7")]
    return found


def loose_readable(data):
    """True when `mllp_send --loose` splits `data` into exactly the messages it holds."""
    if not data.startswith(b"MSH|^~\\&|"):
        return False
    lines = LINE_END.split(data.rstrip(b"\r\n"))
    return all(SEGMENT_LINE.match(line) and line[:3] not in ENVELOPE_IDS for line in lines)


def split_messages(data):
    """Messages of a file that mllp_send cannot take: each from its MSH line to a blank line,
    an envelope line (FHS, BHS, BTS, FTS), the next MSH or the end; other lines outside a
    message (comments) are dropped. Segments are sent ending in CR, as HL7 wants."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    messages, current = [], None
    for line in LINE_END.split(data):
        if MSH_LINE.match(line):
            current = [line]
            messages.append(current)
        elif not line.strip() or line[:3] in ENVELOPE_IDS:
            current = None
        elif current is not None:
            current.append(line)
    return [b"".join(s + b"\r" for s in m) for m in messages]


class Sent:
    def __init__(self, origin, message, ack_raw):
        self.origin = origin
        self.message = message
        self.ack_raw = ack_raw


def check_ack(origin, message, ack_raw):
    """Reads the ACK with python-hl7 and with e2e_support.Ack; both must agree."""
    mine = e2e.Ack(ack_raw)
    theirs = hl7.parse(ack_raw.decode("utf-8", "replace"))
    msa = theirs.segment("MSA")
    check(str(msa[1]) == mine.code, "%s: python-hl7 reads MSA-1 %r, we read %r"
          % (origin, str(msa[1]), mine.code))
    control_id = e2e.msh_field(message, 10)
    check(mine.positive, "%s: MSA-1 is %s, not AA/CA: %r" % (origin, mine.code, ack_raw))
    check(mine.control_id == control_id and str(msa[2]).encode() == control_id,
          "%s: MSA-2 %r does not echo MSH-10 %r" % (origin, mine.control_id, control_id))
    check(not mine.errors, "%s: a positive ACK with ERR: %r" % (origin, ack_raw))


def mllp_send_command():
    script = shutil.which("mllp_send") or "/usr/bin/mllp_send"
    if os.path.isfile(script):
        return [sys.executable, script]
    return [sys.executable, "-c", "import sys; from hl7.client import mllp_send; "
                                  "sys.argv[0] = 'mllp_send'; mllp_send()"]


def send_with_mllp_send(path, port):
    """The console tool, a process of its own; returns (message, ACK) pairs."""
    with open(path, "rb") as f:
        messages = list(hl7.client.read_loose(io.BytesIO(f.read())))
    run = subprocess.run(mllp_send_command() + ["--loose", "--file", path, "--port", str(port),
                                                e2e.HOST],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    check(run.returncode == 0, "mllp_send %s exited %d: %s"
          % (path, run.returncode, run.stderr.decode("utf-8", "replace")))
    acks = re.findall(rb"\x0b(.*?)\x1c\r", run.stdout, re.S)
    check(len(acks) == len(messages), "mllp_send %s: %d messages, %d ACKs: %r"
          % (path, len(messages), len(acks), run.stdout[:500]))
    return list(zip(messages, acks))


def send_with_client(path, port):
    """hl7.client.MLLPClient in this process, one message at a time."""
    with open(path, "rb") as f:
        messages = split_messages(f.read())
    check(messages, "%s: no message found" % path)
    pairs = []
    with hl7.client.MLLPClient(e2e.HOST, port) as client:
        client.socket.settimeout(10)
        for message in messages:
            ack = client.send_message(message)
            # The client takes one recv(); an ACK is one small write, but read on if it split.
            while not ack.endswith(e2e.EB + e2e.CR):
                more = client.socket.recv(4096)
                check(more, "%s: the connection closed inside an ACK" % path)
                ack += more
            pairs.append((message, ack.strip(e2e.SB + e2e.EB + e2e.CR)))
    return pairs


def post_http(port, listener, body, content_type):
    request = urllib.request.Request(
        "http://%s:%d/ingest/%s" % (e2e.HOST, port, listener), data=body, method="POST",
        headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_v2xml(port, fixtures, expected):
    """POSTs an HL7 v2.xml message (the XML twin of a fixture): answered 200 with a v2.xml ACK
    whose MSA.1 is AA/CA and MSA.2 the message's MSH.10; stored as the bytes sent."""
    path = os.path.join(fixtures, "xml", "oru_r01_vi.xml")
    if not os.path.isfile(path):
        return "not sent (no fixture)"
    with open(path, "rb") as f:
        body = f.read()
    status, answer = post_http(port, "web", body, "application/xml")
    code = re.search(rb"<MSA\.1>([A-Z]{2})</MSA\.1>", answer)
    echoed = re.search(rb"<MSA\.2>([^<]*)</MSA\.2>", answer)
    control_id = re.search(rb"<MSH\.10>([^<]*)</MSH\.10>", body).group(1)
    check(status == 200 and code and code.group(1) in (b"AA", b"CA"),
          "POST v2.xml: HTTP %d: %r" % (status, answer[:400]))
    check(echoed and echoed.group(1) == control_id,
          "POST v2.xml: MSA.2 does not echo MSH.10 %r: %r" % (control_id, answer[:400]))
    expected.append(("web", body))
    return "accepted (%s)" % code.group(1).decode()


def drop_file(folder, name, body):
    """As an export does it: written under a temporary name, then renamed."""
    temporary = os.path.join(folder, name + ".part")
    with open(temporary, "wb") as f:
        f.write(body)
    os.rename(temporary, os.path.join(folder, name))



def check_journal(folder, expected):
    """`expected`: (source, raw) in the order sent. Rows must match them one for one."""
    rows = e2e.query(folder, "SELECT id, source, control_id, sending_application,"
                             " sending_facility, status, duplicate_of, raw"
                             " FROM hisbridge_messages ORDER BY id")
    check(len(rows) == len(expected), "the journal holds %d rows, %d messages were sent"
          % (len(rows), len(expected)))
    first_of = {}       # key: the first row stored under it
    same_bytes_of = {}  # (key, bytes): the first row stored with them
    counts = {"processed": 0, "duplicate": 0, "reused": 0}
    for row, (source, raw) in zip(rows, expected):
        rid, rsource, control_id, application, facility, status, duplicate_of, rraw = row
        check(rsource == source and bytes(rraw) == raw,
              "row %d (%s) is not the message sent (%s): %r != %r"
              % (rid, rsource, source, bytes(rraw)[:120], raw[:120]))
        if not raw.lstrip().startswith(b"<"):
            check(control_id.encode() == e2e.msh_field(raw, 10),
                  "row %d: control_id %r, MSH-10 %r" % (rid, control_id, e2e.msh_field(raw, 10)))
        key = (application, facility, control_id)
        # Without a control id nothing is a repeat: every message is new.
        original = same_bytes_of.get((key, bytes(rraw))) if control_id else None
        if original is None:
            # New bytes: a new message, even under a key seen before (fixtures of different
            # files reuse control ids, as a sender whose counter restarted does).
            check(status == "processed" and duplicate_of == 0,
                  "row %d %r: status %s (duplicate_of %d), expected processed"
                  % (rid, key, status, duplicate_of))
            counts["reused"] += 1 if control_id and key in first_of else 0
            first_of.setdefault(key, rid)
            same_bytes_of[(key, bytes(rraw))] = rid
        else:
            check(status == "duplicate" and duplicate_of == original,
                  "row %d %r repeats row %d byte for byte: status %s, duplicate_of %d, "
                  "expected duplicate" % (rid, key, original, status, duplicate_of))
        counts[status] += 1
    return counts


def patient_ids(message):
    """PID-3's first component of each repetition: what must never reach the log."""
    ids = []
    for segment in e2e.segments(message):
        if segment.startswith(b"PID"):
            fields = segment.split(segment[3:4])
            separators = e2e.msh_field(message, 2)
            component, repetition = separators[0:1], separators[1:2]
            if len(fields) > 3:
                for rep in fields[3].split(repetition):
                    value = rep.split(component)[0]
                    if len(value) >= 4:
                        ids.append(value.decode("latin-1"))
    return ids


def main():
    binary = e2e.binary_from_argv()
    fixtures = sys.argv[2] if len(sys.argv) > 2 else ""
    roots = [p for p in sys.argv[2:] if os.path.isdir(p)]
    for p in sys.argv[2:]:
        if not os.path.isdir(p):
            print("note: %s does not exist; skipped" % p)
    files = [f for root in roots for f in hl7_files(root)]
    check(files, "no *.hl7 file under %s" % sys.argv[2:])
    e2e.watchdog(55)
    with e2e.temp_folder("hisbridge-e2e-client-") as folder, e2e.Engine(binary, folder) as engine:
        mllp_port, http_port, admin_port = e2e.free_ports(3)
        os.mkdir(os.path.join(folder, "drop"))
        e2e.write_config(folder, e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": mllp_port},
            {"name": "web", "type": "http", "host": e2e.HOST, "port": http_port},
            {"name": "drop", "type": "file", "folder": "drop", "poll_interval": "100ms"},
        ]))
        engine.start()

        expected, by_tool = [], {"mllp_send": 0, "MLLPClient": 0}
        for path in files:
            with open(path, "rb") as f:
                readable = loose_readable(f.read())
            tool = "mllp_send" if readable else "MLLPClient"
            pairs = (send_with_mllp_send if readable else send_with_client)(path, mllp_port)
            for i, (message, ack) in enumerate(pairs, start=1):
                check_ack("%s #%d (%s)" % (os.path.basename(path), i, tool), message, ack)
                expected.append(("lis", message))
            by_tool[tool] += len(pairs)

        status, body = post_http(http_port, "web", HTTP_MESSAGE, "x-application/hl7-v2+er7")
        check(status == 200, "POST /ingest/web: HTTP %d: %r" % (status, body[:300]))
        check_ack("POST /ingest/web", HTTP_MESSAGE, body)
        expected.append(("web", HTTP_MESSAGE))
        xml_outcome = post_v2xml(http_port, fixtures, expected)

        drop_file(os.path.join(folder, "drop"), "e2e-drop-0001.hl7", DROP_MESSAGE)
        done = os.path.join(folder, "drop", "done", "e2e-drop-0001.hl7")
        e2e.wait_for("the dropped file moved to drop/done/", lambda: os.path.exists(done), 15.0)
        expected.append(("drop", DROP_MESSAGE))

        e2e.wait_until_processed(folder, len(expected))
        counts = check_journal(folder, expected)
        reused = sum(float(l.rsplit(" ", 1)[1]) for l in e2e.metrics_text(admin_port).splitlines()
                     if l.startswith("hisbridge_messages_control_id_reused_total{"))
        check(reused == counts["reused"], "hisbridge_messages_control_id_reused_total %s, the "
              "journal shows %d" % (reused, counts["reused"]))
        check(counts["reused"] == 0 or "the sender reuses its control ids" in engine.log_text(),
              "no warning for the reused control ids")
        engine.stop()

        log = engine.all_logs()
        leaked = sorted({pid for _, m in expected if not m.startswith(b"<")
                         for pid in patient_ids(m) if pid in log})
        check(not leaked, "patient ids in the engine log: %s" % leaked)

        print("e2e_independent_client: %d files, %d messages over MLLP (%d by mllp_send, %d by "
              "MLLPClient), 2 over HTTP (ER7; v2.xml: %s), 1 by drop folder; all acknowledged "
              "AA/CA; journal: %d processed (%d of them under a reused control id), %d "
              "duplicate, byte-identical"
              % (len(files), by_tool["mllp_send"] + by_tool["MLLPClient"], by_tool["mllp_send"],
                 by_tool["MLLPClient"], xml_outcome, counts["processed"], counts["reused"],
                 counts["duplicate"]))


if __name__ == "__main__":
    if hl7 is None:
        print("skipped: python-hl7 (Debian python3-hl7) is not installed")
        sys.exit(e2e.EXIT_SKIP)
    sys.exit(e2e.run_main(main))
