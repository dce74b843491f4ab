"""Runs the matrix: VMs shared by configurations of one machine type
(plan.py), in parallel, each bounded by a timeout; a VM that QEMU refuses or
that hangs is split, into one VM per configuration and then one per device,
so one bad device cannot hide the others. Every cell's verdict is appended
to cells.jsonl the moment it is known."""
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import matrix, outcap, parse, plan, procs, pvh, qmp, report_safe, ringdrain, trace_judge, vhost
from . import procs as procs_mod  # _boot's own 'procs' are the back-ends

MAX_OUTPUT = parse.MAX_TOTAL
CONSOLE_MARK = b"vconform-console-ok"  # guest-probe/src/kdrv.h


def _read(path, limit=MAX_OUTPUT):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit + 1)
    except OSError:
        return b""


def run_vm(qemu, parts, guest, workdir, timeout, probe_timeout_ms, group, ring=False):
    """Boots one VM for parts, (config, device types) sharing a machine type
    and profile; returns (vm outcome dict, parsed probe output). workdir
    exists and belongs to this run; group: the runner's procs.Procs.
    guest["image"]: a user's disk image (--guest-image) boots instead of
    the probe, and runs until it powers off or timeout passes. ring: the
    results come through QEMU's ring buffer (ringdrain.py), not a file."""
    names = ["console.log", "probe.jsonl", "qemu.stderr", "qemu.cmdline", "qmp.log", trace_judge.TRACE,
             "trace.events"] + \
        [n for n in os.listdir(workdir) if re.match(r"^vhost\d+\.(jsonl|stderr)$", n)]
    for name in names:
        try:
            os.unlink(os.path.join(workdir, name))  # a retry's: ours
        except FileNotFoundError:
            pass
    config = parts[0][0]
    initrd = guest["initrd"] if config.profile == "probe" else guest["initrd_kdrv"]
    # unix socket paths must stay short: backends' sockets live in /tmp
    with tempfile.TemporaryDirectory(prefix="vconform-") as sockdir:
        return _boot(qemu, parts, guest, workdir, timeout, probe_timeout_ms, initrd, sockdir, group, ring)


def _boot(qemu, parts, guest, workdir, timeout, probe_timeout_ms, initrd, sockdir, group, ring=False):
    config = parts[0][0]
    if guest.get("image"):
        cmd = matrix.image_command(qemu, config, parts, guest["image"], workdir, sockdir=sockdir)
    else:
        # the PVH ELF where the machine type starts it (pvh.py): no setup code, no decompressor
        kernel = guest["kernel_pvh"] if guest.get("kernel_pvh") and pvh.machine_ok(config.machine) else guest["kernel"]
        cmd = matrix.vm_command(qemu, config, None, kernel, initrd, guest["disk"],
                                workdir, probe_timeout_ms, sockdir=sockdir, bios=guest.get("bios"), parts=parts,
                                ring=ring)
        if traced(config, guest):  # the kernel's drivers judged from QEMU's trace (trace_judge.py)
            cmd += trace_judge.qemu_args(workdir, matrix.qopt)
    with _new(os.path.join(workdir, "qemu.cmdline"), "w") as fh:
        fh.write(" ".join(cmd) + "\n")
    t0 = time.monotonic()
    backends = matrix.vhost_backends(parts, guest.get("vhostdev", ""), guest["disk"], workdir, sockdir)
    procs, ended = [], {}
    changer = None  # answers the probe's configuration-change notes (qmp.py)
    drain, drained = None, None  # the results ring's copier (ringdrain.py) and its file
    balloon_stats = {}  # what the host showed of each balloon's statistics (qmp.py)
    usage = {}  # QEMU's CPU time (_wait)

    def early(status, why):
        return {"status": status, "stderr": why, "seconds": 0, "rc": None, "panic": False,
                "workdir": workdir, "backends": ended}, parse.parse(b"")
    try:
        with _new(os.path.join(workdir, "qemu.stderr"), "wb") as err:
            try:
                procs = vhost.start(group, backends, workdir)
                not_ready = vhost.wait_ready(procs)
                if not_ready:  # no QEMU without its back-ends
                    ended = vhost.stop(group, procs, grace=0)
                    return early("backend-error", not_ready)
                if ring:  # the file the drain fills, before QEMU can write into its ring
                    drained = _new(os.path.join(workdir, "probe.jsonl"), "wb")
                p = group.spawn(cmd, stdout=err, stderr=err)
                if ring:
                    drain = ringdrain.Drain(ringdrain.sock_path(sockdir), drained, lambda: _kill(p),
                                            lambda: not procs_mod.exited(p))
                    drain.start()
            except InterruptedError:
                return early("interrupted", "")
            except OSError as e:
                return early("crash", str(e))
            try:
                if not guest.get("image"):
                    _, paths, first = matrix.layout(parts)
                    changer = qmp.start(parts, paths, first, workdir, matrix.qmp_path(workdir, sockdir),
                                        guest["disk"], matrix.held_balloons(parts))
                rc, status, hang = _wait(p, timeout, workdir, t0, group.stopping,
                                         watchdogs=not guest.get("image"), usage=usage)
            finally:
                group.end(p)  # the whole process group, whatever happened
                if drain:
                    drain.stop()
                if changer:  # what the probe asked the monitor for, and how it went
                    changer.stop()
                    balloon_stats = changer.balloon_stats
                    with _new(os.path.join(workdir, "qmp.log"), "w") as fh:
                        fh.writelines(f"{w} {path}: {res}\n" for w, path, res in changer.actions)
    finally:
        if procs and not ended:
            ended = vhost.stop(group, procs)
        if drained:
            drained.close()
    secs = time.monotonic() - t0
    stderr = _read(os.path.join(workdir, "qemu.stderr"), 64 << 10).decode("utf-8", "replace")
    console = _read(os.path.join(workdir, "console.log")).decode("utf-8", "replace")
    out = parse.parse(_read(os.path.join(workdir, "probe.jsonl")))
    cut = outcap.trim_all(workdir)
    # QEMU refuses a configuration by exiting with an error before the guest runs
    if status == "crash" and rc == 1 and out.start is None and "Kernel" not in console:
        status = "refused"
    vm = {"status": status, "rc": rc, "seconds": round(secs, 2), "stderr": stderr.strip(),
          "panic": "Kernel panic" in console, "workdir": workdir, "backends": ended}
    if usage.get("cpu") is not None:
        vm["cpu"] = round(usage["cpu"], 2)
    if balloon_stats:
        vm["balloon_stats"] = balloon_stats
    if hang:
        vm["hang"] = hang
    if ring:
        vm["channel"] = "ring"
        if drain and drain.error:
            vm["drain_error"] = drain.error
    if cut:
        vm["cut"] = cut
    return vm, out


def traced(config, guest):
    """Whether the VM's register traffic is traced for the trace judge: the
    kernel-driver profiles on QEMU's own devices, unless --no-trace."""
    return config.profile != "probe" and not config.vhost and not guest.get("image") and \
        guest.get("trace", True)


def _kill(p):
    """Ends p's process group at once (from the drain's thread: the main
    thread reaps it)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _new(path, mode):
    """A file of this run's own: never an existing name (no planted link)."""
    return open(path, mode.replace("w", "x"))


# Under TCG the kernel's first console line comes within 0.3 s and the probe
# starts within about 2 s: a VM silent on its console after FIRMWARE_TIMEOUT
# is hung in firmware, one without probe output after BOOT_TIMEOUT in boot.
FIRMWARE_TIMEOUT = 5.0
BOOT_TIMEOUT = 20.0


def _ended(p, seconds, usage):
    """Waits up to seconds for p to end; when it has, notes its CPU time in
    usage["cpu"] (read before it is reaped) and returns its exit code."""
    end, nap = time.monotonic() + seconds, 0.001
    while not procs_mod.exited(p):
        left = end - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired(p.args, seconds)
        time.sleep(min(nap, left))
        nap = min(2 * nap, 0.02)
    usage["cpu"] = procs_mod.cpu_seconds(p.pid)
    return p.wait()


def _wait(p, timeout, workdir, t0, stopping, watchdogs=True, usage=None):
    """(rc, status, hang reason): waits for QEMU, killing it at the time limit,
    at FIRMWARE_TIMEOUT when the console is still silent, at BOOT_TIMEOUT
    when the probe has not started yet (watchdogs: a user's guest may say
    nothing on the console), when an output file passes outcap.FLOOD_LIMIT,
    or when the run is stopping. usage["cpu"]: QEMU's CPU seconds when it
    exited by itself."""
    console_path = os.path.join(workdir, "console.log")
    result_path = os.path.join(workdir, "probe.jsonl")
    usage = {} if usage is None else usage
    while True:
        try:
            rc = _ended(p, 0.25, usage)
            if stopping.is_set():  # killed by the stop, not a crash of its own
                return None, "interrupted", "the run was interrupted"
            return rc, "ok" if rc == 0 else "crash", None
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - t0
        name, size = outcap.largest(workdir)
        if stopping.is_set():
            return None, "interrupted", "the run was interrupted"
        if size > outcap.FLOOD_LIMIT:
            return None, "flood", f"{name} passed {outcap.FLOOD_LIMIT >> 20} MiB: output flood, VM stopped"
        if _size(os.path.join(workdir, trace_judge.TRACE)) > trace_judge.TRACE_LIMIT:
            return None, "flood", f"{trace_judge.TRACE} passed {trace_judge.TRACE_LIMIT >> 20} MiB: " \
                                  "register-access flood, VM stopped"
        if elapsed >= timeout:
            return None, "timeout", f"killed at the {timeout:g} s time limit"
        if not watchdogs:
            continue
        if elapsed >= min(FIRMWARE_TIMEOUT, timeout) and _size(console_path) == 0 and _size(result_path) == 0:
            return None, "timeout", \
                f"console silent for {min(FIRMWARE_TIMEOUT, timeout):g} s: hung before the kernel started"
        if elapsed >= min(BOOT_TIMEOUT, timeout) and _size(result_path) == 0:
            return None, "timeout", f"no probe output within {min(BOOT_TIMEOUT, timeout):g} s: hung before the guest ran"


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _check_console_host_side(vm, index, addrs, out):
    """What the guest wrote to a console port must be in the host's chardev
    file (console<index>.out): the kernel driver's marker, or the probe's line
    (its observed value); a byte written to emerg_wr in the console port's
    (console<index>.emerg)."""
    data = _read(os.path.join(vm["workdir"], f"console{index}.out"), 1 << 16)
    emerg = _read(os.path.join(vm["workdir"], f"console{index}.emerg"), 1 << 16)
    for rec in out.checks:
        if rec["verdict"] != "pass" or rec.get("addr") not in addrs:
            continue
        if rec["id"] == "console.emerg_write.host":  # "byte 0x1e": on the console port's host side
            m = re.fullmatch(r"byte 0x([0-9a-f]{2})", str(rec.get("observed", "")))
            if not m or bytes([int(m.group(1), 16)]) not in emerg:
                rec.update(verdict="fail", observed="missing from the console port's host side",
                           detail=f"{rec.get('observed', '')} written to emerg_wr"[:200])
            continue
        if rec["id"] == "kdrv.op.console":
            want = CONSOLE_MARK
        elif rec["id"] == "console.write":
            want = str(rec.get("observed", "")).encode()
        else:
            continue
        if not want or want not in data:
            rec.update(verdict="fail", observed="missing from the host side",
                       detail="written by the guest, not received by the chardev file")


def _check_balloon_host_side(vm, where, addrs, out):
    """The values the probe sent in its statistics buffers (balloon.stats.host's
    observed value) must be what the host read at each poll (qmp.py)."""
    seen = [p for path in where for p in vm.get("balloon_stats", {}).get(path, [])]
    for rec in out.checks:
        if rec["verdict"] != "pass" or rec.get("addr") not in addrs or rec["id"] != "balloon.stats.host":
            continue
        sent = [tuple(int(x, 16) for x in m) for m in
                re.findall(r"free 0x([0-9a-f]{1,16}) total 0x([0-9a-f]{1,16})", str(rec.get("observed", "")))]
        shown = "; ".join("free %s total %s" % tuple("?" if v is None else hex(v) for v in p) for p in seen[:4])
        if not sent or seen[:len(sent)] != sent:
            rec.update(verdict="fail", observed=f"the host showed: {shown or 'nothing'}"[:400],
                       detail=f"the driver sent {rec.get('observed', '')}"[:400])


def unfinished(cell, verdict, reason):
    """A result for a cell that got no verdict from a VM."""
    return {"cell": cell.id, "config": cell.config.name, "device": cell.device,
            "expected_mode": cell.expected, "why": cell.why, "observed_mode": None,
            "verdict": verdict, "reqs": [], "checks": [], "xfail": [], "reason": reason}


def expected_seconds(vp, pvh_kernel):
    """About how long a VM takes under TCG (measured on the default
    matrix), to start the longest first: known hangs wait for a watchdog;
    the kernel's drivers on i440fx take 1-1.5 s more than on q35 (each
    function's interrupt routing goes through an ACPI method); a bzImage
    boot 0.4 s more than a PVH one; a configuration QEMU must refuse is
    started once per device (plan.py): seven short starts, last."""
    machine = vp.config.machine
    i440fx = machine == "pc" or machine.startswith("pc-i440fx")
    if vp.alone:
        secs = 100.0
    elif any(c.expected == "refused" for c in vp.cells):
        secs = 0.15 * (len(vp.cells) + 1)
    elif vp.config.profile != "probe":
        secs = 4.0 if i440fx else 3.0
    else:
        secs = 2.6 if pvh_kernel and pvh.machine_ok(machine) else 3.0
    # more cells than one configuration's (about 0.1 s of probing each), and balloon swaps
    swaps = max(0, sum(c.device == "balloon" for c in vp.cells) - 1)
    secs += 0.11 * max(0, len(vp.cells) - 7) + 0.15 * swaps
    return secs + 0.05 * len(vp.cells)


class Runner:
    def __init__(self, qemu, guest, rundir, jobs, timeout, probe_timeout_ms, retries=0, xfail=(),
                 progress=None):
        self.qemu, self.guest, self.rundir = qemu, guest, rundir
        self.jobs, self.timeout, self.probe_timeout_ms = jobs, timeout, probe_timeout_ms
        self.retries, self.xfail, self.progress = retries, set(xfail), progress
        self.procs = procs.Procs()
        self.lock = threading.Lock()
        self.results = []
        self.clean_notes = []  # what cleaning a result changed (report_safe), for the reports
        self.vms = []
        self.stream = rundir.open("cells.jsonl", "w", encoding="utf-8")
        self.stream_error = None

    @property
    def interrupted(self):
        return self.procs.stopping.is_set()

    def stop(self):
        """Ctrl-C or SIGTERM: starts no VM, kills the running ones (their
        cells become 'interrupted'); safe from a signal handler."""
        self.procs.stop_all()

    def _emit(self, res):
        with self.lock:
            if any(r["cell"] == res["cell"] for r in self.results):
                return  # a cell gets one verdict, the first
            # cleaned here, while other VMs run, not all at once after the last
            res = report_safe.cell(res, self.clean_notes, f"cells[{len(self.results)}]")
            self.results.append(res)
            if self.stream:
                try:
                    self.stream.write(report_safe.jsonl(res))
                    self.stream.flush()
                except OSError as e:  # a full disk: the verdicts stay in memory for the summary
                    self.stream_error = f"cells.jsonl: {e.strerror}"
                    self.stream = None
            if self.progress:
                self.progress(res, len(self.results))

    def _vm_record(self, vp, vm):
        with self.lock:
            self.vms.append({"config": vp.name, "configs": [cfg.name for cfg, _ in vp.parts],
                             "devices": [c.device for c in vp.cells], **{k: vm.get(k) for k in (
                                 "status", "rc", "seconds", "cpu", "panic", "workdir", "hang", "cut", "backends", "channel")},
                             "stderr": vm["stderr"][-2000:]})

    def _workdir(self, vp):
        return self.rundir.mkdir("vm", vp.name)

    def _run_vm(self, vp):
        if self.interrupted:
            for c in vp.cells:
                self._emit(unfinished(c, "interrupted", "the run was interrupted before this VM started"))
            return
        parts = [(cfg, [c.device for c in cs]) for cfg, cs in vp.parts]
        workdir = self._workdir(vp)
        attempt = 0
        # the ring channel where QEMU has it, but not for a VM known to hang or crash
        ring = bool(self.guest.get("ring")) and not vp.alone and not self.guest.get("image")
        while True:
            vm, out = run_vm(self.qemu, parts, self.guest, workdir, self.timeout, self.probe_timeout_ms,
                             self.procs, ring)
            if ring and not self.interrupted and (vm.get("drain_error") or vm["status"] == "crash" or
                                                  (vm["status"] == "ok" and out.end is None)):
                # a crash, a broken drain or a cut-short result: again through
                # the file channel, which keeps every byte up to the end
                ring = False
                continue
            flaky = vm["status"] in ("timeout", "crash") or (vm["status"] == "ok" and out.end is None)
            c0 = vp.cells[0]
            known_hang = len(vp.cells) == 1 and vm["status"] == "timeout" and \
                parse.xfail_match(self.xfail, c0.config.name, c0.device, "@timeout")
            if not flaky or known_hang or attempt >= self.retries or self.interrupted:
                break
            attempt += 1
        self._vm_record(vp, vm)
        # (a user's guest ends at its time limit: that is no hang)
        hung = vm["status"] == "refused" or (vm["status"] == "timeout" and not self.guest.get("image"))
        if hung and len(vp.cells) > 1 and not self.interrupted:
            # one device may be what QEMU refuses or hangs on: split the VM,
            # by configuration, then by device, so the others get verdicts
            if len(vp.parts) > 1:
                for part in vp.parts:
                    self._run_vm(plan.VmPlan([part]))
            else:
                cfg, cs = vp.parts[0]
                for c in cs:
                    self._run_vm(plan.VmPlan([(cfg, [c])]))
            return
        _, paths, first = matrix.layout(parts)
        # a held-back balloon the probe never met (a swap that failed): a VM of its own
        held = {p for p, _ in matrix.held_balloons(parts)}
        missed = [(cfg, c) for cfg, cs in vp.parts for c in cs
                  if vm["status"] == "ok" and not self.interrupted and held & set(paths[(cfg.name, c.device)]) and
                  not parse.cell_devices(c, out, paths[(cfg.name, c.device)])]
        judged = None
        if traced(vp.config, self.guest) and vm["status"] not in ("interrupted", "refused"):
            judged = trace_judge.vm_judge(workdir, out, keep=bool(self.guest.get("keep_trace")),
                                          complete=vm["status"] == "ok" and out.end is not None)
        for cfg, cs in vp.parts:
            for c in cs:
                if (cfg, c) in missed:
                    continue
                where = paths[(cfg.name, c.device)]
                if c.device == "console" and vm["status"] == "ok":
                    addrs = {d.get("addr") for d in parse.cell_devices(c, out, where)}
                    _check_console_host_side(vm, first[(cfg.name, c.device)], addrs, out)
                if c.device == "balloon" and vm["status"] == "ok":
                    addrs = {d.get("addr") for d in parse.cell_devices(c, out, where)}
                    _check_balloon_host_side(vm, where, addrs, out)
                if self.guest.get("image"):  # the device side alone judges a user's guest
                    res = vhost.image_verdict(c, vm, first[(cfg.name, c.device)], self.xfail)
                    res["vm"] = {"status": vm["status"], "seconds": vm["seconds"], "workdir": vm["workdir"],
                                 "attempts": attempt + 1}
                    self._emit(res)
                    continue
                if cfg.vhost:  # the back-end's judgement joins the probe's checks
                    log = vhost.add_checks(c, vm, out, where, first[(cfg.name, c.device)])
                by_trace = judged is not None and trace_judge.add_checks(c, judged, out, where)
                res = parse.cell_verdict(c, vm, out, self.xfail, paths=where,
                                         configured={p for ps in paths.values() for p in ps})
                if by_trace:
                    res["judge"] = dict(trace_judge.JUDGE)
                if cfg.vhost:
                    vhost.annotate(res, c, vm, log, out, first[(cfg.name, c.device)])
                res["vm"] = {"status": vm["status"], "seconds": vm["seconds"], "workdir": vm["workdir"],
                             "attempts": attempt + 1}
                res["retried"] = attempt > 0
                res["probe_problems"] = out.problems[:10]
                self._emit(res)
        for cfg, c in missed:
            self._run_vm(plan.VmPlan([(cfg, [c])]))

    def run(self, plans, skipped=()):
        """Runs the VMs plan.plan() laid out; skipped: verdicts known already.
        Returns every cell's result, also when the run was interrupted."""
        for res in skipped:
            self._emit(res)

        # longest first, so no slow VM is left running alone at the end
        order = sorted(plans, key=lambda vp: expected_seconds(vp, bool(self.guest.get("kernel_pvh"))),
                       reverse=True)
        ex = ThreadPoolExecutor(max_workers=max(1, self.jobs))
        try:
            futs = {ex.submit(self._run_vm, vp): vp.cells for vp in order}
            for f, cs in futs.items():
                try:
                    f.result()
                except Exception as e:  # one broken VM never stops the others
                    for c in cs:
                        self._emit(unfinished(c, "probe-error", f"runner error: {type(e).__name__}: {e}"))
        except BaseException:
            self.stop()  # whatever stops the runner ends every VM first
            raise
        finally:
            ex.shutdown(wait=True)  # VMs not started see the stop and start none
        for vp in order:
            for c in vp.cells:
                self._emit(unfinished(c, "interrupted", "the run was interrupted before this VM started")
                           if self.interrupted else unfinished(c, "probe-error", "the runner gave no verdict"))
        with self.lock:
            try:
                if self.stream:
                    self.stream.close()
            except OSError as e:
                self.stream_error = f"cells.jsonl: {e.strerror}"
            self.stream = None
        return self.results
