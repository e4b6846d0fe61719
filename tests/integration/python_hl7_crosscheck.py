#!/usr/bin/python3
"""Cross-checks `hisbridge parse --json` against python-hl7, a second, independent ER7 parser.

    python_hl7_crosscheck.py HISBRIDGE PATH [PATH...]

Every ER7 file under each PATH (`*.hl7`, `*.txt`, but not `uuencoded*`) is split into messages
here, by the same rules hisbridge documents in engine/hl7/batch.hpp but with code of its own:
a message starts at an `MSH` line and ends at a blank line, the next MSH, an FHS/BHS/BTS/FTS
line or the end of the file; lines outside a message are dropped, and so is a line inside one
that is no segment (with a note: hisbridge keeps such a line and refuses the message, so the
note explains the failure that follows). Each message is decoded with the character set its
MSH-18 declares and parsed with `hl7.parse`. For every message both parsers read, the check
wants:

  - the same delimiters, segments, segment ids and field counts;
  - hisbridge's fields, joined back with the message's delimiters, giving the message text
    again character for character (a round trip), and each field's raw text equal to its
    repetition/component/sub-component tree joined back;
  - every field, repetition, component and sub-component equal, as raw (still escaped) text;
  - for fields that are plain text (no repetition, component or sub-component separator), the
    decoded value hisbridge gives equal to what python-hl7's `Message.unescape` gives.

A PATH that does not exist is skipped with a note (the shared samples are optional). A message
python-hl7 cannot read, or whose character set Python cannot decode independently, is skipped
with the reason. The last line is `python-hl7 crosscheck: N passed, M failed`, counting compared
messages; the exit status is 1 on any mismatch, 77 (CTest's skip) when nothing could be compared.
"""

import codecs
import json
import logging
import os
import re
import subprocess
import sys
import unicodedata

try:
    import hl7
except ImportError:  # pragma: no cover - depends on the machine
    hl7 = None

EXIT_SKIP = 77
ER7_SUFFIXES = (".hl7", ".txt")
UTF8_BOM = b"\xef\xbb\xbf"
# A line ends with CR, LF or CRLF; CR CR LF is a CRLF text written in text mode on Windows.
LINE_END = re.compile(rb"\r\r\n|\r\n|\r|\n")
ENVELOPE_IDS = (b"FHS", b"BHS", b"BTS", b"FTS")
SEGMENT_ID = re.compile(rb"[A-Z0-9]{3}")
# v2.5.1 §2.7: the escapes that stand for the message's own delimiters.
PARSING_ESCAPES = {
    "F": "field",
    "S": "component",
    "T": "subcomponent",
    "R": "repetition",
    "E": "escape",
}

# python-hl7 logs (and on the last-resort handler prints) every escape sequence it does not
# know. Those sequences are compared explicitly below, so its log is not wanted here.
logging.getLogger().addHandler(logging.NullHandler())


def er7_files(path):
    """The ER7 files at `path` (a file, or a folder searched recursively), sorted."""
    if os.path.isfile(path):
        return [path]
    found = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(ER7_SUFFIXES) and not name.startswith("uuencoded"):
                found.append(os.path.join(root, name))
    return found


def is_separator(byte):
    """A field separator is a printable character other than a letter or digit."""
    return 0x20 < byte < 0x7F and not chr(byte).isalnum()


def line_kind(line):
    if line.strip(b" \t") == b"":
        return "blank"
    head = line[:3]
    if head == b"MSH":
        return "msh" if len(line) > 3 and is_separator(line[3]) else "other"
    if head in ENVELOPE_IDS and (len(line) == 3 or is_separator(line[3])):
        return "envelope"
    return "other"


def is_segment(line, field_separator):
    return SEGMENT_ID.fullmatch(line[:3]) is not None and (
        len(line) == 3 or line[3] == field_separator
    )


class SplitMessage:
    def __init__(self, line_number, msh):
        self.line_number = line_number
        self.segments = [msh]  # bytes, without terminators
        self.dropped = []  # (line number, text) of lines inside the message that are no segment


def split_messages(data):
    """The messages of a file, each as its segment lines (bytes, without terminators)."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    lines = LINE_END.split(data)
    if lines and lines[-1] == b"":
        lines.pop()  # the terminator of the last line ends no further line
    messages, current = [], None
    for number, line in enumerate(lines, start=1):
        if line.startswith(UTF8_BOM):
            line = line[len(UTF8_BOM):]
        kind = line_kind(line)
        if kind == "msh":
            current = SplitMessage(number, line)
            messages.append(current)
        elif kind in ("blank", "envelope"):
            current = None
        elif current is None:
            continue  # text before the first MSH, or comments between messages
        elif is_segment(line, current.segments[0][3]):
            current.segments.append(line)
        else:
            current.dropped.append((number, line))
    return messages


def msh_fields(msh):
    """MSH split at its field separator: index n is MSH-(n+1), as in the standard's numbering."""
    return msh.split(msh[3:4])


def declared_charset(msh):
    """MSH-18's first repetition, as text (empty when not sent)."""
    fields = msh_fields(msh)
    if len(fields) < 18:
        return ""
    value = fields[17]
    encoding = fields[1]
    if len(encoding) > 1:
        value = value.split(encoding[1:2])[0]
    return value.decode("ascii", "replace").strip()


def python_codec(charset):
    """(codec, normalise to NFC) for an MSH-18 name, or (None, reason) when Python has none."""
    key = " ".join(charset.upper().split())
    if key in ("", "UNICODE UTF-8", "UNICODE", "ISO IR192", "ASCII", "ISO IR6"):
        # hisbridge reads ASCII as UTF-8 (charset.hpp): ASCII is a subset, and senders that
        # declare it often send UTF-8.
        return "utf-8", False
    match = re.fullmatch(r"8859/(\d+)", key)
    if match:
        return ("latin-1" if match.group(1) == "1" else "iso8859-" + match.group(1)), False
    if key == "ISO IR100":
        return "latin-1", False
    if key in ("CP1258", "WINDOWS-1258"):
        # glibc's CP1258 converter composes a base letter and the combining tone mark after it
        # into the precomposed letter (charset.hpp documents this for hisbridge); Python's
        # codec maps byte for byte, and NFC makes the same composition.
        return "cp1258", True
    try:
        return codecs.lookup(key).name, False
    except LookupError:
        return None, "Python has no decoder for MSH-18 character set %r" % charset


class Delimiters:
    def __init__(self, d):
        self.field = d["field"]
        self.component = d["component"]
        self.repetition = d["repetition"]
        self.escape = d["escape"]
        self.subcomponent = d["subcomponent"]
        self.truncation = d["truncation"]

    @staticmethod
    def from_msh(msh):
        """MSH-1 and MSH-2 of the MSH segment `msh` (text, without its terminator)."""
        chars = msh[4:].split(msh[3], 1)[0]
        slots = (list(chars[:5]) + [""] * 5)[:5]
        return Delimiters(
            {
                "field": msh[3],
                "component": slots[0],
                "repetition": slots[1],
                "escape": slots[2],
                "subcomponent": slots[3],
                "truncation": slots[4],
            }
        )

    def as_tuple(self):
        return (
            self.field,
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
            self.truncation,
        )


def component_subs(component):
    if isinstance(component, hl7.Component):
        return [str(sub) for sub in component]
    return [str(component)]


def repetition_components(repetition):
    if isinstance(repetition, hl7.Repetition):
        return [component_subs(component) for component in repetition]
    return [[str(repetition)]]


def field_tree(field):
    """A python-hl7 Field as repetitions -> components -> sub-components. A Field holds either
    one plain string (no separator inside) or Repetitions; a Repetition one string or
    Components; a Component strings: python-hl7 collapses a level with no separator in it."""
    items = list(field) if isinstance(field, hl7.Field) else [field]
    return [repetition_components(item) for item in items]


def join_boundary(left, right, separator):
    """Two neighbours python-hl7 split apart, joined back at the leaves where they meet."""
    if isinstance(left, str):
        return left + separator + right
    return left[:-1] + [join_boundary(left[-1], right[0], separator)] + right[1:]


def merge(items, separator):
    merged = items[0]
    for item in items[1:]:
        merged = join_boundary(merged, item, separator)
    return merged


def undo_default_splits(tree, undeclared):
    """MSH-2 may declare fewer than four encoding characters (hapi messages.txt has
    `MSH|^~}|`: no sub-component separator). python-hl7 then splits at its defaults `~` `^` `&`
    anyway (parser.create_parse_plan); hisbridge splits only at what the message declares.
    The splits python-hl7 made at an undeclared level are joined back here, level by level."""
    if "subcomponent" in undeclared:
        tree = [[[merge(comp, undeclared["subcomponent"])] for comp in rep] for rep in tree]
    if "component" in undeclared:
        tree = [[merge(rep, undeclared["component"])] for rep in tree]
    if "repetition" in undeclared:
        tree = [merge(tree, undeclared["repetition"])]
    return tree


class PySegment:
    """One python-hl7 segment as id, field texts and field trees (index n-1 is field n)."""

    def __init__(self, segment, undeclared):
        if len(segment) == 1 and isinstance(segment[0], str):
            # A segment with no separator at all ("ZZZ") is a Segment holding one string.
            self.id, fields = segment[0], []
        else:
            self.id, fields = str(segment[0]), list(segment[1:])
        self.raw = [str(field) for field in fields]
        self.trees = []
        for number, field in enumerate(fields, start=1):
            if self.id == "MSH" and number in (1, 2):
                # MSH-1 and MSH-2 are literals: python-hl7 builds them unsplit (parser._split).
                self.trees.append([[[str(field)]]])
            else:
                self.trees.append(undo_default_splits(field_tree(field), undeclared))

    def restore_tail(self, tail):
        """Puts back whitespace python-hl7 stripped from the end of the message."""
        if not self.raw:
            self.id += tail
            return
        self.raw[-1] += tail
        self.trees[-1][-1][-1][-1] += tail


class NotComparable(Exception):
    """python-hl7 reads the message, but not in a way that can be compared."""


# Where python-hl7 keeps each separator in Container.separators: "\r|~^&".
PYTHON_HL7_SEPARATOR_INDEX = {"repetition": 2, "component": 3, "subcomponent": 4}


def parse_with_python_hl7(text, d):
    """(segments, message); raises NotComparable, or whatever python-hl7 raises."""
    msh = text.split("\r", 1)[0]
    if msh.find(msh[3], 4) < 0:
        # An MSH that ends at MSH-2: python-hl7 looks for the field separator after MSH-2 in
        # the whole message (parser.create_parse_plan, parser._split) and takes the next
        # segment's text as encoding characters.
        raise NotComparable("MSH ends at MSH-2, which python-hl7 misreads")
    message = hl7.parse(text)
    undeclared = {}
    for level, index in PYTHON_HL7_SEPARATOR_INDEX.items():
        if not getattr(d, level):
            default = message.separators[index]
            if default in d.as_tuple():
                raise NotComparable(
                    "MSH-2 declares no %s separator and python-hl7's default %r for it is "
                    "a delimiter of this message" % (level, default)
                )
            undeclared[level] = default
    segments = [PySegment(segment, undeclared) for segment in message]
    # hl7.parse strips whitespace around the whole message (parser.parse: `lines.strip()`),
    # so spaces or tabs that end the last segment are lost. Put them back on the last leaf
    # so that the comparison sees what python-hl7 would have split.
    tail = text[len(text.rstrip()):]
    if tail and segments:
        segments[-1].restore_tail(tail)
    return segments, message


def escape_bodies(raw, escape):
    """The escape sequences of `raw` paired as both parsers pair them: (bodies, clean) where
    clean is False when a sequence is empty or the last one is not closed."""
    bodies, pos = [], 0
    while True:
        start = raw.find(escape, pos)
        if start < 0:
            return bodies, True
        end = raw.find(escape, start + 1)
        if end < 0:
            return bodies, False
        body = raw[start + 1 : end]
        if not body:
            return bodies, False
        bodies.append(body)
        pos = end + 1


def hex_bytes(body):
    digits = body[1:]
    if not digits or len(digits) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
        return None
    return bytes.fromhex(digits)


def app_map_for(bodies, d):
    """python-hl7's application map for the sequences where the two parsers mean different
    things on purpose, each named; the parsing escapes \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ are left to
    python-hl7."""
    app_map = {}

    def verbatim(body):
        return d.escape + body + d.escape

    for body in bodies:
        if body in PARSING_ESCAPES:
            if not getattr(d, PARSING_ESCAPES[body]):
                # \T\ where MSH-2 declares no sub-component separator stands for nothing:
                # python-hl7 gives its default `&`; kept as written, as hisbridge keeps \P\
                # when no truncation character is declared.
                app_map[body] = verbatim(body)
            continue
        if body == "P" and d.truncation:
            # v2.7 §2.5.5.2 truncation character: python-hl7 predates it and drops \P\.
            app_map[body] = d.truncation
        elif body == ".br":
            # Both begin a new line: python-hl7 with CR, hisbridge with LF (escape.hpp).
            app_map[body] = "\n"
        elif body.startswith("X") and hex_bytes(body) is not None:
            data = hex_bytes(body)
            if any(byte >= 0x80 for byte in data):
                # \Xhh\ is bytes: hisbridge keeps them as bytes of its UTF-8 text, python-hl7
                # makes each byte a code point (chr(0xhh)).
                app_map[body] = data.decode("utf-8", "replace")
        else:
            # \H\ \N\ (python-hl7: "_"), formatting (.sp .in ...: python-hl7 renders them),
            # \Cxxyy\ \Mxxyyzz\ \Zxx\, a malformed \X\, \P\ without a truncation character:
            # hisbridge keeps all of these as written (escape.hpp); python-hl7 replaces or drops.
            app_map[body] = verbatim(body)
    return app_map


def expected_value(message, raw, d):
    """What python-hl7 decodes `raw` to, with the named differences above applied."""
    if not d.escape:
        # MSH-2 declares no escape character: hisbridge decodes nothing; python-hl7 would
        # fall back to `\`.
        return raw
    bodies, clean = escape_bodies(raw, d.escape)
    if clean:
        return message.unescape(raw, app_map_for(bodies, d))
    # An empty sequence (`\\`) or an unclosed last one: python-hl7 drops it, hisbridge keeps
    # it as text. Each well-formed sequence still goes through python-hl7 on its own.
    out, pos = [], 0
    while True:
        start = raw.find(d.escape, pos)
        end = raw.find(d.escape, start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(raw[pos:])
            return "".join(out)
        out.append(raw[pos:start])
        sequence = raw[start : end + 1]
        body = sequence[1:-1]
        out.append(message.unescape(sequence, app_map_for([body], d)) if body else sequence)
        pos = end + 1


class Tally:
    def __init__(self):
        self.files = 0
        self.messages = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.fields = 0
        self.leaves = 0
        self.values = 0

    def add(self, other):
        for key, value in vars(other).items():
            setattr(self, key, getattr(self, key) + value)


class MessageCheck:
    """Compares one message. `problems` holds (path, (name, value), (name, value)): hisbridge
    against python-hl7, or, for the round trip, hisbridge's pieces against the source text."""

    def __init__(self, tally):
        self.tally = tally
        self.problems = []

    def differ(self, path, ours, theirs, names=("hisbridge", "python-hl7")):
        self.problems.append((path, (names[0], ours), (names[1], theirs)))

    def run(self, text, hb, segments, message, d):
        hb_d = Delimiters(hb["delimiters"])
        if hb_d.as_tuple() != d.as_tuple():
            self.differ("delimiters", "".join(hb_d.as_tuple()), "".join(d.as_tuple()),
                        ("hisbridge", "MSH-1/MSH-2"))
        hb_segments = hb["segments"]
        self.round_trip(text, hb_segments, d)
        if [s["id"] for s in hb_segments] != [s.id for s in segments]:
            self.differ(
                "segment ids",
                " ".join(s["id"] for s in hb_segments),
                " ".join(s.id for s in segments),
            )
            return
        for hb_segment, py_segment in zip(hb_segments, segments):
            self.segment(hb_segment, py_segment, message, d)

    def round_trip(self, text, hb_segments, d):
        """hisbridge's fields joined with the message's delimiters give the source again."""
        names = ("hisbridge fields joined", "source")
        rebuilt = []
        for segment in hb_segments:
            raws = [f["raw"] for f in segment["fields"]]
            if segment["id"] == "MSH" and len(raws) >= 2:
                rebuilt.append("MSH" + raws[0] + raws[1] + "".join(d.field + r for r in raws[2:]))
            else:
                rebuilt.append(segment["id"] + "".join(d.field + r for r in raws))
        source = text.split("\r")
        for number, (ours, line) in enumerate(zip(rebuilt, source), start=1):
            if ours != line:
                self.differ("round trip, segment %d" % number, ours, line, names)
        if len(rebuilt) != len(source):
            self.differ("round trip, segment count", len(rebuilt), len(source), names)

    def segment(self, hb_segment, py_segment, message, d):
        sid, number = hb_segment["id"], hb_segment["number"]
        hb_fields = hb_segment["fields"]
        if len(hb_fields) != len(py_segment.raw):
            self.differ("segment %d %s field count" % (number, sid), len(hb_fields),
                        len(py_segment.raw))
        for field, py_raw, py_tree in zip(hb_fields, py_segment.raw, py_segment.trees):
            self.tally.fields += 1
            where = "segment %d %s-%d" % (number, sid, field["number"])
            literal = sid == "MSH" and field["number"] in (1, 2)
            if field["raw"] != py_raw:
                self.differ(where, field["raw"], py_raw)
            if not literal:
                self.joined_back(where, field, d)
            self.tree(where, field["repetitions"], py_tree)
            if field["null"] != (py_raw == hl7.NULL):
                self.differ(where + " null", field["null"], py_raw == hl7.NULL)
            if not literal and py_tree == [[[py_raw]]]:
                self.tally.values += 1
                expected = expected_value(message, py_raw, d)
                if field["value"] != expected:
                    self.differ(where + " value", field["value"], expected)

    def joined_back(self, where, field, d):
        """A field's tree joined with its delimiters gives its raw text (round trip below
        the field)."""
        joined = d.repetition.join(
            d.component.join(d.subcomponent.join(subs) for subs in comps)
            for comps in field["repetitions"]
        )
        if joined != field["raw"]:
            self.differ(where + " tree joined back", joined, field["raw"],
                        ("hisbridge tree", "hisbridge raw"))

    def tree(self, where, hb_tree, py_tree):
        if len(hb_tree) != len(py_tree):
            self.differ(where + " repetition count", len(hb_tree), len(py_tree))
        for r, (hb_rep, py_rep) in enumerate(zip(hb_tree, py_tree), start=1):
            if len(hb_rep) != len(py_rep):
                self.differ("%s[%d] component count" % (where, r), len(hb_rep), len(py_rep))
            for c, (hb_comp, py_comp) in enumerate(zip(hb_rep, py_rep), start=1):
                if len(hb_comp) != len(py_comp):
                    self.differ("%s[%d].%d sub-component count" % (where, r, c), len(hb_comp),
                                len(py_comp))
                for s, (hb_sub, py_sub) in enumerate(zip(hb_comp, py_comp), start=1):
                    self.tally.leaves += 1
                    if hb_sub != py_sub:
                        self.differ("%s[%d].%d.%d" % (where, r, c, s), hb_sub, py_sub)


def run_hisbridge(binary, path):
    """(messages by index, errors by index, what went wrong for the whole file or None)."""
    proc = subprocess.run(
        [binary, "parse", "--json", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    errors = {}
    for line in stderr.splitlines():
        match = re.search(r": message (\d+): (.*)$", line)
        if match:
            errors[int(match.group(1))] = match.group(2)
    failure = None
    if proc.returncode not in (0, 2):
        failure = "exit status %d: %s" % (proc.returncode, stderr.strip()[:200])
    try:
        doc = json.loads(proc.stdout.decode("utf-8")) if proc.stdout.strip() else {"messages": []}
    except ValueError as error:
        return {}, errors, failure or "output is not JSON: %s" % error
    if not doc["messages"] and failure is None:
        failure = stderr.strip()[:200] or "no output"
    return {m["index"]: m for m in doc["messages"]}, errors, failure


def decode_message(split):
    """(text with CR between segments, None) or (None, reason to skip)."""
    codec, option = python_codec(declared_charset(split.segments[0]))
    if codec is None:
        return None, option
    try:
        text = "\r".join(line.decode(codec) for line in split.segments)
    except UnicodeDecodeError as error:
        return None, "not valid %s: %s" % (codec, error)
    if option:
        text = unicodedata.normalize("NFC", text)
    return text, None


def check_file(binary, path, shown, tally, report):
    with open(path, "rb") as file:
        messages = split_messages(file.read())
    hb_messages, hb_errors, hb_failure = run_hisbridge(binary, path)
    tally.files += 1
    hb_count = max(list(hb_messages) + list(hb_errors) + [0])
    if hb_count > len(messages):
        # Counted as one failed comparison: the messages past this split's end have no twin.
        tally.failed += 1
        report("FAIL %s: hisbridge found %d messages, this split %d"
               % (shown, hb_count, len(messages)))
    for index, split in enumerate(messages, start=1):
        check_message(index, split, hb_messages, hb_errors, hb_failure, shown, tally, report)


def check_message(index, split, hb_messages, hb_errors, hb_failure, shown, tally, report):
    where = "%s message %d (line %d)" % (shown, index, split.line_number)
    for number, line in split.dropped:
        report("  note %s: line %d is no segment, dropped: %r" % (where, number, line[:40]))
    text, reason = decode_message(split)
    if text is None and reason.startswith("not valid") and index in hb_messages:
        # Bytes the declared character set cannot hold must be refused (`bad_encoding`).
        tally.messages += 1
        tally.failed += 1
        report("FAIL %s: hisbridge accepted it, but it is %s" % (where, reason))
        return
    if text is None:
        tally.skipped += 1
        report("SKIPPED %s: %s" % (where, reason))
        return
    d = Delimiters.from_msh(text.split("\r", 1)[0])
    try:
        segments, message = parse_with_python_hl7(text, d)
    except NotComparable as error:
        tally.skipped += 1
        report("SKIPPED %s: %s" % (where, error))
        return
    except Exception as error:  # python-hl7 raises many kinds; every one means "cannot read"
        tally.skipped += 1
        report("SKIPPED %s: python-hl7 cannot parse it: %s: %s"
               % (where, type(error).__name__, error))
        return
    tally.messages += 1
    hb = hb_messages.get(index)
    if hb is None:
        tally.failed += 1
        why = hb_errors.get(index) or hb_failure or "missing from the output"
        report("FAIL %s: hisbridge did not parse it: %s" % (where, why))
        return
    check = MessageCheck(tally)
    check.run(text, hb, segments, message, d)
    if not check.problems:
        tally.passed += 1
        return
    tally.failed += 1
    report("FAIL %s: %d mismatches" % (where, len(check.problems)))
    for path, (name, ours), (other, theirs) in check.problems:
        report("  MISMATCH %s %s: %s %r, %s %r" % (where, path, name, ours, other, theirs))


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    if hl7 is None:
        print("python-hl7 is not installed (Debian: python3-hl7): skipped")
        return EXIT_SKIP
    binary, paths = argv[1], argv[2:]
    total = Tally()
    for path in paths:
        if not os.path.exists(path):
            print("%s: absent, skipped" % path)
            continue
        tally = Tally()
        for file in er7_files(path):
            shown = os.path.relpath(file, path) if os.path.isdir(path) else file
            check_file(binary, file, shown, tally, print)
        print(
            "%s: %d files, %d messages compared (%d passed, %d failed), %d skipped, "
            "%d fields, %d leaves, %d decoded values"
            % (path, tally.files, tally.messages, tally.passed, tally.failed, tally.skipped,
               tally.fields, tally.leaves, tally.values)
        )
        total.add(tally)
    print(
        "total: %d files, %d fields, %d leaves, %d decoded values, %d messages skipped"
        % (total.files, total.fields, total.leaves, total.values, total.skipped)
    )
    print("python-hl7 crosscheck: %d passed, %d failed" % (total.passed, total.failed))
    if total.failed:
        return 1
    return 0 if total.passed else EXIT_SKIP


if __name__ == "__main__":
    sys.exit(main(sys.argv))
