"""Reads the probe's JSON Lines. Guest output is untrusted: every line and
total size is bounded, every record is checked against PROTOCOL.md's field
types before anything reads it, and whatever does not fit becomes a
problem that keeps the cells it touches from conforming, never a crash."""
import fnmatch
import json
import math
import re

MAX_LINE = 8192
MAX_TOTAL = 4 << 20
MAX_DEPTH = 8           # nesting inside one record (bars, caps, signals: 2)
PROTOCOL = 1
VERDICTS = ("pass", "fail", "skip", "error", "info")
MODES = ("legacy", "transitional", "modern", "invalid")
COUNTS = ("passed", "failed", "skipped", "errors", "info")

ADDR_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
SLOT_RE = re.compile(r"^[0-9a-f]{2}\.[0-7](/[0-9a-f]{2}\.[0-7]){0,15}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$")
REQ_RE = re.compile(r"^(dev|drv)\.[a-z0-9_]+\.[a-z0-9_]+$")
# a replayed scenario: its path below the scenarios folder
SCENARIO_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+@=,-]*(/[A-Za-z0-9_][A-Za-z0-9._+@=,-]*){0,7}$")
OUTCOMES = ("conforms", "violates", "wedged", "skipped")
EVENTS = ("begin", "kick")


def _text(v):
    return isinstance(v, str)


def _count(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 32


# field -> (test, required) per record type; fields not listed are kept
# only when they pass the generic checks (depth, strings, no NaN)
SCHEMA = {
    "start": {"probe": (_text, True), "kernel": (_text, False),
              "args": (lambda v: isinstance(v, list) and all(map(_text, v)), False)},
    "device": {"addr": (lambda v: _text(v) and ADDR_RE.match(v), True),
               "dev_type": (lambda v: _text(v) and NAME_RE.match(v), True),
               "mode": (lambda v: v in MODES, True),
               "slot_path": (lambda v: _text(v) and SLOT_RE.match(v), False),
               "why": (_text, False), "kernel_driver": (_text, False),
               "bars": (lambda v: isinstance(v, list) and all(isinstance(b, dict) for b in v), False),
               "caps": (lambda v: isinstance(v, list) and all(isinstance(b, dict) for b in v), False),
               "signals": (lambda v: isinstance(v, dict), False)},
    "check": {"addr": (lambda v: _text(v) and (v == "" or ADDR_RE.match(v)), True),
              "driver": (lambda v: _text(v) and NAME_RE.match(v), True),
              "id": (lambda v: _text(v) and NAME_RE.match(v), True),
              "verdict": (lambda v: v in VERDICTS, True),
              "reqs": (lambda v: isinstance(v, list) and len(v) <= 32 and
                       all(_text(q) and REQ_RE.match(q) for q in v), False),
              "expected": (_text, False), "observed": (_text, False), "detail": (_text, False),
              "ms": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), False),
              "scenario": (lambda v: _text(v) and len(v) <= 240 and SCENARIO_RE.match(v), False),
              "outcome": (lambda v: v in OUTCOMES, False)},
    "end": {**{k: (_count, True) for k in COUNTS}, "devices": (_count, False),
            "ms": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), False)},
    "note": {"event": (lambda v: v in EVENTS, False),
             "addr": (lambda v: _text(v) and (v == "" or ADDR_RE.match(v)), False),
             "scenario": (lambda v: _text(v) and len(v) <= 240 and SCENARIO_RE.match(v), False),
             "kick": (_count, False)},
}


class ProbeOutput:
    def __init__(self):
        self.start = None
        self.end = None
        self.devices = []       # device records
        self.checks = []        # check records
        self.notes = []         # note records (a replay's "begin" markers)
        self.problems = []      # why the output cannot be trusted fully
        self.bad_addrs = set()  # devices whose records were broken: they cannot conform
        self.lost = False       # records lost that no address can be given for


def _clean(v, depth=0):
    """Why v cannot be kept (nesting, a string that is not Unicode text),
    or None. NaN and Infinity never get here (parse_constant refuses them)."""
    if depth > MAX_DEPTH:
        return "nested too deep"
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return "a string with a lone surrogate"
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return "a number that is not finite"
    items = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
    for x in items:
        why = _clean(x, depth + 1)
        if why:
            return why
    return None


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _record(raw):
    """(record, None) or (None, why not)."""
    try:
        rec = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as e:
        return None, f"not JSON ({str(e)[:80]})"
    except RecursionError:
        return None, "not JSON (nested too deep)"
    if not isinstance(rec, dict) or rec.get("v") != PROTOCOL or rec.get("type") not in SCHEMA:
        return None, f"not a protocol-{PROTOCOL} record"
    why = _clean(rec)
    if why:
        return None, f"{rec['type']} record with {why}"
    for field, (test, required) in SCHEMA[rec["type"]].items():
        if field not in rec:
            if required:
                return None, f"{rec['type']} record without {field}"
        elif not test(rec[field]):
            return None, f"{rec['type']} record with a bad {field}"
    return rec, None


def _addr_of(raw):
    """The device address a broken line seems to be about, if any."""
    m = re.search(rb'"addr"\s*:\s*"([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])"', raw)
    return m.group(1).decode() if m else None


def parse(data):
    """Parses raw bytes from the result channel."""
    out = ProbeOutput()
    if len(data) > MAX_TOTAL:
        out.problems.append(f"output is {len(data)} bytes, more than {MAX_TOTAL}; rest ignored")
        out.lost = True
        data = data[:MAX_TOTAL]
    seen_addrs = set()
    for n, raw in enumerate(data.split(b"\n"), 1):
        raw = raw.strip(b"\r\x00 ")
        if not raw:
            continue
        if len(raw) > MAX_LINE:
            why = f"{len(raw)} bytes, longer than {MAX_LINE}"
            rec = None
        else:
            rec, why = _record(raw)
        if rec is None:
            out.problems.append(f"line {n}: {why}")
            addr = _addr_of(raw[:4096])
            if addr:
                out.bad_addrs.add(addr)
            else:
                out.lost = True
            continue
        t = rec["type"]
        if t in ("start", "end"):
            if getattr(out, t) is not None:
                out.problems.append(f"line {n}: a second {t} record")
                out.lost = True
            else:
                setattr(out, t, rec)
        elif t == "device":
            if rec["addr"] in seen_addrs:
                out.problems.append(f"line {n}: a second device record for {rec['addr']}")
                out.bad_addrs.add(rec["addr"])
                continue
            seen_addrs.add(rec["addr"])
            out.devices.append(rec)
        elif t == "check":
            rec.setdefault("reqs", [])
            out.checks.append(rec)
        elif t == "note":
            out.notes.append(rec)
    if out.start is None:
        out.problems.append("no start record: the probe never ran")
    elif out.end is None:
        out.problems.append("no end record: the probe died or the VM stopped early")
    else:
        _tally(out)
    for c in out.checks:
        if c["addr"] and c["addr"] not in seen_addrs:
            out.problems.append(f"check {c['id']} for {c['addr']}, a device the probe never reported")
            out.bad_addrs.add(c["addr"])
    return out


def _tally(out):
    """The end record's counts must match the records received: a line lost
    on the way (or one the guest left out) shows here."""
    want = sum(out.end[k] for k in COUNTS)
    if want != len(out.checks):
        out.problems.append(f"the end record counts {want} checks, {len(out.checks)} arrived")
        out.lost = True
    devs = out.end.get("devices")
    if devs is not None and devs != len(out.devices):
        out.problems.append(f"the end record counts {devs} devices, {len(out.devices)} arrived")
        out.lost = True


def xfail_match(xfail, config, device, check):
    """True when an xfail pattern (config/device/check, shell globs) matches.
    A check of the form '@verdict' stands for the cell's verdict itself."""
    key = f"{config}/{device}/{check}"
    return any(fnmatch.fnmatchcase(key, pat) for pat in xfail)


def _reqs(checks):
    return sorted({r for c in checks for r in c.get("reqs", []) if isinstance(r, str)})


def _summary(checks):
    """The first three distinct failed checks, for a verdict's reason."""
    lines = []
    for c in checks:
        line = f"{c['driver']} {c['id']}: expected {c.get('expected')}, observed {c.get('observed')}"
        if line not in lines:
            lines.append(line)
    return "; ".join(lines[:3]) + (f" ({len(checks)} failed checks in all)" if len(checks) > 3 else "")


def cell_devices(cell, out, paths=None):
    """The cell's device records: those of its type, or, in a VM shared by
    several configurations, those at the slot paths its devices were given."""
    return [d for d in out.devices if d.get("dev_type") == cell.device and
            (paths is None or d.get("slot_path") in paths)]


def cell_verdict(cell, vm, out, xfail=(), paths=None, configured=None):
    """Verdict dict for one cell, from the VM outcome and the probe output.
    vm: dict with 'status' (ok, refused, timeout, crash, flood, interrupted)
    and 'panic' flag. paths: the slot paths of the cell's devices;
    configured: every slot path the runner gave a device in this VM (a
    device reported anywhere else is a finding that keeps every cell of
    the VM from conforming). A verdict the xfail file lists as '@verdict'
    (a known hang, say) is marked known: still reported, not unexpected."""
    res = _cell_verdict(cell, vm, out, xfail, paths, configured)
    if res["verdict"] not in ("conforms", "skipped", "known-violation", "interrupted") and \
            xfail_match(xfail, cell.config.name, cell.device, "@" + res["verdict"]):
        res["known"] = True
        res["xfail"].append("@" + res["verdict"])
    return res


def untrusted(cell_addrs, out, configured=None):
    """Why the output cannot let these devices conform: records lost or
    broken, or a device at an address the runner did not configure."""
    why = []
    if out.lost:
        why += [p for p in out.problems if "line" in p or "end record" in p or "bytes" in p][:2] or \
            ["records were lost"]
    bad = sorted(a for a in cell_addrs if a in out.bad_addrs)
    if bad:
        why.append(f"broken records for {', '.join(bad)}")
    if configured is not None:
        extra = sorted({str(d.get("slot_path", "no slot path")) + " (" + d["addr"] + ")"
                        for d in out.devices if d.get("slot_path") not in configured})
        if extra:
            why.append(f"a device the runner did not configure: {', '.join(extra[:3])}")
    return why


def _cell_verdict(cell, vm, out, xfail, paths, configured):
    res = {"cell": cell.id, "config": cell.config.name, "device": cell.device,
           "expected_mode": cell.expected, "why": cell.why, "observed_mode": None,
           "verdict": None, "reason": "", "reqs": [], "checks": [], "xfail": []}
    status = vm["status"]
    if status == "interrupted":
        res.update(verdict="interrupted", reason="the run was interrupted while this VM ran")
        return res
    if cell.expected == "refused":
        if status == "refused":
            res.update(verdict="conforms", observed_mode="refused", reason="QEMU refused, as expected")
        else:
            res.update(verdict="violates", reason=f"QEMU should refuse this configuration ({status})")
        return res
    if status == "refused":
        res.update(verdict="vmm-refused", reason=vm.get("stderr", "")[-300:])
        return res
    if status == "crash":
        rc = vm.get("rc")
        how = f"killed by signal {-rc}" if isinstance(rc, int) and rc < 0 else f"exit status {rc}"
        res.update(verdict="vmm-crash", reason=f"QEMU {how}: {vm.get('stderr', '')[-300:]}".rstrip(": "))
        return res
    if vm.get("panic"):
        res.update(verdict="guest-panic", reason="kernel panic on the console")
        return res
    if status == "flood":
        res.update(verdict="probe-error", reason=vm.get("hang", "output flood"))
        return res
    devs = cell_devices(cell, out, paths)
    if not devs:
        if status == "timeout":
            res.update(verdict="timeout", reason=vm.get("hang") or
                       "VM killed at the time limit before the device was probed")
        else:
            where = f" at {', '.join(paths)}" if paths else ""
            res.update(verdict="probe-error", reason="; ".join(out.problems[:3]) or
                       f"no {cell.device} device{where} in the probe's output")
        return res
    # a cell may hold several functions of its type (keyboard, mouse and
    # tablet for input): each must show the expected mode and pass
    addrs = {d["addr"] for d in devs}
    modes = sorted({d["mode"] for d in devs})
    res["observed_mode"] = modes[0] if len(modes) == 1 else ",".join(modes)
    res["device_record"] = devs[0]
    if len(devs) > 1:
        res["device_records"] = devs
    off_mode = [d for d in devs if d["mode"] != cell.expected]
    checks = [c for c in out.checks if c["addr"] in addrs]
    res["checks"] = checks
    failed = [c for c in checks if c["verdict"] == "fail"]
    errors = [c for c in checks if c["verdict"] == "error"]
    known = [c for c in failed if xfail_match(xfail, cell.config.name, cell.device, c["id"])]
    res["xfail"] = [c["id"] for c in known]
    failed = [c for c in failed if c not in known]
    reqs = _reqs(failed)
    distrust = untrusted(addrs, out, configured)
    unchecked = sorted(a for a in addrs if not any(c["addr"] == a and c["verdict"] in ("pass", "fail")
                                                      for c in checks))
    if off_mode:
        d = off_mode[0]
        res.update(verdict="violates", reqs=reqs,
                   reason=f"mode {d['mode']} at {d['addr']}, expected {cell.expected} ({cell.why})")
    elif failed:
        res.update(verdict="violates", reqs=reqs, reason=_summary(failed))
    elif errors:
        res.update(verdict="probe-error", reason="; ".join(f"{c['id']}: {c.get('detail')}" for c in errors[:3]))
    elif out.end is None:
        res.update(verdict="timeout" if status == "timeout" else "probe-error",
                   reason="; ".join(out.problems[:2]))
    elif distrust:
        res.update(verdict="probe-error", reason="; ".join(distrust))
    elif unchecked:
        res.update(verdict="probe-error", reason=f"no check passed or failed for {', '.join(unchecked)}")
    elif known:
        # still a violation, only one the xfail file already lists
        res.update(verdict="known-violation", reqs=_reqs(known), reason=_summary(known))
    else:
        skips = [c["id"] for c in checks if c["verdict"] == "skip"]
        res.update(verdict="conforms", reason=f"{sum(c['verdict'] == 'pass' for c in checks)} checks passed" +
                   (f"; skipped: {', '.join(skips[:4])}" if skips else ""))
    if distrust and res["verdict"] == "violates":
        res["reason"] += "; also: " + "; ".join(distrust)
    return res
