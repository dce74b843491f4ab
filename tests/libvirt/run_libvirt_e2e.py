#!/usr/bin/env python3
"""The libvirt path end to end (scripts/test.sh): one example domain
booted through vconform-run's private libvirtd, every device in the mode
its placement implies and no unexpected verdict; the same run stopped
with Ctrl-C while its VM runs (exit 130); --compare of the i440fx and
q35 examples. After each: no libvirtd, virsh or QEMU of ours and no
private folder left.
usage: run_libvirt_e2e.py BUILD_DIR RESULTS_DIR"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RUN = [sys.executable, os.path.join(ROOT, "harness", "vconform-run")]
EXAMPLES = os.path.join(ROOT, "harness", "libvirt", "examples")
MARK = b"/tmp/vconform-libvirt-"


def ours():
    """Pids of processes naming a private libvirt folder (libvirtd has it
    in its environment, virsh and QEMU in their command lines)."""
    out = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as fh:
                    if MARK in fh.read(1 << 20):
                        out.add(int(pid))
            except OSError:
                pass
    return out


def leftovers(before_pids, before_dirs):
    time.sleep(0.2)   # a killed QEMU's zombie is reaped by init
    left = []
    for pid in ours() - before_pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(") ", 1)[1][:1] != "Z":
                    left.append(f"process {pid}")
        except (OSError, IndexError):
            pass
    left += [f"folder {d}" for d in set(glob.glob("/tmp/vconform-libvirt-*")) - before_dirs]
    return left


def main(build, results):
    problems = []
    base = ["--build", build, "--results", results, "--quiet"]
    dom = os.path.join(EXAMPLES, "q35-transitional.xml")

    pids, dirs = ours(), set(glob.glob("/tmp/vconform-libvirt-*"))
    p = subprocess.run(RUN + base + ["--libvirt", dom], capture_output=True, timeout=300)
    if p.returncode != 0 or b"Traceback" in p.stderr:
        problems.append(f"run: exit status {p.returncode}: {p.stderr.decode(errors='replace')[-500:]}")
    try:
        with open(os.path.join(results, "latest", "results.json"), encoding="utf-8") as fh:
            cells = json.load(fh)["cells"]
        for c in cells:
            print(f"{c['cell']}: {c['libvirt']['on']} {c['libvirt']['slot_path']}: {c['observed_mode']} "
                  f"(expected {c['expected_mode']}) {c['verdict']}")
            if c["observed_mode"] != c["expected_mode"]:
                problems.append(f"{c['cell']}: mode {c['observed_mode']}, placement implies {c['expected_mode']}")
        if len(cells) != 8:
            problems.append(f"{len(cells)} cells, want 8")
    except (OSError, ValueError, KeyError) as e:
        problems.append(f"reports: {e}")
    problems += [f"after the run: {x}" for x in leftovers(pids, dirs)]

    # Ctrl-C while the VM runs: exit 130, the VM and the daemon gone
    pids, dirs = ours(), set(glob.glob("/tmp/vconform-libvirt-*"))
    proc = subprocess.Popen(RUN + base + ["--libvirt", dom], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60 and proc.poll() is None:
        if any(b"qemu-system" in _cmdline(pid) for pid in ours() - pids):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
        if proc.returncode != 130 or b"Traceback" in err:
            problems.append(f"Ctrl-C: exit status {proc.returncode}, want 130: {err.decode(errors='replace')[-300:]}")
    except subprocess.TimeoutExpired:
        proc.kill()
        problems.append("Ctrl-C: still running 20 s after the signal")
    problems += [f"after Ctrl-C: {x}" for x in leftovers(pids, dirs)]

    # what changes from i440fx to q35: every device but the two inputs
    p = subprocess.run(RUN + ["--compare", os.path.join(EXAMPLES, "i440fx.xml"), os.path.join(EXAMPLES, "q35.xml")],
                       capture_output=True, text=True, timeout=120)
    print(p.stdout)
    if p.returncode != 1 or "6 of 8 devices in both change their PCI device ID; 2 of them disk controllers" \
            not in p.stdout:
        problems.append(f"--compare: exit status {p.returncode}: {p.stderr[-300:]}")

    for line in problems:
        print(f"run_libvirt_e2e: FAIL: {line}", file=sys.stderr)
    print(f"libvirt: {3 - min(3, len(problems))} passed, {min(3, len(problems))} failed")
    return 1 if problems else 0


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
