#!/usr/bin/python3
"""HTTPS end to end: the admin API, the dashboard and HTTP ingest of the real binary over TLS.

    e2e_https.py HISBRIDGE

A CA, a server certificate for 127.0.0.1, a client certificate of the CA and one of another CA
are made with the openssl command. The engine runs with admin.tls (and a viewer token) and an
`http` listener with mutual TLS (require_client_certificate against the CA), an allow_from and a
per-address limit. Checked, with Python's ssl module as an independent client:

  - a certificate file that is not PEM stops the start, naming the server and the file;
  - the start log says https for both servers;
  - /healthz answers over HTTPS without a token, /api/v1/channels answers 401 without one and
    200 with it, the dashboard's page is served over HTTPS;
  - a message POSTed over mutual TLS with the CA's client certificate is answered 200 with an
    AA ACK and is in the journal;
  - without a client certificate, and with one of another CA, the POST gets no answer and
    nothing is stored;
  - plain HTTP to either HTTPS port gets a 400 that says to use https, and the engine goes on
    serving HTTPS;
  - /metrics: the failed handshakes per listener, the certificates' expiry (the server
    certificate's notAfter), the refusal counters;
  - a renewed certificate copied over the server's files and SIGHUP: both servers log it, new
    connections to each are shown it, and both expiry metrics give its notAfter; then SIGTERM
    and exit 0.

Exit status: 0 passed, 1 failed, 77 skipped (no openssl command).
"""

import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import e2e_support as e2e
from e2e_support import check

ER7 = "x-application/hl7-v2+er7"


def oru(control_id):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500+0700||ORU^R01^ORU_R01|%s|P|2.5\r"
            "PID|1||BN-%s^^^HOSP^MR||NGUYEN^VAN A\r"
            "OBR|1|XN-%s||GLU^Glucose|||20260305080000+0700\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.9-6.1|N|||F\r"
            % (control_id, control_id, control_id)).encode("utf-8")


# ---------------------------------------------------------------- certificates

def openssl(*args, cwd):
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60)
    check(done.returncode == 0, "openssl %s failed: %s" % (" ".join(args), done.stderr.decode()))


def make_ca(folder, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "30",
            "-subj", "/CN=hisbridge e2e %s" % name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)


def make_leaf(folder, name, ca, extensions, days=20):
    """A key and a certificate signed by `ca`, with the extension lines given."""
    with open(os.path.join(folder, name + ".ext"), "w", encoding="ascii") as f:
        f.write("\n".join(["basicConstraints=CA:FALSE"] + extensions) + "\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=%s" % name, cwd=folder)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", str(days), "-out", name + ".pem", "-extfile", name + ".ext",
            cwd=folder)


SERVER_EXTENSIONS = ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"]


def make_certificates(folder):
    make_ca(folder, "ca")
    make_ca(folder, "other-ca")
    make_leaf(folder, "server", "ca", SERVER_EXTENSIONS)
    make_leaf(folder, "client", "ca", ["extendedKeyUsage=clientAuth"])
    make_leaf(folder, "stranger", "other-ca", ["extendedKeyUsage=clientAuth"])
    return {name: os.path.join(folder, name) for name in
            ("ca", "other-ca", "server", "client", "stranger")}


def not_after(certificate):
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", certificate],
                         capture_output=True, check=True, timeout=30).stdout.decode()
    when = datetime.datetime.strptime(out.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y GMT")
    return when.replace(tzinfo=datetime.timezone.utc).timestamp()


def client_context(certs, identity=None):
    """Trusts the test CA (and checks 127.0.0.1 in the server's certificate)."""
    context = ssl.create_default_context(cafile=certs["ca"] + ".pem")
    if identity is not None:
        context.load_cert_chain(certs[identity] + ".pem", certs[identity] + ".key")
    return context


# ---------------------------------------------------------------- requests

def get(url, context, token=None):
    """(status, body) of a GET; an HTTP error status is returned, not raised."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_message(port, context, message):
    """(status, body) of an ingest POST over HTTPS; raises what the connection raised."""
    conn = http.client.HTTPSConnection(e2e.HOST, port, context=context, timeout=10)
    try:
        conn.request("POST", "/ingest/lab-https", body=message, headers={"Content-Type": ER7})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post_refused(port, context, message, what):
    """The POST must get no HTTP answer: the handshake (or, under TLS 1.3, the first read after
    it) fails."""
    try:
        status, _ = post_message(port, context, message)
    except (OSError, http.client.HTTPException) as e:  # ssl.SSLError is an OSError
        return type(e).__name__
    raise e2e.TestFailure("%s: answered %d instead of being refused" % (what, status))


def plain_http(port):
    """A plain HTTP GET to an HTTPS port: (status, body)."""
    conn = http.client.HTTPConnection(e2e.HOST, port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def stored_rows(folder, control_id):
    return e2e.query(folder, "SELECT status FROM hisbridge_messages WHERE control_id = ?",
                     (control_id,))


def make_token(binary):
    out = subprocess.run([binary, "token", "--name", "wallboard", "--role", "viewer", "--json"],
                         capture_output=True, check=True, timeout=30).stdout
    return json.loads(out)


# ---------------------------------------------------------------- the checks

def check_admin(admin_url, certs, token):
    context = client_context(certs)
    status, body = get(admin_url + "/healthz", context)
    check(status == 200, "/healthz over HTTPS answered %d: %r" % (status, body[:200]))
    status, _ = get(admin_url + "/api/v1/channels", context)
    check(status == 401, "/api/v1/channels without a token answered %d, not 401" % status)
    status, body = get(admin_url + "/api/v1/channels", context, token)
    check(status == 200, "/api/v1/channels with the token answered %d" % status)
    names = [c["name"] for c in json.loads(body)["channels"]]
    check(names == ["lab-https-inbound"], "channels over HTTPS: %r" % names)
    status, body = get(admin_url + "/dashboard/", context)
    check(status == 200 and b"<html" in body.lower(),
          "the dashboard over HTTPS answered %d: %r" % (status, body[:200]))


def check_ingest(folder, port, certs):
    status, body = post_message(port, client_context(certs, "client"), oru("TLS-1"))
    check(status == 200, "the POST over mutual TLS answered %d: %r" % (status, body[:300]))
    ack = e2e.Ack(body)
    check(ack.code == "AA" and ack.control_id == b"TLS-1", "the ACK over mutual TLS: %r" % ack)
    e2e.wait_for("TLS-1 in the journal", lambda: stored_rows(folder, "TLS-1"), timeout=10)
    for identity, control_id in ((None, "TLS-NOCERT"), ("stranger", "TLS-OTHERCA")):
        how = post_refused(port, client_context(certs, identity), oru(control_id),
                           "a client certificate of %s" % (identity or "nobody"))
        print("refused without a good client certificate (%s): %s" % (identity, how))
        check(not stored_rows(folder, control_id), "%s was stored" % control_id)


def check_plain_http_refused(port, what):
    status, body = plain_http(port)
    check(status == 400 and "https" in body.lower(),
          "plain HTTP to the %s's HTTPS port answered %d: %r" % (what, status, body))


def served_certificate(port, context):
    """The certificate (DER) a new HTTPS connection to `port` is shown."""
    with socket.create_connection((e2e.HOST, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.getpeercert(binary_form=True)


def der_of(certificate):
    with open(certificate, encoding="ascii") as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def check_expiry_metrics(admin_url, certs, token, certificate):
    """Both servers' expiry metric says `certificate`'s notAfter."""
    status, body = get(admin_url + "/metrics", client_context(certs), token)
    check(status == 200, "/metrics answered %d" % status)
    expiry = not_after(certificate)
    for listener in ("lab-https", "admin"):
        value = e2e.sample(
            body.decode("utf-8"),
            'hisbridge_tls_certificate_expiry_timestamp_seconds{listener="%s"}' % listener)
        check(abs(value - expiry) < 1, "certificate expiry of %s: %s, notAfter of %s %s"
              % (listener, value, os.path.basename(certificate), expiry))


def check_renewal(engine, admin_port, ingest_port, certs, token):
    """A renewed certificate copied over the files both servers use is taken on SIGHUP: new
    connections to each are shown it and the expiry metrics follow it."""
    folder = os.path.dirname(certs["server"])
    make_leaf(folder, "renewed", "ca", SERVER_EXTENSIONS, days=25)
    shutil.copyfile(os.path.join(folder, "renewed.key"), certs["server"] + ".key")
    shutil.copyfile(os.path.join(folder, "renewed.pem"), certs["server"] + ".pem")
    engine.process.send_signal(signal.SIGHUP)
    for server in ("admin", "listener lab-https"):
        engine.wait_for_log(r"%s: TLS files read again: new certificate" % server, 30)
    renewed = der_of(os.path.join(folder, "renewed.pem"))
    for port in (admin_port, ingest_port):
        identity = "client" if port == ingest_port else None
        check(served_certificate(port, client_context(certs, identity)) == renewed,
              "a new connection to %d after the reload is not shown the renewed certificate"
              % port)
    check_expiry_metrics("https://127.0.0.1:%d" % admin_port, certs, token,
                         os.path.join(folder, "renewed.pem"))


def check_metrics(admin_url, certs, token):
    status, body = get(admin_url + "/metrics", client_context(certs), token)
    check(status == 200, "/metrics answered %d" % status)
    text = body.decode("utf-8")
    failures = e2e.sample(text, 'hisbridge_tls_handshake_failures_total{listener="lab-https"}')
    check(failures >= 3, "handshake failures of lab-https: %s, expected at least 3" % failures)
    admin_failures = e2e.sample(text, 'hisbridge_tls_handshake_failures_total{listener="admin"}')
    check(admin_failures >= 1, "handshake failures of admin: %s" % admin_failures)
    check_expiry_metrics(admin_url, certs, token, certs["server"] + ".pem")
    for listener in ("lab-https", "admin"):
        for reason in ("not_allowed", "per_ip_limit", "over_limit"):
            refused = e2e.sample(text, 'hisbridge_listener_connections_refused_total'
                                 '{listener="%s",reason="%s"}' % (listener, reason))
            check(refused == 0, "%s refused %s connections for %s" % (listener, refused, reason))


def check_bad_certificate(binary, folder, certs, config, where):
    """A certificate file that is not PEM (the config reader only checks that it is readable)
    stops `serve`, with a message that names the server and the file."""
    bad = os.path.join(folder, "not-pem.pem")
    with open(bad, "w", encoding="ascii") as f:
        f.write("not a certificate\n")
    broken = json.loads(json.dumps(config))
    if where == "admin":
        broken["admin"]["tls"]["certificate"] = bad
    else:
        broken["listeners"][0]["tls"]["certificate"] = bad
    e2e.write_config(folder, broken, "bad.json")
    done = subprocess.run([binary, "serve", "--config", "bad.json"], cwd=folder,
                          capture_output=True, text=True, timeout=30)
    output = done.stdout + done.stderr
    check(done.returncode != 0, "serve started with a bad %s certificate: %s" % (where, output))
    check("not-pem.pem" in output and where in output,
          "the start error does not name %s and the file: %s" % (where, output))


def main():
    binary = e2e.binary_from_argv()
    if shutil.which("openssl") is None:
        print("SKIPPED: no openssl command")
        sys.exit(e2e.EXIT_SKIP)
    e2e.watchdog(90)
    token = make_token(binary)
    with e2e.temp_folder("hisbridge-e2e-https-") as folder, \
            e2e.Engine(binary, folder) as engine:
        certs = make_certificates(folder)
        ingest_port, admin_port = e2e.free_ports(2)
        server_tls = {"certificate": certs["server"] + ".pem",
                      "private_key": certs["server"] + ".key"}
        listener = {"name": "lab-https", "type": "http", "host": e2e.HOST, "port": ingest_port,
                    "tls": dict(server_tls, ca=certs["ca"] + ".pem",
                                require_client_certificate=True),
                    "allow_from": ["127.0.0.0/8"], "max_connections_per_ip": 20,
                    "message_timeout": "30s"}
        config = e2e.base_config(admin_port, [listener])
        config["admin"]["tls"] = server_tls
        config["admin"]["tokens"] = [{k: token[k] for k in ("name", "role", "sha256")}]
        check_bad_certificate(binary, folder, certs, config, "admin")
        check_bad_certificate(binary, folder, certs, config, "listener lab-https")
        e2e.write_config(folder, config)
        engine.start()
        engine.wait_for_log(r"admin: listening on 127\.0\.0\.1:%d \(https" % admin_port)
        engine.wait_for_log(r"http lab-https: POST /ingest/lab-https on 127\.0\.0\.1:%d \(https"
                            % ingest_port)
        admin_url = "https://127.0.0.1:%d" % admin_port
        check_admin(admin_url, certs, token["token"])
        check_ingest(folder, ingest_port, certs)
        check_plain_http_refused(ingest_port, "HTTP listener")
        check_plain_http_refused(admin_port, "admin server")
        # Still serving after every refusal.
        check_admin(admin_url, certs, token["token"])
        status, body = post_message(ingest_port, client_context(certs, "client"), oru("TLS-2"))
        check(status == 200 and e2e.Ack(body).code == "AA", "TLS-2 answered %d" % status)
        check_metrics(admin_url, certs, token["token"])
        check_renewal(engine, admin_port, ingest_port, certs, token["token"])
        engine.stop()
        log = engine.log_text(1)
        check("TLS handshake failed" in log, "no handshake failure in the log:\n" + log)


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
