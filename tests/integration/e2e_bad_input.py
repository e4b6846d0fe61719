#!/usr/bin/python3
"""Bad input over raw MLLP sockets: each case gets its NAK or a clean close, is counted, and
the engine keeps serving other connections.

    e2e_bad_input.py HISBRIDGE

The engine runs with max_frame_bytes 4096 and log level debug (the most it ever writes).
Each case has a connection of its own, and after each a normal message on another connection
must still be answered AA/CA:

  case                              outcome checked
  truncated frame, then half-close  no answer, the engine closes; log: peer closed mid-frame
                                    (while the half frame waits, another connection is served)
  truncated frame, then reset       log: peer closed mid-frame
  frame over max_frame_bytes        AR with ERR (207), then the engine closes; log: exceeded
  garbage between frames            both messages answered in order; log: bytes ignored
  binary junk between frames        both messages answered in order; log: bytes ignored
  junk holding a start block        the next frame answered; log: unfinished frame dropped
  non-HL7 payload (text, JSON)      AR with ERR, connection still usable; stored rejected
  empty frame                       AR with ERR; stored rejected
  MSH-18 `NO-SUCH-SET`, MSH-15 AL   CR with ERR, MSA-2 = MSH-10; stored rejected

Rejected messages are stored with status `rejected` and exactly the bytes sent, and the
journal's per-status count (hisbridge_counts) agrees; nothing of a truncated or oversize
frame is stored; good messages are processed. The log names every event and holds none of
the patient names or ids the messages carry (log.show_patient_data is false). The engine
exits 0 on SIGTERM at the end.

Exit status: 0 passed, 1 failed.
"""

import random
import re
import socket
import struct
import sys

import e2e_support as e2e
from e2e_support import check

MAX_FRAME = 4096
# Patient data in the messages; none of it may reach the log.
FAMILY_NAMES = ["Quynhbadtest", "Zarkovbadtest", "Hoangbadtest", "Ostrobadtest"]


class Messages:
    """Good-looking ORU^R01 messages, each with its own control id and patient."""

    def __init__(self):
        self.count = 0
        self.patient_markers = []

    def make(self, tag, charset=b"UNICODE UTF-8", enhanced=True, filler=0):
        self.count += 1
        control_id = b"E2E-%s-%04d" % (tag, self.count)
        patient_id = b"BADPID%06d" % (7310 + self.count)
        family = FAMILY_NAMES[self.count % len(FAMILY_NAMES)].encode()
        self.patient_markers += [patient_id.decode(), family.decode()]
        acks = b"AL|NE" if enhanced else b"|"
        text = b"X" * filler
        return control_id, (
            b"MSH|^~\\&|LIS|BV_E2E|HIS|BV_E2E|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5.1|||"
            b"%s|VNM|%s\r"
            b"PID|1||%s^^^BV_E2E^MR||%s^Van An||19700101|M\r"
            b"OBR|1|HIS-1|LIS-1|GLU^Glucose^L|||20260305070000+0700\r"
            b"OBX|1|NM|GLU^Glucose^L||6.1|mmol/L|3.9-6.4|N|||F\r"
            b"NTE|1||%s\r" % (control_id, acks, charset, patient_id, family, text)
        )


class Run:
    def __init__(self, engine, port, folder):
        self.engine = engine
        self.port = port
        self.folder = folder
        self.messages = Messages()
        self.good = []  # (control id, raw) answered AA/CA
        self.rejected = []  # raw bytes answered AR/CR
        self.never_stored = []  # control ids of frames that must leave no row
        self.cases = []

    def serve_check(self, after):
        """A normal message on a new connection is still answered positively."""
        control_id, raw = self.messages.make(b"OK")
        ack = e2e.exchange(self.port, raw)
        check(ack.positive and ack.control_id == control_id,
              "after %s, a normal message got %r" % (after, ack))
        self.good.append((control_id, raw))

    def expect_positive(self, conn, control_id, raw, what):
        ack = conn.read_ack()
        check(ack.positive and ack.control_id == control_id and not ack.errors,
              "%s: %r answered %r" % (what, control_id, ack))
        self.good.append((control_id, raw))

    def expect_log(self, pattern, what):
        self.engine.wait_for_log(pattern)
        self.cases.append(what)

    def truncated_then_half_close(self):
        control_id, raw = self.messages.make(b"TRUNC")
        sent = raw[: len(raw) * 3 // 5]
        with e2e.MllpConnection(self.port) as conn:
            conn.send(e2e.SB + sent)
            peer = local_peer(conn)
            self.serve_check("a half frame still open on another connection")
            conn.sock.shutdown(socket.SHUT_WR)
            rest = conn.read_until_closed()
            check(rest == b"", "a truncated frame was answered: %r" % rest)
        self.never_stored.append(control_id)
        self.expect_log(r"mllp lis: %s: the peer closed in the middle of a frame \(%d bytes "
                        r"dropped\)" % (re.escape(peer), len(sent)), "truncated frame, half-close")
        self.serve_check("a truncated frame")

    def truncated_then_reset(self):
        control_id, raw = self.messages.make(b"TRUNC")
        sent = raw[: len(raw) // 2]
        conn = e2e.MllpConnection(self.port)
        # The bytes before the frame make the engine log (at debug) that it has read them: a
        # reset that overtook them would leave the engine nothing to drop.
        conn.send(b"ping" + e2e.SB + sent)
        peer = local_peer(conn)
        self.engine.wait_for_log(r"mllp lis: %s: 4 bytes outside any frame ignored"
                                 % re.escape(peer))
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # with linger 0: a reset, not a close
        self.never_stored.append(control_id)
        self.expect_log(r"mllp lis: %s: the peer closed in the middle of a frame \(%d bytes "
                        r"dropped\)" % (re.escape(peer), len(sent)), "truncated frame, reset")
        self.serve_check("a reset in the middle of a frame")

    def oversize_frame(self):
        control_id, raw = self.messages.make(b"BIG", filler=MAX_FRAME + 500)
        check(len(raw) > MAX_FRAME, "the oversize message is not over the limit")
        with e2e.MllpConnection(self.port) as conn:
            conn.send_message(raw)
            peer = local_peer(conn)
            got = conn.read_until_closed()
        frames = re.findall(rb"\x0b(.*?)\x1c\r", got, re.S)
        check(len(frames) == 1, "an oversize frame: expected one AR then the close, got %r"
              % got[:300])
        ack = e2e.Ack(frames[0])
        check(ack.code == "AR" and ack.errors and b"207" in ack.errors[0]
              and b"exceeded %d bytes" % MAX_FRAME in ack.errors[0],
              "an oversize frame was answered %r: %r" % (ack, frames[0]))
        self.never_stored.append(control_id)
        self.expect_log(r"mllp lis: %s: a frame exceeded %d bytes; answering AR and closing"
                        % (re.escape(peer), MAX_FRAME), "frame over max_frame_bytes")
        self.serve_check("an oversize frame")

    def noise_between_frames(self, what, noise, log_pattern):
        first_id, first = self.messages.make(b"NOISE")
        second_id, second = self.messages.make(b"NOISE")
        with e2e.MllpConnection(self.port) as conn:
            peer = local_peer(conn)
            conn.send(noise + e2e.frame(first) + noise + e2e.frame(second))
            self.expect_positive(conn, first_id, first, what)
            self.expect_positive(conn, second_id, second, what)
        self.expect_log(log_pattern(re.escape(peer)), what)
        self.serve_check(what)

    def garbage_between_frames(self):
        garbage = b"-- garbage between frames --\r\n"
        self.noise_between_frames(
            "garbage between frames", garbage,
            lambda peer: r"mllp lis: %s: closed; %d bytes outside any frame were ignored"
                         % (peer, 2 * len(garbage)))

    def binary_junk_between_frames(self):
        rng = random.Random(2575)
        junk = bytes(b for b in (rng.randrange(256) for _ in range(400)) if b not in (0x0B, 0x1C))
        self.noise_between_frames(
            "binary junk between frames", junk,
            lambda peer: r"mllp lis: %s: closed; %d bytes outside any frame were ignored"
                         % (peer, 2 * len(junk)))

    def junk_with_start_block(self):
        rng = random.Random(2576)
        junk = e2e.SB + bytes(b for b in (rng.randrange(256) for _ in range(200))
                              if b not in (0x0B, 0x1C))
        control_id, raw = self.messages.make(b"AFTERJUNK")
        with e2e.MllpConnection(self.port) as conn:
            peer = local_peer(conn)
            conn.send(junk + e2e.frame(raw))
            self.expect_positive(conn, control_id, raw, "a frame after junk with a start block")
        self.expect_log(r"mllp lis: %s: 1 unfinished frame\(s\) dropped" % re.escape(peer),
                        "junk holding a start block")
        self.serve_check("junk with a start block")

    def rejected_payloads(self):
        payloads = [
            ("non-HL7 text", b"Hello, this is not HL7 at all. Patient %s\r"
             % FAMILY_NAMES[0].encode()),
            ("non-HL7 JSON", b'{"resourceType": "Patient", "name": [{"family": "%s"}]}'
             % FAMILY_NAMES[1].encode()),
            ("empty frame", b""),
        ]
        with e2e.MllpConnection(self.port) as conn:
            for what, payload in payloads:
                conn.send_message(payload)
                ack = conn.read_ack()
                check(ack.code == "AR" and ack.control_id == b"" and len(ack.errors) == 1,
                      "%s answered %r: %r" % (what, ack, ack.raw))
                self.rejected.append(payload)
                self.cases.append(what)
            # A NAK does not end the connection: it still takes good messages.
            control_id, raw = self.messages.make(b"AFTERNAK")
            conn.send_message(raw)
            self.expect_positive(conn, control_id, raw, "a good message after NAKs")
        self.serve_check("non-HL7 payloads")

    def unknown_charset(self):
        control_id, raw = self.messages.make(b"CHARSET", charset=b"NO-SUCH-SET")
        ack = e2e.exchange(self.port, raw)
        check(ack.code == "CR" and ack.control_id == control_id and len(ack.errors) == 1
              and b"NO-SUCH-SET" in ack.errors[0],
              "MSH-18 NO-SUCH-SET answered %r: %r" % (ack, ack.raw))
        self.rejected.append(raw)
        self.cases.append("unknown charset")
        self.serve_check("an unknown charset")


def local_peer(conn):
    host, port = conn.sock.getsockname()[:2]
    return "%s:%d" % (host, port)


def check_journal(run):
    e2e.wait_until_processed(run.folder, len(run.good) + len(run.rejected))
    rows = e2e.query(run.folder, "SELECT id, control_id, status, error, raw"
                                 " FROM hisbridge_messages ORDER BY id")
    check(len(rows) == len(run.good) + len(run.rejected),
          "%d rows; %d good and %d rejected messages were sent"
          % (len(rows), len(run.good), len(run.rejected)))
    rejected_rows = [r for r in rows if r[2] == "rejected"]
    check([bytes(r[4]) for r in rejected_rows] == run.rejected,
          "rejected rows are not the bytes sent: %r" % [bytes(r[4])[:60] for r in rejected_rows])
    check(all(r[3] for r in rejected_rows), "a rejected row without its error")
    good_rows = [(r[1].encode(), bytes(r[4])) for r in rows if r[2] != "rejected"]
    check(good_rows == run.good, "good rows differ from the good messages sent")
    check(all(r[2] == "processed" for r in rows if r[2] != "rejected"),
          "a good message not processed: %r" % [(r[0], r[2]) for r in rows])
    for control_id in run.never_stored:
        check(not any(control_id in bytes(r[4]) for r in rows),
              "%r (truncated or oversize) left a row" % control_id)
    counts = dict(e2e.query(run.folder, "SELECT status, messages FROM hisbridge_counts"))
    check(counts.get("rejected") == len(run.rejected) and counts.get("processed") == len(run.good),
          "hisbridge_counts %r; expected %d rejected, %d processed"
          % (counts, len(run.rejected), len(run.good)))
    return counts


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(55)
    with e2e.temp_folder("hisbridge-e2e-bad-") as folder, e2e.Engine(binary, folder) as engine:
        port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": port,
             "max_frame_bytes": MAX_FRAME, "idle_timeout": "20s"}], log_level="debug"))
        engine.start()
        run = Run(engine, port, folder)
        run.serve_check("start-up")
        run.truncated_then_half_close()
        run.truncated_then_reset()
        run.oversize_frame()
        run.garbage_between_frames()
        run.binary_junk_between_frames()
        run.junk_with_start_block()
        run.rejected_payloads()
        run.unknown_charset()
        counts = check_journal(run)
        check(engine.running(), "the engine died; log:\n" + engine.log_text())
        engine.stop()

        log = engine.all_logs()
        rows = e2e.query(folder, "SELECT raw FROM hisbridge_messages")
        journal = b"".join(bytes(r[0]) for r in rows)
        check(all(name.encode() in journal for name in FAMILY_NAMES),
              "the journal lacks the patient names the log is searched for")
        leaked = sorted({m for m in run.messages.patient_markers if m in log})
        check(not leaked, "patient data in the engine log: %s" % leaked)
        print("e2e_bad_input: %d cases (%s); %d good messages answered AA/CA and processed, "
              "%d rejected and stored as sent (hisbridge_counts rejected=%d), %d frames left no "
              "row; no patient data in %d log lines"
              % (len(run.cases), "; ".join(run.cases), len(run.good), len(run.rejected),
                 counts["rejected"], len(run.never_stored), len(log.splitlines())))


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
