#!/usr/bin/python3
"""Config reload on SIGHUP, end to end against the real binary.

    e2e_config_reload.py HISBRIDGE

  - the engine starts with one operator token (A) and the admin API behind tokens;
  - the file gets a second token (B), loses A, turns /metrics behind tokens, raises the log
    level, lowers the MLLP listener's max_connections_per_ip to 2 and moves its port, and
    narrows the HTTP listener's allow_from to 10.0.0.0/8; SIGHUP: B is admitted and A refused
    (401) from the next request on, /metrics asks for a token, a third MLLP connection from one
    address is closed unanswered, an HTTP request from 127.0.0.1 too, the log names what was applied
    and that the port waits for a restart, and the listener still serves on the old port;
  - a file with an error: SIGHUP changes nothing (B still admitted), and the log places the
    error by line and column;
  - the journal's audit log holds both reloads (applied, refused) with what changed;
  - the engine stops cleanly afterwards.

Exit status: 0 passed, 1 failed.
"""

import http.client
import json
import os
import signal
import subprocess
import sys

import e2e_support as e2e
from e2e_support import check


def make_token(binary, name):
    out = subprocess.run([binary, "token", "--name", name, "--role", "operator", "--json"],
                         capture_output=True, check=True, timeout=30).stdout
    return json.loads(out)


def get(port, path, token=None):
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


def http_answers(port):
    """Whether the http listener answers a request at all (any status), or closes unanswered."""
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        conn.request("POST", "/ingest/web", body=b"x",
                     headers={"Content-Type": "x-application/hl7-v2+er7"})
        conn.getresponse().read()
        return True
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        return False
    finally:
        conn.close()


def entry(token):
    return {k: token[k] for k in ("name", "role", "sha256")}


def oru(control_id):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5\r"
            "PID|1||RL-1^^^HOSP^MR||TEST^RELOAD\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r" % control_id).encode("utf-8")


def reload(engine, count):
    engine.process.send_signal(signal.SIGHUP)
    e2e.wait_for("reload %d in the log" % count,
                 lambda: len([l for l in engine.log_lines()
                              if "config reload: " in l and ("applied:" in l or "refused" in l)])
                 >= count, timeout=10)


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(90)
    token_a, token_b = make_token(binary, "it-a"), make_token(binary, "it-b")
    with e2e.temp_folder("hisbridge-e2e-reload-") as folder, e2e.Engine(binary, folder) as engine:
        lis_port, other_port, admin_port, web_port = e2e.free_ports(4)
        config = e2e.base_config(admin_port, [
            {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port},
            {"name": "web", "type": "http", "host": e2e.HOST, "port": web_port}])
        config["admin"]["tokens"] = [entry(token_a)]
        e2e.write_config(folder, config)
        engine.start()
        check(get(admin_port, "/api/v1/channels", token_a["token"])[0] == 200, "A not admitted")
        check(get(admin_port, "/api/v1/channels", token_b["token"])[0] == 401, "B admitted early")
        check(get(admin_port, "/metrics")[0] == 200, "/metrics not open at first")
        check(http_answers(web_port), "the http listener does not answer at first")

        config["admin"]["tokens"] = [entry(token_b)]
        config["admin"]["open_metrics"] = False
        config["log"]["level"] = "debug"
        config["listeners"][0]["port"] = other_port
        config["listeners"][0]["max_connections_per_ip"] = 2
        config["listeners"][1]["allow_from"] = ["10.0.0.0/8"]
        e2e.write_config(folder, config)
        reload(engine, 1)
        check(get(admin_port, "/api/v1/channels", token_b["token"])[0] == 200,
              "B not admitted after the reload")
        check(get(admin_port, "/api/v1/channels", token_a["token"])[0] == 401,
              "A still admitted after the reload")
        check(get(admin_port, "/metrics")[0] == 401, "/metrics still open after the reload")
        line = engine.wait_for_log(r"config reload: .*applied: ")
        check("admin.open_metrics" in line and "admin.tokens" in line and "log" in line
              and "listeners[lis].max_connections_per_ip" in line
              and "listeners[web].allow_from" in line,
              "the log does not name what was applied: " + line)
        check("waiting for a restart: listeners[lis].port" in line,
              "the log does not say the port waits for a restart: " + line)
        # The http listener's new allow_from: this host is no longer in it.
        check(not http_answers(web_port), "the http listener still answers 127.0.0.1")
        with e2e.MllpConnection(lis_port) as c, e2e.MllpConnection(lis_port) as held:
            c.send_message(oru("RL-1"))
            check(c.read_ack().code == "AA", "the listener on the old port stopped")
            # The new per-address limit holds from the next connection on: a third is closed.
            with e2e.MllpConnection(lis_port) as third:
                try:
                    third.send_message(oru("RL-2"))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # closed before the message went out
                check(third.read_until_closed() == b"",
                      "a third connection from one address was served under a limit of 2")

        with open(os.path.join(folder, "hisbridge.json"), "a", encoding="utf-8") as f:
            f.write("\n  oops")
        reload(engine, 2)
        refused = engine.wait_for_log(r"config reload: .* refused")
        check(refused, "no refusal in the log")
        placed = [l for l in engine.log_lines() if "hisbridge.json:" in l and "oops" not in l]
        check(placed, "the error is not placed by line: " + engine.log_text()[-2000:])
        check(get(admin_port, "/api/v1/channels", token_b["token"])[0] == 200,
              "a refused reload changed the tokens")

        status, text = get(admin_port, "/api/v1/audit", token_b["token"])
        check(status == 200, "audit: %d %s" % (status, text))
        reloads = [e for e in json.loads(text)["entries"] if e["action"] == "config-reload"]
        check(len(reloads) == 2, "audit has %d config-reload rows: %s" % (len(reloads), text))
        newest, first = (json.loads(e["detail"]) if isinstance(e["detail"], str) else e["detail"]
                         for e in reloads)
        check(newest["result"] == "refused" and newest["errors"], "refused row: %r" % newest)
        check(first["result"] == "applied" and "admin.tokens" in first["applied"]
              and first["needs_restart"] == ["listeners[lis].port"], "applied row: %r" % first)
        engine.stop()
        print("e2e_config_reload: tokens and open_metrics swapped live, the port change waits "
              "for a restart, a broken file refused with its place; 2 reloads audited")


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
