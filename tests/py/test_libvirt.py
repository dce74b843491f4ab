"""The libvirt path without libvirt: reading users' domain XMLs, the XML
vconform boots instead (nothing of the host reachable, the user's tree
untouched), placement and expected modes from libvirt's XML (recorded
from real runs in data/libvirt/), verdicts by alias, --compare, the
cleanup sweep, and bad input on the command line."""
import copy
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import (configs, libvirt_boot, libvirt_compare, libvirt_daemon, libvirt_place,  # noqa: E402
                       libvirt_run, libvirt_xml, parse)
from test_runner import encode  # noqa: E402

EXAMPLES = os.path.join(ROOT, "harness", "libvirt", "examples")
DATA = os.path.join(HERE, "data", "libvirt")
RUN = os.path.join(ROOT, "harness", "vconform-run")
NAMES = ("i440fx", "q35", "q35-transitional", "win11")


def example(name):
    return libvirt_xml.read(os.path.join(EXAMPLES, name + ".xml"))


def live(name):
    with open(os.path.join(DATA, name + ".live.xml"), "rb") as fh:
        return libvirt_place.place(libvirt_xml.parse(fh.read()))


def rewrite(root, files="/F"):
    ports = itertools.count(40000)
    g = libvirt_boot.Guest("/F/kernel", "/F/initrd", "/usr/bin/qemu-system-x86_64", files, "/qboot.rom")
    return libvirt_boot.rewrite(root, "vc-test", g, lambda: next(ports))


def domain_xml(devices, machine="q35", extra=""):
    return (f"<domain type='kvm'><name>t</name><os><type arch='x86_64' machine='{machine}'>hvm</type></os>"
            f"{extra}<devices>{devices}</devices></domain>").encode()


class Reading(unittest.TestCase):
    def bad(self, data, want):
        with self.assertRaises(libvirt_xml.DomainError) as cm:
            libvirt_xml.parse(data, "u.xml")
        self.assertIn(want, str(cm.exception))

    def test_examples_read(self):
        for n in NAMES:
            self.assertEqual(example(n).tag, "domain")

    def test_malformed_xml_names_line_and_column(self):
        self.bad(b"<domain>\n<name>x</name>\n<devices>", "u.xml:3:")
        self.bad(b"<domain><name>x</nam></domain>", "malformed XML: mismatched tag")

    def test_no_dtd_or_entities(self):
        self.bad(b'<!DOCTYPE d [<!ENTITY a "b">]><domain/>', "DOCTYPE or ENTITY")

    def test_shape(self):
        self.bad(b"<config/>", "the root element is 'config', not 'domain'")
        self.bad(b"<domain><devices/></domain>", "no <os><type>")
        self.bad(domain_xml("").replace(b"x86_64", b"aarch64"), "arch 'aarch64'")
        self.bad(b"<domain><os><type>hvm</type></os></domain>", "no <devices>")
        self.bad(b"<domain>" + b" " * libvirt_xml.MAX_BYTES + b"</domain>", "KiB")

    def test_unknown_virtio_models(self):
        self.bad(domain_xml("<rng model='virtio-foo'><backend model='random'/></rng>"),
                 "<rng> has the unknown model 'virtio-foo'")
        self.bad(domain_xml("<interface type='network'><model type='virtio-nett'/></interface>"), "virtio-nett")
        self.bad(domain_xml("<controller type='scsi' model='virtio-scsi-pci'/>"), "virtio-scsi-pci")
        # models that are not virtio ones go to libvirt, which judges them
        libvirt_xml.parse(domain_xml("<interface type='network'><model type='e1000e'/></interface>"))


class Rewriting(unittest.TestCase):
    def test_the_users_tree_is_not_changed(self):
        for n in NAMES:
            root = example(n)
            before = ET.tostring(root)
            rewrite(root)
            self.assertEqual(ET.tostring(root), before, n)

    def test_machine_controllers_addresses_and_virtio_devices_kept(self):
        for n in NAMES:
            user = example(n)
            boot = rewrite(user).root
            self.assertEqual(boot.find("os/type").get("machine"), user.find("os/type").get("machine"))
            pci = [a.attrib for a in user.iter("address") if a.get("type") == "pci"]
            self.assertEqual(pci, [a.attrib for a in boot.iter("address") if a.get("type") == "pci"], n)
            self.assertEqual([ET.tostring(c) for c in user.iterfind("devices/controller")],
                             [ET.tostring(c) for c in boot.iterfind("devices/controller")], n)
            kinds = [libvirt_place.classify(el) for el in user.find("devices")]
            self.assertEqual([k for k in kinds if k], [k for k in map(libvirt_place.classify, boot.find("devices"))
                                                       if k], n)

    def test_nothing_of_the_host_is_reachable(self):
        for n in NAMES:
            b = rewrite(example(n), files="/F/1")
            root = b.root
            for nic in root.iterfind("devices/interface"):
                src = nic.find("source")
                self.assertEqual(nic.get("type"), "udp")
                self.assertEqual((src.get("address"), src.find("local").get("address")), ("127.0.0.1", "127.0.0.1"))
                self.assertEqual(src.get("port"), src.find("local").get("port"))   # to itself
            for el in root.iter():
                for k in ("file", "path", "dir"):
                    if el.tag == "source" and el.get(k):
                        self.assertTrue(el.get(k).startswith("/F/1/"), (n, el.attrib))
            for tag in ("graphics", "tpm", "redirdev", "hostdev", "audio", "smartcard", "vsock"):
                self.assertIsNone(root.find(f"devices/{tag}"), (n, tag))
            self.assertEqual([el.tag for el in root.find("os")], ["type", "loader", "kernel", "initrd", "cmdline"])
            self.assertEqual(root.find("os/loader").get("type"), "rom")
            args = [a.get("value") for a in root.iter(f"{{{libvirt_xml.QEMU_NS}}}arg")]
            self.assertEqual(args[-1], "isa-debugcon,iobase=0xe9,chardev=vcresults")
            self.assertIn("path=/F/1/probe.jsonl", args[1])
            self.assertEqual(root.find("on_poweroff").text, "destroy")
            self.assertEqual(len(b.disks), sum(1 for d in example(n).iterfind("devices/disk")
                                               if d.get("device", "disk") == "disk"))

    def test_disks_keep_bus_and_model_and_get_the_probes_serial(self):
        b = rewrite(example("q35-transitional"))
        disks = {d.find("target").get("dev"): d for d in b.root.iterfind("devices/disk")}
        self.assertEqual(disks["vda"].get("model"), "virtio-transitional")
        self.assertEqual(disks["vda"].find("serial").text, "vconform-blk")
        self.assertEqual(disks["sda"].find("target").get("bus"), "scsi")
        self.assertEqual(disks["vda"].find("driver").attrib, {"name": "qemu", "type": "raw"})
        win = rewrite(example("win11")).root
        cdrom = [d for d in win.iterfind("devices/disk") if d.get("device") == "cdrom"][0]
        self.assertIsNone(cdrom.find("source"))   # an empty drive, not the user's ISO
        self.assertEqual(win.find("devices/disk/boot").get("order"), "1")

    def test_a_scsi_cdrom_becomes_a_disk_the_probe_can_read(self):
        b = rewrite(libvirt_xml.parse(domain_xml(
            "<controller type='scsi' model='virtio-scsi'/><disk type='file' device='cdrom'>"
            "<source file='/x.iso'/><target dev='sda' bus='scsi'/><readonly/></disk>")))
        d = b.root.find("devices/disk")
        self.assertEqual((d.get("device"), d.find("source").get("file")), ("disk", "/F/disk1.img"))
        self.assertIn("cdrom sda on SCSI", " ".join(b.notes))

    def test_serial_ports_and_channels(self):
        user = libvirt_xml.parse(domain_xml(
            "<serial type='pty'><target port='0'/></serial>"
            "<console type='pty'><target type='serial' port='0'/></console>"
            "<console type='pty'><target type='virtio' port='1'/></console>"
            "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>"
            "<channel type='tcp'><target type='guestfwd' address='10.0.2.1' port='4600'/></channel>"))
        b = rewrite(user)
        serials = b.root.findall("devices/serial")
        self.assertEqual(len(serials), 1)      # ours: ttyS0, the kernel's console
        self.assertEqual(serials[0].find("source").get("path"), "/F/console.log")
        self.assertEqual([c.find("target").get("type") for c in b.root.findall("devices/console")], ["virtio"])
        self.assertEqual([c.get("type") for c in b.root.findall("devices/channel")], ["file"])
        self.assertTrue(any("guestfwd" in n for n in b.notes), b.notes)

    def test_features_and_notes(self):
        b = rewrite(libvirt_xml.parse(domain_xml("", extra="<features><hyperv/><ioapic driver='kvm'/></features>"
                                                 "<cpu mode='host-passthrough'/><memoryBacking><hugepages/>"
                                                 "</memoryBacking>")))
        self.assertEqual([f.tag for f in b.root.find("features")], ["acpi", "ioapic"])
        self.assertEqual(b.root.find("features/ioapic").get("driver"), "qemu")
        text = " ".join(b.notes)
        for word in ("ACPI added", "hyperv", "cpu", "memoryBacking"):
            self.assertIn(word, text)

    def test_probe_command_line(self):
        p = live("i440fx-guest")
        line = libvirt_boot.probe_cmdline(p, 1500)
        self.assertTrue(line.startswith("console=ttyS0 "))
        self.assertIn("vconform.args=--json,ioport:0xe9,--blk-pattern,--blk-serial,vconform-blk,--net-loopback,"
                      "--console-ports,1,--timeout-ms,1500", line)


class Placement(unittest.TestCase):
    def by_alias(self, name):
        return {d.alias: d for d in live(name).devices}

    def test_i440fx_everything_on_the_root_bus_transitional(self):
        devs = self.by_alias("i440fx-guest")
        self.assertEqual(sorted(devs), ["balloon0", "input0", "input1", "net0", "rng0", "scsi0", "virtio-disk0",
                                        "virtio-serial0"])
        self.assertEqual({d.slot_path for d in devs.values()} & {"02.0", "05.0"}, {"02.0", "05.0"})
        for a, d in devs.items():
            self.assertEqual(d.bus.kind, "root")
            self.assertEqual(d.expected, "modern" if d.type == "input" else "transitional", a)

    def test_q35_default_placement_is_behind_root_ports_modern(self):
        devs = self.by_alias("q35-guest")
        for a, d in devs.items():
            self.assertEqual((d.bus.qemu, d.expected), ("pcie-root-port", "modern"), a)
            self.assertRegex(d.slot_path, r"^0[12]\.[0-7]/00\.0$")
        self.assertEqual(devs["virtio-serial0"].ports, ["/tmp/vconform-libvirt-test/files/3/channel3.out"])

    def test_q35_transitional_models_behind_the_pcie_to_pci_bridge(self):
        devs = self.by_alias("q35-transitional")
        for a, d in devs.items():
            if d.type == "input":
                self.assertEqual((d.bus.kind, d.expected, d.variant), ("port", "modern", ""), a)
            else:
                self.assertEqual((d.bus.qemu, d.bus.kind, d.variant, d.expected),
                                 ("pcie-pci-bridge", "conventional", "transitional", "transitional"), a)
                self.assertRegex(d.slot_path, r"^01\.0/00\.0/0[1-6]\.0$")
            self.assertEqual(d.findings, [])

    def test_windows_like_guest(self):
        devs = self.by_alias("win11")
        self.assertEqual(devs["scsi0"].type, "scsi")
        self.assertNotIn("virtio-disk0", devs)   # its system disk is on virtio-scsi
        self.assertEqual({d.expected for d in devs.values()}, {"modern"})

    def test_transitional_on_a_port_is_a_finding(self):
        root = libvirt_xml.parse(domain_xml(
            "<controller type='pci' index='0' model='pcie-root'/>"
            "<controller type='pci' index='1' model='pcie-root-port'><model name='pcie-root-port'/>"
            "<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/></controller>"
            "<rng model='virtio-transitional'><backend model='random'/><alias name='rng0'/>"
            "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></rng>", "pc-q35-7.2"))
        d = libvirt_place.place(root).devices[0]
        self.assertEqual((d.expected, d.slot_path, d.bus.kind), ("transitional", "02.0/00.0", "port"))
        self.assertEqual(len(d.findings), 1)
        self.assertIn("rng0 asks for virtio-transitional but sits on pci.1 (pcie-root-port)", d.findings[0])

    def test_unreadable_placements(self):
        def bad(devices, want):
            with self.assertRaises(libvirt_place.PlaceError) as cm:
                libvirt_place.place(libvirt_xml.parse(domain_xml(devices, "pc-q35-7.2")))
            self.assertIn(want, str(cm.exception))
        rng = "<rng model='virtio'><address type='pci' domain='0x0000' bus='0x03' slot='0x00'/></rng>"
        bad("<controller type='pci' index='0' model='pcie-root'/>" + rng, "no PCI controller has index 3")
        bad("<controller type='pci' index='0' model='pcie-root'/><controller type='pci' index='3' "
            "model='pcie-expander-bus'><address type='pci' bus='0' slot='4'/></controller>" + rng,
            "does not support it")
        bad("<controller type='pci' index='0' model='pcie-root'/><controller type='pci' index='3' "
            "model='pcie-root-port'><address type='pci' bus='3' slot='4'/></controller>" + rng,
            "no PCI address on another bus")

    def test_controller_table_agrees_with_specs(self):
        for row in libvirt_place._controllers().values():
            known = row["qemu"] in __import__("vcharness.topology").topology.models()
            self.assertEqual(row["bus"] == "-", known, row)


class Verdicts(unittest.TestCase):
    def out(self, mode="modern", slot="01.6/00.0", extra=()):
        recs = [{"v": 1, "type": "start", "probe": "x", "args": [], "kernel": "k"},
                {"v": 1, "type": "device", "addr": "0000:04:00.0", "slot_path": slot, "dev_type": "rng",
                 "mode": mode, "device": "0x1044", "revision": "0x01"},
                {"v": 1, "type": "check", "addr": "0000:04:00.0", "driver": "modern", "id": "rng.read",
                 "reqs": [], "verdict": "pass"}] + list(extra)
        return parse.parse(encode(recs))

    def result(self, out):
        d = libvirt_run.Domain("q35.xml", None, "q35-guest", 1, "q35-guest")
        p = live("q35-guest")
        rng = next(x for x in p.devices if x.alias == "rng0")
        return libvirt_run.result(d, rng, {"status": "ok"}, out, p, ())

    def test_by_alias_with_the_placement(self):
        r = self.result(self.out())
        self.assertEqual((r["cell"], r["device"], r["verdict"]), ("q35-guest/rng0", "rng0", "conforms"))
        self.assertEqual(r["libvirt"]["on"], "pci.7 (pcie-root-port)")
        self.assertEqual((r["libvirt"]["pci_id"], r["libvirt"]["guest_address"]), ("0x1044", "0000:04:00.0"))

    def test_a_wrong_mode_violates(self):
        r = self.result(self.out(mode="transitional"))
        self.assertEqual(r["verdict"], "violates")
        self.assertIn("expected modern", r["reason"])

    def test_a_device_libvirt_did_not_place_keeps_it_from_conforming(self):
        forged = {"v": 1, "type": "device", "addr": "0000:00:1e.0", "slot_path": "1e.0", "dev_type": "rng",
                  "mode": "modern"}
        r = self.result(self.out(extra=[forged]))
        self.assertEqual(r["verdict"], "probe-error")
        self.assertIn("did not configure", r["reason"])


class Compare(unittest.TestCase):
    def test_i440fx_to_q35(self):
        rows = libvirt_compare.placements(live("i440fx-guest"), live("q35-guest"))
        changed = {r.name: r for r in rows if r.id_changes}
        self.assertEqual(sorted(changed), ["controller scsi 0", "controller virtio-serial 0", "disk vda",
                                           "interface 52:54:00:00:00:01", "memballoon #0", "rng #0"])
        self.assertEqual(changed["disk vda"].old[:2], ("transitional", "0x1001"))
        self.assertEqual(changed["disk vda"].new[:2], ("modern", "0x1042"))
        self.assertEqual({n for n, r in changed.items() if r.warning}, {"disk vda", "controller scsi 0"})
        text = "\n".join(libvirt_compare.render(rows, "old", "new"))
        self.assertIn("6 of 8 devices in both change their PCI device ID; 2 of them disk controllers: "
                      "this guest's boot disk driver will not match.", text)

    def test_q35_default_to_transitional_models(self):
        rows = libvirt_compare.placements(live("q35-guest"), live("q35-transitional"))
        self.assertEqual(sum(r.id_changes for r in rows), 6)
        self.assertFalse(any(r.id_changes for r in rows if r.type == "input"))

    def test_configurations_files(self):
        with tempfile.TemporaryDirectory() as d:
            for n, text in (("a", "[x]\nmachine = pc\ndevices = blk rng\n"),
                            ("b", "[x]\nmachine = q35\nbus = pcie-root-port\ndevices = blk input\n")):
                with open(os.path.join(d, n + ".cfg"), "w") as fh:
                    fh.write(text)
            rows = libvirt_compare.config_sets(configs.load([os.path.join(d, "a.cfg")]),
                                               configs.load([os.path.join(d, "b.cfg")]))
        by = {r.name: r for r in rows}
        self.assertEqual((by["x/blk"].old[:2], by["x/blk"].new[:2]), (("transitional", "0x1001"), ("modern", "0x1042")))
        self.assertEqual(by["x/blk"].warning, libvirt_compare.BOOT_WARNING)
        self.assertIsNone(by["x/rng"].new)
        self.assertIsNone(by["x/input"].old)


class Cleanup(unittest.TestCase):
    def test_every_process_naming_the_folder_is_killed(self):
        with tempfile.TemporaryDirectory(prefix="vc-lv-") as d:
            env = dict(os.environ, VC_MARK=d)   # found by its environment, as libvirtd
            ps = [subprocess.Popen(["sleep", "60"], env=env, start_new_session=True),
                  subprocess.Popen(["sh", "-c", f"sleep 60; : {d}"], start_new_session=True)]
            other = subprocess.Popen(["sleep", "60"], start_new_session=True)
            try:
                time.sleep(0.2)
                self.assertEqual(sorted(libvirt_daemon.users(d, os.getuid())), sorted(p.pid for p in ps))
                self.assertEqual(libvirt_daemon.kill_users(d, os.getuid()), [])
                for p in ps:
                    self.assertEqual(p.wait(5), -signal.SIGKILL)
                self.assertIsNone(other.poll())
            finally:
                for p in ps + [other]:
                    p.kill()
                    p.wait()

    def test_private_files_are_read_without_following_links(self):
        with tempfile.TemporaryDirectory() as d:
            secret = os.path.join(d, "secret")
            with open(secret, "w") as fh:
                fh.write("x")
            os.symlink(secret, os.path.join(d, "link"))
            os.mkfifo(os.path.join(d, "fifo"))
            self.assertEqual(libvirt_daemon.read_private(secret, 10), b"x")
            self.assertEqual(libvirt_daemon.read_private(os.path.join(d, "link"), 10), b"")
            self.assertEqual(libvirt_daemon.read_private(os.path.join(d, "fifo"), 10), b"")


class CommandLine(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, RUN, *args], capture_output=True, text=True, timeout=60)

    def test_bad_domain_xml_is_exit_2_without_a_traceback(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.xml")
            with open(bad, "w") as fh:
                fh.write("<domain><name>x</name>")
            for args in (["--libvirt", bad], ["--libvirt", d], ["--libvirt", os.path.join(d, "none.xml")],
                         ["--compare", bad, os.path.join(EXAMPLES, "q35.xml")]):
                p = self.run_cli(*args, "--results", d)
                self.assertEqual(p.returncode, 2, (args, p.stderr))
                self.assertNotIn("Traceback", p.stderr)
                self.assertTrue(p.stderr.startswith("vconform-run: "), p.stderr)
            self.assertEqual(sorted(os.listdir(d)), ["bad.xml"])   # no run folder

    def test_compare_needs_two_files_of_one_kind(self):
        p = self.run_cli("--compare", os.path.join(EXAMPLES, "q35.xml"),
                         os.path.join(ROOT, "harness", "configs", "default.cfg"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("two domain XMLs or two configurations files", p.stderr)
        p = self.run_cli("--libvirt", "a.xml", "--compare", "a", "b")
        self.assertEqual(p.returncode, 2)

    def test_compare_configurations_files(self):
        cfg = os.path.join(ROOT, "harness", "configs", "default.cfg")
        p = self.run_cli("--compare", cfg, cfg)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertIn("0 of 140 devices in both change their PCI device ID.", p.stdout)


if __name__ == "__main__":
    unittest.main()
