"""Configurations as data (harness/configs): the default matrix unchanged,
what the format expresses (bus paths, multifunction slots, properties,
backends, expected modes), the VM plans of such configurations, and bad
input reported with file and line (no VM needed)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import configs, matrix, plan, specs  # noqa: E402

EXAMPLE = os.path.join(ROOT, "harness", "configs", "examples", "bridges.cfg")
RUN = os.path.join(ROOT, "harness", "vconform-run")


def load_text(text, name="user.cfg"):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return configs.load([path])


def one(text):
    return load_text(text)[0]


def devices_of(args):
    """-device arguments of a command line."""
    return [args[i + 1] for i, a in enumerate(args) if a == "-device"]


class DefaultMatrix(unittest.TestCase):
    def test_command_lines_and_modes_as_before_the_move(self):
        # data/default_matrix.jsonl: recorded from the Python objects the
        # configurations were before they became harness/configs/default.cfg
        with open(os.path.join(HERE, "data", "default_matrix.jsonl"), encoding="utf-8") as fh:
            recorded = [json.loads(line) for line in fh]
        defaults = configs.default()
        self.assertEqual([c.name for c in defaults], [r["name"] for r in recorded])
        flags = ("--net-loopback", "--kernel-drivers", "--force-legacy")
        for c, r in zip(defaults, recorded):
            cmd = matrix.vm_command("qemu", c, matrix.SEED_TYPES, "K", "I", "D", "/w", sockdir="/s", bios="B")
            self.assertEqual(cmd[cmd.index("-machine") + 1], r["machine"], c.name)
            self.assertEqual(cmd[cmd.index("-bios") + 2:], r["devices"], c.name)
            args = cmd[cmd.index("-append") + 1].split("vconform.args=")[1].split(",")
            self.assertEqual([f for f in flags if f in args], [f for f in flags if f in r["probe_args"].split(",")])
            self.assertEqual({d: matrix.expected(c, d)[0] for d in matrix.SEED_TYPES}, r["expected"], c.name)

    def test_matrix_module_still_offers_the_default(self):
        self.assertEqual([c.name for c in matrix.DEFAULT_CONFIGS], [c.name for c in configs.default()])


class Format(unittest.TestCase):
    def test_example_file(self):
        byname = {c.name: c for c in configs.load([EXAMPLE])}
        modes = {(n, d): matrix.expected(c, d)[0] for n, c in byname.items() for d in c.devices}
        self.assertEqual(modes[("q35-pcie-pci-bridge", "blk")], "transitional")
        self.assertEqual(modes[("q35-pcie-pci-bridge-pci-bridge", "net")], "transitional")
        self.assertEqual(modes[("q35-port-pcie-pci-bridge", "rng")], "transitional")
        self.assertEqual(modes[("pc-pci-bridge", "scsi")], "transitional")
        self.assertEqual(modes[("i440fx-2.6-pci-bridge", "blk")], "legacy")
        self.assertEqual(modes[("i440fx-2.6-input", "input")], "modern")
        self.assertEqual(modes[("q35-port-multifunction", "blk")], "modern")
        self.assertEqual(byname["i440fx-2.6-input"].devices, ["input"])

    def test_readme_example(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
            text = fh.read()
        c = one(text.split("```ini\n")[1].split("```")[0])
        self.assertEqual([matrix.expected(c, d)[0] for d in c.devices], ["transitional", "transitional", "modern"])
        _, paths, _ = matrix.layout([(c, c.devices)])
        self.assertEqual([paths[(c.name, d)] for d in c.devices], [["01.0/03.0"], ["01.0/03.1"], ["02.0/00.0"]])

    def test_bridges_and_slot_paths(self):
        c = configs.load([EXAMPLE])
        nested = next(x for x in c if x.name == "q35-pcie-pci-bridge-pci-bridge")
        args, paths, _ = matrix.layout([(nested, ["rng", "blk"])])
        devs = devices_of(args)
        self.assertEqual(devs[:2], ["pcie-pci-bridge,id=pbr0,addr=0x01.0",
                                    "pci-bridge,id=br0,bus=pbr0,chassis_nr=1,addr=0x01.0"])
        self.assertIn("virtio-rng-pci,bus=br0,addr=0x01.0,rng=rng1", devs)
        self.assertEqual(paths[(nested.name, "blk")], ["01.0/01.0/02.0"])
        pc = one("[b]\nmachine = pc\nbus = pci-bridge\ndevices = rng\n")
        self.assertEqual(matrix.layout([(pc, ["rng"])])[1][("b", "rng")], ["02.0/01.0"])
        self.assertEqual(matrix.expected(pc, "rng")[0], "transitional")

    def test_multifunction_slot(self):
        c = one("[mf]\nmachine = q35\ndevices = rng blk net\n"
                "rng.addr = 5.0\nrng.props = multifunction=on\nblk.addr = 0x05.1\n")
        args, paths, _ = matrix.layout([(c, c.devices)])
        self.assertEqual(paths[("mf", "rng")], ["05.0"])
        self.assertEqual(paths[("mf", "blk")], ["05.1"])
        self.assertEqual(paths[("mf", "net")], ["01.0"])  # the first free slot
        self.assertIn("virtio-rng-pci,addr=0x05.0,multifunction=on,rng=rng1", devices_of(args))
        self.assertFalse(c.shareable)
        # behind a port, the functions share the port
        p = one("[mf]\nmachine = q35\nbus = pcie-root-port\ndevices = rng blk input\n"
                "rng.addr = 0\nrng.props = multifunction=on\nblk.addr = 0.1\n")
        args, paths, _ = matrix.layout([(p, p.devices)])
        self.assertEqual(paths[("mf", "rng")], ["01.0/00.0"])
        self.assertEqual(paths[("mf", "blk")], ["01.0/00.1"])
        self.assertEqual(paths[("mf", "input")], ["02.0/00.0", "03.0/00.0", "04.0/00.0"])

    def test_every_bus_kind_from_the_specs(self):
        cases = {"root": ("q35", "transitional"), "pcie-root-port": ("q35", "modern"),
                 "ioh3420": ("q35", "modern"), "pcie-root-port/x3130-upstream/xio3130-downstream": ("q35", "modern"),
                 "pcie-pci-bridge": ("q35", "transitional"), "pci-bridge": ("pc", "transitional"),
                 "pcie-root-port/x3130-upstream/xio3130-downstream/pcie-pci-bridge/pci-bridge":
                     ("q35", "transitional")}
        for bus, (machine, mode) in cases.items():
            c = one(f"[x]\nmachine = {machine}\nbus = {bus}\n")
            self.assertEqual(matrix.expected(c, "net")[0], mode, bus)
            self.assertEqual(matrix.expected(c, "input")[0], "modern", bus)
            args, paths, _ = matrix.layout([(c, c.devices)])
            self.assertEqual(len(paths[("x", "input")]), 3)
            ids = [a.split("id=")[1].split(",")[0] for a in args if "id=" in a]
            self.assertEqual(len(ids), len(set(ids)), bus)  # no QEMU id twice

    def test_properties_variants_and_overrides(self):
        c = one("[x]\nmachine = pc\ndevices = blk rng input\nprops = disable-legacy=on, modern-pio-notify=on\n"
                "rng.props = disable-legacy=off\nvariant = non-transitional\nrng.variant = transitional\n")
        devs = devices_of(matrix.layout([(c, c.devices)])[0])
        self.assertIn("virtio-blk-pci-non-transitional,addr=0x02.0,disable-legacy=on,modern-pio-notify=on,"
                      "drive=blk1,serial=vconform-blk", devs)
        self.assertIn("virtio-rng-pci-transitional,addr=0x03.0,disable-legacy=off,modern-pio-notify=on,rng=rng2", devs)
        self.assertIn("virtio-keyboard-pci,addr=0x04.0,disable-legacy=on,modern-pio-notify=on", devs)
        self.assertEqual(matrix.expected(c, "rng")[0], "transitional")
        self.assertEqual(matrix.expected(c, "blk")[0], "modern")

    def test_expected_mode_set_by_hand(self):
        c = one("[x]\nmachine = pc\ndevices = rng blk\nexpect = refused\nblk.expect = legacy\n")
        self.assertEqual(matrix.expected(c, "rng")[0], "refused")
        self.assertEqual(matrix.expected(c, "blk"), ("legacy", f"set by the configuration ({c.source})"))
        self.assertIn("user.cfg:1", c.source)

    def test_backends(self):
        c = one("[x]\nmachine = pc\ndevices = net scsi console\nnet.backend = none\n"
                "scsi.backend = none\nconsole.backend = none\n")
        args = matrix.vm_command("qemu", c, c.devices, "K", "I", "D", "/w")
        joined = " ".join(args)
        for absent in ("-netdev", "scsi-hd", "virtserialport", "--net-loopback"):
            self.assertNotIn(absent, joined)
        self.assertIn("virtio-net-pci,addr=0x02.0", devices_of(args))
        n = one("[y]\nmachine = pc\ndevices = net\nnet.backend = nopeer\n")
        args = matrix.vm_command("qemu", n, ["net"], "K", "I", "D", "/w", sockdir="/s")
        self.assertIn("local.path=/s/net1.sock,remote.type=unix,remote.path=/s/net1.nopeer", " ".join(args))
        self.assertNotIn("--net-loopback", " ".join(args))
        self.assertFalse(n.shareable)
        d = one("[z]\nmachine = pc\n")
        self.assertEqual([d.dev(t).backend for t in ("net", "scsi", "console", "input")],
                         ["loopback", "disk", "port", ""])

    def test_scsi_cd_console_port_and_no_unmap(self):
        def probe_args(cmd):
            return [a for a in cmd if "vconform.args=" in a][0].split("vconform.args=")[1].split(",")
        cd = one("[x]\nmachine = q35\ndevices = scsi console blk\nscsi.backend = disk+cd\n")
        cmd = matrix.vm_command("qemu", cd, cd.devices, "K", "I", "D", "/w")
        self.assertIn("scsi-hd,drive=sd1,bus=scsi1.0", devices_of(cmd))  # the disk as with 'disk'
        self.assertIn("virtconsole,bus=vser2.0,chardev=emerg2,name=vconform.emerg.2", devices_of(cmd))
        self.assertIn("virtserialport,id=vport2,bus=vser2.0,chardev=port2,name=vconform.2", devices_of(cmd))
        args = probe_args(cmd)
        self.assertIn("--scsi-cd", args)
        self.assertIn("--blk-no-unmap", args)
        self.assertEqual(args[args.index("--console-ports") + 1], "2")
        plain = one("[y]\nmachine = q35\ndevices = scsi console\n")
        self.assertNotIn("--scsi-cd", probe_args(matrix.vm_command("qemu", plain, plain.devices, "K", "I", "D", "/w")))
        # sharing a VM, the CD goes only into the scsi host whose configuration has disk+cd
        parts = [(plain, plain.devices), (cd, cd.devices)]
        args = probe_args(matrix.vm_command("qemu", plain, None, "K", "I", "D", "/w", parts=parts))
        self.assertNotIn("--scsi-cd", args)
        at = args[args.index("--scsi-cd-at") + 1].split("+")
        self.assertEqual(at, matrix.layout(parts)[1][("x", "scsi")])
        kdrv = one("[z]\nmachine = q35\nprofile = kdrv\ndevices = scsi console blk\nscsi.backend = disk+cd\n")
        cmd = matrix.vm_command("qemu", kdrv, kdrv.devices, "K", "I", "D", "/w")
        args = probe_args(cmd)
        self.assertFalse({"--scsi-cd", "--blk-no-unmap"} & set(args))
        self.assertFalse([d for d in devices_of(cmd) if d.startswith("virtconsole")])  # kernel: one vport
        self.assertEqual(args[args.index("--console-ports") + 1], "1")

    def test_cells_follow_the_configuration_devices(self):
        c = one("[x]\nmachine = pc\ndevices = rng, blk\n")
        self.assertEqual([x.id for x in matrix.cells([c])], ["x/rng", "x/blk"])
        self.assertEqual([x.id for x in matrix.cells([c], ["blk", "net"])], ["x/blk"])


class SharedVms(unittest.TestCase):
    def cells(self, text, devices=None):
        return matrix.cells(load_text(text), devices)

    def test_bridges_count_slots_and_io_windows(self):
        cs = self.cells("[b]\nmachine = q35\nbus = pcie-pci-bridge\ndevices = rng blk input\n")
        self.assertEqual(plan.needs(cs[0].config, cs), (1, 1, 5, 0))  # one slot, one window, 5 functions
        cs = self.cells("[b]\nmachine = q35\nbus = pcie-pci-bridge/pci-bridge\ndevices = input\n")
        self.assertEqual(plan.needs(cs[0].config, cs), (1, 0, 3, 0))  # modern only: no window

    def test_what_cannot_share_runs_alone(self):
        text = ("[a]\nmachine = q35\ndevices = rng\n"
                "[b]\nmachine = q35\nbus = pcie-pci-bridge\ndevices = rng blk\n"
                "[mf]\nmachine = q35\ndevices = rng blk\nrng.addr = 3\nrng.props = multifunction=on\nblk.addr = 3.1\n"
                "[np]\nmachine = q35\ndevices = net\nnet.backend = nopeer\n"
                "[lb]\nmachine = q35\ndevices = net\n")
        plans = plan.plan(self.cells(text))
        groups = sorted(sorted(cfg.name for cfg, _ in vp.parts) for vp in plans)
        self.assertEqual(groups, [["a", "b", "lb"], ["mf"], ["np"]])
        for vp in plans:  # every shared VM lays out, each cell at its own paths
            _, paths, _ = matrix.layout([(cfg, [c.device for c in cs]) for cfg, cs in vp.parts])
            flat = [p for ps in paths.values() for p in ps]
            self.assertEqual(len(flat), len(set(flat)))
        shared = next(vp for vp in plans if len(vp.parts) == 3)
        cmd = matrix.vm_command("qemu", shared.config, None, "K", "I", "D", "/w",
                                parts=[(cfg, [c.device for c in cs]) for cfg, cs in shared.parts])
        self.assertIn("--net-loopback", " ".join(cmd))


class BadInput(unittest.TestCase):
    def bad(self, text, pattern, name="user.cfg"):
        with self.assertRaisesRegex(configs.ConfigError, pattern):
            load_text(text, name)

    def test_unknown_keys(self):
        self.bad("[x]\nmachine = pc\n\ncolour = red\n", r"user\.cfg:4: \[x\]: unknown key 'colour'")
        self.bad("[x]\nmachine = pc\nblk.colour = red\n", r":3: \[x\]: unknown key 'blk.colour'")
        self.bad("[x]\nmachine = pc\ngpu.addr = 5\n", r":3: .*unknown device type 'gpu'")
        self.bad("[x]\nmachine = pc\ndevices = rng\nblk.addr = 5\n", r":4: .*blk is not in devices")
        self.bad("[x]\nmachine = pc\ndevices = rng floppy\n", r":3: .*unknown device type 'floppy'")
        self.bad("[x]\nmachine = pc\nbackend = none\n", r":3: .*unknown key 'backend'")
        self.bad("[x]\nwhy = no machine\n", r":1: \[x\]: no machine")
        self.bad("[x]\nmachine = virt\n", r":2: .*unknown machine type 'virt'")
        self.bad("[x]\nmachine = pc\nprofile = fast\n", r":3: .*profile 'fast'")

    def test_unknown_buses(self):
        self.bad("[x]\nmachine = q35\nbus = pcie-bridge\n", r":3: \[x\]: unknown bus 'pcie-bridge'")
        self.bad("[x]\nmachine = pc\nbus = pcie-root-port\n", r":3: .*pcie-root-port cannot sit on pc")
        self.bad("[x]\nmachine = q35\nbus = pcie-root-port/x3130-upstream\n", r"x3130-upstream's bus holds no devices")
        self.bad("[x]\nmachine = q35\nbus = xio3130-downstream\n", r"cannot sit on q35")

    def test_bad_addresses(self):
        self.bad("[x]\nmachine = pc\nrng.addr = five\n", r":3: .*address 'five' is not slot\[\.function\]")
        self.bad("[x]\nmachine = pc\nrng.addr = 5.8\n", r":3: .*address '5.8'")
        self.bad("[x]\nmachine = pc\nrng.addr = 1\n", r":3: .*slot 0x1 is not free on pc's bus")
        self.bad("[x]\nmachine = q35\nbus = pcie-root-port\nrng.addr = 1\n", r"not free on pcie-root-port's bus")
        self.bad("[x]\nmachine = pc\nrng.addr = 5.1\n", r":3: .*needs a device at 5.0 with multifunction=on")
        self.bad("[x]\nmachine = pc\nrng.addr = 5\nblk.addr = 5.1\n", r":4: .*needs a device at 5.0")
        self.bad("[x]\nmachine = pc\nrng.addr = 5\nblk.addr = 5.0\n", r"both at 5.0")
        self.bad("[x]\nmachine = pc\naddr = 5\n", r"unknown key 'addr'")

    def test_bad_values(self):
        self.bad("[x]\nmachine = pc\nprops = multifunction\n", r":3: .*'multifunction' is not name=value")
        self.bad("[x]\nmachine = pc\nblk.props = drive=x\n", r":3: .*drive is the runner's")
        self.bad("[x]\nmachine = pc\nprops = disable-legacy=yes\n", r"disable-legacy=yes: want on, off or auto")
        self.bad("[x]\nmachine = pc\nvariant = modern\n", r"variant 'modern'")
        self.bad("[x]\nmachine = pc\ninput.variant = transitional\n", r":3: .*input has no transitional model")
        self.bad("[x]\nmachine = pc\nnet.backend = tap\n", r":3: .*net backend 'tap' is not one of loopback")
        self.bad("[x]\nmachine = pc\nblk.expect = maybe\n", r"expect 'maybe'")
        self.bad("[x y]\nmachine = pc\n", r":1: \[x y\]: a configuration name is")
        self.bad("[a/b]\nmachine = pc\n", r"a configuration name is")

    def test_duplicates_and_syntax(self):
        self.bad("[x]\nmachine = pc\n\n[x]\nmachine = q35\n", r"user\.cfg:4: configuration \[x\] is defined twice")
        self.bad("[x]\nmachine = pc\nmachine = q35\n", r":3: \[x\]: machine is given twice")
        self.bad("machine = pc\n", r":1: 'machine = pc' comes before the first \[name\] line")
        self.bad("[x]\nmachine = pc\njust words\n", r":3: cannot read 'just words'")
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.cfg"), os.path.join(d, "b.cfg")
            for p in (a, b):
                with open(p, "w") as fh:
                    fh.write("\n[same]\nmachine = pc\n")
            with self.assertRaisesRegex(configs.ConfigError, r"b\.cfg:2: configuration \[same\] is already "
                                                             r"defined at .*a\.cfg:2"):
                configs.load([a, b])
            with self.assertRaisesRegex(configs.ConfigError, r"b\.cfg:2: .*\[pc\] is already defined at "
                                                             r".*default\.cfg:\d+"):
                with open(b, "w") as fh:
                    fh.write("\n[pc]\nmachine = pc\n")
                configs.load([configs.DEFAULT_FILE, b])

    def test_files(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(configs.ConfigError, r"missing\.cfg: no such file"):
                configs.load([os.path.join(d, "missing.cfg")])
            with self.assertRaisesRegex(configs.ConfigError, r": is a directory"):
                configs.load([d])
            empty = os.path.join(d, "empty.cfg")
            with open(empty, "w") as fh:
                fh.write("# nothing yet\n")
            with self.assertRaisesRegex(configs.ConfigError, r"empty\.cfg: no configurations"):
                configs.load([empty])
            latin = os.path.join(d, "latin.cfg")
            with open(latin, "wb") as fh:
                fh.write(b"[x]\nmachine = pc\nwhy = caf\xe9\n")
            with self.assertRaisesRegex(configs.ConfigError, r"latin\.cfg:3: not UTF-8 text \(byte 0xe9\)"):
                configs.load([latin])

    def test_vconform_run_exits_2_with_the_message(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.cfg")
            with open(bad, "w") as fh:
                fh.write("[mine]\nmachine = q35\nbus = pcie-root-port\nrng.addr = 7\n")
            for path, want in ((bad, "bad.cfg:4: [mine]: slot 0x7 is not free"), (os.path.join(d, "no.cfg"),
                               "no.cfg: no such file"), (d, "is a directory")):
                p = subprocess.run([sys.executable, RUN, "--configs", path, "--list"], capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(want, p.stderr)
                self.assertNotIn("Traceback", p.stderr)
            ok = os.path.join(d, "ok.cfg")
            with open(ok, "w") as fh:
                fh.write("[mine]\nmachine = q35\nbus = pcie-pci-bridge\ndevices = rng\n")
            p = subprocess.run([sys.executable, RUN, "--configs", ok, "--config", "mine", "--list"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout, r"^mine/rng +expect transitional")


class Specs(unittest.TestCase):
    def test_conventional_bus_rules(self):
        mode = lambda *a: specs.expected_mode(*a)[0]  # noqa: E731
        self.assertEqual(mode("blk", "q35", "conventional"), "transitional")
        self.assertEqual(mode("blk", "pc", "conventional"), "transitional")
        self.assertEqual(mode("blk", "pc-i440fx-2.6", "conventional"), "legacy")
        self.assertEqual(mode("input", "pc-i440fx-2.6", "conventional"), "modern")
        self.assertEqual(mode("blk", "q35", "conventional", "auto", "on"), "legacy")
        self.assertEqual(mode("blk", "q35", "conventional", "on", "on"), "refused")

    def test_bus_table(self):
        from vcharness import topology
        for m, b in topology.models().items():
            self.assertIn(b.bus, specs.BUSES + ("switch",), m)
            for parent in b.on:
                self.assertIn(parent, topology.models(), m)


if __name__ == "__main__":
    unittest.main()
