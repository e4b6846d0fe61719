#!/usr/bin/python3
"""`hisbridge check-config` and `hisbridge serve` against good and bad config files.

    e2e_check_config.py HISBRIDGE

In a temporary folder (the working directory of every run):

  - a config with an unknown key (`max_frame_byte`), a port out of range and a mapping file
    that does not exist: check-config exits 2 and prints one `file:line:col: message` line
    for each, at the line and column where it is written, the unknown key with a did-you-mean;
  - a config file that does not exist: exit 2;
  - the same config corrected: exit 0;
  - `serve` with the bad config: exit 2, with the same messages;
  - `serve` with the good config while another socket holds its MLLP port: exit 1, saying
    which listener and address could not be bound, and never `ready`.

Exit status: 0 passed, 1 failed.
"""

import os
import re
import socket
import subprocess
import sys

import e2e_support as e2e
from e2e_support import check

CONFIG = """{
  // hisbridge config for the check-config test
  "store": { "location": "var/hisbridge.db" },
  "admin": { "host": "127.0.0.1", "port": %(admin)d },
  "listeners": [
    { "name": "lis", "type": "mllp", "host": "127.0.0.1", "port": %(port)s,
      "%(frame_key)s": 4096 }
  ],
  "channels": [
    { "name": "lis-inbound", "source": "lis", "mapping": "%(mapping)s" }
  ]
}
"""


# A mapping as an IT team would write one; BROKEN_MAPPING has one mistake, a misspelt
# transform, that check-config must place at its line and column.
MAPPING = """{
  "mapping": "lab",
  "records": [
    { "table": "his_patient", "key": ["patient_id"],
      "columns": { "patient_id": "PID-3[1].1", "birth_date": {"path": "PID-7.1", "transform": ["%(transform)s"]} } }
  ]
}
"""


def position(text, needle):
    """(line, column) of the first `needle` in `text`, both counted from 1."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def run(binary, folder, *args, timeout=15):
    try:
        done = subprocess.run([binary] + list(args), cwd=folder, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise e2e.TestFailure("hisbridge %s did not exit within %d s" % (" ".join(args), timeout))
    return done.returncode, done.stdout.decode("utf-8", "replace"), \
        done.stderr.decode("utf-8", "replace")


def expect_error(output, file, line, column, pattern):
    """A `file:line:col: message` line at (line, column) whose message matches `pattern`."""
    wanted = re.compile(r"^%s:%d:%d: %s$" % (re.escape(file), line, column, pattern), re.M)
    check(wanted.search(output), "no line %s:%d:%d: %s in:\n%s"
          % (file, line, column, pattern, output))


def check_bad_config_errors(output, text, file):
    line, column = position(text, '"max_frame_byte"')
    expect_error(output, file, line, column,
                 re.escape("unknown key 'max_frame_byte' (did you mean 'max_frame_bytes'?)"))
    line, column = position(text, "70000")
    expect_error(output, file, line, column,
                 re.escape("'port' must be a port number from 1 to 65535, found 70000"))
    line, column = position(text, '"mappings/missing-lab.json"')
    expect_error(output, file, line, column,
                 re.escape("mapping file 'mappings/missing-lab.json' does not exist"))


def main():
    binary = e2e.binary_from_argv()
    e2e.watchdog(55)
    with e2e.temp_folder("hisbridge-e2e-config-") as folder:
        port, admin_port = e2e.free_ports(2)
        os.mkdir(os.path.join(folder, "mappings"))
        with open(os.path.join(folder, "mappings", "lab.json"), "w") as f:
            f.write(MAPPING % {"transform": "date"})
        broken_mapping = MAPPING % {"transform": "dat"}
        with open(os.path.join(folder, "mappings", "broken.json"), "w") as f:
            f.write(broken_mapping)
        bad = CONFIG % {"admin": admin_port, "port": "70000", "frame_key": "max_frame_byte",
                        "mapping": "mappings/missing-lab.json"}
        good = CONFIG % {"admin": admin_port, "port": str(port), "frame_key": "max_frame_bytes",
                         "mapping": "mappings/lab.json"}
        badmap = CONFIG % {"admin": admin_port, "port": str(port), "frame_key": "max_frame_bytes",
                           "mapping": "mappings/broken.json"}
        for name, text in (("bad.json", bad), ("good.json", good), ("badmap.json", badmap)):
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)

        code, out, err = run(binary, folder, "check-config", "--config", "bad.json")
        check(code == 2, "check-config bad.json exited %d, not 2:\n%s%s" % (code, out, err))
        check_bad_config_errors(err, bad, "bad.json")
        check(re.search(r"^bad\.json: 3 errors$", err, re.M), "no `3 errors` summary:\n" + err)

        code, out, err = run(binary, folder, "check-config", "--config", "absent.json")
        check(code == 2 and "absent.json" in err and "cannot open" in err,
              "check-config absent.json: exit %d:\n%s%s" % (code, out, err))

        code, out, err = run(binary, folder, "check-config", "--config", "good.json")
        check(code == 0, "check-config good.json exited %d:\n%s%s" % (code, out, err))
        check("good.json: valid" in out, "check-config good.json printed:\n" + out + err)

        code, out, err = run(binary, folder, "check-config", "--config", "badmap.json")
        check(code == 2, "check-config badmap.json exited %d, not 2:\n%s%s" % (code, out, err))
        line, column = position(broken_mapping, '"dat"')
        expect_error(err, "mappings/broken.json", line, column,
                     re.escape("unknown transform 'dat' (did you mean 'date'?)"))

        code, out, err = run(binary, folder, "serve", "--config", "bad.json")
        check(code == 2, "serve bad.json exited %d, not 2:\n%s%s" % (code, out, err))
        check_bad_config_errors(err, bad, "bad.json")

        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            holder.bind((e2e.HOST, port))
            holder.listen(1)
            code, out, err = run(binary, folder, "serve", "--config", "good.json")
        finally:
            holder.close()
        both = out + err
        check(code == 1, "serve with port %d in use exited %d, not 1:\n%s" % (port, code, both))
        check(re.search(r"cannot start: listener lis \(127\.0\.0\.1:%d\): .*in use" % port, both),
              "serve with port %d in use does not say so clearly:\n%s" % (port, both))
        check(not re.search(r" ready$", both, re.M), "serve said ready:\n" + both)

        print("e2e_check_config: bad config: 3 errors at their line:column, exit 2 "
              "(check-config and serve); missing file: exit 2; good config: exit 0; "
              "misspelt transform in a mapping: placed at its line:column, exit 2; "
              "port in use: serve exit 1")


if __name__ == "__main__":
    sys.exit(e2e.run_main(main))
