#!/usr/bin/python3
"""A backup of an engine whose journal is in PostgreSQL and whose HIS staging database is
SQLite, made as the operator guide says, then a restore from it.

Skipped (77) unless HISBRIDGE_TEST_PG names a server and pg_dump and pg_restore are installed.
The journal (with its timeline, ADR 0003) is in a database made for the run; the stock LIS
mapping writes his_order into var/his.db. A sender that never stops sends lab orders over MLLP
(e2e_backup's) while:
  - a first `hisbridge backup` into an empty folder (the operator's first try) copies the HIS
    database, exits 0, warns on stderr that the folder holds no dump of the journal, and prints
    the pg_dump line to run before the copies;
  - the nightly backup: that line, run by the shell as printed but into a new folder, dumps the
    journal; `hisbridge backup` into the same folder takes it (it holds only the journal's
    dump), copies the HIS database after the dump, lists the dump in the manifest with its
    size and SHA-256, and gives no warning;
  - a folder that holds the journal's dump and anything else is refused (exit 2), nothing
    written to it;
  - `hisbridge backup --pg-dump` into a new folder does both in one command: it dumps the
    journal itself before the copies (no pg_dump line printed, no warning), the manifest lists
    the dump as made before the copies;
  - the journal's audit rows hold the three backups made (not the refused one).
A config with the journal and the HIS database in two PostgreSQL databases (the engine not
running) is refused without --pg-dump (exit 2, nothing to copy) and backed up with it by its
two dumps alone: the journal's before, the HIS database's after, both readable by pg_restore.
Then, with the engine stopped, the restore the guide describes: `pg_restore --clean --if-exists`
of the dump into a new database and the HIS copy in a new folder (the nightly backup's, and the
one-command backup's into another database). The restored journal holds
message ids 1..n without a gap, every order ACKed before the dump began among them; every order
it counts as delivered is in the HIS copy (a HIS copied before the journal was dumped misses
those delivered in between, and nothing would deliver them again); an engine started on the
restore lists every message and delivers the order of each to its HIS database.

Usage: e2e_backup_pg.py HISBRIDGE MAPPINGS_DIR. Exit status: 0 passed, 1 failed, 77 skipped.
"""

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import e2e_backup as bk
import e2e_support as e2e
from e2e_support import check

BEFORE_DUMP = 200  # orders ACKed before the nightly backup starts


def engine_config(admin_port, lis_port, mappings, journal):
    config = bk.engine_config(admin_port, lis_port, mappings)
    config["store"]["location"] = journal
    return config


def journal_counts(database):
    """(messages, still received, deliveries pending) of a journal in PostgreSQL."""
    row = database.query("SELECT count(*), count(*) FILTER (WHERE status = 'received'),"
                         " (SELECT count(*) FROM hisbridge_deliveries WHERE state = 'pending')"
                         " FROM hisbridge_messages").strip()
    return tuple(int(v) for v in row.split("|"))


def wait_processed(database, expected, timeout=60.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = journal_counts(database)
        if last[0] >= expected and last[1] == 0 and last[2] == 0:
            return
        time.sleep(0.1)
    raise e2e.TestFailure("processing not done within %.0f s: (messages, received, pending) = "
                          "%r, expected %d messages" % (timeout, last, expected))


def his_orders(path):
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % path, uri=True)) as db:
        return {o for (o,) in db.execute("SELECT order_no FROM his_order")}


def first_try(binary, folder, root):
    """The operator's first run: no dump in the folder. Returns the pg_dump line it printed."""
    first = os.path.join(root, "backup", "first")
    done = bk.run_backup(binary, folder, first)
    out, err = done.stdout.decode(), done.stderr.decode()
    check(done.returncode == 0, "first backup: exit %d\n%s" % (done.returncode, err))
    check("holds no dump of the journal" in err and "this backup has no journal" in err,
          "no warning about the journal's dump: %r" % err)
    lines = [l.strip() for l in out.splitlines() if l.strip().startswith("pg_dump ")]
    check(len(lines) == 1 and "before `hisbridge backup` copies anything" in out,
          "the first backup's summary gives no pg_dump line to run first:\n%s" % out)
    check(first in lines[0] and "journal.pgdump" in lines[0], "pg_dump line: %r" % lines[0])
    with open(os.path.join(first, "backup.json")) as f:
        manifest = json.load(f)
    check([f["role"] for f in manifest["files"]] == ["his"] and not manifest["dumps"] and
          [(n["role"], n["when"]) for n in manifest["not_copied"]] ==
          [("journal", "before the copies")], "first manifest: %r" % manifest)
    return lines[0].replace(first, "{folder}")


def nightly(binary, folder, backup, line):
    """The journal dumped by the printed line, then `hisbridge backup` into the same folder."""
    os.makedirs(backup)
    dump = subprocess.run(["/bin/sh", "-c", line.replace("{folder}", backup)],
                          capture_output=True, timeout=120)
    check(dump.returncode == 0, "pg_dump: exit %d: %s" % (dump.returncode, dump.stderr.decode()))
    check(os.listdir(backup) == ["journal.pgdump"], "after pg_dump: %r" % os.listdir(backup))
    done = bk.run_backup(binary, folder, backup, "--json")
    check(done.returncode == 0, "backup: exit %d\n%s" % (done.returncode, done.stderr.decode()))
    check(not done.stderr.strip(), "backup warned: %r" % done.stderr.decode())
    return json.loads(done.stdout)


def check_manifest(manifest, backup):
    dumps = manifest["dumps"]
    check(len(dumps) == 1 and dumps[0]["role"] == "journal" and
          dumps[0]["file"] == "journal.pgdump", "dumps: %r" % dumps)
    path = os.path.join(backup, "journal.pgdump")
    check(dumps[0]["sha256"] == bk.sha256(path) and
          dumps[0]["size_bytes"] == os.path.getsize(path), "the dump differs from the manifest")
    check([f["role"] for f in manifest["files"]] == ["his"], "files: %r" % manifest["files"])
    check(manifest["not_copied"] == [], "not copied: %r" % manifest["not_copied"])
    check(sorted(os.listdir(backup)) == ["backup.json", "his.db", "journal.pgdump"],
          "the backup folder holds %r" % os.listdir(backup))


def check_pg_restore_reads(path, table=None):
    """pg_restore --list reads the dump at `path` (and lists `table`, when given)."""
    listed = subprocess.run(["pg_restore", "--list", path], capture_output=True, timeout=60)
    check(listed.returncode == 0 and (table is None or table.encode() in listed.stdout),
          "pg_restore --list %s: exit %d" % (path, listed.returncode))


def one_command(binary, folder, backup):
    """`hisbridge backup --pg-dump`: the journal dumped by the command, then the copies."""
    done = bk.run_backup(binary, folder, backup, "--pg-dump", "--json")
    check(done.returncode == 0, "backup --pg-dump: exit %d\n%s"
          % (done.returncode, done.stderr.decode()))
    check(b"warning" not in done.stderr, "backup --pg-dump warned: %r" % done.stderr.decode())
    manifest = json.loads(done.stdout)
    check([d["made"] for d in manifest["dumps"]] == ["before the copies"],
          "dumps: %r" % manifest["dumps"])
    check_manifest(manifest, backup)
    check_pg_restore_reads(os.path.join(backup, "journal.pgdump"), "hisbridge_messages")


def all_in_postgres(binary, server, mappings, root):
    """Journal and HIS in two PostgreSQL databases: the backup is their dumps alone."""
    journal = e2e.PostgresDatabase(server, "hisbridge_e2e_bk_pj")
    his = e2e.PostgresDatabase(server, "hisbridge_e2e_bk_ph")
    try:
        folder = os.path.join(root, "all-pg")
        os.makedirs(folder)
        admin_port, lis_port = e2e.free_ports(2)
        config = engine_config(admin_port, lis_port, mappings, journal.uri)
        config["his"] = {"location": his.uri}
        e2e.write_config(folder, config)
        refused = bk.run_backup(binary, folder, os.path.join(root, "backup", "all-pg-refused"))
        check(refused.returncode == 2 and b"--pg-dump dumps them" in refused.stderr,
              "all in PostgreSQL without --pg-dump: %d %r" % (refused.returncode,
                                                             refused.stderr))
        backup = os.path.join(root, "backup", "all-pg")
        done = bk.run_backup(binary, folder, backup, "--pg-dump", "--json")
        check(done.returncode == 0, "all in PostgreSQL, --pg-dump: exit %d\n%s"
              % (done.returncode, done.stderr.decode()))
        manifest = json.loads(done.stdout)
        check([(d["role"], d["made"]) for d in manifest["dumps"]] ==
              [("journal", "before the copies"), ("his", "after the copies")] and
              manifest["files"] == [] and manifest["not_copied"] == [],
              "all in PostgreSQL: %r" % manifest)
        check(sorted(os.listdir(backup)) == ["backup.json", "his.pgdump", "journal.pgdump"],
              "all in PostgreSQL, the folder holds %r" % os.listdir(backup))
        for d in manifest["dumps"]:
            path = os.path.join(backup, d["file"])
            check(d["sha256"] == bk.sha256(path), "%s differs from the manifest" % d["file"])
            check_pg_restore_reads(path)
        print("all in PostgreSQL: %s" % ", ".join("%s %d bytes" % (d["file"], d["size_bytes"])
                                                  for d in manifest["dumps"]))
    finally:
        journal.close()
        his.close()


def refuses_dump_and_more(binary, folder, root):
    used = os.path.join(root, "backup", "used")
    os.makedirs(used)
    for name in ("journal.pgdump", "notes.txt"):
        with open(os.path.join(used, name), "w") as f:
            f.write("yesterday")
    refused = bk.run_backup(binary, folder, used)
    check(refused.returncode == 2 and b"holds files already" in refused.stderr,
          "a folder with the dump and more: %d %r" % (refused.returncode, refused.stderr))
    check(sorted(os.listdir(used)) == ["journal.pgdump", "notes.txt"],
          "the refused folder was written to")


def check_restored(restored, his_copy, acked_before, sent_total, backups_before=1):
    """The restored journal against what was sent, and the HIS copy against it."""
    n, first, last = (int(v or 0) for v in restored.query(
        "SELECT count(*), min(id), max(id) FROM hisbridge_messages").strip().split("|"))
    check(first == 1 and last == n, "ids %r..%r for %d messages: a gap" % (first, last, n))
    check(acked_before <= n <= sent_total, "%d messages restored; %d ACKed before the dump, %d "
          "sent in all" % (n, acked_before, sent_total))
    ids = sorted(int(c[3:]) for c in restored.query(
        "SELECT control_id FROM hisbridge_messages").split())
    check(ids == list(range(1, n + 1)), "the restored control ids are not BK-1..BK-%d" % n)
    # Backups recorded before the dump: the nightly one is recorded after its dump, the
    # one-command backup before it dumps.
    audited = int(restored.query("SELECT count(*) FROM hisbridge_audit WHERE action = 'backup'"))
    check(audited == backups_before, "%d backups in the restored audit rows, %d before the dump"
          % (audited, backups_before))
    delivered = [int(c[3:]) for c in restored.query(
        "SELECT m.control_id FROM hisbridge_deliveries d JOIN hisbridge_messages m"
        " ON m.id = d.message_id WHERE d.state = 'delivered'").split()]
    orders = his_orders(his_copy)
    missing = [i for i in delivered if "XN-BK-%d" % i not in orders]
    check(not missing, "%d orders the restored journal counts as delivered are not in the HIS "
          "copy: %r" % (len(missing), missing[:5]))
    print("restored journal: %d messages (%d ACKed before the dump, %d sent), %d delivered, "
          "%d orders in the HIS copy" % (n, acked_before, sent_total, len(delivered), len(orders)))
    return n


def start_restored(binary, mappings, target, manifest, backup, journal, copied):
    his = next(f for f in manifest["files"] if f["role"] == "his")
    place = os.path.join(target, his["configured"])
    os.makedirs(os.path.dirname(place))
    shutil.copy2(os.path.join(backup, his["copy"]), place)
    admin_port, lis_port = e2e.free_ports(2)
    e2e.write_config(target, engine_config(admin_port, lis_port, mappings, journal.uri))
    with e2e.Engine(binary, target) as engine:
        engine.start()
        ids = bk.api_message_ids(admin_port)
        check(sorted(ids) == list(range(1, copied + 1)),
              "the restored engine lists %d messages, the dump held %d" % (len(ids), copied))
        wait_processed(journal, copied)
        orders = his_orders(place)
        lost = [i for i in range(1, copied + 1) if "XN-BK-%d" % i not in orders]
        check(not lost, "orders of the restored messages missing from the HIS: %r" % lost[:5])
        engine.stop()
    print("restored engine: %d messages listed, %d orders in its HIS database"
          % (len(ids), len(orders)))


def why_skipped():
    if not os.environ.get("HISBRIDGE_TEST_PG"):
        return "HISBRIDGE_TEST_PG is not set"
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        return "pg_dump or pg_restore is not installed"
    return None


def main():
    binary = e2e.binary_from_argv()
    mappings = os.path.abspath(sys.argv[2])
    server = os.environ["HISBRIDGE_TEST_PG"]
    e2e.watchdog(240)
    journal = e2e.PostgresDatabase(server, "hisbridge_e2e_bk")
    restored = e2e.PostgresDatabase(server, "hisbridge_e2e_bk_restored")
    restored_one = e2e.PostgresDatabase(server, "hisbridge_e2e_bk_one")
    try:
        with e2e.temp_folder("hisbridge_e2e_backup_pg_") as root:
            folder = os.path.join(root, "site")
            os.makedirs(folder)
            admin_port, lis_port = e2e.free_ports(2)
            e2e.write_config(folder, engine_config(admin_port, lis_port, mappings, journal.uri))
            backup = os.path.join(root, "backup", "nightly")
            one_backup = os.path.join(root, "backup", "one-command")
            with e2e.Engine(binary, folder) as engine:
                engine.start()
                sender = bk.Sender(lis_port)
                sender.start()
                e2e.wait_for("first orders ACKed", lambda: sender.acked >= 50 or sender.error, 60)
                line = first_try(binary, folder, root)
                e2e.wait_for("%d orders ACKed" % BEFORE_DUMP,
                             lambda: sender.acked >= BEFORE_DUMP or sender.error, 60)
                acked_before = sender.acked
                started = time.monotonic()
                manifest = nightly(binary, folder, backup, line)
                took = time.monotonic() - started
                acked_during = sender.acked - acked_before
                e2e.wait_for("orders ACKed after the backup",
                             lambda: sender.acked > acked_before + acked_during or sender.error,
                             30)
                acked_before_one = sender.acked
                one_command(binary, folder, one_backup)
                e2e.wait_for("orders ACKed after the one-command backup",
                             lambda: sender.acked > acked_before_one + 20 or sender.error, 30)
                sender.stop()
                wait_processed(journal, sender.acked)
                refuses_dump_and_more(binary, folder, root)
                engine.stop()
            audited = int(journal.query("SELECT count(*) FROM hisbridge_audit"
                                        " WHERE action = 'backup'"))
            check(audited == 3, "%d backups in the journal's audit rows, 3 made" % audited)
            print("pg_dump then backup of a running engine: %.2f s, %d orders ACKed meanwhile"
                  % (took, acked_during))
            check_manifest(manifest, backup)
            restore = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--dbname=" + restored.uri,
                 os.path.join(backup, "journal.pgdump")], capture_output=True, timeout=120)
            check(restore.returncode == 0, "pg_restore: exit %d: %s"
                  % (restore.returncode, restore.stderr.decode()))
            copied = check_restored(restored, os.path.join(backup, "his.db"), acked_before,
                                    sender.acked)
            start_restored(binary, mappings, os.path.join(root, "restored"), manifest, backup,
                           restored, copied)
            restore = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--dbname=" + restored_one.uri,
                 os.path.join(one_backup, "journal.pgdump")], capture_output=True, timeout=120)
            check(restore.returncode == 0, "pg_restore of the one-command dump: exit %d: %s"
                  % (restore.returncode, restore.stderr.decode()))
            check_restored(restored_one, os.path.join(one_backup, "his.db"), acked_before_one,
                           sender.acked, backups_before=3)
            all_in_postgres(binary, server, mappings, root)
    finally:
        journal.close()
        restored.close()
        restored_one.close()


if __name__ == "__main__":
    if why_skipped():
        print("SKIPPED: %s" % why_skipped())
        sys.exit(e2e.EXIT_SKIP)
    sys.exit(e2e.run_main(main))
