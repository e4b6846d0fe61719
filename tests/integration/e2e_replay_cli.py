#!/usr/bin/python3
"""`hisbridge replay` against a real journal, with and without a running engine.

    e2e_replay_cli.py HISBRIDGE

In a temporary folder: a config with an MLLP listener `lis` and a channel `lab` mapping ORU^R01
into his_order rows for a his-db destination. The engine takes 1200 results and one message
that cannot be read, and stops. Then, with the engine stopped:

  - bad usage exits 2 with the reason and writes nothing: no selection, an unknown channel, a
    time that does not read, a queue without its destination, no --yes with no terminal;
  - `--message` with a processed, a rejected and an unknown id: the first goes back to
    `received`, a line says why each of the others did not, exit 2; an audit row names the OS
    user;
  - `--channel lab --from --to` in a pipe: the rest go back in steps of 500, a plain progress
    line per step, the summary on standard output, exit 0.
The engine started again processes all of them. While it runs, `--message` is taken within the
router's one-second read, and a range replay with standard error on a terminal (a pty) draws a
bar redrawn with `\\r`. Exit status: 0 passed, 1 failed.
"""

import datetime
import os
import pty
import pwd
import select
import subprocess
import sys
import time

import e2e_support as e2e
from e2e_support import check

MAPPING = """{
  "mapping": "orders",
  "messages": ["ORU^R01"],
  "records": [{"table": "his_order", "key": ["order_no"],
               "columns": {"order_no": "OBR-2.1", "patient_id": "PID-3.1",
                           "status": "OBR-25"}}]
}
"""
RESULTS = 1200


def oru(n):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01|R%05d|P|2.5\r"
            "PID|1||P-%d^^^HOSP^MR\rOBR|1|XN-%d||GLU||||||||||||||||||||F\r"
            % (n, n % 50, n)).encode("ascii")


def replay(binary, folder, *args, stdin=subprocess.DEVNULL):
    done = subprocess.run([binary, "replay", "--config", "hisbridge.json"] + list(args),
                          cwd=folder, stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


def replay_on_pty(binary, folder, *args):
    """Runs replay with standard error on a pseudo-terminal; (exit status, what it drew)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([binary, "replay", "--config", "hisbridge.json"] + list(args),
                               cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=slave)
    os.close(slave)
    drawn = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            drawn += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    code = process.wait(timeout=10)
    process.stdout.close()
    return code, drawn.decode("utf-8", "replace")


def statuses(folder):
    return dict(e2e.query(folder, "SELECT status, COUNT(*) FROM hisbridge_messages GROUP BY status"))


def audit_rows(folder):
    return e2e.query(folder, "SELECT actor, action, detail FROM hisbridge_audit ORDER BY id")


def bad_usage(binary, folder, ids):
    before = statuses(folder)
    day = "--from", "2026-01-01", "--to", "2026-01-02"
    for args, reason in [
        ((), "name one thing to replay"),
        (("--channel", "nope") + day, "no channel 'nope' in the config (channels: lab)"),
        (("--channel", "lab", "--from", "yesterday", "--to", "2026-01-02"),
         "--from: 'yesterday' is not an ISO 8601"),
        (("--channel", "lab", "--from", "2026-01-02", "--to", "2026-01-01"), "later than --from"),
        (("--channel", "lab", "--from", "2026-01-02"), "--to is missing"),
        (("--dead-letters", "lab"), "name it as CHANNEL/DESTINATION"),
        (("--dead-letters", "lab/his", "--message", "1"), "name one thing to replay"),
        (("--message", str(ids[0])), "add --yes"),
    ]:
        code, out, err = replay(binary, folder, *args)
        check(code == 2, "replay %s exited %d, not 2: %s%s" % (args, code, out, err))
        check(reason in err, "replay %s: no %r in:\n%s" % (args, reason, err))
    check(statuses(folder) == before, "bad usage changed the journal")
    check(audit_rows(folder) == [], "bad usage wrote an audit row")


def by_id(binary, folder, ok, rejected):
    code, out, err = replay(binary, folder, "--message", str(ok), str(rejected), "999999", "--yes")
    check(code == 2, "a rejected and an unknown id: exit %d, not 2\n%s%s" % (code, out, err))
    check("message %d: message %d was rejected when it arrived" % (rejected, rejected) in out, out)
    check("message 999999: no message 999999 in the journal" in out, out)
    check("sent 1 of 3 messages asked for by id back to processing" in out, out)
    check("replayed 3/3 messages\n" in err, "no plain progress line in a pipe:\n" + err)
    check(e2e.query(folder, "SELECT status, error FROM hisbridge_messages WHERE id = ?", (ok,))
          == [("received", "")], "message %d is not received again" % ok)
    rows = audit_rows(folder)
    check(len(rows) == 1, "one audit row per replay: %r" % rows)
    actor, action, detail = rows[0]
    check(actor == pwd.getpwuid(os.geteuid()).pw_name, "the audit actor is %r" % actor)
    check(action == "reprocess-messages", action)
    check('"sent_back":1' in detail and '"refused":1' in detail and '"not_found":1' in detail,
          detail)


def by_range(binary, folder):
    now = datetime.datetime.now(datetime.timezone.utc)
    start = (now - datetime.timedelta(days=1)).isoformat(timespec="seconds")
    end = (now + datetime.timedelta(days=1)).isoformat(timespec="seconds")
    code, out, err = replay(binary, folder, "--channel", "lab", "--from", start, "--to", end,
                            "--yes")
    check(code == 0, "range replay exited %d:\n%s%s" % (code, out, err))
    n = RESULTS - 1  # one is received already
    lines = [l for l in err.splitlines() if l.startswith("replayed ")]
    check(lines == ["replayed 500/%d messages" % n, "replayed 1000/%d messages" % n,
                    "replayed %d/%d messages" % (n, n)], "progress lines: %r" % lines)
    check("\r" not in err, "a pipe got a redrawn bar")
    check(("sent %d of %d messages of channel lab (source lis) received from" % (n, n)) in out, out)
    check(statuses(folder).get("received") == RESULTS, "statuses: %r" % statuses(folder))
    check(audit_rows(folder)[-1][1] == "reprocess-range", "no audit row for the range")
    return start, end


def main():
    e2e.watchdog(170)
    binary = e2e.binary_from_argv()
    with e2e.temp_folder("hisbridge-e2e-replay-cli-") as folder:
        mllp, admin = e2e.free_ports(2)
        with open(os.path.join(folder, "orders.json"), "w") as f:
            f.write(MAPPING)
        config = e2e.base_config(admin, [{"name": "lis", "type": "mllp", "host": e2e.HOST,
                                          "port": mllp}])
        config["channels"] = [{"name": "lab", "source": "lis", "mapping": "orders.json",
                               "destinations": [{"name": "his", "type": "his-db"}]}]
        e2e.write_config(folder, config)
        with e2e.Engine(binary, folder) as engine:
            engine.start()
            ids = []
            with e2e.MllpConnection(mllp) as c:
                for n in range(RESULTS):
                    c.send_message(oru(n))
                    check(c.read_ack().positive, "result %d not accepted" % n)
                c.send_message(b"not an HL7 message")
                check(not c.read_ack().positive, "garbage accepted")
            e2e.wait_until_processed(folder, RESULTS + 1, timeout=60)
            engine.stop()
            ids = [r[0] for r in e2e.query(folder, "SELECT id FROM hisbridge_messages"
                                                   " WHERE status = 'processed' ORDER BY id")]
            rejected = e2e.query(folder, "SELECT id FROM hisbridge_messages"
                                         " WHERE status = 'rejected'")[0][0]
            check(len(ids) == RESULTS, "processed: %d" % len(ids))

            bad_usage(binary, folder, ids)
            by_id(binary, folder, ids[0], rejected)
            start, end = by_range(binary, folder)

            engine.start()
            e2e.wait_until_processed(folder, RESULTS + 1, timeout=60)
            check(statuses(folder).get("processed") == RESULTS, "%r" % statuses(folder))
            # While the engine runs: nothing tells its router; its once-a-second read finds it.
            code, out, err = replay(binary, folder, "--message", str(ids[7]), "--yes")
            check(code == 0, "replay while running: %d %s%s" % (code, out, err))
            e2e.wait_until_processed(folder, RESULTS + 1, timeout=20)
            code, drawn = replay_on_pty(binary, folder, "--channel", "lab", "--from", start,
                                        "--to", end, "--yes")
            check(code == 0, "range replay on a terminal exited %d: %s" % (code, drawn))
            check(drawn.startswith("\r[") and "] %d/%d messages (100%%)" % (RESULTS, RESULTS)
                  in drawn and drawn.endswith("\n") and drawn.count("\n") == 1,
                  "no bar redrawn in place on a terminal: %r" % drawn[-300:])
            e2e.wait_until_processed(folder, RESULTS + 1, timeout=60)
            check(statuses(folder).get("processed") == RESULTS, "%r" % statuses(folder))
            check(len(audit_rows(folder)) == 4, "audit rows: %r" % audit_rows(folder))
            engine.stop()


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
