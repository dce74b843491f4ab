"""Scenario replay in the guest (vconform-run --hostile, --scenarios DIR):
one VM per configuration and device type plays every scenario of a suite
on the device (vconform-probe --scenarios). The probe marks each scenario
with a "begin" note before playing it, so when QEMU crashes or stops
answering, the scenario begun and never reported is the culprit: it gets
the vmm-crash or timeout verdict, it is replayed alone in a fresh VM to see
whether it reproduces by itself, its file is kept with a one-line command
that replays just it, and the cell goes on from the next scenario in a new
VM.

Control-plane sequences (corpus/control, fuzz/ctl_seq.h) ride in the same
list, under control/ and named *.ctl so the probe plays them with its
control-plane player: batching, bisection and reproducers are the same."""
import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import guest, matrix, outcap, parse, procs

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SUITE = os.path.join(ROOT, "corpus", "hostile")
CONTROL = os.path.join(ROOT, "corpus", "control")
CONTROL_DIR = "control"  # where control-plane sequences sit among the scenarios
CTL_SUFFIX = ".ctl"
CONFIGS = ("i440fx-2.6", "i440fx-2.7", "q35-port")  # legacy, transitional, modern-only
GUEST_DIR = "scenarios"
HANG_S = float(os.environ.get("VCONFORM_HANG_S", 5))  # no record for this long once the probe runs: the VM
                       # is hung (the probe notes each kick; a kick waits 300 ms, a liveness request 1 s)
START_S = 20.0         # the probe's first record must come within this
MAX_VMS = 64           # per cell: restarts after crashes and hangs (a device that hangs on a
                       # whole family of scenarios takes one VM each)
PROBE_TIMEOUT_MS = 1000
NOT_SCENARIOS = (".", "README")


def scenario_files(path):
    """[(name, path)] as the probe lists them (replay_list.c): one file, or
    every file under a folder (4 levels), notes left out, sorted by name."""
    if os.path.isfile(path):
        return [(os.path.basename(path), path)]
    out = []

    def walk(d, rel, depth):
        for e in os.listdir(d):
            if e.startswith(NOT_SCENARIOS) or ".md" in e or ".py" in e:
                continue
            p, name = os.path.join(d, e), f"{rel}/{e}" if rel else e
            if os.path.isdir(p):
                if depth < 4:
                    walk(p, name, depth + 1)
            elif os.path.isfile(p):
                out.append((name, p))
    walk(path, "", 0)
    return sorted(out, key=lambda x: x[0].encode())


def control_files(path):
    """[(name, path)] of control-plane sequences: as scenario_files, under
    control/ and ending in .ctl (the probe tells them from chain scenarios
    by that suffix); README and notes left out."""
    out = []
    for name, p in scenario_files(path):
        if os.path.isdir(path) and not name.endswith(CTL_SUFFIX):
            continue  # a folder's other files are notes, not sequences
        out.append((f"{CONTROL_DIR}/{name}" + ("" if name.endswith(CTL_SUFFIX) else CTL_SUFFIX), p))
    return out


def suite(scenarios=None, control=None):
    """The files a replay plays, sorted as the probe lists them: chain
    scenarios and control-plane sequences together."""
    files = (scenario_files(scenarios) if scenarios else []) + (control_files(control) if control else [])
    return sorted(files, key=lambda x: x[0].encode())


def is_control(name):
    return name.endswith(CTL_SUFFIX)


def is_packed(path):
    """Whether a scenario file asks for a packed ring (header bit 0 of byte
    1 in the binary form, packed=1 in the text form's header line)."""
    with open(path, "rb") as fh:
        data = fh.read(1 << 16)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\n\t\r" for c in text):
        m = re.search(r"^scenario\b.*\bpacked=(\S+)", text, re.M)
        return bool(m) and m.group(1) not in ("0", "0x0")
    return len(data) > 1 and bool(data[1] & 1)


def with_packed(config, device):
    """The configuration with packed=on on the device, so packed-ring
    scenarios can run (QEMU 7.2 offers the packed ring only when asked)."""
    devs = []
    for t, d in config.devs:
        if t == device and d.prop("packed", None) is None:
            d = dataclasses.replace(d, props=tuple(d.props) + ("packed=on",))
        devs.append((t, d))
    return dataclasses.replace(config, devs=tuple(devs))


def initramfs(probe, files, dest):
    """The probe's initramfs with the scenarios under /scenarios."""
    return guest.build_initramfs(probe, dest, [(p, f"{GUEST_DIR}/{n}") for n, p in files])


class Vm:
    """One VM replaying scenarios [skip, skip+count) on one device."""

    def __init__(self, qemu, g, initrd, workdir, procs_):
        self.qemu, self.g, self.initrd, self.workdir, self.procs = qemu, g, initrd, workdir, procs_

    def run(self, config, device, skip, count=0, omit=()):
        """Boots the VM (its workdir is new and this run's)."""
        extra = ["--scenarios", f"/{GUEST_DIR}", "--scenario-skip", str(skip)]
        if omit:
            extra += ["--scenario-omit", _ranges(sorted(omit))]
        if count:
            extra += ["--scenario-count", str(count)]
        with tempfile.TemporaryDirectory(prefix="vconform-") as sockdir:
            cmd = matrix.vm_command(self.qemu, config, [device], self.g["kernel"], self.initrd, self.g["disk"],
                                    self.workdir, PROBE_TIMEOUT_MS, sockdir=sockdir, bios=self.g.get("bios"),
                                    probe_extra=extra, input_extra=False)
            with open(os.path.join(self.workdir, "qemu.cmdline"), "x") as fh:
                fh.write(" ".join(shlex.quote(c) for c in cmd) + "\n")
            status, rc, secs = self._spawn(cmd)
        out = parse.parse(_read(os.path.join(self.workdir, "probe.jsonl")))
        outcap.trim_all(self.workdir)
        stderr = _read(os.path.join(self.workdir, "qemu.stderr"), 64 << 10).decode("utf-8", "replace").strip()
        console = _read(os.path.join(self.workdir, "console.log"), 1 << 20).decode("utf-8", "replace")
        if status == "crash" and rc == 1 and out.start is None and "Kernel" not in console:
            status = "refused"
        return {"status": status, "rc": rc, "seconds": round(secs, 1), "stderr": stderr[-2000:],
                "panic": "Kernel panic" in console, "workdir": self.workdir}, out

    def _spawn(self, cmd):
        """(status, rc, seconds): ok, crash, timeout (no progress), flood or interrupted."""
        t0 = time.monotonic()
        results = os.path.join(self.workdir, "probe.jsonl")
        with open(os.path.join(self.workdir, "qemu.stderr"), "xb") as err:
            try:
                p = self.procs.spawn(cmd, stdout=err, stderr=err)
            except (InterruptedError, OSError):
                return "interrupted", None, 0.0
            try:
                last_size, last_t = 0, t0
                while True:
                    try:
                        rc = p.wait(timeout=0.25)
                        if self.procs.stopping.is_set():
                            return "interrupted", None, time.monotonic() - t0
                        return ("ok" if rc == 0 else "crash"), rc, time.monotonic() - t0
                    except subprocess.TimeoutExpired:
                        pass
                    now = time.monotonic()
                    size = _size(results)
                    if size != last_size:
                        last_size, last_t = size, now
                    if self.procs.stopping.is_set():
                        return "interrupted", None, now - t0
                    if outcap.largest(self.workdir)[1] > outcap.FLOOD_LIMIT:
                        return "flood", None, now - t0
                    if now - last_t > (HANG_S if size else START_S):
                        return "timeout", None, now - t0
            finally:
                self.procs.end(p)


def _ranges(ix):
    """[3, 4, 5, 9] -> "3-5:9" (the probe's --scenario-omit)."""
    out, i = [], 0
    while i < len(ix):
        j = i
        while j + 1 < len(ix) and ix[j + 1] == ix[j] + 1:
            j += 1
        out.append(str(ix[i]) if i == j else f"{ix[i]}-{ix[j]}")
        i = j + 1
    return ":".join(out)


def _read(path, limit=parse.MAX_TOTAL):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit + 1)
    except OSError:
        return b""


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _culprit(out, names, skip):
    """Index of the scenario begun and not reported (the VM died on it), or None."""
    done = {c.get("scenario") for c in out.checks if c.get("scenario")}
    begun = [n.get("scenario") for n in out.notes if n.get("event") == "begin" and n.get("scenario")]
    for s in reversed(begun):
        if s not in done and s in names[skip:]:
            return names.index(s, skip)
    return None


class Replay:
    """Runs the cells (config, device) of a replay, each over as many VMs as
    its crashes and hangs take."""

    def __init__(self, qemu, g, rundir, jobs, files, xfail, probe, progress=None, replay_known=False):
        self.qemu, self.g, self.rundir, self.jobs = qemu, g, rundir, jobs
        self.files, self.names = files, [n for n, _ in files]
        self.xfail, self.progress = xfail, progress
        self.procs = procs.Procs()
        self.lock = threading.Lock()
        self.results, self.vms = [], []
        self.replay_known = replay_known
        self.initrd = initramfs(probe, files, os.path.join(rundir.mkdir("guest"), "initrd-scenarios.img"))

    def stop(self):
        self.procs.stop_all()

    @property
    def interrupted(self):
        return self.procs.stopping.is_set()

    def run(self, cells):
        with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as ex:
            for res in ex.map(self._cell, cells):
                with self.lock:
                    self.results.append(res)
                    if self.progress:
                        self.progress(res, len(self.results))
        return self.results

    def _cell(self, cell):
        config = with_packed(cell.config, cell.device)
        base = f"{cell.config.name}-{cell.device}"
        checks, runs, repro, device_rec, addrs = [], [], [], None, set()
        skip, n = 0, len(self.names)
        known = {} if self.replay_known else self._known_bad(cell)
        checks += [_known_record(self.names[k], how) for k, how in sorted(known.items())]
        while skip < n and len(runs) < MAX_VMS and not self.interrupted:
            if all(k in known for k in range(skip, n)):
                break
            workdir = self.rundir.mkdir("vm", f"{base}-{len(runs) + 1}")
            vm, out = Vm(self.qemu, self.g, self.initrd, workdir, self.procs).run(
                config, cell.device, skip, omit=[k for k in known if k >= skip])
            runs.append({k: vm[k] for k in ("status", "rc", "seconds", "workdir", "panic")} | {"from": skip})
            devs = [d for d in out.devices if d.get("dev_type") == cell.device]
            if devs:
                device_rec = device_rec or devs[0]
                addrs |= {d["addr"] for d in devs}
            mine = [c for c in out.checks if c.get("addr") in addrs and c.get("scenario")]
            checks += [c for c in mine if c.get("scenario") in self.names[skip:]]
            if vm["status"] == "ok" and out.end is not None:
                # the probe stops on a wedged device: the rest in a fresh VM
                last = max((self.names.index(c["scenario"]) for c in mine if c.get("scenario") in self.names),
                           default=None)
                if last is None or last + 1 >= n or not any(c.get("outcome") == "wedged" for c in mine):
                    break
                skip = last + 1
                continue
            k = _culprit(out, self.names, skip)
            if k is None:  # died before any scenario: the cell cannot be judged further
                return self._finish(cell, checks, runs, repro, device_rec, vm, out)
            checks.append(self._blame(cell, config, vm, k, repro, alone=k == skip))
            skip = k + 1
        return self._finish(cell, checks, runs, repro, device_rec, None, None)

    def _known_bad(self, cell):
        """{index: vmm-crash or timeout} of the scenarios the xfail file lists
        as crashing or hanging this cell's QEMU: not replayed again (each
        would cost a VM), unless --replay-known."""
        out = {}
        legacy = cell.expected == "legacy"  # packed scenarios are skipped there, not run
        for k, name in enumerate(self.names):
            if legacy and not is_control(name) and is_packed(self.files[k][1]):
                continue
            for how in ("vmm_crash", "timeout"):
                if parse.xfail_match(self.xfail, cell.config.name, cell.device, f"replay.{how}:{name}"):
                    out[k] = how.replace("_", "-")
        return out

    def _blame(self, cell, config, vm, k, repro, alone):
        """The check record of a VM that crashed or hung on scenario k, after
        replaying it alone to see whether it does so by itself (not needed
        when it was the VM's first)."""
        name = self.names[k]
        how = "vmm-crash" if vm["status"] in ("crash", "refused") else "timeout" \
            if vm["status"] in ("timeout", "flood") else vm["status"]
        again = True
        if not alone:
            alone_dir = self.rundir.mkdir("vm", f"{cell.config.name}-{cell.device}-alone-{k}")
            avm, aout = Vm(self.qemu, self.g, self.initrd, alone_dir, self.procs).run(config, cell.device, k, 1)
            again = avm["status"] == vm["status"] and not any(c.get("scenario") == name for c in aout.checks)
        keep = self._keep(cell, name, k)
        what = {"vmm-crash": "QEMU exited" + (f" (signal {-vm['rc']})" if isinstance(vm["rc"], int) and vm["rc"] < 0
                                              else f" (status {vm['rc']})"),
                "timeout": f"no record for {HANG_S:g} s: QEMU hung"}.get(how, vm["status"])
        tail = vm["stderr"].splitlines()[-1][:300] if vm["stderr"] else ""
        detail = (f"{what} while replaying it; {'it does so alone too' if again else 'alone it does not'}"
                  f"{': ' + tail if tail else ''}")
        repro.append({"scenario": name, "verdict": how, "alone": again, "file": keep["file"],
                      "command": keep["command"], "qemu": os.path.join(vm["workdir"], "qemu.cmdline")})
        return {"v": 1, "type": "check", "addr": "", "driver": "vmm", "id": f"replay.{how.replace('-', '_')}",
                "reqs": [], "verdict": "fail", "expected": "the VM goes on", "observed": how, "detail": detail,
                "scenario": name, "outcome": how}

    def _keep(self, cell, name, k):
        """The scenario file in the run folder and the command replaying it alone."""
        self.rundir.mkdir("reproducers")
        rel = os.path.join("reproducers", f"{cell.config.name}-{cell.device}-{name.replace('/', '_')}")
        with open(self.files[k][1], "rb") as src, self.rundir.open(rel, "wb") as dst:
            shutil.copyfileobj(src, dst)
        dest = os.path.join(self.rundir.path, rel)
        cmd = (f"harness/vconform-run --config {cell.config.name} --device {cell.device} --replay-known "
               f"--{'control' if is_control(name) else 'scenarios'} "
               f"{shlex.quote(os.path.relpath(dest, ROOT) if dest.startswith(ROOT) else dest)}")
        return {"file": dest, "command": cmd}

    def _finish(self, cell, checks, runs, repro, device_rec, vm, out):
        with self.lock:
            self.vms += [{"config": cell.config.name, "devices": [cell.device], **r} for r in runs]
        return verdict(cell, checks, runs, repro, device_rec, self.xfail, len(self.names), vm, out)


def _known_record(name, how):
    return {"v": 1, "type": "check", "addr": "", "driver": "vmm", "id": f"replay.{how.replace('-', '_')}",
            "reqs": [], "verdict": "fail", "expected": "the VM goes on", "observed": f"{how} (known)",
            "detail": "the xfail file lists it as crashing or hanging this QEMU: not replayed again "
                      "(vconform-run --replay-known replays it)", "scenario": name, "outcome": how}


def _known(xfail, cell, c):
    keys = [c["id"]] + ([f"{c['id']}:{c['scenario']}"] if c.get("scenario") else [])
    return any(parse.xfail_match(xfail, cell.config.name, cell.device, k) for k in keys)


RANK = ("vmm-crash", "timeout", "wedged", "violates")


def verdict(cell, checks, runs, repro, device_rec, xfail, total, vm=None, out=None):
    """The cell's result: the worst unexpected scenario outcome, else a known
    violation, else conforms (or skipped when nothing could be replayed)."""
    res = {"cell": cell.id, "config": cell.config.name, "device": cell.device, "expected_mode": cell.expected,
           "why": cell.why, "observed_mode": device_rec.get("mode") if device_rec else None, "verdict": None,
           "reason": "", "reqs": [], "checks": checks, "xfail": [], "replay": {"scenarios": total, "vms": runs,
                                                                                 "reproducers": repro}}
    if device_rec:
        res["device_record"] = device_rec
    by = {}
    for c in checks:
        by.setdefault(c.get("scenario"), []).append(c)
    outcome = {}
    for s, cs in by.items():
        fails = [c for c in cs if c["verdict"] == "fail"]
        known = [c for c in fails if _known(xfail, cell, c)]
        res["xfail"] += [f"{c['id']}:{s}" for c in known]
        bad = [c for c in fails if c not in known]
        outcome[s] = next((r for r in RANK if any(c.get("outcome") == r for c in bad)), None) or \
            ("known-violation" if known else cs[0].get("outcome", "conforms"))
    counts = {}
    for o in outcome.values():
        counts[o] = counts.get(o, 0) + 1
    res["replay"]["outcomes"] = counts
    missing = total - len(outcome)
    tally = ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) + (f", {missing} not reached" if missing else "")
    worst = next((r for r in RANK if counts.get(r)), None)
    unexpected = [c for c in checks if c["verdict"] == "fail" and not _known(xfail, cell, c)]
    res["reqs"] = sorted({q for c in unexpected for q in c.get("reqs", [])})
    if vm is not None and not outcome:
        status = vm["status"]
        why = "; ".join(out.problems[:2]) if out else ""
        v = {"refused": "vmm-refused", "crash": "vmm-crash", "timeout": "timeout",
             "interrupted": "interrupted"}.get(status, "probe-error")
        res.update(verdict="guest-panic" if vm.get("panic") else v,
                   reason=f"no scenario replayed: {status}{': ' + why if why else ''} {vm['stderr'][-200:]}".strip())
        return res
    names = lambda o: ", ".join(sorted(s for s, x in outcome.items() if x == o)[:3])  # noqa: E731
    if worst:
        res.update(verdict=worst, reason=f"{tally}; {worst}: {names(worst)}")
    elif counts.get("known-violation"):
        res.update(verdict="known-violation", reason=f"{tally}; known: {names('known-violation')}",
                   reqs=sorted({q for c in checks if c["verdict"] == "fail" for q in c.get("reqs", [])}))
    elif missing:
        res.update(verdict="probe-error", reason=f"{tally}: the VMs stopped before the end of the suite")
    elif not counts.get("conforms"):
        res.update(verdict="skipped", reason=f"{tally}: nothing this device could replay")
    else:
        res.update(verdict="conforms", reason=tally)
    return res
