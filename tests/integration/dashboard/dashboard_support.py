"""What the dashboard's browser tests (e2e_dashboard.py, e2e_dashboard_auth.py) share: the
zone the engine, the messages and the browser agree on, HL7 messages made now, sending them
over MLLP, the engine's config with the stock LIS and RIS channels, and the browser half run
with node.
"""

import datetime
import json
import os
import shutil
import ssl
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import e2e_support as e2e  # noqa: E402
from e2e_support import check  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def pick_zone():
    """The hospital's zone (+07:00), or, in the first hours after its midnight, when "today"
    cannot yet hold the visits the tests send, a fixed-offset zone where it is early afternoon: the
    engine, the messages and the browser all use the zone picked, so the dashboard's "today"
    holds the visits whatever the time the test runs at."""
    utc_hour = datetime.datetime.now(datetime.timezone.utc).hour
    if 9 <= (utc_hour + 7) % 24 <= 22:
        return "Asia/Ho_Chi_Minh", datetime.timezone(datetime.timedelta(hours=7))
    hours = (13 - utc_hour + 12) % 24 - 12  # -12..11: local time about 13:00
    # POSIX-style names: Etc/GMT-5 is five hours ahead of UTC.
    return "Etc/GMT%+d" % -hours if hours else "Etc/UTC", datetime.timezone(
        datetime.timedelta(hours=hours))


ZONE_NAME, ZONE = pick_zone()


def hl7_time(t):
    return t.strftime("%Y%m%d%H%M%S%z")  # `t` is in ZONE: its offset, e.g. +0700


def message(*segments):
    return ("\r".join(segments) + "\r").encode("utf-8")


def seg(name, fields):
    """A segment from {field number: value}; the fields not given are empty."""
    values = [""] * max(fields)
    for number, value in fields.items():
        values[number - 1] = value
    return "|".join([name] + values)


def msh(control_id, kind, sent):
    return "MSH|^~\\&|LIS_DASH|BV_DASH|HIS|BV_DASH|%s||%s|%s|P|2.5|||AL|NE|VNM|UNICODE UTF-8" % (
        hl7_time(sent), kind, control_id)


def pid(n):
    return seg("PID", {1: "1", 3: "BN-DASH-%d^^^BV_DASH^MR" % n, 5: "Nguyễn^Văn %d" % n,
                       7: "19800101", 8: "M"})


def pv1(n, department, registered):
    return seg("PV1", {1: "1", 2: "O", 3: "%s^P1^01^BV_DASH" % department,
                       19: "KB-DASH-%d^^^BV_DASH^VN" % n, 44: hl7_time(registered)})


def open_order(n, now, priority, hours):
    ordered = now - datetime.timedelta(hours=hours)
    order = "XN-DASH-OPEN-%d^HIS" % n
    return message(
        msh("DASH-O%d" % n, "ORM^O01^ORM_O01", ordered), pid(100 + n),
        pv1(100 + n, "CAPCUU" if priority == "S" else "NOI", ordered),
        seg("ORC", {1: "NW", 2: order, 9: hl7_time(ordered)}),
        seg("OBR", {1: "1", 2: order, 4: "SH-DG^Điện giải đồ^BYT", 6: hl7_time(ordered),
                    27: "^^^^^" + priority}))


def send_mllp(port, messages):
    with e2e.MllpConnection(port) as c:
        for m in messages:
            c.send_message(m)
            ack = c.read_ack()
            check(ack.positive, "not accepted (%s): %r" % (ack.code, m[:80]))


def skip_reason(node_modules):
    if shutil.which("node") is None:
        return "node is not installed (Debian package nodejs)"
    if not os.path.exists(CHROMIUM):
        return "%s is not installed (Debian package chromium)" % CHROMIUM
    if not os.path.isdir(os.path.join(node_modules, "playwright-core")):
        return "playwright-core is not installed: run `npm ci` in %s" % HERE
    return None


def short_lived_certificate(folder, days):
    """A self-signed certificate and key valid for `days` from now (the openssl command), and
    what the dashboard should say of it: {"server", "days_left", "date"} with the date in the
    engine's zone; None when there is no openssl command."""
    if shutil.which("openssl") is None:
        return None
    cert, key = os.path.join(folder, "lab.crt"), os.path.join(folder, "lab.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", str(days), "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", cert], check=True,
                         capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    expires = datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(end), ZONE)
    # Seconds after it was made, fewer than `days` whole days are left.
    return {"server": "listener lab", "days_left": days - 1,
            "date": expires.strftime("%Y-%m-%d"), "tls": {"certificate": cert, "private_key": key}}


def config_for(admin_port, lis_port, ris_port, repository, lab=None):
    """lis and ris; with `lab` ((port, certificate) of short_lived_certificate), a TLS
    listener lab too."""
    listeners = [{"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port},
                 {"name": "ris", "type": "mllp", "host": e2e.HOST, "port": ris_port}]
    if lab is not None:
        port, certificate = lab
        listeners.append({"name": "lab", "type": "mllp", "host": e2e.HOST, "port": port,
                          "tls": certificate["tls"]})
    config = e2e.base_config(admin_port, listeners)
    mappings = os.path.join(repository, "mappings")
    config["channels"] = [
        {"name": "lis-his", "source": "lis", "mapping": os.path.join(mappings, "lis-stock.json"),
         "destinations": [{"name": "his", "type": "his-db"}]},
        {"name": "ris-his", "source": "ris", "mapping": os.path.join(mappings, "ris-stock.json"),
         "destinations": [{"name": "his", "type": "his-db"}]}]
    config["timezone"] = ZONE_NAME
    return config


def start_browser(script, url, screenshot, expect):
    """node SCRIPT URL SCREENSHOT EXPECT_JSON in this folder, its output piped: the caller
    finishes it with finish_browser()."""
    return subprocess.Popen(["node", os.path.join(HERE, script), url, screenshot,
                             json.dumps(expect)],
                            cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish_browser(browser, timeout):
    """Waits for the browser half, prints what it said and exits 77 when it skipped; fails
    when it failed."""
    try:
        output, _ = browser.communicate(timeout=timeout)
    finally:
        if browser.poll() is None:
            browser.kill()
    print(output.decode("utf-8", "replace"), end="")
    if browser.returncode == e2e.EXIT_SKIP:
        sys.exit(e2e.EXIT_SKIP)
    check(browser.returncode == 0, "the browser check failed (exit %d)" % browser.returncode)
