#!/usr/bin/env python3
"""A libvirt-launched VM beside the same configuration launched by the
runner, interleaved: the runner's q35-port configuration, and the same
devices as a domain XML (tests/libvirt/q35-port.xml) through
vconform-run --libvirt. Prints each run's whole wall time and its VM's
time (QEMU started to QEMU gone: for libvirt from 'virsh create'), then
the medians and their ratio.
usage: bench.py [ROUNDS] [BUILD_DIR]"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RUN = [sys.executable, os.path.join(ROOT, "harness", "vconform-run")]
WAYS = {"runner": ["--config", "q35-port"],
        "libvirt": ["--libvirt", os.path.join(ROOT, "tests", "libvirt", "q35-port.xml")]}


def once(args, build, results):
    t0 = time.monotonic()
    p = subprocess.run(RUN + ["--build", build, "--results", results, "--quiet"] + args,
                       capture_output=True, timeout=600)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(args)}: exit status {p.returncode}: {p.stderr.decode(errors='replace')[-400:]}")
    with open(os.path.join(results, "latest", "results.json"), encoding="utf-8") as fh:
        doc = json.load(fh)
    return wall, doc["vms"][0]["seconds"]


def main(rounds, build):
    times = {w: [] for w in WAYS}
    with tempfile.TemporaryDirectory(prefix="vc-bench-") as results:
        for i in range(rounds):
            for way, args in (WAYS.items() if i % 2 == 0 else reversed(WAYS.items())):
                wall, vm = once(args, build, results)
                times[way].append((wall, vm))
                print(f"round {i + 1} {way:8} wall {wall:5.2f} s  VM {vm:5.2f} s", flush=True)
    med = {w: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)) for w, ts in times.items()}
    for w, (wall, vm) in med.items():
        print(f"median {w:8} wall {wall:5.2f} s  VM {vm:5.2f} s")
    print(f"libvirt / runner: wall {med['libvirt'][0] / med['runner'][0]:.2f}x, "
          f"VM {med['libvirt'][1] / med['runner'][1]:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5,
         sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "build", "plain"))
