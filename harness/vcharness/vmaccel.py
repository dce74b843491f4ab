"""Which accelerator the VMs get. /dev/kvm can be present and still useless:
nested under another hypervisor, QEMU may start a KVM guest that never gets
past the kernel's real-mode setup (seen on this project's CI machines), and
every cell would time out. So 'auto' boots one test VM under KVM first and
falls back to TCG, saying why, when the probe does not start in time."""
import json
import os
import shutil
import signal
import subprocess
import time

from . import matrix, parse

CHECK_SECONDS = 6.0   # a working KVM reaches the probe in about a second


def kvm_usable():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def choose(qemu, mode, guest, rundir, log, cache=None):
    """'kvm' or 'tcg' for --accel mode (auto, kvm, tcg). The test VM's answer
    is kept per boot of the host and QEMU binary (KVM does not start or stop
    working in between), so only the first run after a reboot pays for it."""
    if mode != "auto":
        return mode
    if not kvm_usable():
        return "tcg"
    key = _cache_key(qemu)
    known = _cached(cache, key)
    if known is None:
        ok, why = boots(qemu, guest, rundir)
        _remember(cache, key, ok, why)
    else:
        ok, why = known
        why += ", found by an earlier run since the host booted"
    if ok:
        return "kvm"
    log(f"vconform-run: /dev/kvm is there but a test VM did not boot under KVM ({why}): using TCG")
    return "tcg"


def _cache_key(qemu):
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            boot = fh.read().strip()
        path = shutil.which(qemu) or qemu
        st = os.stat(path)
        return f"{boot} {os.path.realpath(path)} {st.st_size} {st.st_mtime_ns}"
    except OSError:
        return None


def _cached(cache, key):
    if not cache or not key:
        return None
    try:
        with open(cache, encoding="utf-8") as fh:
            doc = json.load(fh)
        entry = doc.get(key) if isinstance(doc, dict) else None
        if isinstance(entry, dict) and isinstance(entry.get("ok"), bool) and isinstance(entry.get("why"), str):
            return entry["ok"], entry["why"][:200]
    except (OSError, ValueError):
        pass
    return None


def _remember(cache, key, ok, why):
    if not cache or not key:
        return
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        tmp = f"{cache}.{os.getpid()}"
        with open(tmp, "x", encoding="utf-8") as fh:
            json.dump({key: {"ok": ok, "why": why}}, fh)
        os.replace(tmp, cache)
    except OSError:
        pass


def boots(qemu, guest, rundir):
    """(True, '') when the probe starts in a VM with no devices under KVM."""
    work = rundir.mkdir("accel-check")
    result = os.path.join(work, "probe.jsonl")
    cmd = [qemu, "-nodefaults", "-machine", "pc", "-accel", "kvm", "-m", "128", "-display", "none",
           "-no-reboot", "-no-user-config", "-kernel", guest["kernel"], "-initrd", guest["initrd"],
           "-append", "console=ttyS0 panic=-1 loglevel=1 vconform.args=--json,ioport:0xe9,--timeout-ms,100",
           "-chardev", "file,id=results,path=" + matrix.qopt(result),
           "-device", f"isa-debugcon,iobase={matrix.RESULTS_PORT:#x},chardev=results"]
    if guest.get("bios"):
        cmd += ["-bios", guest["bios"]]
    with rundir.open("accel-check/qemu.stderr", "wb") as err:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=err, stderr=err, start_new_session=True)
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < CHECK_SECONDS:
                if p.poll() is not None or _started(result):
                    break
                time.sleep(0.05)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if _started(result):
        return True, ""
    if p.returncode not in (None, 0, -9):
        return False, f"QEMU exit status {p.returncode}"
    return False, f"no probe output within {CHECK_SECONDS:g} s"


def _started(path):
    try:
        with open(path, "rb") as fh:
            return parse.parse(fh.read(4096)).start is not None
    except OSError:
        return False
