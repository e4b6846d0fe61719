"""The HIS staging tables as the fault tests read them (SQLite or PostgreSQL), and the verdict:
which acknowledged messages the HIS holds exactly, which it lost, which it holds twice."""

import collections
import contextlib
import json
import os
import sqlite3
import subprocess
import time
import urllib.parse

from fault_load import TestFailure, check


def psql(uri, sql, timeout=60):
    run = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri,
                          "-c", sql], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=timeout, env=dict(os.environ, PGCLIENTENCODING="UTF8"))
    check(run.returncode == 0, "psql %r: %s" % (sql[:200], run.stderr.decode("utf-8", "replace")))
    return run.stdout.decode("utf-8")


# ---------------------------------------------------------------- the HIS tables

class SqliteHis:
    """The HIS staging database as a SQLite file, read on read-only connections (which never
    checkpoint or change the file the engine writes)."""

    label = "SQLite"

    def __init__(self, path):
        self.path = path

    def _query(self, sql, params=()):
        if not os.path.exists(self.path):
            return []
        uri = "file:%s?mode=ro" % urllib.parse.quote(self.path)
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
                return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return []
            raise

    def counts(self, tag):
        """(his_order rows, his_result rows) of run `tag`."""
        prefix = "XN%s-%%" % tag.decode()
        rows = self._query("SELECT (SELECT COUNT(*) FROM his_order WHERE order_no LIKE ?),"
                           " (SELECT COUNT(*) FROM his_result WHERE order_no LIKE ?)",
                           (prefix, prefix))
        return tuple(rows[0]) if rows else (0, 0)

    def rows(self):
        """(every his_order order_no, every his_result row as (order_no, test_code, seq,
        test_name, value))."""
        orders = [r[0] for r in self._query("SELECT order_no FROM his_order")]
        results = self._query("SELECT order_no, test_code, seq, test_name, value FROM his_result")
        return orders, [tuple(r) for r in results]


class PostgresHis:
    """The HIS staging database on PostgreSQL, read with psql (rows as JSON: exact text)."""

    label = "PostgreSQL"

    def __init__(self, uri):
        self.uri = uri

    def _json(self, sql):
        out = psql(self.uri, "SELECT COALESCE(json_agg(t), '[]'::json) FROM (%s) t" % sql)
        return json.loads(out)

    def counts(self, tag):
        prefix = "XN%s-%%" % tag.decode()
        try:
            got = self._json("SELECT (SELECT COUNT(*) FROM his_order WHERE order_no LIKE '%s') o,"
                             " (SELECT COUNT(*) FROM his_result WHERE order_no LIKE '%s') r"
                             % (prefix, prefix))
        except TestFailure:
            return (0, 0)  # the server is down or the tables are not made yet
        return (got[0]["o"], got[0]["r"])

    def rows(self):
        orders = [r["order_no"] for r in self._json("SELECT order_no FROM his_order")]
        results = [(r["order_no"], r["test_code"], r["seq"], r["test_name"], r["value"])
                   for r in self._json("SELECT order_no, test_code, seq, test_name, value"
                                       " FROM his_result")]
        return orders, results


class Verdict:
    """What the HIS holds, message by message, against what the sender was told."""

    def __init__(self, gen, his):
        template = gen.template
        orders, results = his.rows()
        by_order = collections.defaultdict(list)
        for order_no, test_code, seq, name, value in results:
            by_order[order_no].append(((test_code, int(seq)), (name, value)))
        order_rows = collections.Counter(orders)
        sent = {m.order_no: m for m in gen.sent()}
        self.delivered, self.lost, self.garbled, self.delivered_unacked = [], [], [], []
        self.duplicated = []   # orders with more rows than their message carries
        self.strangers = sorted(set(order_rows) - set(sent))  # orders no message named
        self.extra_rows = 0
        want = template.results
        for order_no, message in sent.items():
            rows = by_order.get(order_no, [])
            keys = collections.Counter(k for k, _ in rows)
            surplus = sum(n - 1 for n in keys.values()) + sum(
                1 for k in keys if k not in want) + max(0, order_rows[order_no] - 1)
            if surplus:
                self.extra_rows += surplus
                self.duplicated.append(order_no)
            complete = order_rows[order_no] >= 1 and set(keys) >= set(want)
            exact = complete and all(want.get(k) == v for k, v in rows)
            if complete and not exact:
                self.garbled.append(order_no)
            if message.acked:
                (self.delivered if exact else self.lost).append(message)
            elif complete:
                self.delivered_unacked.append(message)

    def describe(self):
        return ("HIS: %d acknowledged messages delivered exactly, %d lost (%s), %d with wrong "
                "values (%s); %d orders with extra rows (%d rows: %s); %d orders no message "
                "named (%s); %d unacknowledged messages delivered too"
                % (len(self.delivered), len(self.lost), [m.order_no for m in self.lost[:5]],
                   len(self.garbled), self.garbled[:5], len(self.duplicated), self.extra_rows,
                   self.duplicated[:5], len(self.strangers), self.strangers[:5],
                   len(self.delivered_unacked)))


def wait_delivered(gen, his, timeout, poll=0.5):
    """Waits until the HIS holds every acknowledged message's order and results. Returns
    (Verdict, seconds waited); the verdict is the last one read (with what is still lost)."""
    started = time.monotonic()
    deadline = started + timeout
    acked = len(gen.acked())
    results = len(gen.template.results)
    verdict = None
    while True:
        orders, rows = his.counts(gen.tag)
        if orders >= acked and rows >= acked * results:
            verdict = Verdict(gen, his)
            if not verdict.lost:
                return verdict, time.monotonic() - started
        if time.monotonic() >= deadline:
            return verdict or Verdict(gen, his), time.monotonic() - started
        time.sleep(poll)


def verdict_checks(gen, verdict, drain_timeout):
    """The checks every test makes once the HIS had its time: nothing acknowledged lost, nothing
    doubled, nothing garbled, and the generator saw no protocol problem."""
    check(not gen.problems, "the sender saw %d protocol problems: %s"
          % (len(gen.problems), gen.problems[:5]))
    check(gen.acked(), "no message was acknowledged")
    check(not verdict.lost, "%d acknowledged messages not in the HIS (or incomplete) %.0f s "
          "after the load: %s" % (len(verdict.lost), drain_timeout,
                                  [m.order_no for m in verdict.lost[:10]]))
    check(not verdict.duplicated and not verdict.strangers,
          "doubled rows: %d orders with extra rows (%d rows: %s), %d unknown orders (%s)"
          % (len(verdict.duplicated), verdict.extra_rows, verdict.duplicated[:10],
             len(verdict.strangers), verdict.strangers[:10]))
    check(not verdict.garbled, "%d orders whose rows differ from the message: %s"
          % (len(verdict.garbled), verdict.garbled[:10]))
