#!/usr/bin/python3
"""The web dashboard of a running engine, in a real browser.

    e2e_dashboard.py HISBRIDGE REPOSITORY ARTIFACTS

Runs `hisbridge serve` in a temporary folder on free loopback ports with LIS and RIS MLLP
listeners whose channels map with the stock mappings into a SQLite HIS, then sends:
  - the project's LIS and RIS fixture messages with `hisbridge send` (times in March 2026:
    counted by the channels, outside the dashboard's turnaround windows);
  - messages made now: six lab visits (registration, order, collection, receipt and final
    result, the results spread over today, two of them stat), two radiology reports, two lab
    orders with no result for hours (overdue), and one message that cannot be read (an error);
  - while the browser watches, a patient update every 0.4 s, so that the page has a rate.
Then dashboard_browser.mjs opens /dashboard in headless Chromium (playwright-core) and checks
the page (no console error, charts drawn with data, tables filled, language switch); its
screenshots go to ARTIFACTS/dashboard.png and dashboard-en.png.

Exit status: 0 passed, 1 failed, 77 skipped (node, Chromium or the test's node_modules
missing: `npm ci` in tests/integration/dashboard).
"""

import datetime
import glob
import os
import subprocess
import sys
import time

from dashboard_support import (  # noqa: E402 (it puts tests/integration on the path)
    HERE, ZONE, ZONE_NAME, config_for, finish_browser, hl7_time, message, msh, open_order, pid,
    pv1, seg, send_mllp, short_lived_certificate, skip_reason, start_browser)
import e2e_support as e2e  # noqa: E402
from e2e_support import check  # noqa: E402

# (minutes waited before collection, minutes from receipt to the final result, priority)
LAB_VISITS = [(12, 35, "S"), (25, 50, "S"), (8, 70, "R"), (40, 95, "R"), (18, 150, "R"),
              (55, 40, "R")]
# (priority, hours since the order) of lab orders that have no result yet
OPEN_ORDERS = [("S", 3), ("R", 6)]
# Patient updates sent while the browser watches, 0.4 s apart
UPDATES = 25


def lab_visit(n, now, wait_min, work_min, priority):
    """ADT^A04 (registration) and ORU^R01 (final), the final results spread over today."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    step = min(datetime.timedelta(minutes=40), (now - midnight) / (len(LAB_VISITS) + 1))
    reported = now - n * step
    received = reported - datetime.timedelta(minutes=work_min)
    collected = received - datetime.timedelta(minutes=10)
    registered = collected - datetime.timedelta(minutes=wait_min)
    ordered = registered + datetime.timedelta(minutes=3)
    department = ["KKB", "NOI", "NGOAI"][n % 3]
    adt = message(msh("DASH-A%d" % n, "ADT^A04^ADT_A01", registered),
                  seg("EVN", {1: "A04", 2: hl7_time(registered)}), pid(n),
                  pv1(n, department, registered))
    order = "XN-DASH-%d^HIS" % n
    oru = message(
        msh("DASH-R%d" % n, "ORU^R01^ORU_R01", reported), pid(n), pv1(n, department, registered),
        seg("ORC", {1: "RE", 2: order, 5: "CM", 9: hl7_time(ordered)}),
        seg("OBR", {1: "1", 2: order, 4: "GLU^Glucose máu^BYT", 7: hl7_time(collected),
                    14: hl7_time(received), 22: hl7_time(reported), 24: "CH", 25: "F",
                    27: "^^^^^" + priority}),
        seg("OBX", {1: "1", 2: "NM", 3: "GLU^Glucose máu^L", 5: "5.4", 6: "mmol/L",
                    7: "3.9-6.4", 8: "N", 11: "F"}))
    return [adt, oru]


def rad_report(n, now):
    reported = now - datetime.timedelta(minutes=5 + 7 * n)
    completed = reported - datetime.timedelta(minutes=40 + 30 * n)
    started = completed - datetime.timedelta(minutes=15)
    ordered = started - datetime.timedelta(minutes=30)
    order = "CD-DASH-%d^HIS" % n
    return message(
        msh("DASH-C%d" % n, "ORU^R01^ORU_R01", reported), pid(200 + n),
        pv1(200 + n, "CDHA", ordered - datetime.timedelta(minutes=20)),
        seg("ORC", {1: "RE", 2: order, 5: "CM", 9: hl7_time(ordered)}),
        seg("OBR", {1: "1", 2: order, 3: "ACC-%d" % n, 4: "CT-SO^CT sọ não^BYT",
                    7: hl7_time(started), 8: hl7_time(completed), 18: "ACC-%d" % n,
                    22: hl7_time(reported), 24: "CT", 25: "F"}),
        seg("OBX", {1: "1", 2: "TX", 3: "18782-3&IMP^Kết luận", 5: "Không thấy bất thường",
                    11: "F"}))


def patient_update(n, now):
    """ADT^A08: counted by the channel, no turnaround figure."""
    return message(msh("DASH-U%d" % n, "ADT^A08^ADT_A01", now),
                   seg("EVN", {1: "A08", 2: hl7_time(now)}), pid(n % len(LAB_VISITS) + 1))


def send_while_watched(port, count, pause):
    """Sends `count` patient updates `pause` seconds apart, so the page sees a rate."""
    with e2e.MllpConnection(port) as c:
        for n in range(count):
            c.send_message(patient_update(n, datetime.datetime.now(ZONE)))
            check(c.read_ack().positive, "update %d not accepted" % n)
            time.sleep(pause)


def send_fixtures(binary, port, files):
    run = subprocess.run([binary, "send", "--host", e2e.HOST, "--port", str(port)] + files,
                         capture_output=True, timeout=30)
    check(run.returncode == 0, "hisbridge send exited %d: %s" % (
        run.returncode, (run.stdout + run.stderr).decode("utf-8", "replace")[-2000:]))
    return len(files)


def send_traffic(binary, lis_port, ris_port, repository):
    """Returns (messages stored, LIS messages the lis-his channel processes)."""
    fixtures = os.path.join(repository, "tests", "fixtures", "mapping")
    lis_files = sorted(glob.glob(os.path.join(fixtures, "lis", "*.hl7")))
    ris_files = sorted(glob.glob(os.path.join(fixtures, "ris", "*.hl7")))
    check(lis_files and ris_files, "no fixtures under %s" % fixtures)
    stored = send_fixtures(binary, lis_port, lis_files) + send_fixtures(binary, ris_port, ris_files)
    now = datetime.datetime.now(ZONE)
    lab = [m for n, visit in enumerate(LAB_VISITS, 1) for m in lab_visit(n, now, *visit)]
    orders = [open_order(n, now, *o) for n, o in enumerate(OPEN_ORDERS, 1)]
    send_mllp(lis_port, lab + orders)
    send_mllp(ris_port, [rad_report(n, now) for n in (1, 2)])
    with e2e.MllpConnection(lis_port) as c:
        c.send_message(b"this is not HL7\r")
        check(c.read_ack().code in ("AR", "CR"), "the unreadable message was not rejected")
    lis_processed = len(lis_files) + len(lab) + len(orders)
    stored += len(lab) + len(orders) + 2 + 1
    print("sent: %d fixture files, %d messages made now, 1 unreadable" % (
        len(lis_files) + len(ris_files), len(lab) + len(orders) + 2))
    return stored, lis_processed


def main():
    binary = e2e.binary_from_argv()
    repository, artifacts = os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    node_modules = os.path.join(HERE, "node_modules")
    reason = skip_reason(node_modules)
    if reason:
        print("skipped: " + reason)
        sys.exit(e2e.EXIT_SKIP)
    e2e.watchdog(110)
    with e2e.temp_folder("hisbridge-e2e-dashboard-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, ris_port, admin_port, lab_port = e2e.free_ports(4)
        # A TLS listener whose certificate ends in 10 days: the page warns about it.
        certificate = short_lived_certificate(folder, 10)
        e2e.write_config(folder, config_for(admin_port, lis_port, ris_port, repository,
                                            None if certificate is None else
                                            (lab_port, certificate)))
        engine.start()
        engine.wait_for_log(r"admin: listening on 127\.0\.0\.1:%d " % admin_port)
        if certificate is not None:
            engine.wait_for_log(r"listener lab: the TLS certificate expires in %d days \(.*\): "
                                r"renew it, then systemctl reload hisbridge"
                                % certificate["days_left"])
        stored, lis_processed = send_traffic(binary, lis_port, ris_port, repository)
        e2e.wait_until_processed(folder, stored, admin_port=admin_port)
        # The longest waiting first; each open order's patient twice: the order's clock
        # (lab_order_to_final) and the visit's (patient_wait_to_service, nobody collected yet).
        overdue = sorted(range(1, len(OPEN_ORDERS) + 1), key=lambda n: -OPEN_ORDERS[n - 1][1])
        expect = {"channel": "lis-his", "processed": lis_processed + UPDATES, "turnaround": True,
                  "overdue": ["BN-DASH-%d" % (100 + n) for n in overdue for _ in range(2)],
                  "timezone": ZONE_NAME}
        if certificate is not None:
            expect["certificate"] = {k: certificate[k] for k in ("server", "days_left", "date")}
        screenshot = os.path.join(artifacts, "dashboard.png")
        browser = start_browser("dashboard_browser.mjs",
                                "http://%s:%d/dashboard" % (e2e.HOST, admin_port), screenshot,
                                expect)
        try:
            send_while_watched(lis_port, UPDATES, 0.4)
        except BaseException:
            browser.kill()
            raise
        finish_browser(browser, 90)
        engine.stop()


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
