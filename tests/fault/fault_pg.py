"""A PostgreSQL cluster of a fault test's own."""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile

from fault_his import psql
from fault_load import TestFailure, check, e2e

PG_BIN = os.environ.get("HISBRIDGE_PG_BIN", "/usr/lib/postgresql/15/bin")


class Skip(Exception):
    """The test cannot run here; the message says why."""


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, in a new folder (under /tmp unless told), on a
    free loopback port, fsync on (a restart must not lose what it acknowledged). initdb refuses
    root, so as root the server runs as `postgres`. close() stops it and removes the folder; use it as a
    context manager so every exit path does."""

    def __init__(self, parent="/tmp", initdb_args=(), settings=()):
        """`parent`: the folder the cluster's folder is made in (a small disk of the test's
        own); `initdb_args`: more initdb options; `settings`: more server settings, "name=value"."""
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                raise Skip("no PostgreSQL server binaries in %s (%s missing)" % (PG_BIN, tool))
        if not shutil.which("psql"):
            raise Skip("psql is not installed")
        self.as_user = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise Skip("running as root and there is no `postgres` user to run initdb")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.folder = tempfile.mkdtemp(prefix="hisbridge-fault-pg-", dir=parent)
        self.initdb_args = list(initdb_args)
        self.settings = "".join(" -c " + setting for setting in settings)
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "server.log")
        self.port = None

    def __enter__(self):
        try:
            if self.as_user:
                shutil.chown(self.folder, "postgres", "postgres")
            self._run(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                       "--encoding=UTF8", "--no-locale", "--no-sync"] + self.initdb_args, 120)
            self.port = e2e.free_ports(1)[0]
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _run(self, args, timeout=60):
        run = subprocess.run(self.as_user + [os.path.join(PG_BIN, args[0])] + args[1:],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        check(run.returncode == 0, "%s failed: %s\n%s" % (args[0], run.stdout.decode(
            "utf-8", "replace")[-2000:], self.log_tail()))

    def log_tail(self, lines=30):
        with contextlib.suppress(OSError):
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        return ""

    def start(self):
        self._run(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                   "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on "
                   "-c synchronous_commit=on -c max_connections=50%s"
                   % (self.port, self.folder, self.settings),
                   "start"])

    def running(self):
        """Whether the server answers `pg_ctl status` (it may stop itself, e.g. after a PANIC)."""
        run = subprocess.run(self.as_user + [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data,
                                             "status"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        return run.returncode == 0

    def stop(self, mode="fast"):
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"])

    def uri(self, database="postgres"):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, database)

    def create_database(self, name):
        psql(self.uri(), "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0" % name)
        return self.uri(name)

    def close(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            for mode in ("fast", "immediate"):
                with contextlib.suppress(TestFailure, subprocess.TimeoutExpired):
                    self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"])
                    break
        shutil.rmtree(self.folder, ignore_errors=True)
