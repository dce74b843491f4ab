#!/usr/bin/env python3
"""Where one matrix VM's wall time goes: boots a configuration's VM as
vconform-run would (same command line) and prints, in host time since
QEMU was started, when the firmware handed over (the kernel's setup code
prints "Probing EDD"), the decompressor ran, the kernel proper printed its
first line, the probe wrote its first and last record, the guest powered
off and QEMU exited. Polls the console and results files every 2 ms.

    tools/vm_timeline.py [--config NAME] [--kernel K] [--initrd I] [-n N] [--extra-append ARGS] [--qemu-arg ARG]
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import configs, guest, matrix, qmp  # noqa: E402

MARKS = [(b"EDD", "setup code (firmware done)"), (b"KASLR using", "decompressor"),
         (b"Linux version", "kernel proper"), (b"Freeing unused kernel", "kernel frees init memory"),
         (b"reboot: Power down", "power off")]


def one(cmd, work, parts):
    con, res = os.path.join(work, "console.log"), os.path.join(work, "probe.jsonl")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "qemu.stderr"), "w"))
    changer = None
    if qmp.wanted(parts[0][0].profile, parts[0][1]):  # answers the probe's config-change notes
        _, paths, first = matrix.layout(parts)
        changer = qmp.start(parts, paths, first, work, matrix.qmp_path(work, work),
                            os.path.join(os.path.dirname(work), "disk.img"))
    seen, times = set(), {}
    rsize = 0
    ru = None
    while ru is None:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:  # reaped here, for its CPU time
            ru = usage
            p.returncode = os.waitstatus_to_exitcode(status)
            break
        now = time.monotonic() - t0
        try:
            data = open(con, "rb").read()
        except OSError:
            data = b""
        for m, name in MARKS:
            if name not in seen and m in data:
                seen.add(name)
                times[name] = now
        try:
            r = os.path.getsize(res)
        except OSError:
            r = 0
        if r and "probe's first record" not in times:
            times["probe's first record"] = now
        if r != rsize:
            rsize = r
            if b'"type":"end"' in open(res, "rb").read()[-400:]:
                times.setdefault("probe's end record", now)
        time.sleep(0.002)
    times["QEMU exit"] = time.monotonic() - t0
    times["QEMU CPU (user+sys)"] = ru.ru_utime + ru.ru_stime
    if changer:
        changer.stop()
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="q35-port")
    ap.add_argument("--kernel")
    ap.add_argument("--initrd", help="default: built from --build's probe")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "plain"))
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--firmware", default="auto")
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--extra-append", default="", help="more kernel command line")
    ap.add_argument("--keep", help="copy the last run's console log here")
    ap.add_argument("--qemu-arg", action="append", default=[], help="more QEMU arguments")
    a = ap.parse_args()
    cfg = next(c for c in configs.load([configs.DEFAULT_FILE]) if c.name == a.config)
    kernel = a.kernel or guest.fetch_kernel()
    work = tempfile.mkdtemp(prefix="vtl-")
    initrd = a.initrd
    if not initrd:
        probe = os.path.join(a.build, "guest-probe", "vconform-probe")
        moddir = guest.kernel_modules_dir(guest.fetch_kernel())  # the cached kernel's
        mods = guest.irq_modules(moddir) if cfg.profile == "probe" else guest.driver_modules(moddir)
        initrd = guest.build_initramfs(probe, os.path.join(work, "initrd.img"), mods)
    disk = guest.pattern_disk(os.path.join(work, "disk.img"))
    matrix.set_accel("tcg")
    rows = []
    for i in range(a.n):
        run = os.path.join(work, f"r{i}")
        os.mkdir(run)
        cmd = matrix.vm_command(a.qemu, cfg, cfg.devices, kernel, initrd, disk, run,
                                bios=guest.firmware(a.firmware), sockdir=run)
        if a.extra_append:
            i_app = cmd.index("-append") + 1
            cmd[i_app] += " " + a.extra_append
        cmd += a.qemu_arg
        rows.append(one(cmd, run, [(cfg, cfg.devices)]))
    names = [n for _, n in MARKS[:-1]] + ["probe's first record", "probe's end record", "power off", "QEMU exit",
                                           "QEMU CPU (user+sys)"]
    for n in names:
        vals = [r.get(n) for r in rows]
        print(f"{n:28} " + " ".join(f"{v:6.2f}" if v is not None else "     -" for v in vals))
    sys.stdout.write(open(os.path.join(work, f"r{a.n - 1}", "qemu.stderr")).read()[-2000:])
    if a.keep:
        shutil.copy(os.path.join(work, f"r{a.n - 1}", "console.log"), a.keep)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
