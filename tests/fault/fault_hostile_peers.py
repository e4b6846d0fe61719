#!/usr/bin/python3
"""Fault: hostile and broken peers on the MLLP listener while a well-behaved sender goes on.

    fault_hostile_peers.py HISBRIDGE

One `hisbridge serve` in a temporary folder: a SQLite journal, one MLLP listener `lis` with
the resource limits set tight (max_connections_per_ip 50, message_timeout 3s,
max_frames_per_second 100, max_frame_bytes 64 KiB, max_connections 400) and a channel mapping
with the stock LIS mapping into a his-db destination (SQLite var/his.db).

The well-behaved sender (the fault tests' load generator) connects from 127.0.0.2 and sends
200 lab results a second over 4 connections (50 a second each, half the frame rate allowed),
never resending. After a 2 s warm-up, 10 s of it alone are measured; then for 20 s the same
load goes on while another process (so its work does not hold this one's interpreter lock,
and niced: on a site the peers are other machines) runs the hostile peers, each from its own
loopback address (127.0.0.0/8 needs no set-up on Linux); once they are done (the last slow
senders closed, the abuser answered), 10 s more of the load alone are measured. The baseline
is both 10 s windows together, so that a change in what else the machine runs during the
test shows in it as well:

  (a) a connection flood from 127.0.0.1: waves of 1,000 connections opened as fast as possible
      and held open, every 2 s: at most max_connections_per_ip may stay, the engine must close
      the rest at once;
  (b) slow senders from 127.0.0.3-6: 100 connections (25 an address, within the limit) each
      sending a message one byte every 200 ms, replaced as they close: the engine must close
      each about message_timeout after its first byte, and answer none;
  (c) oversize frames from 127.0.0.8: a 200 KiB frame every 3 s: answered AR, then closed;
  (d) a frame-rate abuser from 127.0.0.7: 1,000 messages pipelined on one connection as fast as
      the socket takes them: read at max_frames_per_second, never dropped: every one answered
      positively, stored and delivered;
  (e) garbage from 127.0.0.9: every second a connection sends 32 KiB of bytes outside any
      frame, then a valid message, which must be answered positively.

Checks:
  - every message of the well-behaved sender was answered positively (AA, or CA: the
    messages ask for enhanced mode), on its first sending, is in the journal and delivered to
    the HIS exactly (the verdict of the other fault tests: nothing lost, doubled or garbled);
    the same for the abuser's and the garbage peer's messages;
  - ACK latency p99 under attack <= max(2 x baseline p99, baseline p99 + 10 ms): the floor
    because the p99 of a 10-20 s window is a few dozen ACKs, which the scheduler of a shared
    2-core CI machine moves by several ms with no attack at all (two windows of the load
    alone measured 2.3 and 8.1 ms, a ratio of 3.5); 10 ms more still catches an engine that
    stalls its well-behaved peers while it serves the hostile ones. When every other check
    passes and this one alone does not, the whole test runs once more on a new engine and its
    second run decides: a shared CI host once stalled the load for the first 10 s of an attack
    (p99 by 5 s: 22.9, 13.4, 2.4 and 4.1 ms, 2.3 ms alone) in a run whose engine passes every
    run here, loaded or not; an engine that stalls its peers does so in both runs;
  - what each hostile peer saw, as above, and the engine's counters on /metrics rising with
    it: connections refused for the per-address limit, message timeouts, frames throttled,
    frames too large, bytes ignored (the names docs/metrics.md gives; a missing one fails);
  - the engine's peak RSS under attack at most 64 MiB over the baseline's;
  - the engine's log holds none of the patient names, ids and birth date of the messages.
Figures (of the second run when there was one: `attempts` 2, `ack_p99_ms_attack_first` the
first's p99): the summary's ack_p99_ms is the attack's; the pairs after it give both p99s, the
allowed p99 and the ratio, what each peer saw, the counters' rises and both peak RSS. The
output also gives the attack's p99 by 5 s, the engine's CPU use by phase and its commonest
warnings.

Exit status: 0 passed, 1 failed.
"""

import collections
import json
import multiprocessing
import os
import re
import resource
import time

import fault_support as fs
import fault_peers
from fault_support import check, e2e

RATE = 200.0
WARM_UP = 2.0
BASELINE = 10.0  # seconds of the load alone, before the attack and again after it
BASELINE_PHASES = {"before", "after"}
ATTACK = 20.0
DRAIN_TIMEOUT = 60.0
RATIO_LIMIT = 2.0
P99_FLOOR = 0.010  # seconds added to the baseline p99 at least (see above)
RSS_GROWTH_MB = 64.0
GOOD_SOURCE = "127.0.0.2"
LIMITS = {"max_connections": 400, "max_connections_per_ip": fault_peers.PER_IP_LIMIT,
          "message_timeout": "%ds" % fault_peers.MESSAGE_TIMEOUT,
          "max_frames_per_second": fault_peers.FRAME_RATE,
          "max_frame_bytes": fault_peers.MAX_FRAME_BYTES, "idle_timeout": "5m"}

# The engine's counters for what the peers do, as docs/metrics.md names them (label `listener`).
REFUSED = "hisbridge_listener_connections_refused_total"
TIMEOUTS = "hisbridge_listener_message_timeouts_total"
THROTTLED = "hisbridge_listener_frames_throttled_total"
TOO_LARGE = "hisbridge_mllp_frames_too_large_total"
IGNORED = "hisbridge_mllp_ignored_bytes_total"


def config(admin_port, lis_port):
    conf = fs.engine_config(admin_port, lis_port, [{"name": "his", "type": "his-db"}])
    conf["listeners"][0].update(LIMITS)
    return conf


def labels_of(key):
    return dict(re.findall(r'(\w+)="([^"]*)"', key.partition("{")[2]))


def series(samples, name, **labels):
    """The sum of `name`'s samples whose labels include `labels`; None when there is none."""
    values = [v for k, v in samples.items() if k.partition("{")[0] == name
              and all(labels_of(k).get(l) == want for l, want in labels.items())]
    return sum(values) if values else None


def rise(before, after, name, **labels):
    b, a = series(before, name, **labels), series(after, name, **labels)
    return None if a is None else int(a - (b or 0))


def or_na(value):
    return "n/a" if value is None else value


def current_rss_mb(process):
    with open("/proc/%d/status" % process.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


def cpu_seconds(process):
    """User and system CPU time the process has used."""
    with open("/proc/%d/stat" % process.pid) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_open_file_limit():
    """The flood holds thousands of sockets: the soft limit goes up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class HostileSent:
    """The messages of the abuser and the garbage peer, seen as a load generator's for the
    verdict (fault_his.Verdict and wait_delivered read template, tag, sent() and acked())."""

    def __init__(self, template, tag, outcome):
        self.template = template
        self.tag = tag
        self.messages = []
        for index, code in sorted(outcome.items()):
            message = template.make(tag, index)
            attempt = fs.Attempt("attack")
            attempt.code = code
            message.attempts.append(attempt)
            self.messages.append(message)

    def sent(self):
        return list(self.messages)

    def acked(self):
        return [m for m in self.messages if m.acked]


class Run:
    """What one run measured."""

    def __init__(self):
        self.gen = None
        self.peers = {}
        self.before = {}
        self.after = {}
        self.rss = {}
        self.cpu = {}  # the engine's CPU use by phase, in cores
        self.verdict = None
        self.hostile_verdict = None
        self.hostile = None
        self.drain_s = None
        self.stored = None
        self.log = ""

    def p99(self, phases):
        return fs.percentile(self.gen.latencies(phases), 99)

    def p50(self, phases):
        return fs.percentile(self.gen.latencies(phases), 50)


def measure(run, engine, phase, seconds):
    """`seconds` of the load labelled `phase`, and the engine's CPU use over them."""
    run.gen.phase = phase
    cpu = cpu_seconds(engine.process)
    time.sleep(seconds)
    run.cpu[phase] = (cpu_seconds(engine.process) - cpu) / seconds


def attack(run, engine, port, admin_port, template, tag):
    """The load alone, then with the hostile process beside it, then alone again."""
    go, stop = multiprocessing.Event(), multiprocessing.Event()
    results = multiprocessing.Queue()
    # Forked before the load's threads start, so the child holds no lock of theirs.
    child = multiprocessing.get_context("fork").Process(
        target=fault_peers.run, args=(port, template, tag, go, stop, results), daemon=True)
    child.start()
    try:
        run.gen.phase = "warm-up"
        run.gen.start()
        time.sleep(WARM_UP)
        measure(run, engine, "before", BASELINE)
        run.rss["baseline"] = fs.peak_rss_mb(engine.process)
        run.before = fs.scrape(admin_port)
        go.set()
        measure(run, engine, "attack", ATTACK)
        run.rss["attack_now"] = current_rss_mb(engine.process)
        # The last slow senders closed and the abuser answered, the load is measured alone
        # again; what is sent meanwhile counts in neither.
        run.gen.phase = "drain"
        stop.set()
        run.peers = json.loads(results.get(timeout=fault_peers.ABUSER_DEADLINE + 30))
        run.rss["attack"] = fs.peak_rss_mb(engine.process)
        measure(run, engine, "after", BASELINE)
        run.gen.stop_new()
        check(run.gen.wait_idle(30), "ACKs still missing 30 s after the load stopped")
    finally:
        stop.set()
        child.join(10)
        if child.is_alive():
            child.kill()


def stored_control_ids(folder, tag):
    rows = e2e.query(folder, "SELECT control_id FROM hisbridge_messages WHERE control_id LIKE ?",
                     ("F%s%%" % tag.decode(),))
    return {r[0] for r in rows}


def run_engine(binary, template, run):
    tag = fs.run_tag()
    hostile_tag = tag[:3] + (b"Z" if tag[3:] != b"Z" else b"Y")
    with e2e.temp_folder("hisbridge-fault-hostile-") as folder, \
            e2e.Engine(binary, folder) as engine:
        lis_port, admin_port = e2e.free_ports(2)
        e2e.write_config(folder, config(admin_port, lis_port))
        engine.start()
        his = fs.SqliteHis(os.path.join(folder, "var", "his.db"))
        run.gen = fs.LoadGenerator(lis_port, template, rate=RATE, tag=tag, source=GOOD_SOURCE)
        try:
            attack(run, engine, lis_port, admin_port, template, hostile_tag)
        finally:
            run.gen.close()
        print(run.gen.describe())
        run.verdict, run.drain_s = fs.wait_delivered(run.gen, his, DRAIN_TIMEOUT)
        hostile = HostileSent(template, hostile_tag, {int(k): v for k, v in
                                                      run.peers["acked"].items()})
        run.hostile_verdict, _ = fs.wait_delivered(hostile, his, DRAIN_TIMEOUT)
        run.hostile = hostile
        # A verdict's strangers are the HIS orders its sender did not name: each sender's
        # orders are the other's strangers.
        for verdict, other in ((run.verdict, hostile), (run.hostile_verdict, run.gen)):
            named = {m.order_no for m in other.sent()}
            verdict.strangers = [o for o in verdict.strangers if o not in named]
        run.after = fs.scrape(admin_port)
        run.stored = (stored_control_ids(folder, tag), stored_control_ids(folder, hostile_tag))
        print("well-behaved: %s" % run.verdict.describe())
        print("abuser and garbage peer: %s" % run.hostile_verdict.describe())
        print(fs.log_digest(engine))
        print(fs.metrics_line(run.after))
        engine.stop()
        run.log = engine.all_logs()


def p99_limit(baseline):
    return max(RATIO_LIMIT * baseline, baseline + P99_FLOOR)


def check_sender(run):
    gen = run.gen
    unacked = [m for m in gen.sent() if not m.acked]
    check(not unacked, "%d of %d messages of the well-behaved sender not acknowledged: %s"
          % (len(unacked), len(gen.sent()), sorted({a.why for m in unacked
                                                    for a in m.attempts if a.why})[:3]))
    resent = [m for m in gen.sent() if len(m.attempts) > 1]
    check(not resent, "%d messages were sent more than once" % len(resent))
    check(gen.latencies(BASELINE_PHASES) and gen.latencies({"attack"}),
          "no ACK in the baseline or in the attack")
    missing = {m.control_id for m in gen.sent()} - run.stored[0]
    check(not missing, "%d acknowledged messages not in the journal: %s"
          % (len(missing), sorted(missing)[:5]))
    fs.verdict_checks(gen, run.verdict, DRAIN_TIMEOUT)


def latency_failure(run):
    """Why the attack's ACK p99 is over the allowance, or None when it is within it."""
    base, under = run.p99(BASELINE_PHASES), run.p99({"attack"})
    if under <= p99_limit(base):
        return None
    return ("ACK p99 under attack %s ms is over the allowed %s ms (max of %.0fx the baseline's "
            "%s ms and the baseline + %.0f ms)"
            % (fs.ms(under), fs.ms(p99_limit(base)), RATIO_LIMIT, fs.ms(base), P99_FLOOR * 1000))


def check_counter(run, what, name, at_least, **labels):
    got = rise(run.before, run.after, name, listener="lis", **labels)
    shown = "%s{%s}" % (name, ",".join('%s="%s"' % kv for kv in labels.items()))
    check(got is not None, "%s: no %s on /metrics" % (what, shown))
    check(got >= at_least, "%s: %s rose by %d, expected at least %d" % (what, shown, got,
                                                                        at_least))
    return got


def check_peers(run):
    p = run.peers
    check(not p["errors"], "the hostile process failed: %s" % p["errors"][:3])
    flood, slow, big, fast, junk = (p["flood"], p["slow"], p["oversize"], p["abuser"],
                                    p["garbage"])
    check(flood["attempts"] >= 2000, "the flood made only %d connections" % flood["attempts"])
    check(flood["held"] <= fault_peers.PER_IP_LIMIT,
          "the flood holds %d connections open from one address, the limit is %d"
          % (flood["held"], fault_peers.PER_IP_LIMIT))
    check_counter(run, "flood", REFUSED, flood["closed"], reason="per_ip_limit")
    check(slow["opened"] >= 100 and not slow["left_open"],
          "slow senders: %d opened, %d still open %d s after the attack"
          % (slow["opened"], slow["left_open"], fault_peers.SLOW_GRACE))
    check(not slow["answered"], "slow senders: %d got an answer" % slow["answered"])
    early, late = slow["closed_early"], slow["closed_late"]
    check(not early and not late, "slow senders: %d closed before %.1f s, %d after %.1f s "
          "(lifetimes %s)" % (early, fault_peers.SLOW_MIN, late, fault_peers.SLOW_MAX,
                              slow["lifetimes"]))
    check_counter(run, "slow senders", TIMEOUTS, slow["closed"])
    check(big["sent"] >= 3 and big["ar_then_closed"] == big["sent"],
          "oversize frames: %d sent, %d answered AR and closed (got %s)"
          % (big["sent"], big["ar_then_closed"], big["outcomes"][:5]))
    check_counter(run, "oversize frames", TOO_LARGE, big["sent"])
    check(fast["acked"] == fast["sent"] == fault_peers.ABUSER_MESSAGES,
          "frame-rate abuser: %d sent, %d acknowledged positively (codes %s)"
          % (fast["sent"], fast["acked"], fast["codes"]))
    check(fast["sustained_rate"] <= 1.5 * fault_peers.FRAME_RATE,
          "frame-rate abuser: answered at %.1f a second, the limit is %d"
          % (fast["sustained_rate"], fault_peers.FRAME_RATE))
    check_counter(run, "frame-rate abuser", THROTTLED, 1)
    check(junk["connections"] >= 5 and junk["acked"] == junk["connections"],
          "garbage peer: %d connections, %d messages after the garbage acknowledged (%s)"
          % (junk["connections"], junk["acked"], junk["codes"]))
    check_counter(run, "garbage peer", IGNORED, junk["bytes"])
    missing = {m.control_id for m in run.hostile.sent()} - run.stored[1]
    check(not missing, "%d hostile peers' acknowledged messages not in the journal: %s"
          % (len(missing), sorted(missing)[:5]))
    check(not run.hostile_verdict.lost and not run.hostile_verdict.garbled,
          "abuser and garbage peer: %d acknowledged messages not delivered exactly"
          % (len(run.hostile_verdict.lost) + len(run.hostile_verdict.garbled)))


def patient_markers(run, template):
    """The patient data of the messages: the template's name, birth date and ids, and every
    per-message patient id (SL<tag>NNNN)."""
    pid = next(l for l in template.raw.split(b"\r") if l.startswith(b"PID|")).split(b"|")
    names = [n for n in pid[5].split(b"^")[:3] if len(n) > 2]
    ids = [r.split(b"^")[0] for r in pid[3].split(b"~")]
    fixed = [v.decode() for v in names + ids + [pid[7]] if v]
    return fixed, re.compile(r"SL(%s|%s)\d{4}" % (run.gen.tag.decode(), run.hostile.tag.decode()))


def check_log(run, template):
    fixed, pattern = patient_markers(run, template)
    found = [m for m in fixed if m in run.log] + pattern.findall(run.log)[:3]
    check(not found, "the engine's log holds patient data: %s" % found[:5])


def slices(run, phase, width=5.0):
    """ACK p99 of the `phase` attempts by `width` seconds from its start: whether the latency
    follows the flood's waves (every 2 s) or stays even."""
    attempts = [a for a in run.gen.attempts() if a.phase == phase and a.code in fs.POSITIVE]
    if not attempts:
        return "n/a"
    start = min(a.sent_at for a in attempts)
    by_slice = collections.defaultdict(list)
    for a in attempts:
        by_slice[int((a.sent_at - start) // width)].append(a.latency())
    return " ".join(fs.ms(fs.percentile(by_slice[k], 99)) for k in sorted(by_slice))


def worst(run, phase, count=12):
    """The `count` slowest ACKs of `phase` as seconds from its start: ms, in time order (the
    flood's waves start at 0, 5, 10 and 15 s)."""
    attempts = [a for a in run.gen.attempts() if a.phase == phase and a.code in fs.POSITIVE]
    if not attempts:
        return "n/a"
    start = min(a.sent_at for a in attempts)
    slowest = sorted(attempts, key=lambda a: a.latency())[-count:]
    return " ".join("%.2f:%.0f" % (a.sent_at - start, a.latency() * 1000)
                    for a in sorted(slowest, key=lambda a: a.sent_at))


def warning_kinds(log, shown=4):
    """The engine's commonest warnings, with addresses and numbers folded (how much the
    peers make it write, and what)."""
    kinds = collections.Counter(
        re.sub(r"\d+", "#", l.split(" ", 2)[2])[:160] for l in log.splitlines()
        if fs.LOG_ENTRY.match(l) and l.split(" ", 2)[1:2] == ["warning"])
    return "; ".join("%d x %s" % (n, k) for k, n in kinds.most_common(shown))


def check_rss(run):
    base, under = run.rss.get("baseline"), run.rss.get("attack")
    check(base and under and under - base <= RSS_GROWTH_MB,
          "peak RSS %s MiB under attack, %s MiB at the baseline: more than %.0f MiB growth"
          % (under, base, RSS_GROWTH_MB))


def print_peers(run):
    p = run.peers
    for name in ("flood", "slow", "oversize", "abuser", "garbage"):
        shown = {k: v for k, v in p[name].items() if k not in ("lifetimes", "outcomes")}
        print("%s: %s" % (name, shown))
    print("slow senders' lifetimes (s): %s" % p["slow"]["lifetimes"])
    print("oversize outcomes: %s" % p["oversize"]["outcomes"][:8])
    for name in (REFUSED, TIMEOUTS, THROTTLED, TOO_LARGE, IGNORED,
                 "hisbridge_mllp_connections_total", "hisbridge_mllp_connections_refused_total"):
        rows = {k: v - run.before.get(k, 0) for k, v in run.after.items()
                if k.partition("{")[0] == name}
        print("rise of %s: %s" % (name, rows or "no such metric"))


def report_figures(report, run):
    base, under = run.p99(BASELINE_PHASES), run.p99({"attack"})
    report.from_run(run.gen, run.verdict, under, run.drain_s, run.rss.get("attack"))
    p = run.peers
    ratio = under / base if base and under is not None else None
    report.set(ack_p99_ms_base=fs.ms(base), ack_p99_ms_before=fs.ms(run.p99({"before"})),
               ack_p99_ms_after=fs.ms(run.p99({"after"})), ack_p99_ms_attack=fs.ms(under),
               p99_ratio="n/a" if ratio is None else "%.2f" % ratio,
               p99_allowed_ms=fs.ms(p99_limit(base)) if base is not None else "n/a",
               flood_attempts=p.get("flood", {}).get("attempts", "n/a"),
               flood_held=p.get("flood", {}).get("held", "n/a"),
               refused_per_ip=or_na(rise(run.before, run.after, REFUSED, reason="per_ip_limit")),
               slow_closed=p.get("slow", {}).get("closed", "n/a"),
               timeouts=or_na(rise(run.before, run.after, TIMEOUTS)),
               oversize_ar=p.get("oversize", {}).get("ar_then_closed", "n/a"),
               abuser_acked=p.get("abuser", {}).get("acked", "n/a"),
               abuser_rate=p.get("abuser", {}).get("sustained_rate", "n/a"),
               throttled=or_na(rise(run.before, run.after, THROTTLED)),
               garbage_acked=p.get("garbage", {}).get("acked", "n/a"),
               rss_base_mb="%.0f" % run.rss["baseline"] if run.rss.get("baseline") else "n/a")


def print_latency(run):
    base, under = run.p99(BASELINE_PHASES), run.p99({"attack"})
    print("ACK latency p50/p99: before the attack %s/%s ms, after it %s/%s ms, both %s/%s ms; "
          "under attack %s/%s ms; p99 ratio %s, allowed %s ms"
          % (fs.ms(run.p50({"before"})), fs.ms(run.p99({"before"})), fs.ms(run.p50({"after"})),
             fs.ms(run.p99({"after"})), fs.ms(run.p50(BASELINE_PHASES)), fs.ms(base),
             fs.ms(run.p50({"attack"})), fs.ms(under),
             "%.2f" % (under / base) if base and under else "n/a",
             fs.ms(p99_limit(base)) if base is not None else "n/a"))
    print("ACK p99 by 5 s (ms): before %s; attack %s; after %s; load average %s; engine CPU %s; "
          "the hostile process used %s CPU seconds"
          % (slices(run, "before"), slices(run, "attack"), slices(run, "after"),
             " ".join("%.1f" % l for l in os.getloadavg()),
             ", ".join("%s %.0f%%" % (p, 100 * c) for p, c in run.cpu.items()),
             run.peers.get("cpu_seconds", "n/a")))
    print("slowest ACKs under attack (s from its start: ms): %s" % worst(run, "attack"))


def attempt(binary, template, report):
    """One engine through the baseline, the attack and the baseline again, with every check
    but the latency's; the figures go to the summary line whatever happens."""
    run = Run()
    try:
        run_engine(binary, template, run)
    finally:
        if run.gen is not None and run.gen.latencies():
            report_figures(report, run)
    print_latency(run)
    print("engine peak RSS: %.0f MiB at the baseline, %.0f MiB after the attack (RSS then %.0f)"
          % (run.rss["baseline"], run.rss["attack"], run.rss["attack_now"]))
    print_peers(run)
    print("engine warnings: %s" % warning_kinds(run.log))
    check_sender(run)
    check_peers(run)
    check_rss(run)
    check_log(run, template)
    return run


def main(report):
    binary = e2e.binary_from_argv()
    print("open file limit: %d" % raise_open_file_limit())
    template = fs.Template()
    check(len(template.raw) < fault_peers.MAX_FRAME_BYTES, "the template is over the limit")
    run = attempt(binary, template, report)
    failure = latency_failure(run)
    report.set(attempts=1)
    if failure:
        # See the header: a second run on a new engine tells a host's passing stall from an
        # engine that holds its well-behaved peers back while it serves the hostile ones.
        print("%s: the whole test once more, on a new engine" % failure)
        first = run.p99({"attack"})
        run = attempt(binary, template, report)
        report.set(attempts=2, ack_p99_ms_attack_first=fs.ms(first))
        failure = latency_failure(run)
    check(failure is None, failure)


if __name__ == "__main__":
    fs.run_fault("hostile_peers", main, watchdog_seconds=420)
