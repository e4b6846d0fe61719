#!/usr/bin/python3
"""MLLP over TLS through the real binary, with certificates the openssl command makes.

    e2e_mllp_tls.py HISBRIDGE

The engine runs with two TLS listeners and three TLS MLLP destinations:

  lis   TLS (the CA's server certificate for localhost/127.0.0.1)
  lab   mutual TLS: a client certificate that chains to the CA is required

  what                                           checked
  python's ssl socket to lis                     ACK AA; the message stored as sent
  `openssl s_client` to lis                      an ACK (a second, independent TLS client)
  a peer that connects to lis and says nothing   closed after lis's handshake_timeout (1s, not
                                                 the 10s default), counted in
                                                 hisbridge_tls_handshake_failures_total{lis},
                                                 logged "no TLS handshake within 1000 ms"
  lab with the CA's client certificate           ACK AA
  lab without one / expired / of another CA      refused, nothing stored;
                                                 hisbridge_tls_handshake_failures_total{lab} 3;
                                                 one log line each with the peer and the reason
  /metrics                                       the certificate's notAfter as
                                                 hisbridge_tls_certificate_expiry_timestamp_seconds,
                                                 the client certificate's of `mutual` as
                                                 ..._client_certificate_expiry_timestamp_seconds
  an mllp destination `mutual` with the CA's     the message forwarded, AA, stored by lab as
  client certificate, to the lab listener        sent; its queue entry delivered
  an mllp destination to a server whose          nothing delivered; the queue entry pending with
  certificate has expired / names another host   last_error "... certificate has expired (peer
                                                 127.0.0.1:PORT)" / "... hostname mismatch ..."
  a listener certificate that is not PEM         `serve` exits non-zero naming the file
  a certificate path that does not exist         `serve` exits 2 naming the file
  renewed certificate and key copied over the    on SIGHUP: new connections get the renewed
  files lis started with                         certificate, a connection opened before goes
                                                 on, the expiry metric follows, the log says
                                                 "TLS files read again: new certificate" (and
                                                 each destination that its CA file was read)
  then a certificate file that is not PEM        SIGHUP: logged with the reason, the renewed
                                                 certificate stays in use

No patient name reaches the log. The engine exits 0 on SIGTERM.

Exit status: 0 passed, 1 failed, 77 skipped (no openssl command).
"""

import os
import select
import signal
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

import e2e_support as e2e
from e2e_support import check

WAIT_S = 20.0
PATIENT = "Tlsnguyenvan"


def oru(control_id):
    return ("MSH|^~\\&|LIS|LAB|HIS|HOSP|20260305081500||ORU^R01^ORU_R01|%s|P|2.5.1\r"
            "PID|1||TLS%s^^^HOSP^MR||%s^AN\r"
            "OBR|1|ORD-%s||GLU^Glucose\r"
            "OBX|1|NM|GLU^Glucose||5.4|mmol/L|||||F\r"
            % (control_id, control_id, PATIENT, control_id)).encode()


# ---------------------------------------------------------------- certificates

SERVER_EXT = ("basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
              "extendedKeyUsage = serverAuth, clientAuth\n"
              "subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1\n")
CLIENT_EXT = ("basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
              "extendedKeyUsage = clientAuth\n")
WRONG_HOST_EXT = ("basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                  "extendedKeyUsage = serverAuth\nsubjectAltName = DNS:wrong.example.org\n")


def openssl(folder, *args):
    done = subprocess.run(["openssl", *args], cwd=folder, capture_output=True, timeout=60)
    check(done.returncode == 0, "openssl %s: %s" % (" ".join(args), done.stderr.decode()))


def make_ca(folder, name):
    """NAME.pem/.key, self-signed, with a signing database for `openssl ca` (which, unlike
    `x509 -req`, takes a start date in the past: the expired certificate)."""
    db = os.path.join(folder, name + ".db")
    os.makedirs(db)
    open(os.path.join(db, "index.txt"), "w").close()
    with open(os.path.join(db, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(folder, name + ".cnf"), "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\nx509_extensions = v3_ca\n"
                "[dn]\nCN = %s test CA\n"
                "[v3_ca]\nbasicConstraints = critical, CA:TRUE\n"
                "keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
                "[ca]\ndefault_ca = signer\n[signer]\ndatabase = %s/index.txt\n"
                "new_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = any\n"
                "unique_subject = no\n[any]\ncommonName = supplied\n" % (name, db, db, db))
    openssl(folder, "req", "-x509", "-new", "-config", name + ".cnf", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
            "-out", name + ".pem", "-days", "3650")


def make_leaf(folder, name, ca, common_name, extensions, dates=("-days", "825")):
    with open(os.path.join(folder, name + ".ext"), "w") as f:
        f.write(extensions)
    openssl(folder, "req", "-new", "-config", ca + ".cnf", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + common_name)
    openssl(folder, "ca", "-batch", "-notext", "-config", ca + ".cnf", "-cert", ca + ".pem",
            "-keyfile", ca + ".key", "-in", name + ".csr", "-out", name + ".pem",
            "-extfile", name + ".ext", *dates)


def make_certificates(folder):
    make_ca(folder, "ca")
    make_ca(folder, "other-ca")
    make_leaf(folder, "server", "ca", "localhost", SERVER_EXT)
    make_leaf(folder, "client", "ca", "lab analyser", CLIENT_EXT)
    make_leaf(folder, "expired", "ca", "localhost", SERVER_EXT,
              ("-startdate", "20200101000000Z", "-enddate", "20200201000000Z"))
    make_leaf(folder, "wrong-host", "ca", "wrong.example.org", WRONG_HOST_EXT)
    make_leaf(folder, "foreign", "other-ca", "localhost", SERVER_EXT)
    return {name: os.path.join(folder, name) for name in
            ("ca", "server", "client", "expired", "wrong-host", "foreign", "renewed")}


def not_after(certificate):
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", certificate],
                         capture_output=True, text=True, check=True).stdout
    return ssl.cert_time_to_seconds(out.strip().split("=", 1)[1])


# ---------------------------------------------------------------- clients and servers

def client_context(certs, identity=None):
    context = ssl.create_default_context(cafile=certs["ca"] + ".pem")
    if identity:
        context.load_cert_chain(certs[identity] + ".pem", certs[identity] + ".key")
    return context


def exchange_on(tls, message):
    """One message on an open TLS connection; its ACK."""
    tls.sendall(e2e.frame(message))
    got = b""
    while e2e.EB + e2e.CR not in got:
        chunk = tls.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an ACK")
        got += chunk
    return e2e.Ack(got[got.find(e2e.SB) + 1:got.find(e2e.EB)])


def tls_exchange(port, context, message):
    """One message over TLS; its ACK, or raises what the TLS layer raised."""
    with socket.create_connection((e2e.HOST, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return exchange_on(tls, message)


def served_certificate(port, context):
    """The DER of the certificate a new TLS connection to `port` is shown."""
    with socket.create_connection((e2e.HOST, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der_of(pem_file):
    with open(pem_file) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def s_client_exchange(port, certs, message):
    """One message through `openssl s_client`, verifying the engine's certificate; its ACK."""
    process = subprocess.Popen(
        ["openssl", "s_client", "-connect", "%s:%d" % (e2e.HOST, port), "-servername",
         "localhost", "-verify_hostname", "localhost", "-CAfile", certs["ca"] + ".pem",
         "-verify_return_error", "-quiet", "-nocommands"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        process.stdin.write(e2e.frame(message))
        process.stdin.flush()
        got = b""
        deadline = time.monotonic() + 10
        while e2e.EB + e2e.CR not in got and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    break
                got += chunk
        check(e2e.EB + e2e.CR in got, "no ACK through s_client: %r; stderr: %s"
              % (got, process.stderr.read1(4096) if process.poll() is not None else ""))
        return e2e.Ack(got[got.find(e2e.SB) + 1:got.find(e2e.EB)])
    finally:
        process.kill()
        process.wait()


class TlsMllpServer:
    """An MLLP server over TLS with a given certificate, answering AA: the receiving side of
    the destinations. Counts the handshakes that succeeded and the frames it received."""

    def __init__(self, certs, name):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certs[name] + ".pem", certs[name] + ".key")
        self.sock = socket.socket()
        self.sock.bind((e2e.HOST, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0
        self.failed_handshakes = 0
        self.frames = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            raw.settimeout(5)
            try:
                with self.context.wrap_socket(raw, server_side=True) as tls:
                    self.handshakes += 1
                    while True:
                        data = tls.recv(65536)
                        if not data:
                            break
                        self.frames += data.count(e2e.EB + e2e.CR)
            except (ssl.SSLError, OSError):
                self.failed_handshakes += 1

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- the checks

def check_lis(folder, port, certs):
    ack = tls_exchange(port, client_context(certs), oru("TLS-PY-1"))
    check(ack.code == "AA" and ack.control_id == b"TLS-PY-1", "python over TLS: %r" % ack)
    rows = e2e.query(folder, "SELECT raw FROM hisbridge_messages WHERE control_id = 'TLS-PY-1'")
    check(rows and rows[0][0] == oru("TLS-PY-1"), "TLS-PY-1 not stored as sent: %r" % rows)
    ack = s_client_exchange(port, certs, oru("TLS-SCLIENT-1"))
    check(ack.code == "AA" and ack.control_id == b"TLS-SCLIENT-1", "s_client: %r" % ack)


def check_silent_peer(engine, port, admin_port):
    """A peer that opens a connection and never starts its handshake is closed after the
    listener's handshake_timeout."""
    started = time.monotonic()
    with socket.create_connection((e2e.HOST, port), timeout=WAIT_S) as silent:
        try:
            closed = silent.recv(1) == b""
        except ConnectionResetError:
            closed = True
    waited = time.monotonic() - started
    check(closed, "the silent peer got bytes instead of a close")
    check(0.9 <= waited < 5.0, "the silent peer was closed after %.2f s, not ~1 s" % waited)
    e2e.wait_for("1 handshake failure on lis", lambda: e2e.sample(
        e2e.metrics_text(admin_port),
        'hisbridge_tls_handshake_failures_total{listener="lis"}') == 1, WAIT_S)
    e2e.wait_for("the timeout in the log", lambda: any(
        "mllp lis: 127.0.0.1:" in l and "no TLS handshake within 1000 ms" in l
        for l in engine.log_lines()), WAIT_S)


def check_mutual(folder, port, certs, admin_port):
    ack = tls_exchange(port, client_context(certs, "client"), oru("TLS-MUTUAL-1"))
    check(ack.code == "AA", "mutual TLS with the CA's client certificate: %r" % ack)
    for identity in (None, "expired", "foreign"):
        control_id = "TLS-REFUSED-%s" % identity
        try:
            ack = tls_exchange(port, client_context(certs, identity), oru(control_id))
            raise e2e.TestFailure("lab took a client with %s: %r" % (identity, ack))
        except (ssl.SSLError, ConnectionError, OSError):
            pass
        rows = e2e.query(folder, "SELECT id FROM hisbridge_messages WHERE control_id = ?",
                         (control_id,))
        check(not rows, "the refused client's message was stored: %r" % rows)
    e2e.wait_for("3 handshake failures on lab", lambda: e2e.sample(
        e2e.metrics_text(admin_port),
        'hisbridge_tls_handshake_failures_total{listener="lab"}') == 3, WAIT_S)


def check_handshake_log(engine):
    text = engine.log_text()
    for reason in ("peer did not return a certificate", "certificate has expired",
                   "unable to get local issuer certificate"):
        lines = [l for l in text.splitlines()
                 if "mllp lab: 127.0.0.1:" in l and "TLS handshake failed: " in l and reason in l]
        check(len(lines) == 1, "one log line for %r, got %r" % (reason, lines))


def check_expiry_metric(admin_port, certs):
    text = e2e.metrics_text(admin_port)
    value = e2e.sample(text, 'hisbridge_tls_certificate_expiry_timestamp_seconds{listener="lis"}')
    check(value == not_after(certs["server"] + ".pem"),
          "certificate expiry %r, the file says %r" % (value, not_after(certs["server"] + ".pem")))
    series = 'hisbridge_tls_client_certificate_expiry_timestamp_seconds{channel="lis-inbound",'
    value = e2e.sample(text, series + 'destination="mutual"}')
    check(value == not_after(certs["client"] + ".pem"),
          "client certificate expiry %r, the file says %r"
          % (value, not_after(certs["client"] + ".pem")))
    for destination in ("expired", "wrong-host"):  # no certificate of their own
        check(series + 'destination="%s"}' % destination not in text,
              "a client certificate expiry for %s" % destination)


def reload_and_wait(engine, line):
    before = len([l for l in engine.log_lines() if line in l])
    engine.process.send_signal(signal.SIGHUP)
    e2e.wait_for("%r in the log" % line,
                 lambda: len([l for l in engine.log_lines() if line in l]) > before, WAIT_S)


def check_renewal(engine, port, admin_port, certs):
    """A renewed certificate put in place of the old files is taken on SIGHUP: new connections
    get it, one opened before keeps working, the expiry metric follows; a broken file then
    leaves the renewed certificate in place."""
    folder = os.path.dirname(certs["server"])
    context = client_context(certs)
    check(served_certificate(port, context) == der_of(certs["server"] + ".pem"),
          "lis does not show server.pem before the renewal")
    with socket.create_connection((e2e.HOST, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as held:
            make_leaf(folder, "renewed", "ca", "localhost", SERVER_EXT, ("-days", "400"))
            shutil.copyfile(certs["renewed"] + ".key", certs["server"] + ".key")
            shutil.copyfile(certs["renewed"] + ".pem", certs["server"] + ".pem")
            reload_and_wait(engine, "listener lis: TLS files read again: new certificate")
            for destination in ("expired", "wrong-host"):
                line = "/%s: TLS files read again: CA files read again" % destination
                check(any("config reload: destination " in l and line in l
                          for l in engine.log_lines()),
                      "the destination %s did not read its CA file again" % destination)
            ack = exchange_on(held, oru("TLS-HELD-1"))
            check(ack.positive, "a connection opened before the reload: %r" % ack)
    check(served_certificate(port, context) == der_of(certs["renewed"] + ".pem"),
          "a new connection after the reload is not shown the renewed certificate")
    ack = tls_exchange(port, context, oru("TLS-RENEWED-1"))
    check(ack.positive, "TLS-RENEWED-1: %r" % ack)
    value = e2e.sample(e2e.metrics_text(admin_port),
                       'hisbridge_tls_certificate_expiry_timestamp_seconds{listener="lis"}')
    check(value == not_after(certs["renewed"] + ".pem"),
          "certificate expiry %r after the renewal, the file says %r"
          % (value, not_after(certs["renewed"] + ".pem")))
    with open(certs["server"] + ".pem", "w") as f:
        f.write("not a certificate\n")
    reload_and_wait(engine, "listener lis: TLS files not taken: ")
    check(any("is not a PEM certificate" in l and "the running certificate stays" in l
              for l in engine.log_lines() if "listener lis: TLS files not taken" in l),
          "the refused file's reason is not logged")
    check(served_certificate(port, context) == der_of(certs["renewed"] + ".pem"),
          "a broken certificate file replaced the running certificate")
    shutil.copyfile(certs["renewed"] + ".pem", certs["server"] + ".pem")


def check_destinations(folder, port, certs, expired, wrong_host):
    ack = tls_exchange(port, client_context(certs), oru("TLS-FORWARD-1"))
    check(ack.positive, "TLS-FORWARD-1: %r" % ack)

    def errors():
        rows = e2e.query(folder, "SELECT queue, state, last_error FROM hisbridge_deliveries"
                                 " WHERE queue LIKE 'lis-inbound/%' AND last_error != ''")
        return {queue: (state, error) for queue, state, error in rows}

    found = e2e.wait_for("both destinations' errors", lambda: len(errors()) == 2 and errors(),
                         WAIT_S)
    state, error = found["lis-inbound/expired"]
    check(state == "pending" and "certificate verify failed: certificate has expired (peer "
          "127.0.0.1:%d)" % expired.port in error, "expired: %r" % (found,))
    state, error = found["lis-inbound/wrong-host"]
    check(state == "pending" and "certificate verify failed: hostname mismatch" in error,
          "wrong host: %r" % (found,))
    delivered = e2e.wait_for("TLS-FORWARD-1 delivered to lab over mutual TLS", lambda: e2e.query(
        folder, "SELECT raw FROM hisbridge_messages WHERE control_id = 'TLS-FORWARD-1' AND "
        "source = 'lab'"), WAIT_S)
    check(delivered[0][0] == oru("TLS-FORWARD-1"), "lab got %r" % (delivered,))
    # The lab listener stores the message before it answers; the entry is marked delivered
    # once that answer is back and the worker has written its round.
    def mutual_entry():
        return e2e.query(folder, "SELECT state FROM hisbridge_deliveries WHERE queue = "
                                 "'lis-inbound/mutual' ORDER BY id DESC LIMIT 1")

    e2e.wait_for("the mutual destination's entry delivered",
                 lambda: mutual_entry() == [("delivered",)], WAIT_S)
    check(expired.frames == 0 and wrong_host.frames == 0 and expired.handshakes == 0
          and wrong_host.handshakes == 0,
          "a server with a bad certificate got something: %d/%d frames, %d/%d handshakes"
          % (expired.frames, wrong_host.frames, expired.handshakes, wrong_host.handshakes))


def config(admin_port, lis_port, lab_port, certs, expired_port, wrong_host_port):
    server = {"certificate": certs["server"] + ".pem", "private_key": certs["server"] + ".key"}
    lab_tls = dict(server, ca=certs["ca"] + ".pem", require_client_certificate=True)
    listeners = [{"name": "lis", "port": lis_port, "host": e2e.HOST,
                  "tls": dict(server, handshake_timeout="1s")},
                 {"name": "lab", "port": lab_port, "host": e2e.HOST, "tls": lab_tls}]
    conf = e2e.base_config(admin_port, listeners)
    retry = {"first_delay": "50ms", "max_delay": "200ms"}
    conf["channels"][0]["destinations"] = [
        {"name": "expired", "type": "mllp", "host": e2e.HOST, "port": expired_port,
         "timeout": "5s", "retry": retry, "tls": {"ca": certs["ca"] + ".pem"}},
        {"name": "wrong-host", "type": "mllp", "host": e2e.HOST, "port": wrong_host_port,
         "timeout": "5s", "retry": retry,
         "tls": {"ca": certs["ca"] + ".pem", "server_name": "localhost"}},
        # Back into the engine's own mutual-TLS listener, with the CA's client certificate.
        {"name": "mutual", "type": "mllp", "host": e2e.HOST, "port": lab_port,
         "timeout": "5s", "retry": retry,
         "tls": {"ca": certs["ca"] + ".pem", "server_name": "localhost",
                 "certificate": certs["client"] + ".pem", "private_key": certs["client"] + ".key"}},
    ]
    return conf


def check_bad_files(binary, folder, certs):
    """A listener certificate that is no PEM (a start-up error, with OpenSSL's reason) and one
    that does not exist (a config error, exit 2): `serve` stops, naming the file."""
    admin_port, port = e2e.free_ports(2)
    for name, bad, status in (("not-pem.pem", "not a certificate\n", None),
                              ("missing.pem", None, 2)):
        path = os.path.join(folder, name)
        if bad is not None:
            with open(path, "w") as f:
                f.write(bad)
        tls = {"certificate": path, "private_key": certs["server"] + ".key"}
        conf = e2e.base_config(admin_port, [{"name": "lis", "port": port, "host": e2e.HOST,
                                             "tls": tls}])
        e2e.write_config(folder, conf, "bad.json")
        done = subprocess.run([binary, "serve", "--config", "bad.json"], cwd=folder,
                              capture_output=True, text=True, timeout=30)
        output = done.stdout + done.stderr
        check(done.returncode != 0, "serve started with %s: %s" % (name, output))
        check(status is None or done.returncode == status,
              "serve with %s exited %d, not %s: %s" % (name, done.returncode, status, output))
        check(path in output, "the error does not name %s: %s" % (path, output))
        if bad is not None:
            check("listener lis: TLS certificate '%s' is not a PEM certificate" % path in output,
                  "no clear reason for %s: %s" % (name, output))


def main():
    binary = e2e.binary_from_argv()
    if shutil.which("openssl") is None:
        print("SKIPPED: no openssl command")
        sys.exit(e2e.EXIT_SKIP)
    e2e.watchdog(120)
    with e2e.temp_folder("hisbridge-e2e-mllp-tls-") as folder:
        certs = make_certificates(folder)
        expired = TlsMllpServer(certs, "expired")
        wrong_host = TlsMllpServer(certs, "wrong-host")
        admin_port, lis_port, lab_port = e2e.free_ports(3)
        e2e.write_config(folder, config(admin_port, lis_port, lab_port, certs, expired.port,
                                        wrong_host.port))
        try:
            with e2e.Engine(binary, folder) as engine:
                engine.start()
                check_lis(folder, lis_port, certs)
                check_silent_peer(engine, lis_port, admin_port)
                check_mutual(folder, lab_port, certs, admin_port)
                check_handshake_log(engine)
                check_expiry_metric(admin_port, certs)
                check_destinations(folder, lis_port, certs, expired, wrong_host)
                check_renewal(engine, lis_port, admin_port, certs)
                engine.stop()
                check(PATIENT not in engine.all_logs(), "a patient name reached the log")
        finally:
            expired.close()
            wrong_host.close()
        check_bad_files(binary, folder, certs)


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
