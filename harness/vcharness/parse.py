"""Reads the probe's JSON Lines (guest output is untrusted: bounded line
length and total size, malformed input becomes a finding, never a crash)
and turns it into per-cell verdicts."""
import fnmatch
import json

MAX_LINE = 8192
MAX_TOTAL = 4 << 20
PROTOCOL = 1
TYPES = {"start", "device", "check", "end", "note"}


class ProbeOutput:
    def __init__(self):
        self.start = None
        self.end = None
        self.devices = []       # device records
        self.checks = []        # check records
        self.problems = []      # why the output cannot be trusted fully


def parse(data):
    """Parses raw bytes from the result channel."""
    out = ProbeOutput()
    if len(data) > MAX_TOTAL:
        out.problems.append(f"output is {len(data)} bytes, more than {MAX_TOTAL}; rest ignored")
        data = data[:MAX_TOTAL]
    for n, raw in enumerate(data.split(b"\n"), 1):
        raw = raw.strip(b"\r\x00 ")
        if not raw:
            continue
        if len(raw) > MAX_LINE:
            out.problems.append(f"line {n}: {len(raw)} bytes, longer than {MAX_LINE}")
            continue
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            out.problems.append(f"line {n}: not JSON ({str(e)[:80]})")
            continue
        if not isinstance(rec, dict) or rec.get("v") != PROTOCOL or rec.get("type") not in TYPES:
            out.problems.append(f"line {n}: not a protocol-{PROTOCOL} record")
            continue
        t = rec["type"]
        if t == "start":
            out.start = rec
        elif t == "end":
            out.end = rec
        elif t == "device":
            if isinstance(rec.get("addr"), str) and isinstance(rec.get("dev_type"), str):
                out.devices.append(rec)
            else:
                out.problems.append(f"line {n}: device record without addr/dev_type")
        elif t == "check":
            if all(isinstance(rec.get(k), str) for k in ("addr", "id", "verdict", "driver")) and \
                    isinstance(rec.get("reqs", []), list):
                out.checks.append(rec)
            else:
                out.problems.append(f"line {n}: check record with missing fields")
    if out.start is None:
        out.problems.append("no start record: the probe never ran")
    elif out.end is None:
        out.problems.append("no end record: the probe died or the VM stopped early")
    return out


def xfail_match(xfail, config, device, check):
    """True when an xfail pattern (config/device/check, shell globs) matches.
    A check of the form '@verdict' stands for the cell's verdict itself."""
    key = f"{config}/{device}/{check}"
    return any(fnmatch.fnmatchcase(key, pat) for pat in xfail)


def _reqs(checks):
    return sorted({r for c in checks for r in c.get("reqs", []) if isinstance(r, str)})


def _summary(checks):
    """The first three failed checks, for a verdict's reason."""
    return "; ".join(f"{c['driver']} {c['id']}: expected {c.get('expected')}, "
                     f"observed {c.get('observed')}" for c in checks[:3])


def cell_devices(cell, out, paths=None):
    """The cell's device records: those of its type, or, in a VM shared by
    several configurations, those at the slot paths its devices were given."""
    return [d for d in out.devices if d.get("dev_type") == cell.device and
            (paths is None or d.get("slot_path") in paths)]


def cell_verdict(cell, vm, out, xfail=(), paths=None):
    """Verdict dict for one cell, from the VM outcome and the probe output.
    vm: dict with 'status' (ok, refused, timeout, crash) and 'panic' flag.
    A verdict the xfail file lists as '@verdict' (a known hang, say) is marked
    known: still reported, not unexpected."""
    res = _cell_verdict(cell, vm, out, xfail, paths)
    if res["verdict"] not in ("conforms", "skipped", "known-violation") and \
            xfail_match(xfail, cell.config.name, cell.device, "@" + res["verdict"]):
        res["known"] = True
        res["xfail"].append("@" + res["verdict"])
    return res


def _cell_verdict(cell, vm, out, xfail, paths):
    res = {"cell": cell.id, "config": cell.config.name, "device": cell.device,
           "expected_mode": cell.expected, "why": cell.why, "observed_mode": None,
           "verdict": None, "reason": "", "reqs": [], "checks": [], "xfail": []}
    status = vm["status"]
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
    addrs = {d.get("addr") for d in devs}
    modes = sorted({str(d.get("mode")) for d in devs})
    res["observed_mode"] = modes[0] if len(modes) == 1 else ",".join(modes)
    res["device_record"] = devs[0]
    if len(devs) > 1:
        res["device_records"] = devs
    off_mode = [d for d in devs if d.get("mode") != cell.expected]
    checks = [c for c in out.checks if c.get("addr") in addrs]
    res["checks"] = checks
    failed = [c for c in checks if c["verdict"] == "fail"]
    errors = [c for c in checks if c["verdict"] == "error"]
    known = [c for c in failed if xfail_match(xfail, cell.config.name, cell.device, c["id"])]
    res["xfail"] = [c["id"] for c in known]
    failed = [c for c in failed if c not in known]
    reqs = _reqs(failed)
    if off_mode:
        d = off_mode[0]
        res.update(verdict="violates", reqs=reqs,
                   reason=f"mode {d.get('mode')} at {d.get('addr')}, expected {cell.expected} ({cell.why})")
    elif failed:
        res.update(verdict="violates", reqs=reqs, reason=_summary(failed))
    elif errors:
        res.update(verdict="probe-error", reason="; ".join(f"{c['id']}: {c.get('detail')}" for c in errors[:3]))
    elif out.end is None:
        res.update(verdict="timeout" if status == "timeout" else "probe-error",
                   reason="; ".join(out.problems[:2]))
    elif known:
        # still a violation, only one the xfail file already lists
        res.update(verdict="known-violation", reqs=_reqs(known), reason=_summary(known))
    else:
        skips = [c["id"] for c in checks if c["verdict"] == "skip"]
        res.update(verdict="conforms", reason=f"{sum(c['verdict'] == 'pass' for c in checks)} checks passed" +
                   (f"; skipped: {', '.join(skips[:4])}" if skips else ""))
    return res
