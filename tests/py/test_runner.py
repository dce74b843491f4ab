"""Runner unit tests: QEMU command lines per cell, untrusted guest output,
cell verdicts and report generation (no VM needed)."""
import dataclasses
import json
import os
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from vcharness import guest, matrix, parse, plan, report, report_safe, run, safefs, specs  # noqa: E402


def read(path, mode="r"):
    with open(path, mode) as fh:
        return fh.read()


def cfg(name):
    return next(c for c in matrix.DEFAULT_CONFIGS if c.name == name)


def encode(recs, end=True):
    """JSON Lines of recs, with an end record that counts them (as the probe's)."""
    recs = list(recs)
    if end:
        tally = {k: 0 for k in parse.COUNTS}
        names = dict(zip(parse.VERDICTS, ("passed", "failed", "skipped", "errors", "info")))
        for r in recs:
            if r.get("type") == "check":
                tally[names[r["verdict"]]] += 1
        recs.append({"v": 1, "type": "end", **tally,
                     "devices": sum(r.get("type") == "device" for r in recs)})
    return "\n".join(json.dumps(r) for r in recs).encode() + b"\n"


def probe_lines(mode="transitional", dev="blk", verdict="pass", end=True):
    recs = [{"v": 1, "type": "start", "probe": "x", "args": [], "kernel": "k"},
            {"v": 1, "type": "device", "addr": "0000:00:03.0", "slot_path": "03.0", "dev_type": dev,
             "mode": mode},
            {"v": 1, "type": "check", "addr": "0000:00:03.0", "driver": "modern", "id": "blk.read.pattern",
             "reqs": ["dev.implied.blk_data"], "verdict": verdict, "expected": "a", "observed": "b"}]
    return encode(recs, end)


class CommandLine(unittest.TestCase):
    def cmd(self, name, devices=("blk", "rng")):
        return matrix.vm_command("qemu", cfg(name), list(devices), "K", "I", "D", "/w")

    def test_port_config_puts_each_device_behind_its_own_root_port(self):
        c = self.cmd("q35-port")
        self.assertIn("pcie-root-port,id=rp1,chassis=1,slot=1,addr=0x01.0", c)
        self.assertIn("pcie-root-port,id=rp2,chassis=2,slot=2,addr=0x02.0", c)
        devs = [c[i + 1] for i, a in enumerate(c) if a == "-device" and "virtio" in c[i + 1]]
        self.assertTrue(devs[0].startswith("virtio-blk-pci,bus=rp1"), devs)
        self.assertTrue(devs[1].startswith("virtio-rng-pci,bus=rp2"), devs)

    def test_input_cell_has_keyboard_mouse_and_tablet(self):
        c = " ".join(self.cmd("q35-port", ["blk", "input"]))
        for dev in ("virtio-keyboard-pci,bus=rp2", "virtio-mouse-pci,bus=rp3", "virtio-tablet-pci,bus=rp4"):
            self.assertIn(dev, c)
        cell = matrix.Cell(cfg("q35-port"), "input", "modern", "")
        recs = [{"v": 1, "type": "start", "probe": "x", "args": [], "kernel": "k"},
                {"v": 1, "type": "device", "addr": "0000:00:0a.0", "dev_type": "input", "mode": "modern"},
                {"v": 1, "type": "device", "addr": "0000:00:0b.0", "dev_type": "input", "mode": "legacy"}]
        res = parse.cell_verdict(cell, {"status": "ok"}, parse.parse(encode(recs)))
        self.assertEqual((res["verdict"], res["observed_mode"]), ("violates", "legacy,modern"))
        self.assertIn("at 0000:00:0b.0", res["reason"])

    def test_ioh3420_and_switch_placements(self):
        c = self.cmd("q35-ioh3420")
        self.assertIn("ioh3420,id=rp1,chassis=1,slot=1,addr=0x01.0", c)
        c = self.cmd("q35-downstream")
        self.assertIn("x3130-upstream,id=up0,bus=swrp0", c)
        self.assertIn("xio3130-downstream,id=rp2,bus=up0,chassis=2,slot=2,addr=0x01.0", c)
        self.assertTrue(any(a.startswith("virtio-rng-pci,bus=rp2") for a in c), c)
        self.assertEqual(matrix.expected(cfg("q35-downstream"), "blk")[0], "modern")

    def test_shared_vm_places_every_device_at_a_known_unique_path(self):
        parts = [(cfg("q35"), ["blk", "input"]), (cfg("q35-port"), ["blk"]),
                 (cfg("q35-downstream"), ["rng", "net"]), (cfg("q35-port-legacy"), ["blk"])]
        args, paths, first = matrix.layout(parts)
        self.assertEqual(first[("q35-port", "blk")], 5)
        self.assertEqual(paths[("q35", "blk")], ["01.0"])
        self.assertEqual(paths[("q35", "input")], ["02.0", "03.0", "04.0"])  # keyboard, mouse, tablet
        self.assertEqual(paths[("q35-port", "blk")], ["05.0/00.0"])
        self.assertEqual(paths[("q35-downstream", "rng")], ["06.0/00.0/00.0/00.0"])
        self.assertEqual(paths[("q35-downstream", "net")], ["06.0/00.0/01.0/00.0"])
        self.assertEqual(paths[("q35-port-legacy", "blk")], ["07.0/00.0"])
        joined = " ".join(args)
        self.assertIn("pcie-root-port,id=swrp2,chassis=202,slot=0,addr=0x06.0", joined)
        self.assertIn("virtio-blk-pci,bus=rp8,disable-legacy=off", joined)  # flags stay per part
        ids = [a.split("id=")[1].split(",")[0] for a in args if "id=" in a]
        self.assertEqual(len(ids), len(set(ids)), ids)  # no QEMU id twice
        cmd = matrix.vm_command("qemu", cfg("q35"), None, "K", "I", "D", "/w", parts=parts)
        self.assertEqual(cmd[cmd.index("-machine") + 1], "q35")
        with self.assertRaises(ValueError):  # more than the root bus holds
            matrix.layout([(cfg("pc"), matrix.SEED_TYPES)] * 4)

    def test_flags_and_variants(self):
        c = " ".join(self.cmd("pc-both-off"))
        self.assertIn("disable-legacy=on,disable-modern=on", c)
        c = " ".join(self.cmd("pc-non-transitional", ["blk", "input"]))
        self.assertIn("virtio-blk-pci-non-transitional", c)
        self.assertIn("virtio-keyboard-pci", c)  # no variant exists for input
        self.assertNotIn("disable-", c)

    def test_isolation_and_result_channel(self):
        c = self.cmd("pc")
        self.assertEqual(c[1], "-nodefaults")
        # results through the debug console (ISA), not a device under test
        self.assertIn("file,id=results,path=/w/probe.jsonl", c)
        self.assertIn("isa-debugcon,iobase=0xe9,chardev=results", c)
        self.assertIn("--json,ioport:0xe9", " ".join(c))
        self.assertIn("snapshot=on", " ".join(c))
        # the net backend reaches nothing outside: a datagram socket talking to itself
        net = " ".join(self.cmd("pc", ["net"]))
        self.assertIn("local.path=/w/net1.sock,remote.type=unix,remote.path=/w/net1.sock", net)
        self.assertIn("--net-loopback", net)

    def test_expected_modes(self):
        self.assertEqual(matrix.expected(cfg("i440fx-2.6"), "blk")[0], "legacy")
        self.assertEqual(matrix.expected(cfg("i440fx-2.7"), "blk")[0], "transitional")
        self.assertEqual(matrix.expected(cfg("q35-port"), "net")[0], "modern")
        self.assertEqual(matrix.expected(cfg("pc-both-off"), "rng")[0], "refused")
        self.assertEqual(matrix.expected(cfg("pc-both-off"), "input")[0], "refused")
        self.assertEqual(matrix.expected(cfg("q35-port-transitional"), "scsi")[0], "transitional")
        self.assertEqual(matrix.expected(cfg("i440fx-2.6"), "input")[0], "modern")


    def test_driver_profile(self):
        c = " ".join(self.cmd("i440fx-2.7+kdrv-legacy"))
        self.assertIn("--kernel-drivers,/modules,--force-legacy", c)
        self.assertNotIn("--kernel-drivers", " ".join(self.cmd("i440fx-2.7")))


class GuestOutput(unittest.TestCase):
    def test_garbage_never_raises(self):
        for data in (b"", b"\xff\xfe\x00garbage\n", b"{" * 100000, b"[1,2]\n", b'{"v":2,"type":"end"}\n',
                     b'{"v":1,"type":"check"}\n', b"\n".join([b"x" * 9000] * 3)):
            out = parse.parse(data)
            self.assertTrue(out.problems, data[:20])

    def test_oversized_output_is_cut(self):
        out = parse.parse(probe_lines() + b"x" * (parse.MAX_TOTAL + 10))
        self.assertTrue(any("more than" in p for p in out.problems))

    def test_truncated_output_is_probe_error(self):
        cell = matrix.Cell(cfg("pc"), "rng", "transitional", "")
        out = parse.parse(probe_lines(dev="rng", end=False))
        res = parse.cell_verdict(cell, {"status": "ok"}, out)
        self.assertEqual(res["verdict"], "probe-error")

    def test_verdicts(self):
        cell = matrix.Cell(cfg("pc"), "blk", "transitional", "")
        ok = parse.cell_verdict(cell, {"status": "ok"}, parse.parse(probe_lines()))
        self.assertEqual(ok["verdict"], "conforms")
        bad = parse.cell_verdict(cell, {"status": "ok"}, parse.parse(probe_lines(verdict="fail")))
        self.assertEqual((bad["verdict"], bad["reqs"]), ("violates", ["dev.implied.blk_data"]))
        known = parse.cell_verdict(cell, {"status": "ok"}, parse.parse(probe_lines(verdict="fail")),
                                   {"*/blk/blk.read.pattern"})
        self.assertEqual((known["verdict"], known["reqs"]), ("known-violation", ["dev.implied.blk_data"]))
        self.assertFalse(report.unexpected(known))
        mode = parse.cell_verdict(cell, {"status": "ok"}, parse.parse(probe_lines(mode="legacy")))
        self.assertEqual(mode["verdict"], "violates")
        self.assertEqual(parse.cell_verdict(cell, {"status": "timeout"}, parse.parse(b""))["verdict"], "timeout")
        self.assertEqual(parse.cell_verdict(cell, {"status": "ok", "panic": True},
                                            parse.parse(b""))["verdict"], "guest-panic")
        self.assertEqual(parse.cell_verdict(cell, {"status": "crash", "stderr": "x"},
                                            parse.parse(b""))["verdict"], "vmm-crash")
        refused = matrix.Cell(cfg("pc-both-off"), "blk", "refused", "")
        self.assertEqual(parse.cell_verdict(refused, {"status": "refused"}, parse.parse(b""))["verdict"],
                         "conforms")
        self.assertEqual(parse.cell_verdict(refused, {"status": "ok"}, parse.parse(b""))["verdict"], "violates")


class Xfail(unittest.TestCase):
    def test_patterns_and_known_verdicts(self):
        self.assertTrue(parse.xfail_match({"*-pio-notify/scsi/@timeout"}, "pc-pio-notify", "scsi", "@timeout"))
        self.assertFalse(parse.xfail_match({"*-pio-notify/scsi/@timeout"}, "pc", "scsi", "@timeout"))
        cell = matrix.Cell(cfg("pc"), "scsi", "transitional", "")
        hung = {"status": "timeout", "hang": "no probe output within 30 s"}
        res = parse.cell_verdict(cell, hung, parse.parse(b""), {"pc/scsi/@timeout"})
        self.assertEqual((res["verdict"], res["known"]), ("timeout", True))
        self.assertFalse(report.unexpected(res))
        self.assertIn("no probe output", res["reason"])
        res = parse.cell_verdict(cell, hung, parse.parse(b""), {"pc/blk/@timeout"})
        self.assertTrue(report.unexpected(res))


class BootWatchdog(unittest.TestCase):
    def test_a_vm_that_never_starts_the_probe_is_killed_early(self):
        import subprocess
        import time
        with tempfile.TemporaryDirectory() as d:
            saved, run.BOOT_TIMEOUT = run.BOOT_TIMEOUT, 0.5
            try:
                t0 = time.monotonic()
                p = subprocess.Popen(["sleep", "30"])
                open(os.path.join(d, "console.log"), "w").write("booting\n")
                rc, status, hang = run._wait(p, 60, d, t0, threading.Event())
            finally:
                run.BOOT_TIMEOUT = saved
            self.assertEqual((rc, status), (None, "timeout"))
            self.assertIn("hung before the guest ran", hang)
            self.assertLess(time.monotonic() - t0, 10)
            # a silent console means firmware: caught sooner
            saved, run.FIRMWARE_TIMEOUT = run.FIRMWARE_TIMEOUT, 0.3
            try:
                t0 = time.monotonic()
                p = subprocess.Popen(["sleep", "30"])
                os.unlink(os.path.join(d, "console.log"))
                rc, status, hang = run._wait(p, 60, d, t0, threading.Event())
            finally:
                run.FIRMWARE_TIMEOUT = saved
            self.assertIn("before the kernel started", hang)


class ConsoleHostSide(unittest.TestCase):
    def test_line_must_reach_the_host_file(self):
        line = "vconform-probe console 0000:00:04.0 modern"
        recs = [{"v": 1, "type": "check", "addr": "0000:00:04.0", "driver": "modern", "id": "console.write",
                 "reqs": [], "verdict": "pass", "expected": "port 1", "observed": line}]
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "console2.out"), "w") as fh:
                fh.write(line + "\n")
            out = parse.parse(("\n".join(json.dumps(r) for r in recs) + "\n").encode())
            run._check_console_host_side({"workdir": d}, 2, {"0000:00:04.0"}, out)
            self.assertEqual(out.checks[0]["verdict"], "pass")
            run._check_console_host_side({"workdir": d}, 3, {"b"}, out)  # another console's file
            self.assertEqual(out.checks[0]["verdict"], "pass")
            os.unlink(os.path.join(d, "console2.out"))  # nothing arrived
            run._check_console_host_side({"workdir": d}, 2, {"0000:00:04.0"}, out)
            self.assertEqual(out.checks[0]["verdict"], "fail")


    def test_emergency_byte_must_reach_the_console_port(self):
        rec = {"v": 1, "type": "check", "addr": "0000:00:04.0", "driver": "modern", "id": "console.emerg_write.host",
               "reqs": ["dev.console_init.2"], "verdict": "pass", "observed": "byte 0x1e"}
        with tempfile.TemporaryDirectory() as d:
            for content, observed, verdict in ((b"ab\x1e", "byte 0x1e", "pass"), (b"ab", "byte 0x1e", "fail"),
                                               (b"\x1e", "byte 0x1e0", "fail"), (None, "byte 0x1e", "fail")):
                path = os.path.join(d, "console2.emerg")
                if content is None:
                    os.unlink(path)
                else:
                    with open(path, "wb") as fh:
                        fh.write(content)
                out = parse.parse((json.dumps(dict(rec, observed=observed)) + "\n").encode())
                run._check_console_host_side({"workdir": d}, 2, {"0000:00:04.0"}, out)
                self.assertEqual(out.checks[0]["verdict"], verdict, (content, observed))


class SharedVms(unittest.TestCase):
    def test_balloons_take_turns_only_where_swappable(self):
        cells = matrix.cells(matrix.DEFAULT_CONFIGS, matrix.SEED_TYPES)
        plans = plan.plan(cells)
        shared = 0
        for vp in plans:
            parts = [(cfg, [c.device for c in cs]) for cfg, cs in vp.parts]
            balloons = sum(c.device == "balloon" for c in vp.cells)
            held = matrix.held_balloons(parts)
            self.assertEqual(len(held), max(0, balloons - 1), vp.name)
            if balloons > 1:
                shared += 1
                self.assertTrue(all(plan.swappable(cfg) for cfg, _ in vp.parts), vp.name)
                self.assertLessEqual(balloons, plan.BALLOONS, vp.name)
                cmd = matrix.vm_command("qemu", vp.config, None, "K", "I", "D", "/w", parts=parts)
                on_line = [a for a in cmd if a.startswith("virtio-balloon-pci")]
                self.assertEqual(len(on_line), 1, vp.name)  # one at a time: QEMU allows no second
                args = cmd[cmd.index("-append") + 1]
                self.assertIn(f"--balloon-swaps,{len(held)}", args, vp.name)
                # each held one plugs where its slot path says, with its own QOM id
                _, paths, first = matrix.layout(parts)
                for path, props in held:
                    owner = next(k for k, ps in paths.items() if path in ps)
                    self.assertTrue(props["driver"].startswith("virtio-balloon-pci"), props)
                    self.assertEqual(props["id"], f"balloon{first[owner]}")
        self.assertGreaterEqual(shared, 3)  # two pc VMs and one q35 VM in the default matrix
        self.assertEqual(sorted(c.id for vp in plans for c in vp.cells), sorted(c.id for c in cells))
        probe_vms = [vp for vp in plans if vp.config.profile == "probe" and vp.config.name != "pc-both-off"]
        self.assertLessEqual(len(probe_vms), 7)  # 14 configurations
        # q35's balloon (root bus: no hot-plug) keeps every other balloon out of its VM,
        # not the other devices of another configuration (_split_balloons)
        q35 = next(vp for vp in plans if any(cfg.name == "q35" for cfg, _ in vp.parts))
        self.assertGreater(len(q35.parts), 1)
        self.assertEqual(sum(c.device == "balloon" for c in q35.cells), 1)
        homes = {}
        for vp in plans:
            for part, _ in vp.parts:
                homes.setdefault(part.name, set()).add(vp.name)
        for name, vms in homes.items():  # a balloon away from its configuration only where it can swap
            self.assertTrue(len(vms) == 1 or plan.swappable(cfg(name)), (name, vms))
        # without swaps (a user's guest image), one balloon per VM as before
        for vp in plan.plan(cells, swaps=False):
            self.assertLessEqual(sum(c.device == "balloon" for c in vp.cells), 1, vp.name)

    def test_swappable_slots(self):
        self.assertTrue(plan.swappable(cfg("pc")))             # i440fx root bus: ACPI hot-plug
        self.assertTrue(plan.swappable(cfg("q35-port")))       # a root port on q35 7.2: ACPI hot-plug
        self.assertTrue(plan.swappable(cfg("q35-downstream")))
        self.assertFalse(plan.swappable(cfg("q35")))           # the q35 root bus takes no hot-plug
        self.assertFalse(plan.swappable(cfg("q35-port+kdrv")))  # the kernel's driver owns it
        old = dataclasses.replace(cfg("q35-port"), machine="pc-q35-5.2")
        self.assertFalse(plan.swappable(old))                  # native PCIe hot-plug: a 5 s button wait

    def test_plan_shares_machine_types_within_limits(self):
        types = [t for t in matrix.SEED_TYPES if t != "balloon"]
        cells = matrix.cells(matrix.DEFAULT_CONFIGS, types)
        plans = plan.plan(cells, {"*-pio-notify/scsi/@timeout"})
        self.assertEqual(sorted(c.id for vp in plans for c in vp.cells), sorted(c.id for c in cells))
        for vp in plans:
            cfgs = [cfg for cfg, _ in vp.parts]
            self.assertEqual(len({(c.machine, c.profile) for c in cfgs}), 1, vp.name)
            slots, io, fn, _ = (sum(x) for x in zip(*(plan.needs(cfg, cs) for cfg, cs in vp.parts)))
            if len(cfgs) > 1:  # a configuration alone may need more; a shared VM may not
                self.assertLessEqual(slots, plan.ROOT_SLOTS, vp.name)
                self.assertLessEqual(io, plan.IO_WINDOWS, vp.name)
                self.assertLessEqual(fn, plan.FUNCTIONS, vp.name)
            matrix.layout([(cfg, [c.device for c in cs]) for cfg, cs in vp.parts])  # fits the bus
        alone = [vp.name for vp in plans if vp.alone]
        self.assertEqual(sorted(alone), ["pc-pio-notify-scsi", "q35-port-pio-notify-scsi"])
        both_off = [vp for vp in plans if vp.config.name == "pc-both-off"]
        # a refusal is never shared: one start per device (plan.py)
        self.assertTrue(both_off and all(len(vp.parts) == 1 and len(vp.cells) == 1 for vp in both_off))
        self.assertLess(len(plans) - len(both_off), len(matrix.DEFAULT_CONFIGS) - 1)
        # I/O-hungry port configurations never share a VM (9 windows each)
        for vp in plans:
            hungry = [cfg.name for cfg, cs in vp.parts if plan.needs(cfg, cs)[1] > 0]
            self.assertLessEqual(len(hungry), 1, vp.name)

    def test_cells_map_by_slot_path_in_a_shared_vm(self):
        a = matrix.Cell(cfg("q35"), "blk", "transitional", "")
        b = matrix.Cell(cfg("q35-port"), "blk", "modern", "")
        recs = [{"v": 1, "type": "start", "probe": "x", "args": [], "kernel": "k"},
                {"v": 1, "type": "device", "addr": "0000:00:01.0", "slot_path": "01.0", "dev_type": "blk",
                 "mode": "transitional"},
                {"v": 1, "type": "device", "addr": "0000:01:00.0", "slot_path": "02.0/00.0", "dev_type": "blk",
                 "mode": "modern"}]
        recs += [{"v": 1, "type": "check", "addr": a, "driver": "pci", "id": "pci.id.vendor", "verdict": "pass"}
                 for a in ("0000:00:01.0", "0000:01:00.0")]
        out = parse.parse(encode(recs))
        _, paths, _ = matrix.layout([(cfg("q35"), ["blk"]), (cfg("q35-port"), ["blk"])])
        ra = parse.cell_verdict(a, {"status": "ok"}, out, paths=paths[("q35", "blk")])
        rb = parse.cell_verdict(b, {"status": "ok"}, out, paths=paths[("q35-port", "blk")])
        self.assertEqual((ra["verdict"], ra["observed_mode"]), ("conforms", "transitional"))
        self.assertEqual((rb["verdict"], rb["observed_mode"]), ("conforms", "modern"))
        # by type alone both would count for each cell: a mixed mode
        self.assertEqual(parse.cell_verdict(a, {"status": "ok"}, out)["verdict"], "violates")
        missing = parse.cell_verdict(a, {"status": "ok"}, out, paths=["09.0"])
        self.assertEqual(missing["verdict"], "probe-error")
        self.assertIn("at 09.0", missing["reason"])


class Reports(unittest.TestCase):
    def test_all_formats(self):
        cell = matrix.Cell(cfg("pc"), "blk", "transitional", "")
        results = [parse.cell_verdict(cell, {"status": "ok"}, parse.parse(probe_lines(verdict="fail"))),
                   {"cell": "x/rng", "config": "x", "device": "rng", "expected_mode": "legacy",
                    "observed_mode": None, "verdict": "skipped", "reason": "no machine <x>", "reqs": [],
                    "checks": [], "why": ""}]
        with tempfile.TemporaryDirectory() as d:
            paths = report.write_all(d, {"qemu_version": "9"}, results, specs.requirements())
            doc = json.loads(read(paths["json"]))
            self.assertEqual(doc["schema"], report.SCHEMA)
            self.assertEqual(doc["summary"]["unexpected"], 1)
            self.assertIn("dev.implied.blk_data", doc["coverage"]["failed"])
            import xml.etree.ElementTree as ET
            root = ET.parse(paths["junit"]).getroot()
            self.assertEqual(len(root.findall(".//failure")), 1)
            self.assertEqual(len(root.findall(".//skipped")), 1)
            tap = read(paths["tap"])
            self.assertIn("not ok 1", tap)
            self.assertIn("# SKIP", tap)
            page = read(paths["html"])
            self.assertIn("no machine &lt;x&gt;", page)
            self.assertNotIn("<x>", page)


class Image(unittest.TestCase):
    def test_module_order_follows_depends(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "kernel", "drivers"))
            for name, deps in (("virtio_pci", "virtio,virtio_ring"), ("virtio_ring", "virtio"),
                               ("virtio", ""), ("virtio-rng", "virtio,virtio_ring")):
                with open(os.path.join(d, "kernel", "drivers", name + ".ko"), "wb") as fh:
                    fh.write(b"\x7fELF\0license=GPL\0depends=" + deps.encode() + b"\0name=x\0")
            order = [arc for _, arc in guest.driver_modules(d, ["virtio_pci", "virtio_rng", "sd_mod"])]
            self.assertEqual(order, ["modules/00-virtio.ko", "modules/01-virtio_ring.ko",
                                     "modules/02-virtio_pci.ko", "modules/03-virtio_rng.ko"])

    def test_irq_modules_for_the_probe_profile(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "kernel", "drivers", "uio"))
            self.assertEqual(guest.irq_modules(d), [])  # a kernel without them: INTx is not counted
            self.assertEqual(guest.irq_modules(None), [])
            for name, deps in (("uio", ""), ("uio_pci_generic", "uio")):
                with open(os.path.join(d, "kernel", "drivers", "uio", name + ".ko"), "wb") as fh:
                    fh.write(b"\x7fELF\0license=GPL\0depends=" + deps.encode() + b"\0name=x\0")
            self.assertEqual([arc for _, arc in guest.irq_modules(d)],
                             ["irqmod/00-uio.ko", "irqmod/01-uio_pci_generic.ko"])
        probe = " ".join(matrix.vm_command("qemu", cfg("pc"), ["rng"], "K", "I", "D", "/w"))
        self.assertIn("--irq-modules,/irqmod", probe)
        self.assertNotIn("--irq-modules", " ".join(matrix.vm_command("qemu", cfg("i440fx-2.7+kdrv"), ["rng"], "K", "I", "D", "/w")))

    def test_cpio_and_pattern(self):
        with tempfile.TemporaryDirectory() as d:
            exe = os.path.join(d, "probe")
            with open(exe, "w") as fh:
                fh.write("#!/bin/sh\n")
            os.chmod(exe, 0o755)
            img = guest.build_initramfs(exe, os.path.join(d, "i.img"))
            data = read(img, "rb")
            self.assertTrue(data.startswith(b"070701"))
            self.assertIn(b"init\0", data)
            self.assertIn(b"TRAILER!!!", data)
            disk = guest.pattern_disk(os.path.join(d, "disk"), sectors=4)
            raw = read(disk, "rb")
            self.assertEqual(len(raw), 2048)
            self.assertEqual(raw[512:528], b"vconform" + (1).to_bytes(8, "little"))
            self.assertEqual(raw[512 + 20], (1 + 20) & 0xFF)

    def test_firmware_choice(self):
        self.assertIsNone(guest.firmware("seabios"))
        with tempfile.TemporaryDirectory() as d:
            rom = os.path.join(d, "my.rom")
            with open(rom, "wb") as fh:
                fh.write(b"\0")
            self.assertEqual(guest.firmware(rom), rom)
            with self.assertRaises(guest.GuestError):
                guest.firmware(os.path.join(d, "missing.rom"))
            saved = guest.QBOOT_PATHS
            try:
                guest.QBOOT_PATHS = [os.path.join(d, "none.rom")]
                self.assertIsNone(guest.firmware("auto"))  # falls back to SeaBIOS
                with self.assertRaises(guest.GuestError):
                    guest.firmware("qboot")
                guest.QBOOT_PATHS = [rom]
                self.assertEqual(guest.firmware("auto"), rom)
            finally:
                guest.QBOOT_PATHS = saved
        c = matrix.vm_command("qemu", cfg("pc"), ["rng"], "K", "I", "D", "/w", bios="/fw/qboot.rom")
        self.assertEqual(c[c.index("-bios") + 1], "/fw/qboot.rom")
        self.assertNotIn("-bios", matrix.vm_command("qemu", cfg("pc"), ["rng"], "K", "I", "D", "/w"))


if __name__ == "__main__":
    unittest.main()


class EmitCleans(unittest.TestCase):
    def test_results_cleaned_once_as_they_come_with_their_notes(self):
        with tempfile.TemporaryDirectory() as d:
            runner = run.Runner("qemu", {}, safefs.RunDir(d), 1, 10, 2000)
            runner._emit({"cell": "c/blk", "config": "c", "device": "blk", "verdict": "violates",
                          "reason": "x" * (report_safe.MAX_FIELD + 10), "checks": []})
            runner._emit({"cell": "c/blk", "verdict": "conforms"})  # a second verdict is dropped
            runner.stream.close()
            self.assertEqual(len(runner.results), 1)
            self.assertIsInstance(runner.results[0], report_safe.Cell)
            self.assertLessEqual(len(runner.results[0]["reason"]), report_safe.MAX_FIELD)
            self.assertTrue(any("cells[0].reason" in n for n in runner.clean_notes), runner.clean_notes)
