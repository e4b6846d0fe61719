"""The turnaround figures of a set of HL7 messages, computed here without the engine.

What the stock mappings make of a message (stock-mapping.md, "Fields") is read again from the
message with a small ER7 reader of its own, for the fields the turnaround engine uses; the
intervals follow stock-mapping.md, "Turnaround intervals", and the statistics its rules: exact
nearest-rank percentiles, invalid intervals (to before from) only counted, an interval
assigned to the time of its `to` end, breaches against the target of the interval's own
priority. Used by e2e_turnaround.py and e2e_prometheus.py.
"""

import datetime
import os
import re

from e2e_support import check

LINE_END = re.compile(r"\r\n|\r|\n")
ZONE = datetime.timezone(datetime.timedelta(hours=7))
HOUR = 3600

# stock-mapping.md defaults: name -> (scope, from, to kinds, discipline, {priority: target s}).
# The key "" is the target of every priority.
INTERVALS = {
    "lab_order_to_final": ("order", "ordered", ("final",), "LAB", {"S": HOUR, "R": 4 * HOUR}),
    "lab_receipt_to_final": ("order", "received", ("final",), "LAB", {}),
    "lab_collect_to_receipt": ("order", "collected", ("received",), "LAB", {}),
    "rad_order_to_report": ("order", "ordered", ("final",), "RAD", {}),
    "rad_exam_to_report": ("order", "completed", ("final",), "RAD", {"S": HOUR, "R": 24 * HOUR}),
    "patient_wait_to_service": ("visit", "registered", ("collected", "started"), "",
                                {"": HOUR // 2}),
}
INFO_FIELDS = ("patient_id", "visit_id", "department", "priority", "service_code", "modality")


# ---------------------------------------------------------------- reading ER7

class Segments:
    def __init__(self, text):
        self.list = []
        for line in LINE_END.split(text):
            if not line:
                continue
            fields = line.split("|")
            if fields[0] == "MSH":
                fields = ["MSH", "|"] + fields[1:]  # fields[n] is MSH-n
            self.list.append(fields)

    def first(self, name):
        return next((s for s in self.list if s[0] == name), None)


def field(segment, number, component=1):
    """The first repetition's `component` of field `number`; "" when absent."""
    if segment is None or number >= len(segment):
        return ""
    parts = segment[number].split("~")[0].split("^")
    return parts[component - 1] if component - 1 < len(parts) else ""


def instant_us(hl7_time):
    """YYYYMMDDHHMMSS+ZZZZ (every time of the fixture has its offset) as Unix microseconds."""
    if not hl7_time:
        return None
    at = datetime.datetime.strptime(hl7_time, "%Y%m%d%H%M%S%z")
    return int(at.timestamp()) * 1_000_000


def format_iso(us):
    """As the admin API writes times: milliseconds, the engine's zone (+07:00 here)."""
    at = datetime.datetime.fromtimestamp(us // 1_000_000, ZONE)
    return "%s.%03d+07:00" % (at.strftime("%Y-%m-%dT%H:%M:%S"), (us % 1_000_000) // 1000)


def parse_iso(text):
    at = datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=ZONE)
    check(text.endswith("+07:00"), "a time not in +07:00: %s" % text)
    return int(at.timestamp()) * 1_000_000 + int(text[20:23]) * 1000


def priority_of(group):
    """TQ1-9, else OBR-27.6, ORC-7.6, OBR-5; S or A is S, anything else R."""
    tq1 = next((s for s in group if s[0] == "TQ1"), None)
    obr = next((s for s in group if s[0] == "OBR"), None)
    orc = next((s for s in group if s[0] == "ORC"), None)
    for value in (field(tq1, 9), field(obr, 27, 6), field(orc, 7, 6), field(obr, 5)):
        if value:
            return "S" if value in ("S", "A") else "R"
    return "R"


def order_groups(segments, message_type):
    """An ORU's groups start at each OBR (with the ORC just before it); an ORM's at each ORC."""
    groups = []
    for i, s in enumerate(segments.list):
        starts = s[0] == "OBR" if message_type == "ORU" else s[0] == "ORC"
        if starts:
            group = [s]
            if message_type == "ORU" and i > 0 and segments.list[i - 1][0] == "ORC":
                group.insert(0, segments.list[i - 1])
            for t in segments.list[i + 1:]:
                if t[0] in ("ORC", "OBR") and not (message_type != "ORU" and t[0] == "OBR"):
                    break
                group.append(t)
            groups.append(group)
    return groups


def order_times(group, discipline, message_type):
    """{kind: HL7 time} of one order group, as the stock mapping's columns give them."""
    orc = next((s for s in group if s[0] == "ORC"), None)
    obr = next((s for s in group if s[0] == "OBR"), None)
    status = field(orc, 5)
    if discipline == "RAD" and message_type != "ORU" and status in ("IP", "CM"):
        ordered = field(obr, 6)  # ORC-9 of an exam update is the exam's time
    else:
        ordered = field(orc, 9) or field(obr, 6)
    times = {"ordered": ordered}
    if discipline == "LAB":
        times["collected"] = field(obr, 7)
        times["received"] = field(obr, 14)
    else:
        times["started"] = field(obr, 7) or (field(orc, 9) if status == "IP" and
                                             message_type != "ORU" else "")
        times["completed"] = field(obr, 8) or (field(orc, 9) if status == "CM" and
                                               message_type != "ORU" else "")
    if message_type == "ORU":
        kind = {"P": "preliminary", "F": "final", "C": "corrected"}.get(field(obr, 25))
        if kind:
            times[kind] = field(obr, 22)
    return times


def message_events(text, discipline):
    """[(kind, at_us, discipline, {info})] of one message."""
    segs = Segments(text)
    msh, pid, pv1 = segs.first("MSH"), segs.first("PID"), segs.first("PV1")
    message_type, trigger = field(msh, 9, 1), field(msh, 9, 2)
    visit = field(pv1, 19)
    patient = field(pid, 3)  # the fixture's PID-3 has one repetition, of type PI
    events = []
    if visit:
        registered = field(pv1, 44) or (field(segs.first("EVN"), 2) if message_type == "ADT"
                                        and trigger in ("A01", "A04") else "")
        if registered:
            events.append(("registered", instant_us(registered), discipline,
                           {"patient_id": patient, "visit_id": visit,
                            "department": field(pv1, 3)}))
    if message_type not in ("ORU", "ORM"):
        return events
    for group in order_groups(segs, message_type):
        orc = next((s for s in group if s[0] == "ORC"), None)
        obr = next((s for s in group if s[0] == "OBR"), None)
        info = {"order_no": field(orc, 2) or field(obr, 2), "visit_id": visit,
                "patient_id": patient, "department": field(pv1, 3) or field(orc, 17),
                "priority": priority_of(group), "service_code": field(obr, 4),
                "modality": field(obr, 24) if discipline == "RAD" else ""}
        for kind, at in order_times(group, discipline, message_type).items():
            if at:
                events.append((kind, instant_us(at), discipline, info))
    return events


# ---------------------------------------------------------------- the model

class Subject:
    def __init__(self):
        self.marks = []  # (kind, at_us, discipline)
        self.info = {f: "" for f in INFO_FIELDS}
        self.seen = {f: set() for f in INFO_FIELDS}

    def mark(self, kind, at, discipline, info):
        self.marks.append((kind, at, discipline))
        for f in INFO_FIELDS:
            value = info.get(f, "")
            if value:
                self.info[f] = value
                self.seen[f].add(value)

    def earliest(self, kinds, discipline):
        times = [at for kind, at, d in self.marks
                 if kind in kinds and (not discipline or d == discipline)]
        return min(times) if times else None


class Model:
    """Subjects (orders and visits) and their intervals, from messages in sending order."""

    def __init__(self, messages):
        self.subjects = {"order": {}, "visit": {}}
        for channel, text in messages:
            discipline = "LAB" if channel == "lis" else "RAD"
            for kind, at, d, info in message_events(text, discipline):
                for scope, key in (("order", info.get("order_no")), ("visit", info["visit_id"])):
                    if key:
                        subject = self.subjects[scope].setdefault(key, Subject())
                        subject.mark(kind, at, d, info)
        # The fixture keeps what the figures group by the same in every message of a subject,
        # so that the order messages arrive in cannot change a group.
        for scope, subjects in self.subjects.items():
            for key, s in subjects.items():
                for f in ("department", "priority") + (("service_code", "modality")
                                                       if scope == "order" else ()):
                    check(len(s.seen[f]) <= 1, "fixture: %s %s has %s %s" % (scope, key, f,
                                                                             s.seen[f]))

    def intervals(self, name):
        """[(subject key, from_us, to_us, info)] of every subject with both ends."""
        scope, start, ends, discipline, _ = INTERVALS[name]
        out = []
        for key, s in sorted(self.subjects[scope].items()):
            begin, end = s.earliest((start,), discipline), s.earliest(ends, discipline)
            if begin is not None and end is not None:
                out.append((key, begin, end, s.info))
        return out

    def running(self, name):
        """[(subject key, from_us, info)] whose clock started and has not stopped."""
        scope, start, ends, discipline, _ = INTERVALS[name]
        out = []
        for key, s in sorted(self.subjects[scope].items()):
            begin, end = s.earliest((start,), discipline), s.earliest(ends, discipline)
            if begin is not None and end is None:
                out.append((key, begin, s.info))
        return out


def target_for(name, priority):
    targets = INTERVALS[name][4]
    return targets.get(priority, targets.get(""))


def nearest_rank(sorted_values, p):
    rank = max((p * len(sorted_values) + 99) // 100, 1)  # ceil(p/100 * n), in integers
    return sorted_values[rank - 1]


def group_statistics(name, rows, key):
    """The API's figures of one group; `rows` are (duration_us, invalid, info)."""
    valid = sorted(d for d, invalid, _ in rows if not invalid)
    targets = [target_for(name, info["priority"]) for _, invalid, info in rows if not invalid]
    if valid:
        target = targets[0] if len(set(targets)) == 1 else None
    else:
        priority = dict(key).get("priority")
        uniform = set(INTERVALS[name][4].values())
        target = target_for(name, priority) if priority is not None else \
            (uniform.pop() if len(uniform) == 1 else None)
    breaches = sum(1 for d, invalid, info in rows if not invalid and
                   target_for(name, info["priority"]) is not None and
                   d > target_for(name, info["priority"]) * 1_000_000)
    n = len(valid)
    figure = (lambda us: us / 1e6) if n else (lambda us: None)
    return {
        "key": dict(key), "count": n,
        "mean_s": sum(valid) / n / 1e6 if n else None,
        "p50_s": figure(nearest_rank(valid, 50)) if n else None,
        "p90_s": figure(nearest_rank(valid, 90)) if n else None,
        "p95_s": figure(nearest_rank(valid, 95)) if n else None,
        "p99_s": figure(nearest_rank(valid, 99)) if n else None,
        "max_s": figure(valid[-1]) if n else None,
        "target_s": float(target) if target is not None else None,
        "breaches": breaches,
        "breach_pct": 100.0 * breaches / n if n else None,
        "invalid": sum(1 for _, invalid, _ in rows if invalid),
    }


def expected_statistics(model, name, from_us, to_us, group_by, filters=()):
    """The groups /api/v1/turnaround must answer, ordered by key."""
    groups = {}
    for _, begin, end, info in model.intervals(name):
        if not from_us <= end < to_us or any(info[f] != v for f, v in filters):
            continue
        key = tuple((g, info[g]) for g in group_by)
        groups.setdefault(key, []).append((end - begin, end < begin, info))
    if not group_by:
        groups.setdefault((), [])
    return [group_statistics(name, rows, key) for key, rows in sorted(groups.items())]


def expected_distribution(model, name, from_us, to_us, bucket_s):
    counts, invalid = [], 0
    for _, begin, end, _ in model.intervals(name):
        if not from_us <= end < to_us:
            continue
        if end < begin:
            invalid += 1
            continue
        index = min((end - begin) // (bucket_s * 1_000_000), 199)
        counts += [0] * (index + 1 - len(counts))
        counts[index] += 1
    buckets = [{"from_s": i * bucket_s, "to_s": (i + 1) * bucket_s if i < 199 else None,
                "count": c} for i, c in enumerate(counts)]
    return buckets, invalid


def expected_overdue(model, now_us, lookback_us):
    """The items of /api/v1/overdue at `now_us`, oldest first."""
    items = []
    for name, (scope, _, _, _, targets) in INTERVALS.items():
        if not targets:
            continue
        for key, begin, info in model.running(name):
            target = target_for(name, info["priority"])
            if target is None or begin < now_us - lookback_us or \
                    now_us - begin <= target * 1_000_000:
                continue
            item = {"interval": name}
            if scope == "order":
                item["order_no"] = key
            item.update({"visit_id": key if scope == "visit" else info["visit_id"],
                         "patient_id": info["patient_id"], "department": info["department"],
                         "priority": info["priority"], "service_code": info["service_code"],
                         "modality": info["modality"], "started_at": format_iso(begin),
                         "age_s": (now_us - begin) / 1e6, "target_s": float(target)})
            items.append((begin, item))
    return [item for _, item in sorted(items, key=lambda x: x[0])]


def load_fixture(folder):
    """[(channel, name, text)] in sending order (the files' NNN prefix)."""
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".hl7"):
            channel = name.split("-")[1]
            check(channel in ("lis", "ris"), "fixture %s: no channel in its name" % name)
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                out.append((channel, name, f.read()))
    check(out, "no fixture messages in %s" % folder)
    return out
