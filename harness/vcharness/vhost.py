"""vhost-user cells: the back-ends (vconform-vhost-dev, one per device) a
+vhost VM needs, and what their records add to each cell's verdict.

A back-end is started before QEMU in the runner's process groups
(procs.Procs: Ctrl-C ends it with the VM) and ends when QEMU closes its
socket. Its JSON Lines record (vhostdev/vd_log.h) is untrusted input like
the guest's: bounded, checked field by field, and whatever does not fit is
a problem that keeps the cell from conforming. Each driver rule the
reference device evaluated becomes a check naming its requirement: pass
when the driver kept it every time, fail when it broke it; what QEMU's
front-end did wrong is a failing check without a requirement; a back-end
that crashed, hung or left no end record makes the cell 'backend-error'."""
import json
import os
import re
import subprocess
import time

from . import parse

MAX_LOG = 4 << 20
READY_TIMEOUT = 5.0   # seconds for every back-end to listen
EXIT_GRACE = 3.0      # seconds for a back-end to end after QEMU did
HEX_RE = re.compile(r"^0x[0-9a-f]{1,16}$")
MODES = ("legacy", "modern", "modern-packed", "none")
SIDES = ("driver", "front-end", "device")
VIRTIO_DRIVER_RE = re.compile(r"virtio driver (\S+)")


# ---- the processes ----

def start(group, backends, workdir):
    """Spawns each back-end (matrix.Backend) with its output in workdir;
    returns [(backend, Popen)]. InterruptedError when the run is stopping."""
    out = []
    try:
        for b in backends:
            with open(os.path.join(workdir, f"vhost{b.index}.stderr"), "xb") as err:
                out.append((b, group.spawn(b.cmd, stdout=err, stderr=err)))
    except BaseException:
        stop(group, out, grace=0)  # none left behind when the run stops midway
        raise
    return out


def wait_ready(procs, timeout=READY_TIMEOUT):
    """None when every back-end listens, else why not."""
    end = time.monotonic() + timeout
    for b, p in procs:
        while not os.path.exists(b.sock):
            if p.poll() is not None:
                return f"vconform-vhost-dev for {b.device} (vu{b.index}) exited with status {p.returncode} " \
                       f"before listening"
            if time.monotonic() > end:
                return f"vconform-vhost-dev for {b.device} (vu{b.index}) did not listen within {timeout:g} s"
            time.sleep(0.01)
    return None


def stop(group, procs, grace=EXIT_GRACE):
    """After QEMU: each back-end gets grace seconds to end by itself (QEMU
    closed its socket), then SIGTERM (one QEMU never connected to writes its
    end record and exits), then its process group is killed.
    {index: {"rc", "status", ...}}: status ok (ended with 0 or 1), crash (a
    signal, or another status) or hang (killed)."""
    end = time.monotonic() + grace
    out = {}
    for b, p in procs:
        termed = False
        try:
            rc = p.wait(timeout=max(end - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            termed = True
            try:
                p.terminate()
                rc = p.wait(timeout=1.0)
            except (subprocess.TimeoutExpired, OSError):
                rc = None
        status = "hang" if rc is None else "ok" if rc in (0, 1) else "crash"
        group.end(p)
        out[b.index] = {"rc": rc, "status": status, "terminated": termed, "device": b.device, "log": b.log}
    return out


# ---- the record ----

class Log:
    def __init__(self):
        self.start = self.end = None
        self.sessions = []     # session records
        self.faults = []
        self.rules = []
        self.statuses = []
        self.problems = []


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 53


def _str(v, limit=300):
    return isinstance(v, str) and len(v) <= limit


def _req(v):
    return isinstance(v, str) and (v == "" or parse.REQ_RE.match(v) is not None)


SCHEMA = {
    "start": {"device": _str},
    "protocol": {"features_offered": lambda v: _str(v) and HEX_RE.match(v),
                 "protocol": lambda v: _str(v) and HEX_RE.match(v)},
    "session": {"session": _int, "features": lambda v: _str(v) and HEX_RE.match(v),
                "mode": lambda v: v in MODES},
    "status": {"session": _int, "value": _int},
    "fault": {"side": lambda v: v in SIDES, "session": _int, "code": lambda v: _str(v) and parse.NAME_RE.match(v),
              "req": _req, "queue": lambda v: isinstance(v, int) and not isinstance(v, bool), "detail": _str},
    "rules": {"session": _int, "mode": lambda v: v in MODES, "chains": _int,
              "rules": lambda v: isinstance(v, dict) and len(v) <= 200 and all(
                  parse.REQ_RE.match(k) and isinstance(x, list) and len(x) == 2 and all(map(_int, x))
                  for k, x in v.items())},
    "end": {"reason": _str, "sessions": _int, "faults": _int, "faults_unlogged": _int},
}


def read_log(path):
    """The back-end's record, every line checked; problems say what was dropped."""
    log = Log()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_LOG + 1)
    except OSError as e:
        log.problems.append(f"no record: {e.strerror}")
        return log
    if len(data) > MAX_LOG:
        log.problems.append(f"record longer than {MAX_LOG} bytes; the rest ignored")
        data = data[:MAX_LOG]
    for n, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw[:parse.MAX_LINE].decode("utf-8"), parse_constant=parse._refuse_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            rec = None
        kind = rec.get("type") if isinstance(rec, dict) else None
        if len(raw) > parse.MAX_LINE or rec is None or rec.get("v") != 1 or kind not in SCHEMA or \
                not all(test(rec.get(f)) for f, test in SCHEMA[kind].items()):
            log.problems.append(f"line {n}: not a record of the back-end's format")
            continue
        if kind in ("start", "end"):
            if getattr(log, kind) is not None:
                log.problems.append(f"line {n}: a second {kind} record")
            setattr(log, kind, rec)
        elif kind != "protocol":
            {"session": log.sessions, "fault": log.faults, "rules": log.rules, "status": log.statuses}[kind].append(rec)
    if log.start is None:
        log.problems.append("no start record")
    elif log.end is None:
        log.problems.append("no end record: the back-end died or was killed")
    return log


# ---- what it adds to a cell ----

def _who(profile, mode):
    """The driver judged: the kernel's (kdrv profiles), a user's guest's
    (--guest-image), or the probe's personality, named as the probe names
    it (legacy, modern, modern-packed)."""
    if profile == "guest-image":
        return "guest"
    return "kernel" if profile != "probe" else mode


def checks(log, addr, profile):
    """Check records (PROTOCOL.md's fields) for the cell's device at addr."""
    out = []
    modes = {s["session"]: s["mode"] for s in log.sessions}

    def rec(driver, cid, reqs, verdict, expected, observed, detail=""):
        out.append({"addr": addr, "driver": driver, "id": cid, "reqs": reqs, "verdict": verdict,
                    "expected": expected, "observed": observed, "detail": detail, "source": "vhost-dev"})

    for s in log.sessions:
        rec(_who(profile, s["mode"]), "vhost.session", [], "info", "", f"{s['mode']}, features {s['features']}",
            f"session {s['session']}: the features the front-end passed to the back-end")
    tally = {}  # (driver, req) -> [seen, broken, first fault]
    for r in log.rules:
        for req, (seen, broken) in r["rules"].items():
            if not req.startswith("drv."):
                continue
            t = tally.setdefault((_who(profile, r["mode"]), req), [0, 0, ""])
            t[0] += seen
            t[1] += broken
    for f in log.faults:
        if f["side"] == "driver" and f["req"].startswith("drv."):
            t = tally.setdefault((_who(profile, modes.get(f["session"], "none")), f["req"]), [1, 1, ""])
            t[1] = max(t[1], 1)
            t[2] = t[2] or f"{f['code']}: {f['detail']}" + (f" (queue {f['queue']})" if f["queue"] >= 0 else "")
    for (driver, req), (seen, broken, first) in sorted(tally.items()):
        if broken:
            rec(driver, f"vhost.rule.{req}", [req], "fail", "kept on every chain",
                f"broken {broken} of {seen} times", first)
        elif seen:
            rec(driver, f"vhost.rule.{req}", [req], "pass", "kept on every chain", f"kept {seen} times")
    by_code = {}
    for f in log.faults:
        if f["side"] != "driver":
            by_code.setdefault((f["side"], f["code"]), []).append(f)
    for (side, code), fs in sorted(by_code.items()):
        times = f"{len(fs)} time(s)"
        if side == "front-end":  # QEMU's doing: a failure of the VMM, no driver requirement
            rec("vhost-user", f"vhost.front-end.{code}", [], "fail", "a conforming vhost-user front-end",
                fs[0]["detail"], times)
        else:  # the reference device broke a device rule: our bug, not a verdict
            rec("vhost-user", f"vhost.device.{code}", [], "error", "", fs[0]["detail"], times)
    if log.problems:
        rec("vhost-user", "vhost.record", [], "error", "the back-end's complete record", "; ".join(log.problems[:3]))
    return out


def certification(log, checks_of_cell, kernel):
    """The cell's row of the certification table: sessions with their modes
    and features, faults by requirement, rules kept and broken."""
    drv = next((VIRTIO_DRIVER_RE.search(str(c.get("observed", ""))) for c in checks_of_cell
                if c.get("id") == "kdrv.bound" and c.get("verdict") == "pass"), None)
    faults, front = {}, {}
    for f in log.faults:
        if f["side"] == "driver" and f["req"]:
            faults[f["req"]] = faults.get(f["req"], 0) + 1
        elif f["side"] == "front-end":
            front[f["code"]] = front.get(f["code"], 0) + 1
    rule_checks = [c for c in checks_of_cell if c.get("id", "").startswith("vhost.rule.")]
    return {"driver": drv.group(1) if drv else None, "kernel": kernel,
            "sessions": [{"session": s["session"], "mode": s["mode"], "features": s["features"]}
                         for s in log.sessions[:16]],
            "faults": faults, "front_end": front,
            "rules_kept": sum(c["verdict"] == "pass" for c in rule_checks),
            "rules_broken": sum(c["verdict"] == "fail" for c in rule_checks)}


def add_checks(cell, vm, out, paths, index):
    """Before the cell's verdict: the back-end's checks join the probe's,
    under the address of the cell's device. Returns the parsed record."""
    b = vm.get("backends", {}).get(index)
    log = read_log(b["log"]) if b else Log()
    devs = parse.cell_devices(cell, out, paths)
    if devs:
        out.checks.extend(checks(log, devs[0]["addr"], cell.config.profile))
    return log


def annotate(res, cell, vm, log, out, index):
    """After the verdict: the certification row, who judged what, and the
    back-end's own failures, which outrank the cell's verdict."""
    b = vm.get("backends", {}).get(index)
    kernel = out.start.get("kernel") if out.start else None
    res["judge"] = {"device": "vconform-vhost-dev", "driver": "kernel" if cell.config.profile != "probe"
                    else "vconform-probe"}
    res["vhost"] = {"backend": b or {"status": "missing"}, **certification(log, res.get("checks", []), kernel)}
    if res["verdict"] == "interrupted":
        return
    why = None
    if vm.get("status") == "backend-error":
        why = vm.get("stderr") or "a back-end did not start"
    elif not b:
        why = "no back-end was started for this device"
    elif b["status"] == "crash":
        why = f"vconform-vhost-dev exited with status {b['rc']}"
    elif b["status"] == "hang":
        why = f"vconform-vhost-dev did not end within {EXIT_GRACE:g} s of QEMU and was killed"
    elif log.end is None and vm.get("status") not in ("refused",):
        why = "; ".join(log.problems[:2]) or "the back-end's record has no end"
    if why:
        res.update(verdict="backend-error", reason=why + (f" (cell: {res['verdict']}: {res['reason']})"
                                                          if res.get("reason") else ""))


def image_verdict(cell, vm, index, xfail=()):
    """A cell of a user's guest (--guest-image): the device side alone. The
    guest powering off and the time limit are both normal ends; a device no
    driver started in that time is 'no-driver'."""
    b = vm.get("backends", {}).get(index)
    log = read_log(b["log"]) if b else Log()
    cs = checks(log, "", "guest-image")
    failed = [c for c in cs if c["verdict"] == "fail"]
    known = [c for c in failed if parse.xfail_match(xfail, cell.config.name, cell.device, c["id"])]
    modes = sorted({s["mode"] for s in log.sessions})
    res = {"cell": cell.id, "config": cell.config.name, "device": cell.device, "expected_mode": cell.expected,
           "why": cell.why, "observed_mode": ",".join(modes) or None, "checks": cs,
           "reqs": sorted({q for c in failed for q in c["reqs"]}), "xfail": [c["id"] for c in known],
           "judge": {"device": "vconform-vhost-dev", "driver": "guest"},
           "vhost": {"backend": b or {"status": "missing"}, **certification(log, cs, None)}}
    end = "powered off" if vm["status"] == "ok" else f"stopped at the time limit ({vm.get('seconds')} s)"
    if vm["status"] in ("crash", "refused", "interrupted", "flood", "backend-error"):
        verdict = {"crash": "vmm-crash", "refused": "vmm-refused", "flood": "probe-error"}.get(vm["status"],
                                                                                             vm["status"])
        reason = (vm.get("stderr") or vm.get("hang") or "")[-300:]
    elif not b or b["status"] != "ok" or log.end is None:
        verdict = "backend-error"
        reason = f"vconform-vhost-dev: {b['status'] if b else 'not started'}; " + "; ".join(log.problems[:2])
    elif not log.sessions:
        verdict, reason = "no-driver", f"no driver started the device before the guest {end}"
    elif failed:
        verdict = "known-violation" if len(known) == len(failed) else "violates"
        reason = "; ".join(f"{c['id']}: {c['observed']}" for c in failed[:3])
    else:
        verdict = "conforms"
        reason = f"{sum(c['verdict'] == 'pass' for c in cs)} driver rules kept; the guest {end}"
    res.update(verdict=verdict, reason=reason)
    return res
