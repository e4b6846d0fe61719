#!/usr/bin/python3
"""Admin access control end to end: tokens made by `hisbridge token`, roles, the audit log.

    e2e_admin_access.py HISBRIDGE REPO

  - `hisbridge token --json` makes a viewer and an operator token; `check-config` refuses an
    admin server on 0.0.0.0 without tokens (exit 2, naming `hisbridge token`) and accepts it
    with the two printed entries;
  - the engine runs with them (the lab's stock mapping into the HIS database) and takes one
    ORU^R01 for a patient with a Vietnamese name;
  - without a token /api/v1 answers 401 with a Bearer challenge, a wrong token 401, while
    /metrics and /healthz stay open;
  - the viewer sees the message list and the message with the patient's id as *** and no raw
    text, may not search by patient id, replay, reprocess or read the audit log (403);
  - the operator sees the raw text with the name, reprocesses the message (202), and the audit
    log holds both actions under the token's name and the peer address;
  - `hisbridge replay` from the same config replays the message while the engine runs;
  - the audit file (config "audit", in a folder the engine creates) holds those three actions,
    one JSON line each, oldest first: who, from where (the peer address, or "cli"), what, which
    message, and no patient data or token; it is not readable by others;
  - with an audit file that cannot be opened, `serve` does not start and `replay` changes
    nothing (exit 1, naming the file);
  - the engine's log holds neither the patient's name or id nor any token.

Exit status: 0 passed, 1 failed.
"""

import http.client
import json
import os
import pwd
import subprocess
import sys

import e2e_support as e2e
from e2e_support import check

PATIENT_ID = "BN-2026-0042"
PATIENT_NAME = "\u0110\u1eb6NG TH\u1eca HOA"  # ĐẶNG THỊ HOA


def oru(control_id):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5|||||"
            "VNM|UNICODE UTF-8\r"
            "PID|1||%s^^^HOSP^MR||%s\r"
            "PV1|1|O|KKB\r"
            "OBR|1|XN-%s||GLU^Glucose|||20260305080000+0700|||||||||||||||20260305083000+0700"
            "|||F\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r"
            % (control_id, PATIENT_ID, PATIENT_NAME, control_id)).encode("utf-8")


def make_token(binary, name, role):
    out = subprocess.run([binary, "token", "--name", name, "--role", role, "--json"],
                         capture_output=True, check=True, timeout=30).stdout
    return json.loads(out)


def call(port, method, path, token=None, body=None):
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        headers = {"Authorization": "Bearer " + token} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8")
        return response.status, dict(response.getheaders()), text
    finally:
        conn.close()


def check_config(binary, folder):
    return subprocess.run([binary, "check-config", "--config", "hisbridge.json"], cwd=folder,
                          capture_output=True, timeout=30)


AUDIT_FILE = os.path.join("audit", "audit.log")


def audit_lines(folder):
    with open(os.path.join(folder, AUDIT_FILE), encoding="utf-8") as f:
        text = f.read()
    check(text.endswith("\n"), "the audit file ends inside a line: %r" % text[-80:])
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            check(False, "an audit line that is not JSON: %r" % line)
    return text, lines


def check_audit_file(folder, message_id, secrets):
    """The audit file: the operator's look and reprocess over the API, then the CLI's replay."""
    text, lines = audit_lines(folder)
    check([e["action"] for e in lines] ==
          ["view-message", "reprocess-messages", "reprocess-messages"],
          "audit file actions: %r" % [e.get("action") for e in lines])
    for e in lines:
        check(list(e) == ["at", "actor", "from", "action", "detail"], "audit keys %r" % list(e))
        check(len(e["at"]) == 27 and e["at"].endswith("Z"), "audit time %r" % e["at"])
    view, api_replay, cli_replay = lines
    for e in (view, api_replay):
        check(e["from"].startswith("127.0.0.1:"), "audit from %r" % e["from"])
        check(e["actor"] == "it-team (%s)" % e["from"], "audit actor %r" % e["actor"])
    check(view["detail"] == {"via": "api", "message": message_id}, "view detail %r" % view)
    check(api_replay["detail"]["messages"] == [message_id], "api replay %r" % api_replay)
    check(cli_replay["actor"] == pwd.getpwuid(os.geteuid()).pw_name and cli_replay["from"] == "cli",
          "cli replay: %r" % cli_replay)
    check(cli_replay["detail"]["via"] == "cli" and cli_replay["detail"]["messages"] == [message_id],
          "cli replay detail %r" % cli_replay)
    check(view["at"] <= api_replay["at"] <= cli_replay["at"], "audit lines out of order")
    for secret in secrets + ["MSH|", "PID|", "OBX|"]:
        check(secret not in text, "the audit file holds %r" % secret)
    mode = os.stat(os.path.join(folder, AUDIT_FILE)).st_mode
    check(mode & 0o007 == 0, "the audit file is open to others: %o" % mode)
    return len(lines)


def check_unopenable_audit_file(binary, folder, config, message_id):
    """An audit file whose folder is a file: no start, no replay, the file named."""
    bad = dict(config, audit={"file": "hisbridge.json/audit.log"})
    e2e.write_config(folder, bad, "bad-audit.json")
    for command in (["serve"], ["replay", "--message", str(message_id), "--yes"]):
        run = subprocess.run([binary] + command + ["--config", "bad-audit.json"], cwd=folder,
                             capture_output=True, timeout=30)
        said = (run.stdout + run.stderr).decode("utf-8", "replace")
        check(run.returncode == 1, "%s with a bad audit file: exit %d" % (command[0],
                                                                          run.returncode))
        check("audit file hisbridge.json/audit.log: cannot create its folder" in said,
              "%s does not name the audit file: %r" % (command[0], said))
    _, lines = audit_lines(folder)
    check(len(lines) == 3, "a refused replay was audited: %r" % lines[3:])


def main():
    binary = e2e.binary_from_argv()
    repository = sys.argv[2]
    e2e.watchdog(90)
    viewer = make_token(binary, "wallboard", "viewer")
    operator = make_token(binary, "it-team", "operator")
    check(viewer["token"] != operator["token"], "two tokens alike")
    with e2e.temp_folder("hisbridge-e2e-admin-access-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        config = e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port}])
        config["admin"]["host"] = "0.0.0.0"
        config["audit"] = {"file": AUDIT_FILE, "max_size": "1MB", "keep": 3}
        config["channels"] = [{
            "name": "lis-his", "source": "lis",
            "mapping": os.path.join(repository, "mappings", "lis-stock.json"),
            "destinations": [{"name": "his", "type": "his-db"}]}]
        e2e.write_config(folder, config)
        refused = check_config(binary, folder)
        check(refused.returncode == 2, "check-config took an open admin server on 0.0.0.0")
        check(b"hisbridge token" in refused.stdout + refused.stderr,
              "check-config does not say how to make a token: %r" % refused.stderr)

        config["admin"]["tokens"] = [{k: t[k] for k in ("name", "role", "sha256")}
                                     for t in (viewer, operator)]
        e2e.write_config(folder, config)
        accepted = check_config(binary, folder)
        check(accepted.returncode == 0, "check-config refused the tokens: %r" % accepted.stderr)
        engine.start()
        engine.wait_for_log(r"admin: listening on 0\.0\.0\.0:%d " % admin_port)
        with e2e.MllpConnection(lis_port) as c:
            c.send_message(oru("ACC-1"))
            check(c.read_ack().code == "AA", "the ORU was not acknowledged")
        e2e.wait_until_processed(folder, 1)
        message_id = e2e.query(folder, "SELECT id FROM hisbridge_messages")[0][0]
        message_path = "/api/v1/messages/%d" % message_id

        # No token, a wrong one: 401 with a challenge; the open paths stay open.
        status, headers, _ = call(admin_port, "GET", "/api/v1/messages")
        check(status == 401, "no token: %d" % status)
        check(headers.get("WWW-Authenticate") == 'Bearer realm="hisbridge"', "no challenge")
        check(call(admin_port, "GET", message_path, "hbt_wrong")[0] == 401, "a wrong token")
        check(call(admin_port, "GET", "/metrics")[0] == 200, "/metrics not open")
        check(call(admin_port, "GET", "/healthz")[0] == 200, "/healthz not open")

        # The viewer: data without the patient's, and no operator action.
        status, _, text = call(admin_port, "GET", "/api/v1/messages", viewer["token"])
        check(status == 200, "viewer list: %d %s" % (status, text))
        check(json.loads(text)["messages"][0]["patient_id"] == "***", "viewer sees the id")
        status, _, text = call(admin_port, "GET", message_path, viewer["token"])
        check(status == 200, "viewer message: %d" % status)
        shown = json.loads(text)
        check("raw" not in shown and shown.get("patient_data") == "masked",
              "viewer sees the raw text")
        check(PATIENT_ID not in text and "HOA" not in text, "viewer sees patient data: " + text)
        for method, path, body in (("GET", "/api/v1/messages?patient_id=" + PATIENT_ID, None),
                                   ("POST", message_path + "/reprocess", None),
                                   ("POST", "/api/v1/replay", '{"dead_letters": "lis-his/his"}'),
                                   ("GET", "/api/v1/audit", None)):
            status, _, text = call(admin_port, method, path, viewer["token"], body)
            check(status == 403, "viewer %s %s: %d %s" % (method, path, status, text))

        # The operator: the patient's data, a reprocess, and the audit log of both.
        status, _, text = call(admin_port, "GET", message_path, operator["token"])
        check(status == 200 and PATIENT_NAME in json.loads(text)["raw"],
              "operator does not see the raw text: %d" % status)
        status, _, text = call(admin_port, "POST", message_path + "/reprocess", operator["token"])
        check(status == 202, "operator reprocess: %d %s" % (status, text))
        status, _, text = call(admin_port, "GET", "/api/v1/audit", operator["token"])
        check(status == 200, "operator audit: %d" % status)
        entries = json.loads(text)["entries"]
        actions = [e["action"] for e in entries]
        check(actions == ["reprocess-messages", "view-message"], "audit: %r" % actions)
        for e in entries:
            check(e["actor"].startswith("it-team (127.0.0.1:"), "audit actor %r" % e["actor"])
        e2e.wait_until_processed(folder, 1)

        # The CLI appends to the same file while the engine runs.
        replayed = subprocess.run([binary, "replay", "--config", "hisbridge.json", "--message",
                                   str(message_id), "--yes"], cwd=folder, capture_output=True,
                                  timeout=30)
        check(replayed.returncode == 0, "hisbridge replay: %d %r" % (replayed.returncode,
                                                                     replayed.stderr))
        secrets = [PATIENT_ID, PATIENT_NAME, "HOA", viewer["token"], operator["token"]]
        audited = check_audit_file(folder, message_id, secrets)
        check_unopenable_audit_file(binary, folder, config, message_id)

        log = engine.log_text()
        for secret in secrets:
            check(secret not in log, "the engine's log holds %r" % secret)
        print("e2e_admin_access: 401 without a token, viewer 403 on 4 operator paths and "
              "patient data masked, operator's view and reprocess audited as %r; %d lines in "
              "the audit file" % (entries[0]["actor"].split(" ")[0], audited))


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
