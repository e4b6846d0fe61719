#!/usr/bin/python3
"""End to end from MLLP to the HIS staging tables, with the stock mappings.

    e2e_mapping_his.py HISBRIDGE FIXTURES MAPPINGS

FIXTURES is tests/fixtures/mapping (lis/ and ris/ hold hand-reviewed messages, each with the
mapping output it must give in <name>.expected.json); MAPPINGS holds lis-stock.json and
ris-stock.json. `hisbridge serve` runs in a temporary folder with an LIS and an RIS MLLP
listener, each with a channel that maps with its stock mapping and writes to a his-db
destination. Messages go in with python-hl7's MLLP client.

What the HIS tables must hold is computed here, independently of the engine: each fixture's
expected records applied in sending order with the writer's upsert rules
(adapters/hisdb/his_sql.hpp: a NULL keeps the stored value; in his_order, his_result and
his_report a status of lower rank only fills NULL columns). The rows read back are compared
with it field by field: every row, every column, text byte for byte (Vietnamese letters
included), seq as an integer; updated_at, the writer's clock, must be an ISO time. Four passes:

  1. every fixture in the order of its MSH-7 (the MRI report preliminary, final, corrected;
     the CT order new, started, completed, reported), one at a time, all rows compared after
     each message;
  2. the same again under new control ids, each source's run back to back on one connection:
     mapped and written again, and no row may change, updated_at included;
  3. again under other new control ids, newest first, one at a time, compared after each: a
     late preliminary report or a late 'exam started' only fills what is still NULL;
  4. the original control ids: journalled as duplicates, and the rows stay as they were.

Before a message goes to the other listener, everything sent is processed, so the two
sources' writes to shared rows (a patient seen by both) happen in the order sent.

The whole run is done with the HIS database in SQLite (var/his.db, the `his` location), then,
when HISBRIDGE_TEST_PG holds a libpq URI, in a PostgreSQL database created for the run
(CREATE DATABASE, dropped afterwards; rows read back with psql as JSON).

Exit status: 0 passed, 1 failed, 77 skipped (python-hl7 is not installed).
"""

import contextlib
import json
import os
import re
import sqlite3
import sys
import urllib.parse

import e2e_support as e2e
from e2e_support import check

try:
    import hl7
    import hl7.client
except ImportError:  # pragma: no cover - depends on the machine
    hl7 = None

# The staging schema (design.md; adapters/hisdb/his_tables.cpp): columns in contract order,
# key columns, how the status ranks.
SCHEMA = {
    "his_patient": (["patient_id", "full_name", "birth_date", "sex", "address", "insurance_no",
                     "updated_at"], ["patient_id"], None),
    "his_visit": (["visit_id", "patient_id", "department", "visit_class", "registered_at",
                   "updated_at"], ["visit_id"], None),
    "his_order": (["order_no", "visit_id", "patient_id", "discipline", "service_code",
                   "service_name", "department", "priority", "status", "ordered_at",
                   "collected_at", "received_at", "started_at", "completed_at", "reported_at",
                   "updated_at"], ["order_no"], "order"),
    "his_result": (["order_no", "test_code", "seq", "test_name", "value", "value_type", "unit",
                    "ref_range", "abnormal_flag", "status", "observed_at"],
                   ["order_no", "test_code", "seq"], "result"),
    "his_report": (["order_no", "accession_no", "modality", "findings", "conclusion",
                    "reported_by", "status", "reported_at"], ["order_no"], "result"),
}
ORDER_RANK = {"C": 6, "F": 5, "P": 4, "CM": 3, "IP": 2}
LINE_END = re.compile(rb"\r\n|\r|\n")


def rank(ranking, status):
    if ranking == "result":
        return {"C": 3, "F": 2}.get(status, 1)
    if status is None or status == "":
        return 0
    return ORDER_RANK.get(status, 1)


class HisModel:
    """The HIS tables as the upsert rules make them; rows keep a change count per key."""

    def __init__(self):
        self.rows = {table: {} for table in SCHEMA}
        self.changes = {table: {} for table in SCHEMA}

    def apply(self, record):
        """Upserts one expected record; returns True when the row is new or changed."""
        table = record["table"]
        check(table in SCHEMA, "a fixture record for unknown table %s" % table)
        columns, key_columns, ranking = SCHEMA[table]
        values = record["values"]
        key = tuple(values[c] for c in key_columns)
        stored = self.rows[table].get(key)
        if stored is None:
            self.rows[table][key] = {c: values.get(c) for c in columns if c != "updated_at"}
            self.changes[table][key] = 1
            return True
        lower = ranking is not None and (rank(ranking, values.get("status"))
                                         < rank(ranking, stored["status"]))
        changed = False
        for column, incoming in values.items():
            if column in key_columns:
                continue
            old = stored[column]
            new = (old if old is not None else incoming) if lower else \
                (incoming if incoming is not None else old)
            if new != old:
                stored[column] = new
                changed = True
        self.changes[table][key] += 1 if changed else 0
        return changed


# ---------------------------------------------------------------- fixtures

class Fixture:
    def __init__(self, path, source):
        self.path = path
        self.name = "%s/%s" % (source, os.path.basename(path))
        self.source = source
        with open(path, "rb") as f:
            lines = [line for line in LINE_END.split(f.read()) if line]
        self.raw = b"".join(line + b"\r" for line in lines)
        self.sent_at = e2e.msh_field(self.raw, 7)
        expected_path = path[:-len(".hl7")] + ".expected.json"
        with open(expected_path, encoding="utf-8") as f:
            text = "\n".join(l for l in f.read().split("\n") if not l.lstrip().startswith("//"))
        self.expected = json.loads(text)
        check("records" in self.expected, "%s: the expected output is an error: %s"
              % (expected_path, self.expected.get("error")))

    def with_control_id(self, suffix):
        """The message with MSH-10 + `suffix`: a new message as far as duplicates go."""
        segments = self.raw.split(b"\r")
        separator = segments[0][3:4]
        fields = segments[0].split(separator)
        fields[9] += suffix  # fields[n - 1] is MSH-n
        segments[0] = separator.join(fields)
        return b"\r".join(segments)


def load_fixtures(root):
    fixtures = []
    for source in ("lis", "ris"):
        folder = os.path.join(root, source)
        fixtures += [Fixture(os.path.join(folder, n), source)
                     for n in sorted(os.listdir(folder)) if n.endswith(".hl7")]
    check(len(fixtures) >= 10, "only %d fixture messages under %s" % (len(fixtures), root))
    # MSH-7 strings share one form (YYYYMMDDHHMMSS+0700), so they sort in time order.
    fixtures.sort(key=lambda f: (f.sent_at, f.name))
    return fixtures


# ---------------------------------------------------------------- the HIS databases

class SqliteHis:
    def __init__(self, path):
        self.path = path
        self.label = "SQLite"

    def read(self, table):
        uri = "file:%s?mode=ro" % urllib.parse.quote(self.path)
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM %s" % table)]


class PostgresHis(e2e.PostgresDatabase):
    """The HIS staging database in a PostgreSQL database of its own, dropped by close()."""

    label = "PostgreSQL"

    def __init__(self, server_uri):
        super().__init__(server_uri, "hisbridge_e2e")

    def read(self, table):
        # JSON from the server: NULL stays null, integers stay numbers, text is exact.
        return json.loads(self.query("SELECT COALESCE(json_agg(t), '[]'::json) FROM %s t"
                                     % table))


def read_tables(his):
    """{table: {key: row}} with every column, as the database holds it."""
    out = {}
    for table, (columns, key_columns, _) in SCHEMA.items():
        rows = his.read(table)
        out[table] = {}
        for row in rows:
            check(sorted(row) == sorted(columns), "%s %s has columns %s, the contract says %s"
                  % (his.label, table, sorted(row), columns))
            out[table][tuple(row[c] for c in key_columns)] = row
    return out


def compare(his, model, tables):
    """Field by field; returns (fields compared, fields with Vietnamese letters, mismatches)."""
    compared, vietnamese, mismatches = 0, 0, []
    for table, (columns, _, _) in SCHEMA.items():
        want, got = model.rows[table], tables[table]
        for key in sorted(set(want) - set(got), key=repr):
            mismatches.append("%s: row %s is missing" % (table, key))
        for key in sorted(set(got) - set(want), key=repr):
            mismatches.append("%s: row %s should not be there" % (table, key))
        for key in sorted(set(want) & set(got), key=repr):
            for column in columns:
                if column == "updated_at":
                    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d",
                                        str(got[key][column])):
                        mismatches.append("%s %s: updated_at %r is not an ISO time"
                                          % (table, key, got[key][column]))
                    continue
                compared += 1
                expected, actual = want[key][column], got[key][column]
                if isinstance(expected, str) and not expected.isascii():
                    vietnamese += 1
                if expected != actual or type(expected) is not type(actual):
                    mismatches.append("%s %s.%s: expected %r, the %s row holds %r"
                                      % (table, key, column, expected, his.label, actual))
    return compared, vietnamese, mismatches


# ---------------------------------------------------------------- sending

def send(port, messages):
    """Sends `messages` on one connection with python-hl7's client; every ACK must be AA or CA."""
    with hl7.client.MLLPClient(e2e.HOST, port) as client:
        client.socket.settimeout(10)
        for message in messages:
            ack = client.send_message(message)
            while not ack.endswith(e2e.EB + e2e.CR):
                more = client.socket.recv(4096)
                check(more, "the connection closed inside an ACK")
                ack += more
            parsed = e2e.Ack(ack.strip(e2e.SB + e2e.EB + e2e.CR))
            check(parsed.positive and parsed.control_id == e2e.msh_field(message, 10),
                  "ACK %r for %r" % (parsed, e2e.msh_field(message, 10)))


def send_in_order(folder, ports, items, total_before):
    """`items`: (source, message) in sending order. A run of one source's messages goes on one
    connection; before the other source's turn, everything sent so far is processed."""
    sent = total_before
    run_source, run = None, []
    for source, message in items + [(None, None)]:
        if source != run_source and run:
            send(ports[run_source], run)
            sent += len(run)
            e2e.wait_until_processed(folder, sent, timeout=30)
            run = []
        run_source = source
        if message is not None:
            run.append(message)
    return sent


def journal_statuses(folder, first_id):
    return e2e.query(folder, "SELECT id, control_id, status, error FROM hisbridge_messages"
                             " WHERE id >= ? ORDER BY id", (first_id,))


def check_journal(folder, first_id, count, status):
    rows = journal_statuses(folder, first_id)
    check(len(rows) == count, "the journal holds %d rows from id %d, %d were sent"
          % (len(rows), first_id, count))
    wrong = [r for r in rows if r[2] != status]
    check(not wrong, "messages not %s: %s" % (status, wrong[:5]))


# ---------------------------------------------------------------- one run

def config_for(admin_port, lis_port, ris_port, mappings, his_location):
    config = e2e.base_config(admin_port, [
        {"name": "lis", "type": "mllp", "host": e2e.HOST, "port": lis_port},
        {"name": "ris", "type": "mllp", "host": e2e.HOST, "port": ris_port},
    ])
    destination = {"name": "his", "type": "his-db"}
    if his_location:
        destination["location"] = his_location  # else the top-level his location
    config["channels"] = [
        {"name": "lis-his", "source": "lis",
         "mapping": os.path.join(mappings, "lis-stock.json"), "destinations": [destination]},
        {"name": "ris-his", "source": "ris",
         "mapping": os.path.join(mappings, "ris-stock.json"), "destinations": [destination]},
    ]
    return config


def run(binary, fixtures, mappings, make_his, label):
    with e2e.temp_folder("hisbridge-e2e-his-") as folder, e2e.Engine(binary, folder) as engine:
        his = make_his(folder)
        try:
            return run_with(engine, folder, fixtures, mappings, his, label)
        finally:
            if engine.running():
                engine.kill()
            if hasattr(his, "close"):
                his.close()


class Passes:
    """The passes of one run over one HIS database, with the model they are checked against."""

    def __init__(self, folder, ports, his):
        self.folder, self.ports, self.his = folder, ports, his
        self.model = HisModel()
        self.sent = 0
        self.compared = 0
        self.vietnamese = 0

    def send(self, what, fixtures, suffix, status, each=False):
        """Sends `fixtures` in that order, MSH-10 + `suffix`; every message must end `status`.
        Processed messages' expected records go into the model; then every row is compared:
        after each message when `each` is set (one at a time), else after the whole pass
        (each source's run of messages on one connection, back to back)."""
        if each:
            for f in fixtures:
                tables = self.send("%s, %s" % (what, f.name), [f], suffix, status)
            return tables
        first_id = self.sent + 1
        items = [(f.source, f.with_control_id(suffix) if suffix else f.raw) for f in fixtures]
        self.sent = send_in_order(self.folder, self.ports, items, self.sent)
        check_journal(self.folder, first_id, self.sent - first_id + 1, status)
        if status == "processed":
            for f in fixtures:
                for record in f.expected["records"]:
                    self.model.apply(record)
        tables = read_tables(self.his)
        compared, vietnamese, mismatches = compare(self.his, self.model, tables)
        check(not mismatches, "%s, %s: %d of %d fields differ:\n  %s"
              % (self.his.label, what, len(mismatches), compared, "\n  ".join(mismatches[:30])))
        self.compared += compared
        self.vietnamese += vietnamese
        return tables

    def changes(self):
        return {t: dict(self.model.changes[t]) for t in SCHEMA}


def unchanged_rows(what, before, after, changes_before, changes_after):
    """Rows the model says `what` did not change must be the same, updated_at included.
    Returns (rows kept, rows with updated_at)."""
    kept = total = 0
    for table, (columns, _, _) in SCHEMA.items():
        if "updated_at" not in columns:
            continue
        for key, row in after[table].items():
            total += 1
            if changes_after[table][key] == changes_before[table][key]:
                check(row == before[table][key], "%s %s: %s changed nothing, yet the row went "
                      "from %r to %r" % (table, key, what, before[table][key], row))
                kept += 1
    return kept, total


def run_with(engine, folder, fixtures, mappings, his, label):
    lis_port, ris_port, admin_port = e2e.free_ports(3)
    ports = {"lis": lis_port, "ris": ris_port}
    e2e.write_config(folder, config_for(admin_port, lis_port, ris_port, mappings,
                                        getattr(his, "uri", None)))
    engine.start()
    passes = Passes(folder, ports, his)
    first = passes.send("in MSH-7 order", fixtures, None, "processed", each=True)

    # The same messages under new control ids: mapped and written again, in the same order.
    # Every message's records are already there: no row may change, updated_at included.
    changes = passes.changes()
    replay = passes.send("replayed", fixtures, b"R", "processed")
    kept, total = unchanged_rows("the replay", first, replay, changes, passes.changes())
    check(kept == total and replay == first, "%s: the replay changed rows (%d of %d kept)"
          % (label, kept, total))

    # Again, newest first, as a sender resending its backlog backwards would: a late
    # preliminary report or an order's 'started' after its final result only fills NULLs.
    late = passes.send("resent newest first", list(reversed(fixtures)), b"L", "processed",
                       each=True)

    # The original control ids once more: duplicates, journalled and not processed.
    changes = passes.changes()
    duplicates = passes.send("sent as duplicates", fixtures, None, "duplicate")
    check(duplicates == late, "%s: messages stored as duplicates changed the HIS rows" % label)
    engine.stop()

    n = len(fixtures)
    counts = ", ".join("%s %d" % (t, len(first[t])) for t in SCHEMA)
    print("e2e_mapping_his [%s]: %d messages sent (%d LIS, %d RIS) in MSH-7 order, then %d "
          "replayed under new control ids (all %d rows with updated_at kept it), %d resent "
          "newest first, %d as duplicates; rows: %s; fields compared: %d (every row after each "
          "message of passes 1 and 3 and after passes 2 and 4; %d holding Vietnamese "
          "letters); mismatches: 0"
          % (label, n, sum(f.source == "lis" for f in fixtures),
             sum(f.source == "ris" for f in fixtures), n, total, n, n, counts,
             passes.compared, passes.vietnamese), flush=True)
    return first, late


def strip_updated_at(tables):
    return {t: {k: {c: v for c, v in row.items() if c != "updated_at"}
                for k, row in rows.items()} for t, rows in tables.items()}


def main():
    binary = e2e.binary_from_argv()
    check(len(sys.argv) == 4, "usage: e2e_mapping_his.py HISBRIDGE FIXTURES MAPPINGS")
    fixtures = load_fixtures(sys.argv[2])
    mappings = os.path.abspath(sys.argv[3])
    e2e.watchdog(85)

    sqlite_rows = run(binary, fixtures, mappings,
                      lambda folder: SqliteHis(os.path.join(folder, "var", "his.db")), "SQLite")
    server = os.environ.get("HISBRIDGE_TEST_PG", "")
    if not server:
        print("PostgreSQL: not run (HISBRIDGE_TEST_PG is not set)")
        return
    postgres_rows = run(binary, fixtures, mappings, lambda folder: PostgresHis(server),
                        "PostgreSQL")
    for sqlite_pass, postgres_pass in zip(sqlite_rows, postgres_rows):
        check(strip_updated_at(sqlite_pass) == strip_updated_at(postgres_pass),
              "the SQLite and PostgreSQL rows differ")
    print("SQLite and PostgreSQL hold the same rows, field for field")


if __name__ == "__main__":
    if hl7 is None:
        print("skipped: python-hl7 (Debian python3-hl7) is not installed")
        sys.exit(e2e.EXIT_SKIP)
    sys.exit(e2e.run_main(main))
