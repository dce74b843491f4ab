"""Makes cell results safe to write. Their strings come from the guest and
from QEMU's stderr (untrusted): any field may hold control characters, lone
surrogates, huge strings, NaN or a value of the wrong type. clean() turns
any value into strict JSON; cells() gives every cell the fields and types
the writers read; printable() and xml_text() escape for terminals and XML."""
import json
import math
import re

MAX_FIELD = 4096     # characters a string keeps in results.json
MAX_TEXT = 300       # characters a string keeps in the text reports
MAX_DEPTH = 12       # nesting kept; deeper (or cyclic) values become a note
MAX_NOTES = 100      # changes listed in results.json (what cleaning did)

# C0 and C1 controls, DEL, lone surrogates, noncharacters, and bidi
# overrides (they reorder what a reader sees): none reaches a terminal raw
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                          "\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# characters XML 1.0 does not allow, even as references
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

CELL_TEXT = ("cell", "config", "device", "verdict", "reason", "why")
CHECK_TEXT = ("addr", "driver", "id", "verdict")


def cut(s, limit):
    """s, or its start and a note saying how long it was, limit characters in
    all (so cutting again changes nothing)."""
    if len(s) <= limit:
        return s
    note = f"... [cut: {len(s)} characters]"
    return s[:max(limit - len(note), 0)] + note


class Cell(dict):
    """A cell result cell() has already made safe: not cleaned twice (every
    writer takes raw results, and cleaning a full run is a second's work)."""


def clean(value, notes=None, path="", depth=0):
    """A copy of value that json.dumps(allow_nan=False) accepts and that
    encodes as UTF-8: strings without lone surrogates and cut to MAX_FIELD,
    NaN and infinities as None, other types as their repr. What changed is
    added to notes."""
    def note(what):
        if notes is None or len(notes) > MAX_NOTES:
            return
        notes.append(printable(f"{path or '.'}: {what}", 200) if len(notes) < MAX_NOTES
                     else "further changes not listed")
    if value is None or isinstance(value, (bool, int, Cell)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        note(f"{value} replaced by null")
        return None
    if isinstance(value, str):
        s = value
        if _SURROGATE.search(s):
            s = _SURROGATE.sub("\ufffd", s)
            note("lone surrogates replaced by U+FFFD")
        if len(s) > MAX_FIELD:
            note(f"cut from {len(s)} to {MAX_FIELD} characters")
            s = cut(s, MAX_FIELD)
        return s
    if depth >= MAX_DEPTH:
        note(f"nested deeper than {MAX_DEPTH} levels, dropped")
        return None
    if isinstance(value, dict):
        return {clean(str(k), notes, path, depth + 1): clean(v, notes, f"{path}.{k}", depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, notes, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    note(f"{type(value).__name__} written as text")
    return clean(repr(value), notes, path, depth + 1)


def text(value):
    """A field the writers show as text: strings as they are, None as '',
    numbers as digits, anything else as compact strict JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(clean(value), allow_nan=False, separators=(",", ":"))


def text_list(value):
    """A list of strings (requirement ids, xfail entries) from whatever is there."""
    if not isinstance(value, list):
        value = [] if value in (None, "") else [value]
    return [text(v) for v in value]


def _check(c):
    if not isinstance(c, dict):
        c = {"verdict": "error", "detail": f"not a check record: {text(c)}"}
    c = dict(c)
    for k in CHECK_TEXT:
        c[k] = text(c.get(k))
    c["reqs"] = text_list(c.get("reqs"))
    if "scenario" in c:
        c["scenario"] = text(c.get("scenario"))
    return c


def cell(r, notes=None, path=""):
    """One cell result, cleaned, with the fields the writers read as text,
    lists of text, a list of check dicts, a dict for 'vm' and a bool for
    'known' (only True counts: a stray string must not hide a failure)."""
    if isinstance(r, Cell):
        return r
    if not isinstance(r, dict):
        r = {"verdict": "invalid", "reason": f"not a cell result: {text(clean(r))}"}
    r = Cell(clean(r, notes, path))
    for k in CELL_TEXT:
        r[k] = text(r.get(k))
    for k in ("expected_mode", "observed_mode"):
        r[k] = None if r.get(k) is None else text(r[k])
    r["reqs"] = text_list(r.get("reqs"))
    r["xfail"] = text_list(r.get("xfail"))
    checks = r.get("checks")
    if not isinstance(checks, list):
        checks = [] if checks is None else [checks]
    r["checks"] = [_check(c) for c in checks]
    if "known" in r:
        r["known"] = r["known"] is True
    if "vm" in r and not isinstance(r["vm"], dict):
        r["vm"] = {"invalid": text(r["vm"])}
    return r


def number(value):
    """A finite number from a field that should hold one, else 0."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return value if ok else 0


def cells(results, notes=None):
    """Every result through cell(); results of the wrong type give none."""
    if not isinstance(results, (list, tuple)):
        return []
    return [cell(r, notes, f"cells[{i}]") for i, r in enumerate(results)]


def dumps(obj, **kw):
    """Strict JSON of any value (cleaned first: no NaN, no lone surrogates)."""
    return json.dumps(clean(obj), allow_nan=False, **kw)


def jsonl(obj):
    """One line of cells.jsonl-style output (no newline inside)."""
    return dumps(obj, sort_keys=True) + "\n"


def printable(s, limit=None, newlines=False):
    """s safe for a terminal or a text report: controls, escape sequences,
    lone surrogates and bidi overrides shown as \\xNN / \\uNNNN, cut to limit
    characters with a note. newlines=True keeps line feeds."""
    s = text(s)
    if limit is not None:
        s = cut(s, limit)
    if not newlines:
        s = s.replace("\n", " ")
    return _UNPRINTABLE.sub(_escape, s.replace("\t", " "))


def xml_text(s):
    """s with the characters XML 1.0 forbids shown as \\xNN / \\uNNNN (the
    caller still escapes markup)."""
    return _NOT_XML.sub(_escape, text(s))


def _escape(m):
    ch = ord(m.group())
    return f"\\x{ch:02x}" if ch < 0x100 else f"\\u{ch:04x}"
