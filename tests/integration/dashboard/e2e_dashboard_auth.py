#!/usr/bin/python3
"""The web dashboard of an engine whose admin API asks for a token, in a real browser.

    e2e_dashboard_auth.py HISBRIDGE REPOSITORY ARTIFACTS

Runs `hisbridge serve` as e2e_dashboard.py does (stock LIS and RIS channels into a SQLite HIS),
with admin.tokens holding one viewer token (its SHA-256, as the config keeps it), and sends a
lab order that has had no result for hours (overdue). Over HTTP first: /api/v1/channels
without a token and with a wrong one is 401 with a JSON error and WWW-Authenticate, the
dashboard's own files come without one, and the viewer's /api/v1/overdue has the patient ids
masked. Then dashboard_auth_browser.mjs signs in as a person would (the panel, a wrong token,
the right one, sign out) in headless Chromium; the sign-in panel's screenshot goes to
ARTIFACTS/dashboard-sign-in.png.

Exit status: 0 passed, 1 failed, 77 skipped (node, Chromium or the test's node_modules
missing: `npm ci` in tests/integration/dashboard).
"""

import datetime
import hashlib
import http.client
import json
import os
import secrets
import sys

from dashboard_support import (  # noqa: E402 (it puts tests/integration on the path)
    HERE, ZONE, ZONE_NAME, config_for, finish_browser, open_order, send_mllp, skip_reason,
    start_browser)
import e2e_support as e2e  # noqa: E402
from e2e_support import check  # noqa: E402

MASK = "***"
# (priority, hours since the order) of the lab order with no result
OPEN_ORDER = ("R", 5)


def get(port, path, token=None):
    """(status, headers, body) of GET `path`, with `token` as a Bearer header when given."""
    headers = {"Authorization": "Bearer " + token} if token else {}
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def check_unauthorized(port, token, what):
    status, headers, body = get(port, "/api/v1/channels", token)
    check(status == 401, "/api/v1/channels %s: %d, not 401 (does the engine read "
          "admin.tokens?)" % (what, status))
    check(headers.get("WWW-Authenticate", "").startswith("Bearer"),
          "401 %s without WWW-Authenticate: Bearer: %r" % (what, headers))
    error = json.loads(body).get("error")
    check(isinstance(error, str) and error, "401 %s without a JSON error: %r" % (what, body))


def check_http(port, token, wrong_token, patient):
    """The contract the page relies on, read with plain HTTP; returns the overdue rows."""
    check_unauthorized(port, None, "without a token")
    check_unauthorized(port, wrong_token, "with a wrong token")
    status, _, _ = get(port, "/dashboard/app.js")
    check(status == 200, "/dashboard/app.js without a token: %d" % status)
    status, _, body = get(port, "/api/v1/overdue?limit=200", token)
    check(status == 200, "/api/v1/overdue as the viewer: %d %r" % (status, body[:300]))
    items = json.loads(body).get("items", [])
    check(items and all(i.get("patient_id") == MASK for i in items),
          "the viewer's overdue items: %r" % items)
    check(patient.encode() not in body, "%s in the viewer's overdue answer" % patient)
    print("http: 401 without and with a wrong token; %d overdue items masked" % len(items))
    return len(items)


def main():
    binary = e2e.binary_from_argv()
    repository, artifacts = os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    reason = skip_reason(os.path.join(HERE, "node_modules"))
    if reason:
        print("skipped: " + reason)
        sys.exit(e2e.EXIT_SKIP)
    e2e.watchdog(110)
    token, wrong_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with e2e.temp_folder("hisbridge-e2e-dashboard-auth-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, ris_port, admin_port = e2e.free_ports(3)
        config = config_for(admin_port, lis_port, ris_port, repository)
        config["admin"]["tokens"] = [{"name": "wallboard", "role": "viewer",
                                      "sha256": hashlib.sha256(token.encode()).hexdigest()}]
        config["admin"]["open_metrics"] = True
        e2e.write_config(folder, config)
        engine.start()
        engine.wait_for_log(r"admin: listening on 127\.0\.0\.1:%d " % admin_port)
        send_mllp(lis_port, [open_order(1, datetime.datetime.now(ZONE), *OPEN_ORDER)])
        e2e.wait_until_processed(folder, 1, admin_port=admin_port)
        patient = "BN-DASH-101"  # open_order(1, ...)'s patient
        overdue = check_http(admin_port, token, wrong_token, patient)
        expect = {"channel": "lis-his", "processed": 1, "overdue": overdue, "hidden": [patient],
                  "token": token, "wrong_token": wrong_token, "timezone": ZONE_NAME}
        browser = start_browser("dashboard_auth_browser.mjs",
                                "http://%s:%d/dashboard" % (e2e.HOST, admin_port),
                                os.path.join(artifacts, "dashboard-sign-in.png"), expect)
        finish_browser(browser, 90)
        engine.stop()


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
