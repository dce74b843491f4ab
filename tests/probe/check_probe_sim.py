#!/usr/bin/env python3
"""The guest probe certifies the reference device in-process (--sim) in all
three modes, catches every planted device fault with the right check, and
blames no device for what its machine lacks (no backend behind it, a bridge
the firmware left off).

usage: check_probe_sim.py PATH/TO/vconform-probe
"""
import json
import subprocess
import sys
import time

TYPES = ["rng", "blk", "net", "console", "balloon", "scsi"]
CLEAN = ",".join(f"{t}:{m}" for t in TYPES for m in ("modern", "transitional", "legacy")) + ",input:modern"
# per device type, the checks that prove its round-trip (each must pass)
ROUNDTRIP = {
    "rng": ["rng.fresh_bytes"],
    "blk": ["blk.read.pattern", "blk.readback.same",
            "blk.unknown_type.used_len", "blk.get_id.short", "blk.write_zeroes.zero", "blk.discard.unmap",
            "judge.planted"],
    "net": ["net.loopback", "net.ctrl.promisc", "net.rx.hdr.no_offload",
            "net.filter.foreign_unicast", "net.filter.table_empty_after_reset", "net.vlan.added",
            "net.vlan.not_negotiated", "net.mac_addr_set.config", "net.mq.pairs_set_1", "net.mrg.num_buffers",
            "net.sem.rx.hdr", "net.filter.nouni_over_alluni", "net.filter.promisc_over_nouni",
            "net.filter.nomulti_broadcast", "net.filter.nobcast_over_allmulti", "net.mtu.full_size",
            "net.cfg.mtu_stable", "net.tx.unknown_flag", "net.tx.gso_both_tunnel_bits",
            "net.tx.gso_tunnel_without_csum"],
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
    # interrupt and lifecycle faults (sim_irq.c)
    "nosuppress": ("blk:modern:nosuppress", "notify.split.no_interrupt", "dev.vq_used_supp.2"),
    "nosuppress (event_idx)": ("rng:transitional:nosuppress", "notify.event_idx.before_event", "dev.vq_used_supp.6"),
    "nosuppress (packed)": ("net:modern:nosuppress", "notify.packed.disable", "dev.implied.packed_event_off"),
    "nosuppress (INTx)": ("console:legacy:nosuppress", "intx.no_interrupt", "dev.vq_used_supp.2"),
    "novector": ("rng:modern:novector", "msix.no_vector", "dev.pci_used_notify.1"),
    "novector (config)": ("scsi:modern:novector", "irq.config.no_vector", "dev.pci_cfg_change.1"),
    "resetwrite": ("net:transitional:resetwrite", "life.reset.untouched", "dev.reset.2"),
    "noqreset": ("blk:modern:noqreset", "life.queue_reset.done", "dev.pci_common.13"),
    "nogen": ("blk:modern:nogen", "config.blk_resize.generation_before_driver_ok", "dev.pci_common.6"),
    "nogen (net)": ("net:transitional:nogen", "config.net_link_down.generation", "dev.pci_common.6"),
}
# configuration changes the VMM makes (the simulated front in-process)
CONFIG_CHANGE = {
    "blk": ["config.blk_resize.generation_before_driver_ok", "config.blk_resize.generation",
            "config.blk_resize.notify", "config.blk_resize.isr"],
    "net": ["config.net_link_down.generation", "config.net_link_up.generation", "config.net_link_down.isr",
            "config.net_link_up.isr"],
}
# the interrupt and lifecycle checks each clean function must pass, by the
# interface they run on (modern when the device has it)
IRQ_MODERN = ["notify.split.flags_clear", "notify.split.used_event_ignored", "notify.split.no_interrupt",
              "msix.vector_delivery", "msix.no_vector", "notify.event_idx.flags_ignored",
              "notify.event_idx.before_event", "notify.event_idx.at_event", "notify.event_idx.after_event",
              "irq.config.needs_reset", "irq.config.notify", "irq.config.isr", "irq.config.no_vector",
              "life.queue_reset.done", "life.queue_reset.silent", "life.queue_reset.reenable", "life.reset.untouched",
              "life.defaults.queue_enable", "life.defaults.queue_size", "life.defaults.msix", "life.before_driver_ok",
              "notify.split.used_flags", "notify.event_idx.used_flags", "notify.event_idx.spurious_kicks",
              "intx.isr.queue_bit", "intx.pci_status", "intx.no_interrupt", "intx.config"]
IRQ_PACKED = ["notify.packed.enable", "notify.packed.disable", "notify.packed.desc", "notify.packed.desc_others"]
IRQ_LEGACY = ["life.reset.untouched", "intx.isr.queue_bit", "intx.pci_status", "intx.no_interrupt"]


DEFAULT_ARGS = ["--blk-pattern", "--net-loopback", "--timeout-ms", "100", "--quiet-ms", "0"]


def run(probe, spec, args=None):
    p = subprocess.run([probe, "--sim", spec, "--json", "-", "--quiet", *(DEFAULT_ARGS if args is None else args)],
                       capture_output=True, text=True, timeout=60)
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
    # the host acts once per net device: an announcement and frames from outside
    for addr in (a for a in modes if dev_type(recs, a) == "net"):
        for cid in ("net.announce.ack_clears", "net.mtu.oversize_dropped"):
            if not any((addr, drv, cid) in passed for drv in ("modern", "legacy")):
                problems.append(f"{addr}: {cid} did not pass")
    for addr, mode in modes.items():
        if mode == "transitional" and (addr, "pci", "transitional.same_device") not in passed:
            problems.append(f"{addr}: transitional.same_device did not pass")
    problems += check_irq(recs, modes, passed)
    # the probe's own driver passes its judge (the reference device) in every personality
    judged = {(r["addr"], r["driver"]) for r in checks if r["id"] == "judge.driver" and r["verdict"] == "pass"}
    for addr, mode in modes.items():
        for drv in {"modern": ["modern"], "legacy": ["legacy"], "transitional": ["modern", "legacy"]}[mode]:
            if (addr, drv) not in judged:
                problems.append(f"{addr} ({mode}) {drv}: judge.driver did not pass")
    # and a planted driver fault is caught and named, in every personality
    rc, recs = run(probe, "rng:transitional", DEFAULT_ARGS + ["--drv-fault", "avail-jump"])
    caught = {r["driver"] for r in recs if r["type"] == "check" and r["id"] == "judge.driver" and
              r["verdict"] == "fail" and r["reqs"] == ["drv.vq_avail.1"]}
    if rc != 1 or caught != {"modern", "legacy"}:
        problems.append(f"--drv-fault avail-jump: exit {rc}, caught in {sorted(caught)}")

    # a second notify capability in an I/O BAR (QEMU's modern-pio-notify): a
    # third personality drives the device through it
    rc, recs = run(probe, "blk:transitional:pio,net:modern:pio")
    pio = {(r["addr"], r["id"]) for r in recs if r["type"] == "check" and r["driver"] == "modern-pio"
           and r["verdict"] == "pass"}
    bad = [r for r in recs if r["type"] == "check" and r["verdict"] in ("fail", "error")]
    if rc != 0 or bad or ("0000:00:03.0", "blk.readback.same") not in pio or \
            ("0000:00:04.0", "net.loopback") not in pio:
        problems.append(f"pio notify: exit {rc}, failures {bad[:2]}, modern-pio passes {sorted(pio)[:4]}")

    problems += check_no_backend(probe) + check_bridges(probe)

    # balloon swaps need a platform that sees plugging: here an error record, the balloon itself probed
    rc, recs = run(probe, "balloon:modern", DEFAULT_ARGS + ["--balloon-swaps", "1"])
    swap = [r for r in recs if r["type"] == "check" and r["id"] == "probe.balloon_swap"]
    if rc != 2 or [r["verdict"] for r in swap] != ["error"] or recs[-1]["devices"] != 1:
        problems.append(f"--balloon-swaps on --sim: exit {rc}, records {swap}")

    for fault, (spec, cid, req) in FAULTS.items():
        rc, recs = run(probe, spec)
        hits = [r for r in recs if r["type"] == "check" and r["id"] == cid and r["verdict"] == "fail"]
        if rc != 1 or not hits:
            problems.append(f"fault {fault}: exit {rc}, no failing {cid}")
        elif req and req not in hits[0]["reqs"]:
            problems.append(f"fault {fault}: {cid} names {hits[0]['reqs']}, not {req}")

    # bad command lines are refused with exit 2
    for args in (["--timeout-ms", "0"], ["--sim", "nosuch:modern"], ["--bogus"], ["--balloon-swaps", "17"],
                 ["--balloon-swaps", "x"]):
        p = subprocess.run([probe, *args], capture_output=True, text=True, timeout=30)
        if p.returncode != 2:
            problems.append(f"{args}: exit {p.returncode}, expected 2")
    for p in problems:
        print("FAIL:", p)
    print(f"probe sim checks: {len(problems)} problem(s)")
    return 1 if problems else 0


def check_irq(recs, modes, passed):
    """Every clean function passes the interrupt and lifecycle checks its
    interfaces allow; INTx is counted on the last function only."""
    problems = []
    for addr, mode in modes.items():
        want = [("modern", c) for c in IRQ_MODERN + CONFIG_CHANGE.get(dev_type(recs, addr), [])] + \
            [("modern-packed", c) for c in IRQ_PACKED] if mode != "legacy" else [("legacy", c) for c in IRQ_LEGACY]
        for drv, cid in want:
            if (addr, drv, cid) not in passed:
                problems.append(f"{addr} ({mode}) {drv}: {cid} did not pass")
    last = list(modes)[-1]
    counted = {r["addr"] for r in recs if r["type"] == "check" and r["id"] == "intx.delivered" and r["verdict"] == "pass"}
    if counted != {last}:
        problems.append(f"intx.delivered passed on {sorted(counted)}, expected the last function {last} only")
    return problems


def verdicts(recs, cid):
    """{(addr, driver): verdict} of every record of check cid"""
    return {(r["addr"], r["driver"]): r["verdict"] for r in recs if r["type"] == "check" and r["id"] == cid}


def expect(problems, what, recs, cid, verdict, count):
    got = verdicts(recs, cid)
    if len(got) != count or set(got.values()) != {verdict}:
        problems.append(f"{what}: {cid} should be {verdict} {count} time(s), got {sorted(got.values())}")


def check_no_backend(probe):
    """A device with nothing behind it conforms: scsi without a disk, console
    without ports, net without a peer."""
    problems = []
    both = "{t}:modern:detached,{t}:transitional:detached"
    # modern: split + packed; transitional: split + packed + legacy
    rc, recs = run(probe, both.format(t="scsi"))
    bad = [r["id"] for r in recs if r["type"] == "check" and r["verdict"] in ("fail", "error")]
    if rc != 0 or bad:
        problems.append(f"scsi without a disk: exit {rc}, failures {bad[:4]}")
    expect(problems, "scsi without a disk", recs, "scsi.tur", "pass", 5)
    expect(problems, "scsi without a disk", recs, "scsi.bad_target", "pass", 5)
    for cid in ("scsi.inquiry", "scsi.read", "scsi.report_luns", "scsi.unknown_opcode"):
        expect(problems, "scsi without a disk", recs, cid, "skip", 5)

    # no --console-ports: the port count is unknown; with it, exact
    for ports, verdict, want_rc in ((None, "skip", 0), ("0", "pass", 0), ("1", "fail", 1)):
        what = f"console without ports, --console-ports {ports}"
        rc, recs = run(probe, both.format(t="console"),
                       ["--timeout-ms", "100"] + (["--console-ports", ports] if ports else []))
        bad = [r["id"] for r in recs if r["type"] == "check" and r["verdict"] in ("fail", "error")
               and r["id"] != "console.port_add"]
        if rc != want_rc or bad:
            problems.append(f"{what}: exit {rc}, failures {bad[:4]}")
        expect(problems, what, recs, "console.port_add", verdict, 5)
        expect(problems, what, recs, "console.write", "skip", 5)
    for ports, verdict in (("2", "pass"), ("1", "fail")):  # the reference console has ports 0 and 1
        rc, recs = run(probe, "console:modern", ["--timeout-ms", "100", "--console-ports", ports])
        expect(problems, f"console, --console-ports {ports}", recs, "console.port_add", verdict, 2)

    # the first personality waits for the frame; the two after it know better
    t0 = time.monotonic()
    rc, recs = run(probe, "net:transitional:detached", ["--timeout-ms", "1000"])
    took = time.monotonic() - t0
    bad = [r["id"] for r in recs if r["type"] == "check" and r["verdict"] in ("fail", "error")]
    if rc != 0 or bad:
        problems.append(f"net without a peer: exit {rc}, failures {bad[:4]}")
    expect(problems, "net without a peer", recs, "net.loopback", "skip", 3)
    if took > 1.9:
        problems.append(f"net without a peer: {took:.1f} s, more than one full wait (1 s)")
    rc, recs = run(probe, "net:modern:detached", ["--timeout-ms", "100", "--net-loopback"])
    expect(problems, "net without a peer, --net-loopback", recs, "net.loopback", "fail", 2)
    return problems


def check_bridges(probe):
    """A bridge left with decoding off is turned on when its windows hold the
    BARs; with windows unprogrammed it is a setup error, not a violation."""
    problems = []
    rc, recs = run(probe, "rng:modern:bridgeoff,blk:transitional:bridgeoff")
    bad = [(r["id"], r["verdict"]) for r in recs if r["type"] == "check" and r["verdict"] in ("fail", "error")]
    if rc != 0 or bad:
        problems.append(f"bridge left off: exit {rc}, failures {bad[:4]}")
    expect(problems, "bridge left off", recs, "pci.setup.bridge", "info", 2)
    passed = {(r["addr"], r["id"]) for r in recs if r["type"] == "check" and r["verdict"] == "pass"}
    if ("0000:02:00.0", "blk.readback.same") not in passed:
        problems.append("bridge left off: blk.readback.same did not pass behind the bridge")
    rc, recs = run(probe, "rng:modern:bridgenowin,blk:legacy:bridgenowin")
    fails = [r["id"] for r in recs if r["type"] == "check" and r["verdict"] == "fail"]
    if rc != 2 or fails:
        problems.append(f"bridge windows unprogrammed: exit {rc} (want 2), failures {fails[:4]}")
    expect(problems, "bridge windows unprogrammed", recs, "pci.setup.bridge", "error", 2)
    return problems


def dev_type(recs, addr):
    return next(r["dev_type"] for r in recs if r["type"] == "device" and r["addr"] == addr)


if __name__ == "__main__":
    sys.exit(main())
