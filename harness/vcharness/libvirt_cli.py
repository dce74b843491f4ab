"""vconform-run --libvirt DOMAIN.xml... and --compare OLD NEW: the
command-line side of the libvirt path. `host` is the vconform-run script
itself (its UsageError, Stop, qemu_version, load_xfail and finish), so
both paths stop, fail and report alike. Order matters for bad input: the
XML is read, then every domain is defined in a private libvirt (a refusal
is exit 2 before any run folder or VM exists), then the guest is built
and the domains boot one after another. Whatever happens, the daemon,
its QEMUs and its folder are gone when this returns."""
import os
import shutil
import subprocess
import sys
import time

from . import (configs, guest, libvirt_compare, libvirt_daemon, libvirt_report, libvirt_run, libvirt_xml, procs,
               safefs, vmaccel, xfail_use)
from .report_safe import printable


def main(a, host):
    if a.compare:
        return compare(a, host)
    return run(a, host)


def _log(a):
    return (lambda *x: None) if a.quiet else (lambda *x: print(*x, file=sys.stderr, flush=True))


def _qemu(a, host):
    path = shutil.which(a.qemu)
    if not path:
        raise host.UsageError(f"cannot use QEMU {a.qemu}: not found")
    try:
        return os.path.abspath(path), host.qemu_version(path)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as e:
        raise host.UsageError(f"cannot use QEMU {a.qemu}: {e}") from None


def _load(host, paths):
    try:
        return libvirt_run.load(paths)
    except libvirt_xml.DomainError as e:
        raise host.UsageError(str(e)) from None


def _daemon(host, log):
    try:
        return libvirt_daemon.Daemon(procs.Procs(), log)
    except libvirt_daemon.DaemonError as e:
        raise host.UsageError(str(e)) from None


def _alone(a, host):
    """The matrix's selection options mean nothing to a libvirt run."""
    given = [o for o, v in (("--config", a.config), ("--configs", a.configs), ("--device", a.device),
                            ("--mode", a.mode), ("--shard", a.shard), ("--list", a.list)) if v]
    if given:
        raise host.UsageError(f"{' and '.join(given)} select matrix cells: not with --libvirt or --compare")


def _prepared(host, session, domains, loader):
    """Starts the daemon and defines each domain once (placement, refusal)."""
    why = libvirt_daemon.installed()
    if why:
        raise host.UsageError(why)
    try:
        session.daemon.start()
        for d in domains:
            session.prepare(d, loader)
    except (libvirt_run.Refused, libvirt_daemon.DaemonError) as e:
        raise host.UsageError(str(e)) from None


def run(a, host):
    _alone(a, host)
    domains = _load(host, a.libvirt)
    qemu, version = _qemu(a, host)
    major_minor = ".".join(version.split(" ")[0].split(".")[:2])
    xfail_path = a.xfail or os.path.join(host.ROOT, "harness", "xfail", f"qemu-{major_minor}.txt")
    xfail = host.load_xfail(xfail_path, required=bool(a.xfail))
    log = _log(a)
    try:
        loader = guest.firmware(a.firmware)
    except guest.GuestError as e:
        raise host.UsageError(str(e)) from None
    stop = host.Stop()
    t0 = time.monotonic()
    daemon = _daemon(host, log)
    session = libvirt_run.Session(daemon, qemu, log)
    stop.runner = session
    results, rundir, refusals = [], None, []
    try:
        _prepared(host, session, domains, loader)
        started = time.monotonic() - t0
        try:
            rundir = safefs.RunDir(a.results, tag="libvirt")
        except safefs.RunDirError as e:
            raise host.UsageError(str(e)) from None
        g = _guest(a, host, rundir, log, loader)
        accel = vmaccel.choose(qemu, a.accel, g, rundir, log, cache=os.path.join(guest.cache_dir(), "kvm-check.json"))
        session.setup(rundir, g, accel, a.timeout, a.probe_timeout_ms, xfail)
        log(f"vconform-run: {len(domains)} libvirt domain(s), accel {accel}, QEMU {version}; results in {rundir.path}")
        for d in domains:
            if session.stopping:
                results += libvirt_run.interrupted(d)
                continue
            log(printable(f"vconform-run: {d.name}: {len(d.placement.devices)} virtio devices on "
                          f"{d.placement.machine}"))
            try:
                results += session.run(d)
            except libvirt_run.Refused as e:   # QEMU refused what libvirt made of it: exit 2, after the rest
                refusals.append(str(e))
                results += libvirt_run.refused(d, str(e))
            except InterruptedError:   # an OSError too: the stop, not a write that failed
                raise
            except (OSError, safefs.RunDirError) as e:
                raise host.UsageError(f"cannot write {d.name}'s files: {e}") from None
    except InterruptedError:
        pass
    finally:
        daemon.close(keep=(lambda folder: _keep_daemon_log(rundir, folder)) if rundir else None)
    if rundir is None:   # stopped before anything ran
        print(f"vconform-run: interrupted by signal {stop.signum}", file=sys.stderr)
        return stop.status
    done = {r["config"] for r in results}
    for d in domains:
        if d.name not in done:
            results += libvirt_run.interrupted(d)
    meta = {"run": rundir.name, "mode": "libvirt", "qemu": qemu, "qemu_version": version,
            "accel": session.accel, "kernel": session.guest["kernel"] if session.guest else None,
            "firmware": loader or "seabios", "seconds": round(time.monotonic() - t0, 1),
            "daemon_seconds": round(started, 2), "interrupted": session.stopping, "vms": session.vms,
            "xfail_file": xfail_path if xfail else None, "xfail_unused": xfail_use.unused(xfail, results),
            "domains": [{"name": d.name, "file": d.path, "machine": d.placement.machine, "notes": d.notes}
                        for d in domains]}
    status = host.finish(rundir, meta, results, stop, log)
    text = libvirt_report.markdown(domains, results)
    try:
        rundir.write("libvirt.md", text)
    except (OSError, safefs.RunDirError) as e:
        log(f"vconform-run: cannot write libvirt.md: {e}")
    print(text)
    if status == 0 and libvirt_report.findings(results):
        status = 1   # a device placed where its model cannot have the mode asked for
    for why in refusals:
        print(printable(f"vconform-run: {why}"), file=sys.stderr)
    return 2 if refusals and not session.stopping else status


def _guest(a, host, rundir, log, loader):
    probe = os.path.join(a.build, "guest-probe", "vconform-probe")
    try:
        kernel = a.kernel or guest.fetch_kernel(log=log)
        guest.check_kernel(kernel)
        gdir = rundir.mkdir("guest")
        return {"kernel": kernel, "bios": loader,
                "initrd": guest.build_initramfs(probe, os.path.join(gdir, "initrd.img")),
                "disk": guest.pattern_disk(os.path.join(gdir, "disk.img"))}
    except guest.GuestError as e:
        raise host.UsageError(str(e)) from None
    except (OSError, safefs.RunDirError) as e:
        raise host.UsageError(f"cannot build the guest image in {rundir.path}: {e}") from None


def _keep_daemon_log(rundir, folder):
    data = libvirt_daemon.read_private(os.path.join(folder, "libvirtd.log"), 1 << 20)
    try:
        rundir.write("libvirtd.log", data.decode("utf-8", "replace"))
    except (OSError, safefs.RunDirError):
        pass


def compare(a, host):
    _alone(a, host)
    old, new = a.compare
    kinds = [_kind(p) for p in (old, new)]
    if kinds[0] != kinds[1]:
        raise host.UsageError(f"--compare wants two domain XMLs or two configurations files, not "
                              f"a {kinds[0]} ({old}) and a {kinds[1]} ({new})")
    if kinds[0] == "configurations file":
        try:
            rows = libvirt_compare.config_sets(configs.load([old]), configs.load([new]))
        except configs.ConfigError as e:
            raise host.UsageError(str(e)) from None
        if not rows:
            raise host.UsageError(f"{old} and {new} share no configuration name (or hold one each)")
        labels = old, new
    else:
        domains = _load(host, [old, new])
        qemu, _ = _qemu(a, host)
        stop = host.Stop()
        daemon = _daemon(host, _log(a))
        session = libvirt_run.Session(daemon, qemu)
        stop.runner = session
        try:
            _prepared(host, session, domains, None)
        except InterruptedError:
            return stop.status
        finally:
            daemon.close()
        rows = libvirt_compare.placements(domains[0].placement, domains[1].placement)
        labels = [f"{d.path}: {d.name}, {d.placement.machine}" for d in domains]
    for line in libvirt_compare.render(rows, *labels):
        print(line)
    return 1 if any(r.id_changes for r in rows) else 0


def _kind(path):
    """'domain XML' or 'configurations file', by the first character."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as e:
        return f"file that cannot be read ({e.strerror})"
    return "domain XML" if head.startswith(b"<") else "configurations file"

