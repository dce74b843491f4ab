"""+vhost configurations: what the file expresses, the QEMU command line and
the back-ends a VM gets, the back-end's record read as untrusted input,
the checks and verdicts it adds to a cell, and back-ends that crash or
hang (fake ones: no VM needed)."""
import json
import os
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import configs, matrix, parse, procs, report_cert, report_safe, vhost  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tools"))
import coverage  # noqa: E402

VHOST_CFG = os.path.join(ROOT, "harness", "configs", "vhost.cfg")


def load_text(text):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "v.cfg")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(text))
        return configs.load([path])


def write_log(d, records, raw=b""):
    path = os.path.join(d, "vhost1.jsonl")
    with open(path, "wb") as fh:
        for r in records:
            fh.write(json.dumps({"v": 1, "ms": 0, **r}).encode() + b"\n")
        fh.write(raw)
    return path


START = {"type": "start", "tool": "vconform-vhost-dev 1", "device": "blk", "args": []}
END = {"type": "end", "reason": "the front-end closed the connection", "sessions": 1, "faults": 0,
       "faults_unlogged": 0}
SESSION = {"type": "session", "session": 1, "features": "0x130006e44", "unoffered": "0x0", "mode": "modern"}


class Configs(unittest.TestCase):
    def test_vhost_file_loads_and_stays_out_of_shared_vms(self):
        cs = configs.load([VHOST_CFG])
        self.assertTrue(all(c.vhost for c in cs))
        self.assertFalse(any(c.shareable for c in cs))
        self.assertIn("i440fx-2.6+vhost", [c.name for c in cs])

    def test_default_devices_are_the_types_with_a_front_end(self):
        c = load_text("""
            [v]
            machine = q35
            vhost = on
            """)[0]
        self.assertEqual(c.devices, ["net", "blk", "rng", "scsi", "input"])

    def test_planted_driver_fault(self):
        c = configs.load([os.path.join(ROOT, "harness", "configs", "examples", "vhost-planted.cfg")])[0]
        self.assertEqual(c.drv_fault, "avail-jump")
        self.assertFalse(c.shareable)
        cmd = matrix.vm_command("qemu", c, c.devices, "K", "I", "D", "/w")
        self.assertIn("--drv-fault,avail-jump", cmd[cmd.index("-append") + 1])
        with self.assertRaises(configs.ConfigError):
            load_text("[v]\nmachine = pc\nprofile = kdrv\ndrv_fault = avail-jump\n")

    def test_mistakes(self):
        for text, words in (("[v]\nmachine = pc\nvhost = on\ndevices = console\n", "no vhost-user front-end"),
                            ("[v]\nmachine = pc\nvhost = on\ndevices = scsi\nscsi.backend = none\n",
                             "vconform-vhost-dev"),
                            ("[v]\nmachine = pc\nvhost = yes\n", "want on, off, provoke or offload"),
                            ("[v]\nmachine = pc\nvhost = on\ndevices = rng\nrng.variant = transitional\n",
                             "has no transitional model")):
            with self.assertRaises(configs.ConfigError) as e:
                load_text(text)
            self.assertIn(words, str(e.exception))


class CommandLine(unittest.TestCase):
    def test_shared_memory_sockets_and_front_ends(self):
        c = load_text("""
            [v]
            machine = q35
            bus = pcie-root-port
            profile = kdrv
            vhost = on
            net.props = vectors=0
            """)[0]
        cmd = matrix.vm_command("qemu", c, c.devices, "K", "I", "D", "/w", sockdir="/s")
        self.assertEqual(cmd[cmd.index("-machine") + 1], "q35,memory-backend=mem")
        self.assertIn("memory-backend-memfd,id=mem,size=256M,share=on", cmd)
        devs = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-device"]
        self.assertTrue(any(d.startswith("vhost-user-blk-pci,") and "chardev=vu2" in d for d in devs))
        self.assertTrue(any(d.startswith("virtio-net-pci,") and "netdev=net1" in d and "vectors=0" in d for d in devs))
        self.assertEqual(sum(d.startswith("vhost-user-input-pci") for d in devs), 1)  # no mouse or tablet
        self.assertNotIn("-drive", cmd)
        self.assertIn("vhost-user,id=net1,chardev=vu1", cmd)
        self.assertIn("socket,id=vu2,path=/s/vu2.sock", cmd)
        backends = matrix.vhost_backends([(c, c.devices)], "/b/vconform-vhost-dev", "/g/disk.img", "/w", "/s")
        self.assertEqual([(b.index, b.device, b.sock) for b in backends],
                         [(i + 1, d, f"/s/vu{i + 1}.sock") for i, d in enumerate(c.devices)])
        blk = backends[1].cmd
        self.assertEqual(blk[blk.index("--image") + 1], "/g/disk.img")
        self.assertEqual(blk[blk.index("--serial") + 1], matrix.BLK_SERIAL)

    def test_expected_modes(self):
        c = {x.name: x for x in configs.load([VHOST_CFG])}
        mode, why = matrix.expected(c["i440fx-2.6+vhost"], "rng")
        self.assertEqual(mode, "modern")
        self.assertIn("vhost-user-rng-pci", why)
        self.assertEqual(matrix.expected(c["i440fx-2.6+vhost"], "blk")[0], "legacy")
        self.assertEqual(matrix.expected(c["pc-modern-off+vhost"], "scsi")[0], "legacy")
        self.assertEqual(matrix.expected(c["q35-port+vhost"], "net")[0], "modern")

    def test_what_the_guest_was_offered_reaches_the_back_end(self):
        c = {x.name: x for x in configs.load([VHOST_CFG])}

        def args(name, device):
            cfg = c[name]
            return [b.cmd for b in matrix.vhost_backends([(cfg, cfg.devices)], "B", "D", "/w")
                    if b.device == device][0]
        self.assertIn("--read-only", args("pc-modern-off+vhost", "blk"))      # blk.backend = disk-ro
        self.assertNotIn("--read-only", args("i440fx-2.7+vhost", "blk"))
        self.assertIn("--offers-mtu", args("q35-port+vhost-noevidx", "net"))  # host_mtu=1500
        self.assertNotIn("--offers-mtu", args("q35-port+vhost", "net"))
        self.assertIn("--provoke", args("q35-port+vhost", "rng"))             # vhost = provoke
        self.assertNotIn("--provoke", args("q35-port+vhost-noevidx", "rng"))
        self.assertIn("--offers-offload", args("i440fx-2.7+vhost", "net"))      # vhost = offload
        self.assertNotIn("--offers-offload", args("i440fx-2.7+vhost", "blk"))
        self.assertNotIn("--offers-offload", args("q35-port+vhost", "net"))
        self.assertTrue(c["q35-port+vhost"].vhost)

    def test_non_vhost_configurations_unchanged(self):
        c = configs.default()[0]
        self.assertEqual(matrix.vhost_backends([(c, c.devices)], "B", "D", "/w"), [])
        cmd = matrix.vm_command("qemu", c, c.devices, "K", "I", "D", "/w")
        self.assertNotIn("memory-backend", " ".join(cmd))


class Record(unittest.TestCase):
    def test_hostile_lines_are_dropped_and_said(self):
        with tempfile.TemporaryDirectory() as d:
            bad = [b"not json", b'{"v":1,"type":"fault","side":"driver","session":1,"code":"X","req":"evil",'
                   b'"queue":0,"detail":"d"}', b'{"v":1,"type":"rules","session":1,"mode":"modern","chains":1,'
                   b'"rules":{"drv.vq.1":[1,NaN]}}', b"x" * 9000, b'{"v":2,"type":"end"}',
                   b'{"v":1,"type":"session","session":1,"features":"0xzz","mode":"modern"}']
            log = vhost.read_log(write_log(d, [START, SESSION, END], b"\n".join(bad) + b"\n"))
            self.assertEqual(len(log.sessions), 1)
            self.assertEqual(log.faults, [])
            self.assertEqual(log.rules, [])
            self.assertEqual(len(log.problems), len(bad))
            self.assertIsNotNone(log.end)

    def test_missing_record_and_missing_end(self):
        log = vhost.read_log("/nonexistent/vhost1.jsonl")
        self.assertTrue(log.problems)
        with tempfile.TemporaryDirectory() as d:
            log = vhost.read_log(write_log(d, [START, SESSION]))
            self.assertIn("no end record", log.problems[-1])


class Checks(unittest.TestCase):
    def checks(self, records, profile="kdrv"):
        with tempfile.TemporaryDirectory() as d:
            return vhost.checks(vhost.read_log(write_log(d, records)), "0000:00:03.0", profile)

    def test_kept_and_broken_rules(self):
        fault = {"type": "fault", "side": "driver", "session": 1, "code": "VC_E_AVAIL_IDX_JUMP",
                 "req": "drv.vq_avail.1", "queue": 0, "detail": "available index moved"}
        rec = {"type": "rules", "session": 1, "mode": "modern", "chains": 3,
               "rules": {"drv.vq_desc.1": [3, 0], "drv.vq_avail.1": [1, 1], "dev.vq_used.2": [3, 0]}}
        cs = {c["id"]: c for c in self.checks([START, SESSION, fault, rec, END])}
        self.assertEqual(cs["vhost.rule.drv.vq_desc.1"]["verdict"], "pass")
        self.assertEqual(cs["vhost.rule.drv.vq_desc.1"]["driver"], "kernel")
        bad = cs["vhost.rule.drv.vq_avail.1"]
        self.assertEqual((bad["verdict"], bad["reqs"]), ("fail", ["drv.vq_avail.1"]))
        self.assertIn("VC_E_AVAIL_IDX_JUMP", bad["detail"])
        self.assertNotIn("vhost.rule.dev.vq_used.2", cs)  # only the driver's rules are judged here
        self.assertEqual(cs["vhost.session"]["verdict"], "info")

    def test_probe_personalities_are_judged_apart(self):
        legacy = dict(SESSION, session=2, mode="legacy", features="0x30000000")
        r1 = {"type": "rules", "session": 1, "mode": "modern", "chains": 1, "rules": {"drv.vq.1": [1, 0]}}
        r2 = {"type": "rules", "session": 2, "mode": "legacy", "chains": 1, "rules": {"drv.vq.1": [1, 0]}}
        drivers = {c["driver"] for c in self.checks([START, SESSION, r1, legacy, r2, END], profile="probe")
                   if c["id"] == "vhost.rule.drv.vq.1"}
        self.assertEqual(drivers, {"modern", "legacy"})

    def test_front_end_and_device_faults(self):
        fe = {"type": "fault", "side": "front-end", "session": 0, "code": "STATUS_ORDER", "req": "", "queue": -1,
              "detail": "status 0x8"}
        dev = {"type": "fault", "side": "device", "session": 1, "code": "VC_E_USED_LEN", "req": "dev.vq_used.2",
               "queue": 0, "detail": "d"}
        cs = {c["id"]: c for c in self.checks([START, SESSION, fe, dev, END])}
        self.assertEqual((cs["vhost.front-end.STATUS_ORDER"]["verdict"], cs["vhost.front-end.STATUS_ORDER"]["reqs"]),
                         ("fail", []))
        self.assertEqual(cs["vhost.device.VC_E_USED_LEN"]["verdict"], "error")

    def test_every_check_passes_the_probe_record_rules(self):
        fault = {"type": "fault", "side": "driver", "session": 1, "code": "X", "req": "drv.vq.1", "queue": 0,
                 "detail": "\x00\u202e"}
        for c in self.checks([START, SESSION, fault, END]):
            rec = {"v": 1, "type": "check", **c}
            self.assertIsNotNone(parse._record(json.dumps(rec).encode())[0], c)


class Verdicts(unittest.TestCase):
    def cell(self, backend, records):
        cfg = load_text("[v]\nmachine = pc\nprofile = kdrv\nvhost = on\ndevices = blk\n")[0]
        c = matrix.cells([cfg])[0]
        with tempfile.TemporaryDirectory() as d:
            path = write_log(d, records)
            vm = {"status": "ok", "backends": {1: dict(backend, log=path)}}
            out = parse.parse(b"\n".join(json.dumps(r).encode() for r in (
                {"v": 1, "type": "start", "probe": "p", "kernel": "6.1.0-57-cloud-amd64"},
                {"v": 1, "type": "device", "addr": "0000:00:02.0", "dev_type": "blk", "mode": "transitional",
                 "slot_path": "02.0"},
                {"v": 1, "type": "check", "addr": "0000:00:02.0", "driver": "kernel", "id": "kdrv.bound",
                 "verdict": "pass", "observed": "pci driver virtio-pci, virtio driver virtio_blk"},
                {"v": 1, "type": "end", "passed": 1, "failed": 0, "skipped": 0, "errors": 0, "info": 0})))
            paths = matrix.layout([(cfg, ["blk"])])[1][(cfg.name, "blk")]
            log = vhost.add_checks(c, vm, out, paths, 1)
            res = parse.cell_verdict(c, vm, out, paths=paths)
            vhost.annotate(res, c, vm, log, out, 1)
            return res

    def test_a_clean_driver_conforms_with_its_certification_row(self):
        rec = {"type": "rules", "session": 1, "mode": "modern", "chains": 2, "rules": {"drv.vq_desc.1": [2, 0]}}
        res = self.cell({"status": "ok", "rc": 0}, [START, SESSION, rec, END])
        self.assertEqual(res["verdict"], "conforms")
        self.assertEqual(res["judge"], {"device": "vconform-vhost-dev", "driver": "kernel"})
        v = res["vhost"]
        self.assertEqual((v["driver"], v["kernel"], v["rules_kept"]), ("virtio_blk", "6.1.0-57-cloud-amd64", 1))
        self.assertEqual(v["sessions"][0]["features"], "0x130006e44")

    def test_a_driver_fault_violates_with_its_requirement(self):
        fault = {"type": "fault", "side": "driver", "session": 1, "code": "DRV_DESC_CHANGED", "req": "drv.cleanup.1",
                 "queue": 0, "detail": "descriptors changed"}
        res = self.cell({"status": "ok", "rc": 1}, [START, SESSION, fault, END])
        self.assertEqual((res["verdict"], res["reqs"]), ("violates", ["drv.cleanup.1"]))
        self.assertEqual(res["vhost"]["faults"], {"drv.cleanup.1": 1})

    def test_back_end_crash_hang_and_lost_record(self):
        for backend, records, words in (({"status": "crash", "rc": -11}, [START, SESSION], "status -11"),
                                        ({"status": "hang", "rc": None}, [START, SESSION, END], "did not end"),
                                        ({"status": "ok", "rc": 0}, [START, SESSION], "no end record")):
            res = self.cell(backend, records)
            self.assertEqual(res["verdict"], "backend-error", backend)
            self.assertIn(words, res["reason"])


def vhost_cell(config, judge_driver, checks, sessions):
    return {"cell": f"{config}/blk", "config": config, "device": "blk", "verdict": "conforms", "reason": "",
            "judge": {"device": "vconform-vhost-dev", "driver": judge_driver},
            "vhost": {"driver": "virtio_blk", "kernel": "6.1.0", "sessions": sessions, "front_end": {"X|Y": 1}},
            "checks": checks}


class Reports(unittest.TestCase):
    def test_certification_rows_per_interface(self):
        rule = lambda drv, q, v: {"id": f"vhost.rule.{q}", "driver": drv, "verdict": v, "reqs": [q]}  # noqa: E731
        cells = report_safe.cells([
            vhost_cell("k", "kernel", [rule("kernel", "drv.vq.1", "pass"), rule("kernel", "drv.cleanup.1", "fail")],
                       [{"session": 1, "mode": "modern", "features": "0x130000000"}]),
            vhost_cell("p", "vconform-probe", [rule("legacy", "drv.vq.1", "pass"), rule("modern", "drv.vq.1", "pass")],
                       [{"session": 1, "mode": "modern", "features": "0x1"},
                        {"session": 2, "mode": "legacy", "features": "0x2"}])])
        rows = report_cert.rows(cells)
        self.assertEqual([(r["mode"], r["config"], r["driver"]) for r in rows],
                         [("legacy", "p", "vconform-probe"), ("modern", "k", "virtio_blk"),
                          ("modern", "p", "vconform-probe")])
        self.assertEqual((rows[1]["kept"], rows[1]["broken"]), (1, ["drv.cleanup.1"]))
        md = "\n".join(report_cert.markdown(cells, lambda s: str(s).replace("|", "\\|")))
        self.assertIn("X\\|Y", md)  # a front-end code cannot break the table
        self.assertIn("<td class='violates'>drv.cleanup.1</td>", "\n".join(report_cert.html_table(cells)))

    def test_real_coverage_counts_only_real_drivers_and_devices(self):
        cells = [vhost_cell("k", "kernel", [{"verdict": "pass", "reqs": ["drv.vq.1", "dev.vq_used.2"]}], []),
                 vhost_cell("p", "vconform-probe", [{"verdict": "pass", "reqs": ["drv.framing.1"]}], []),
                 {"checks": [{"verdict": "fail", "reqs": ["dev.pci_isr.3", "drv.vq_desc.1"]}]}]
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "results.json"), "w") as fh:
                json.dump({"cells": cells}, fh)
            dev, drv = coverage.real_checked([d], coverage.specs.requirements())
        self.assertEqual((dev, drv), ({"dev.pci_isr.3"}, {"drv.vq.1"}))


class GuestImage(unittest.TestCase):
    def test_command_boots_the_disk_without_probe(self):
        c = configs.load([VHOST_CFG])[0]
        with tempfile.TemporaryDirectory() as d:
            img = os.path.join(d, "g.qcow2")
            with open(img, "wb") as fh:
                fh.write(b"QFI\xfb" + bytes(60))
            cmd = matrix.image_command("qemu", c, [(c, c.devices)], img, "/w", sockdir="/s")
        self.assertIn(f"file={img},format=qcow2,if=ide,snapshot=on", cmd)
        for absent in ("-kernel", "-initrd", "-bios", "isa-debugcon"):
            self.assertNotIn(absent, " ".join(cmd))
        self.assertIn("socket,id=vu2,path=/s/vu2.sock", cmd)

    def test_verdicts_from_the_device_side_alone(self):
        cfg = configs.load([VHOST_CFG])[0]
        cell = matrix.cells([cfg], ["blk"])[0]
        fe = {"type": "fault", "side": "front-end", "session": 0, "code": "STATUS_ORDER", "req": "", "queue": -1,
              "detail": "d"}
        rec = {"type": "rules", "session": 1, "mode": "legacy", "chains": 2, "rules": {"drv.vq_desc.1": [2, 0]}}
        with tempfile.TemporaryDirectory() as d:
            for records, status, want in (([START, END], "ok", "no-driver"),
                                          ([START, dict(SESSION, mode="legacy"), rec, END], "timeout", "conforms"),
                                          ([START, SESSION, fe, END], "ok", "known-violation"),
                                          ([START, SESSION], "ok", "backend-error")):
                vm = {"status": status, "seconds": 60, "backends": {1: {"status": "ok", "log": write_log(d, records)}}}
                res = vhost.image_verdict(cell, vm, 1, {"*/*/vhost.front-end.STATUS_ORDER"})
                self.assertEqual(res["verdict"], want, records)
                self.assertEqual(res["judge"]["driver"], "guest")


class Processes(unittest.TestCase):
    """Fake back-ends: one that listens and ends when told, one that dies
    by a signal, one that never ends."""

    def run_fake(self, body, grace=0.5):
        with tempfile.TemporaryDirectory() as d:
            script = os.path.join(d, "fake.py")
            with open(script, "w") as fh:
                fh.write("import os, signal, socket, sys, time\n"
                         "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)\n" + body)
            b = matrix.Backend(1, None, "blk", os.path.join(d, "vu1.sock"), os.path.join(d, "vhost1.jsonl"),
                               [sys.executable, script, os.path.join(d, "vu1.sock")])
            group = procs.Procs()
            started = vhost.start(group, [b], d)
            self.assertIsNone(vhost.wait_ready(started))
            out = vhost.stop(group, started, grace=grace)[1]
            self.assertEqual(group.count(), 0)
            return out

    def test_statuses(self):
        self.assertEqual(self.run_fake("signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\ntime.sleep(30)\n")
                         ["status"], "ok")
        self.assertEqual(self.run_fake("os.kill(os.getpid(), signal.SIGSEGV)\n")["status"], "crash")
        self.assertEqual(self.run_fake("signal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(30)\n")["status"],
                         "hang")

    def test_a_back_end_that_never_listens(self):
        with tempfile.TemporaryDirectory() as d:
            b = matrix.Backend(1, None, "blk", os.path.join(d, "vu1.sock"), os.path.join(d, "l"),
                               [sys.executable, "-c", "import sys; sys.exit(3)"])
            group = procs.Procs()
            started = vhost.start(group, [b], d)
            self.assertIn("exited with status 3", vhost.wait_ready(started, timeout=5))
            vhost.stop(group, started, grace=0)


if __name__ == "__main__":
    unittest.main()
