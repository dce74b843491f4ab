#!/usr/bin/env python3
"""The guest probe certifies the reference device in-process (--sim) in all
three modes, and catches every planted device fault with the right check.

usage: check_probe_sim.py PATH/TO/vconform-probe
"""
import json
import subprocess
import sys

TYPES = ["rng", "blk", "net", "console", "balloon", "scsi"]
CLEAN = ",".join(f"{t}:{m}" for t in TYPES for m in ("modern", "transitional", "legacy")) + ",input:modern"
# per device type, the checks that prove its round-trip (each must pass)
ROUNDTRIP = {
    "rng": ["rng.fresh_bytes"],
    "blk": ["blk.read.pattern", "blk.readback.same"],
    "net": ["net.loopback", "net.ctrl.promisc", "net.rx.hdr.no_offload"],
    "console": ["console.port_add", "console.write"],
    "balloon": ["balloon.inflate_deflate", "balloon.actual.inflated"],
    "scsi": ["scsi.read.pattern", "scsi.report_luns.list", "scsi.unknown_opcode", "scsi.bad_target"],
    "input": ["input.config.name", "input.config.unsupported", "input.status"],
}
# fault -> (device spec, check id that must fail, requirement it must name)
FAULTS = {
    "mult3": ("blk:modern:mult3", "pci.cap.notify@0x70.multiplier", "dev.pci_notify_cap.3"),
    "rev0": ("rng:modern:rev0", "pci.modern.revision", "dev.pci_discovery.5"),
    "noisr": ("rng:modern:noisr", "pci.cap.isr.present", "dev.pci_isr.1"),
    "caploop": ("rng:modern:caploop", "pci.cap.walk", "dev.pci.1"),
    "capbar": ("rng:modern:capbar", "pci.cap.common@0x40.in_bar", "dev.implied.cap_in_bar"),
    "stuck": ("rng:modern:stuck", "reset", "dev.reset.1"),
    "mute": ("rng:legacy:mute", "rng.request", ""),
    "isrsticky": ("rng:modern:isrsticky", "isr.read_clears", "dev.pci_isr.5"),
    "badwindow": ("blk:modern:badwindow", "pci.cap.pci_cfg.window", "dev.pci_cfg_access.3"),
    "garbage": ("blk:transitional:garbage", "blk.read.pattern", "dev.implied.blk_data"),
    "garbage (scsi)": ("scsi:modern:garbage", "scsi.read.pattern", "dev.implied.blk_data"),
    "usedlen": ("input:modern:usedlen", "vq.used_len", "dev.vq_used.2"),
}


def run(probe, spec):
    p = subprocess.run([probe, "--sim", spec, "--json", "-", "--quiet", "--blk-pattern", "--net-loopback",
                        "--timeout-ms", "100"], capture_output=True, text=True, timeout=60)
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    for r in recs:
        assert r["v"] == 1, r
    assert recs[0]["type"] == "start" and recs[-1]["type"] == "end", "start/end records"
    return p.returncode, recs


def main():
    probe = sys.argv[1]
    problems = []
    rc, recs = run(probe, CLEAN)
    checks = [r for r in recs if r["type"] == "check"]
    bad = [r for r in checks if r["verdict"] in ("fail", "error")]
    if rc != 0 or bad:
        problems.append(f"clean reference device: exit {rc}, failures {bad[:3]}")
    modes = {r["addr"]: r["mode"] for r in recs if r["type"] == "device"}
    want_modes = ["modern", "transitional", "legacy"] * len(TYPES) + ["modern"]
    if list(modes.values()) != want_modes:
        problems.append(f"classification {list(modes.values())} != {want_modes}")
    passed = {(r["addr"], r["driver"], r["id"]) for r in checks if r["verdict"] == "pass"}
    for addr, mode in modes.items():
        drivers = {"modern": ["modern"], "legacy": ["legacy"],
                   "transitional": ["modern", "legacy"]}[mode]
        for drv in drivers:
            for cid in ROUNDTRIP[dev_type(recs, addr)]:
                if (addr, drv, cid) not in passed:
                    problems.append(f"{addr} ({mode}) {drv}: {cid} did not pass")
    for addr, mode in modes.items():
        if mode == "transitional" and (addr, "pci", "transitional.same_device") not in passed:
            problems.append(f"{addr}: transitional.same_device did not pass")

    # a second notify capability in an I/O BAR (QEMU's modern-pio-notify): a
    # third personality drives the device through it
    rc, recs = run(probe, "blk:transitional:pio,net:modern:pio")
    pio = {(r["addr"], r["id"]) for r in recs if r["type"] == "check" and r["driver"] == "modern-pio"
           and r["verdict"] == "pass"}
    bad = [r for r in recs if r["type"] == "check" and r["verdict"] in ("fail", "error")]
    if rc != 0 or bad or ("0000:00:03.0", "blk.readback.same") not in pio or \
            ("0000:00:04.0", "net.loopback") not in pio:
        problems.append(f"pio notify: exit {rc}, failures {bad[:2]}, modern-pio passes {sorted(pio)[:4]}")

    for fault, (spec, cid, req) in FAULTS.items():
        rc, recs = run(probe, spec)
        hits = [r for r in recs if r["type"] == "check" and r["id"] == cid and r["verdict"] == "fail"]
        if rc != 1 or not hits:
            problems.append(f"fault {fault}: exit {rc}, no failing {cid}")
        elif req and req not in hits[0]["reqs"]:
            problems.append(f"fault {fault}: {cid} names {hits[0]['reqs']}, not {req}")

    # bad command lines are refused with exit 2
    for args in (["--timeout-ms", "0"], ["--sim", "nosuch:modern"], ["--bogus"]):
        p = subprocess.run([probe, *args], capture_output=True, text=True, timeout=30)
        if p.returncode != 2:
            problems.append(f"{args}: exit {p.returncode}, expected 2")
    for p in problems:
        print("FAIL:", p)
    print(f"probe sim checks: {len(problems)} problem(s)")
    return 1 if problems else 0


def dev_type(recs, addr):
    return next(r["dev_type"] for r in recs if r["type"] == "device" and r["addr"] == addr)


if __name__ == "__main__":
    sys.exit(main())
