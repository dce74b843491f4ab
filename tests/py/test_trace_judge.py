"""The trace judge (harness/vcharness/trace_judge.py) on synthetic QEMU
traces: a conforming driver keeps every rule, each violation fails with
its requirement, a rule whose condition never came gets no verdict, and
hostile trace text is survived."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from vcharness import configs, run, trace_judge, trace_parse  # noqa: E402
from vcharness import trace_rules as R  # noqa: E402

BAR = 0xfe000000
IO = 0xc040
ADDR = "0000:00:03.0"
VERSION_1 = R.bit("VIRTIO_F_VERSION_1")


class Modern:
    """Trace lines of one modern virtio-pci function at 00:03.0."""

    def __init__(self, typ="rng", model=None):
        self.typ = typ
        self.model = model or f"virtio-{typ}-pci"
        self.lines = [f"pci_cfg_write {self.model} 00:03.0 @0x20 <- 0xffffffff",   # sizing first
                      f"pci_cfg_write {self.model} 00:03.0 @0x20 <- {BAR | 0xc:#x}",
                      f"pci_cfg_write {self.model} 00:03.0 @0x24 <- 0x0"]

    def acc(self, region, off, value, size, write=True):
        start = trace_parse.REGION_START[region]
        qtype = {"console": "serial"}.get(self.typ, self.typ)
        self.lines.append(f"memory_region_ops_{'write' if write else 'read'} cpu 0 mr 0x55aa00000000 addr "
                          f"{BAR + start + off:#x} value {value:#x} size {size} "
                          f"name 'virtio-pci-{region}-virtio-{qtype}'")
        return self

    def w(self, off, value, size=None):
        return self.acc("common", off, value, size or R.COMMON[off][1])

    def r(self, off, value, size=None):
        return self.acc("common", off, value, size or R.COMMON[off][1], write=False)

    def status(self, v):
        return self.w(20, v)

    def init(self, offered=(0, 1 << (VERSION_1 - 32)), accepted=None, queues=1, ok=True, notify=True):
        accepted = offered if accepted is None else accepted
        self.status(0).r(20, 0).r(20, 0).status(1).r(20, 1).status(3)
        for sel in (0, 1):
            self.w(0, sel).r(4, offered[sel])
        for sel in (0, 1):
            self.w(8, sel).w(12, accepted[sel])
        self.r(20, 3).status(0xb).r(20, 0xb)
        for q in range(queues):
            self.queue(q)
        self.w(16, 0).r(16, 0)
        for q in range(queues):
            self.w(22, q).w(28, 1)
        if ok:
            self.r(20, 0xb).status(0xf)
        if notify:
            self.acc("notify", 0, 0, 2)
        return self

    def queue(self, q, size=256):
        self.w(22, q).r(24, 256).w(24, size)
        for off, v in ((32, 0x10000), (36, 0), (40, 0x11000), (44, 0), (48, 0x12000), (52, 0)):
            self.w(off, v)
        return self.w(26, q + 1).r(26, q + 1).r(30, q)

    def text(self):
        return ("\n".join(self.lines) + "\n").encode()


INFO = {"dev_type": "rng", "device": "0x1044", "revision": "0x01", "mode": "modern",
        "caps": [{"kind": "msix", "pos": 0x98, "table_size": 2},
                 {"kind": "notify", "pos": 0x84, "notify_off_multiplier": 4},
                 {"kind": "common", "pos": 0x70}]}


def rules(data, info=INFO, exercised=False):
    t = trace_parse.parse(data=data)
    res = trace_judge.judge(t, {ADDR: dict(info)} if info else {}, {ADDR} if exercised else set())
    return res[ADDR][0].rules if ADDR in res else {}


def failed(r):
    return {k for k, v in r.items() if v[1]}


def passed(r):
    return {k for k, v in r.items() if not v[1] and v[0]}


class ConformingDriver(unittest.TestCase):
    def test_modern_init_keeps_every_rule(self):
        r = rules(Modern().init().text(), exercised=True)
        self.assertEqual(failed(r), set(), r)
        for req in ("drv.status.1", "drv.status.2", "drv.reset.1", "drv.pci_common.5", "drv.init.1",
                    "drv.init.3", "drv.init.6", "drv.features.1", "drv.features.2", "drv.features.3",
                    "drv.pci_common.1", "drv.pci_common.3", "drv.pci_common.4", "drv.pci_common.6",
                    "drv.pci_msix.4", "drv.pci_msix.5", "drv.pci_avail_notify.1", "drv.pci_avail_notify.3",
                    "drv.pci_layout.1", "drv.reserved_features.1", "drv.vq.1", "drv.pci_isr.1",
                    "drv.pci_discovery.1", "drv.pci_discovery.3", "drv.pci_caps.7"):
            self.assertIn(req, passed(r), req)

    def test_conditional_rules_without_their_condition_get_no_verdict(self):
        r = rules(Modern().init().text())
        # no FAILED status, no RING_PACKED, no NOTIFICATION_DATA, not exercised (no interrupts known)
        for req in ("drv.status.3", "drv.init.5", "drv.pci_common.2", "drv.pci_avail_notify.2", "drv.pci_isr.1",
                    "drv.blk_op.3", "drv.cfgspace.1"):
            self.assertNotIn(req, r, req)

    def test_legacy_init(self):
        lines = ["pci_cfg_write virtio-net-pci 00:03.0 @0x10 <- 0xffffffff",
                 f"pci_cfg_write virtio-net-pci 00:03.0 @0x10 <- {IO | 1:#x}"]

        def acc(off, v, size, write=True):
            lines.append(f"memory_region_ops_{'write' if write else 'read'} cpu 0 mr 0x1 addr {IO + off:#x} "
                         f"value {v:#x} size {size} name 'virtio-pci'")
        mac = 1 << R.bit("VIRTIO_NET_F_MAC")
        acc(18, 0, 1); acc(18, 0, 1, False); acc(18, 1, 1); acc(18, 3, 1)
        acc(0, mac, 4, False); acc(4, mac, 4)
        acc(14, 0, 2); acc(12, 256, 2, False); acc(8, 0x1234, 4)
        acc(20, 0x52, 1, False)   # mac[0], MSI-X off: config at 20
        acc(18, 7, 1)
        info = {"dev_type": "net", "device": "0x1000", "revision": "0x00", "mode": "legacy",
                "caps": [{"kind": "msix", "pos": 0x40, "table_size": 3}]}
        r = rules(("\n".join(lines) + "\n").encode(), info)
        self.assertEqual(failed(r), set(), r)
        for req in ("drv.status.1", "drv.reset.1", "drv.features.1", "drv.features.2", "drv.net_cfg.2",
                    "drv.net_cfg.1", "drv.cfgspace.2", "drv.pci_discovery.2", "drv.init.6"):
            self.assertIn(req, passed(r), req)
        self.assertNotIn("drv.pci_common.5", r)   # a modern rule


class Violations(unittest.TestCase):
    def fails(self, m, req, info=INFO):
        r = rules(m.text(), info)
        self.assertIn(req, failed(r), r)
        return r

    def test_status_cleared(self):
        m = Modern().init()
        self.fails(m.status(0xb), "drv.status.2")

    def test_notify_before_driver_ok(self):
        self.fails(Modern().init(ok=False, notify=True), "drv.init.6")

    def test_accepts_more_than_offered(self):
        self.fails(Modern().init(accepted=(1, 1 << (VERSION_1 - 32))), "drv.features.1")

    def test_unknown_bit(self):
        self.fails(Modern().init(offered=(0, 0x40001), accepted=(0, 0x40001)), "drv.features.3")

    def test_feature_prerequisite(self):
        tso4, csum = R.bit("VIRTIO_NET_F_HOST_TSO4"), R.bit("VIRTIO_NET_F_CSUM")
        m = Modern("net").init(offered=((1 << tso4) | (1 << csum), 1), accepted=(1 << tso4, 1))
        self.fails(m, "drv.features.1", dict(INFO, dev_type="net"))

    def test_driver_features_before_reading(self):
        m = Modern()
        m.status(0).r(20, 0).status(1).status(3).w(8, 0).w(12, 0)
        self.fails(m, "drv.features.2")

    def test_reinit_before_reset_read_back(self):
        m = Modern()
        m.status(0).status(1)
        r = self.fails(m, "drv.reset.1")
        self.assertIn("drv.pci_common.5", failed(r))

    def test_queue_size_not_power_of_two(self):
        m = Modern().init(queues=0)
        self.fails(m.queue(0, size=100), "drv.pci_common.3")

    def test_queue_enable_zero(self):
        self.fails(Modern().init().w(22, 0).w(28, 0), "drv.pci_common.6")

    def test_enable_before_addresses(self):
        m = Modern()
        m.status(0).r(20, 0).status(1).status(3).w(0, 1).r(4, 1).w(8, 1).w(12, 1).status(0xb).r(20, 0xb)
        self.fails(m.w(22, 0).w(28, 1), "drv.pci_common.4")

    def test_write_read_only_field(self):
        self.fails(Modern().init().w(18, 4), "drv.pci_common.1")

    def test_vector_not_read_back(self):
        m = Modern().init(queues=0)
        m.w(22, 0).w(26, 1).w(22, 1)
        self.fails(m, "drv.pci_msix.5")

    def test_vector_beyond_table(self):
        self.fails(Modern().init().w(16, 5).r(16, 5), "drv.pci_msix.4")

    def test_features_after_features_ok(self):
        self.fails(Modern().init().w(8, 0).w(12, 0), "drv.init.3")

    def test_driver_ok_without_features_ok(self):
        m = Modern()
        m.status(0).r(20, 0).status(1).status(3).w(0, 1).r(4, 1).w(8, 1).w(12, 1)
        r = self.fails(m.status(7), "drv.status.1")
        self.assertIn("drv.init.1", failed(r))

    def test_notify_width_and_value(self):
        r = self.fails(Modern().init(notify=False).acc("notify", 0, 0, 4), "drv.pci_avail_notify.1")
        self.assertNotIn("drv.pci_avail_notify.3", failed(r))
        self.fails(Modern().init(notify=False).acc("notify", 0, 7, 2), "drv.pci_avail_notify.3")

    def test_isr_read_with_msix(self):
        self.fails(Modern().init().acc("isr", 0, 1, 1, write=False), "drv.pci_isr.1")

    def test_net_config_write(self):
        self.fails(Modern("net").init().acc("device", 0, 0x52, 1), "drv.net_cfg.1", dict(INFO, dev_type="net"))

    def test_scsi_config_write_outside_sense_and_cdb(self):
        info = dict(INFO, dev_type="scsi")
        r = rules(Modern("scsi").init().acc("device", 20, 96, 4).text(), info)
        self.assertIn("drv.scsi_cfg.1", passed(r))
        self.fails(Modern("scsi").init().acc("device", 0, 1, 4), "drv.scsi_cfg.1", info)

    def test_wide_field_without_generation(self):
        info = dict(INFO, dev_type="blk")
        m = Modern("blk").init()
        m.r(21, 0).acc("device", 0, 0x800, 4, write=False).acc("device", 4, 0, 4, write=False).r(21, 0)
        self.assertIn("drv.cfgspace.1", passed(rules(m.text(), info)))
        m = Modern("blk").init()
        m.acc("device", 0, 0x800, 4, write=False).acc("device", 4, 0, 4, write=False)
        self.fails(m, "drv.cfgspace.1", info)

    def test_guarded_field_not_offered(self):
        self.fails(Modern("blk").init().acc("device", 34, 1, 2, write=False), "drv.cfgspace.2",
                   dict(INFO, dev_type="blk"))

    def test_accept_when_offered(self):
        ro = 1 << R.bit("VIRTIO_BLK_F_RO")
        info = dict(INFO, dev_type="blk")
        self.assertIn("drv.blk_op.3", passed(rules(Modern("blk").init(offered=(ro, 1)).text(), info)))
        self.fails(Modern("blk").init(offered=(ro, 1), accepted=(0, 1)), "drv.blk_op.3", info)

    def test_failed_then_reinit_without_reset(self):
        m = Modern().init(ok=False, notify=False)
        r = self.fails(m.status(0x8b).status(1), "drv.status.3")
        self.assertIn("drv.init.5", failed(r))
        m = Modern().init(ok=False, notify=False)
        self.assertIn("drv.status.3", passed(rules(m.status(0x8b).status(0).text())))

    def test_declined_bits_then_failed(self):
        m = Modern().init(offered=(1, 1 << (VERSION_1 - 32)), accepted=(0, 1 << (VERSION_1 - 32)), ok=False,
                          notify=False)
        self.fails(m.status(0x8b), "drv.features.5")
        m = Modern().init(offered=(1, 1 << (VERSION_1 - 32)), accepted=(0, 1 << (VERSION_1 - 32)))
        self.assertIn("drv.features.5", passed(rules(m.text())))

    def test_capability_write(self):
        m = Modern().init()
        m.lines.append("pci_cfg_write virtio-rng-pci 00:03.0 @0x74 <- 0x1")
        self.fails(m, "drv.pci_caps.7")

    def test_device_never_started(self):
        t = trace_parse.parse(data=Modern().init().text())
        other = "0000:00:04.0"
        res = trace_judge.judge(t, {ADDR: INFO, other: dict(INFO)})
        self.assertIn("drv.pci_discovery.1", failed(res[other][0].rules))
        # a VM that did not run to its end: the driver may not have reached it yet
        res = trace_judge.judge(t, {ADDR: INFO, other: dict(INFO)}, complete=False)
        self.assertNotIn(other, res)


RING_RESET = R.bit("VIRTIO_F_RING_RESET")
RR_OFFER = (0, (1 << (VERSION_1 - 32)) | (1 << (RING_RESET - 32)))
QRESET_REQS = ("drv.vq_reset.1", "drv.pci_common.7", "drv.vq_reenable.1")


class QueueReset(unittest.TestCase):
    """Per-queue reset and re-enable (VIRTIO_F_RING_RESET), as Linux's
    virtqueue_resize does it: reset, read back 0, set up again, enable."""

    def reset(self, m, q=0, confirm=True):
        m.w(22, q).w(58, 1)
        if confirm:
            m.r(58, 0).r(28, 0)
        return m

    def reenable(self, m, q=0, size=128, vector=True, addresses=True):
        m.w(22, q).r(58, 0).w(22, q).r(28, 0).w(22, q).w(24, size)
        if addresses:
            for off, v in ((32, 0x20000), (36, 0), (40, 0x21000), (44, 0), (48, 0x22000), (52, 0)):
                m.w(off, v)
        if vector:
            m.w(26, q + 1).r(26, q + 1)
        return m.w(22, q).w(28, 1)

    def test_conforming_reset_and_reenable(self):
        m = Modern().init(offered=RR_OFFER, queues=2)
        self.reenable(self.reset(m))
        self.reenable(self.reset(m, 1), 1, size=256)
        t = trace_parse.parse(data=m.text())
        info = dict(INFO, caps=[dict(INFO["caps"][0], table_size=3)] + INFO["caps"][1:])   # config + 2 queues
        tally, summary = trace_judge.judge(t, {ADDR: info})[ADDR]
        r = tally.rules
        self.assertEqual(failed(r), set(), r)
        for req in QRESET_REQS + ("drv.pci_common.4", "drv.pci_common.3", "drv.vq.1", "drv.pci_msix.5"):
            self.assertIn(req, passed(r), req)
        self.assertEqual(r["drv.vq_reenable.1"][0], 2)
        self.assertEqual(summary["queue_resets"], "2 queue reset(s), 2 re-enabled (1 with another size)")
        info = trace_judge.checks({ADDR: (tally, summary)}, ADDR)[0]
        self.assertIn("2 queue reset(s)", info["detail"])

    def test_reused_without_read_back(self):
        m = self.reenable(self.reset(Modern().init(offered=RR_OFFER), confirm=False).w(22, 0).w(24, 128))
        r = rules(m.text())
        self.assertIn("drv.vq_reset.1", failed(r), r)
        self.assertIn("drv.pci_common.7", failed(r), r)
        self.assertIn("never read back", r["drv.vq_reset.1"][2])

    def test_reused_while_reading_one(self):
        m = self.reset(Modern().init(offered=RR_OFFER), confirm=False).r(58, 1).r(58, 1)
        r = rules(m.w(22, 0).w(24, 128).text())
        self.assertIn("drv.vq_reset.1", failed(r), r)
        self.assertIn("read 1 2 time(s)", r["drv.vq_reset.1"][2])

    def test_read_back_of_another_queue_is_no_confirmation(self):
        m = Modern().init(offered=RR_OFFER, queues=2)
        m.w(22, 0).w(58, 1).w(22, 1).r(58, 0).w(22, 0).w(24, 128)
        self.assertIn("drv.vq_reset.1", failed(rules(m.text())))

    def test_enable_without_setup(self):
        m = self.reset(Modern().init(offered=RR_OFFER)).w(22, 0).w(28, 1)
        r = rules(m.text())
        self.assertIn("drv.vq_reenable.1", failed(r), r)
        self.assertIn("drv.pci_common.4", failed(r), r)   # the addresses are not there again either
        self.assertIn("drv.vq_reset.1", passed(r))

    def test_second_reset_before_reenable_keeps_what_discovery_set(self):
        m = self.reset(self.reset(Modern().init(offered=RR_OFFER)))
        r = rules(self.reenable(m, addresses=False).text())
        self.assertIn("drv.vq_reenable.1", failed(r), r)
        self.assertIn("queue_desc_lo", r["drv.vq_reenable.1"][2])

    def test_enable_without_its_vector(self):
        # addresses and size again, but the MSI-X vector discovery mapped (the reset drops it) not
        r = rules(self.reenable(self.reset(Modern().init(offered=RR_OFFER)), vector=False).text())
        self.assertIn("drv.vq_reenable.1", failed(r), r)
        self.assertIn("queue_msix_vector", r["drv.vq_reenable.1"][2])
        self.assertNotIn("drv.pci_common.4", failed(r))

    def test_no_reset_no_verdict(self):
        r = rules(Modern().init(offered=RR_OFFER).text())
        for req in QRESET_REQS:
            self.assertNotIn(req, r, req)

    def test_without_ring_reset_negotiated_no_verdict(self):
        m = Modern().init()
        r = rules(self.reenable(self.reset(m)).text())
        for req in QRESET_REQS:
            self.assertNotIn(req, r, req)

    def test_device_reset_ends_a_pending_queue_reset(self):
        m = self.reset(Modern().init(offered=RR_OFFER), confirm=False)
        r = rules(m.init(offered=RR_OFFER).text())
        for req in QRESET_REQS:
            self.assertNotIn(req, r, req)
        self.assertEqual(failed(r), set(), r)


class HostileTrace(unittest.TestCase):
    def test_garbage_is_counted_and_skipped(self):
        good = Modern().init().text()
        junk = b"\n".join([
            b"memory_region_ops_write cpu 0 mr 0x1 addr 0xfe000014 value 0x0 size 1 name 'virtio-pci-comm",  # cut
            b"memory_region_ops_write cpu 0 mr 0x1 addr 0xfe000014 value 0x" + b"f" * 40 +
            b" size 1 name 'virtio-pci-common-virtio-rng'",
            b"memory_region_ops_write cpu 0 mr 0x1 addr 0xfe000014 value 0x1 size 3 name 'virtio-pci-common-x'",
            b"pci_cfg_write virtio-rng-pci 1ff:00.0 @0x20 <- 0x1",
            b"memory_region_ops_read 'virtio-pci' " + b"A" * 5000,
            b"\xff\xfe\x00 binary virtio-pci",
            b"memory_region_ops_write cpu 0 mr 0x1 addr 0xdead0000 value 0x1 size 4 name 'virtio-pci-common-x'",
            b"memory_region_ops_write cpu 0 mr 0x1 addr 0x10 value 0x1 size 4 name 'unknown-region'",
            b"some_other_event a b c",
        ]) + b"\n"
        t = trace_parse.parse(data=junk + good + junk)
        self.assertEqual(t.malformed, 12)
        self.assertEqual(t.unplaced, 2)   # the access at 0xdead0000, in each copy: no BAR holds it
        r = trace_judge.judge(t, {ADDR: INFO})[ADDR][0].rules
        self.assertEqual(failed(r), set(), r)

    def test_huge_and_odd_values(self):
        m = Modern()
        m.status(0).r(20, 0).status(1).status(3).w(0, 0xffffffff).r(4, 0xffffffffffffffff, 8)
        m.w(8, 0x7fffffff).w(12, 0xffffffffffffffff, 8).w(22, 0xffff).w(24, 0xffff).w(28, 0xffff)
        rules(m.text())   # no exception

    def test_cut_trace_gives_no_passes(self):
        data = Modern().init().text()
        t = trace_parse.parse(data=data, read_limit=len(data) // 2)
        self.assertTrue(t.cut)
        res = trace_judge.judge(t, {ADDR: INFO})
        cs = trace_judge.checks(res, ADDR, t.problems, cut=True)
        self.assertFalse([c for c in cs if c["verdict"] == "pass"])
        self.assertTrue([c for c in cs if c["id"] == "trace.record"])

    def test_firmware_accesses_are_not_the_kernels(self):
        fw = Modern()
        fw.status(0).status(1).status(3).status(7).acc("notify", 0, 0, 4)   # SeaBIOS's own driver
        fw.lines.append("memory_region_ops_write cpu 0 mr 0x2 addr 0x510 value 0x19 size 2 name 'fwcfg'")
        t = trace_parse.parse(data=fw.text() + ("\n".join(Modern().init().lines[3:]) + "\n").encode())
        self.assertEqual(t.firmware_accesses, 5)
        r = trace_judge.judge(t, {ADDR: INFO})[ADDR][0].rules
        self.assertEqual(failed(r), set(), r)

    def test_endless_line(self):
        t = trace_parse.parse(data=b"memory_region_ops_write " + b"9" * (8 << 20) + b"\n" + Modern().init().text())
        self.assertEqual(t.malformed, 1)
        self.assertIn(ADDR, t.functions)
        t = trace_parse.parse(data=b"virtio-pci" * (1 << 20))   # no line end at all
        self.assertEqual((t.lines, t.malformed), (1, 1))

    def test_unreadable_file(self):
        t = trace_parse.parse(path="/nonexistent/trace.log")
        self.assertTrue(t.problems)
        self.assertEqual(trace_judge.judge(t), {})


class Runner(unittest.TestCase):
    def test_only_kernel_driver_vms_are_traced(self):
        def cfg(text):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "t.cfg")
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
                return configs.load([path])[0]
        self.assertTrue(run.traced(cfg("[a]\nmachine = pc\nprofile = kdrv\n"), {}))
        self.assertTrue(run.traced(cfg("[a]\nmachine = pc\nprofile = kdrv-legacy\n"), {}))
        self.assertFalse(run.traced(cfg("[a]\nmachine = pc\n"), {}))
        self.assertFalse(run.traced(cfg("[a]\nmachine = pc\nprofile = kdrv\nvhost = on\ndevices = blk\n"), {}))
        self.assertFalse(run.traced(cfg("[a]\nmachine = pc\nprofile = kdrv\n"), {"trace": False}))

    def test_ring_resize_only_without_vhost_user(self):
        # the probe resizes virtio_net's rings (per-queue resets) in kernel-driver VMs on QEMU's own
        # devices; QEMU 7.2's vhost-user net would not pass the resets on to the back-end
        from vcharness import matrix

        def append(text):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "t.cfg")
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
                c = configs.load([path])[0]
            cmd = matrix.vm_command("qemu", c, c.devices, "K", "I", "D", "/w", sockdir="/s")
            return cmd[cmd.index("-append") + 1]
        self.assertNotIn("--no-ring-resize", append("[a]\nmachine = q35\nprofile = kdrv\ndevices = net\n"))
        self.assertIn("--no-ring-resize", append("[a]\nmachine = q35\nprofile = kdrv\nvhost = on\n"
                                                 "devices = net\nnet.props = vectors=0\n"))

    def test_vm_judge_reads_and_removes_the_trace(self):
        class Out:
            devices = [dict(INFO, addr=ADDR)]
            checks = []
        with tempfile.TemporaryDirectory() as d:
            args = trace_judge.qemu_args(d, lambda v: str(v).replace(",", ",,"))
            self.assertEqual(args[0], "-trace")
            self.assertIn("file=" + os.path.join(d, trace_judge.TRACE), args[1])
            with open(os.path.join(d, trace_judge.TRACE), "wb") as fh:
                fh.write(Modern().init().text())
            results, notes, cut = trace_judge.vm_judge(d, Out())
            self.assertFalse(os.path.exists(os.path.join(d, trace_judge.TRACE)))
            self.assertIn(ADDR, results)
            self.assertFalse(cut)


if __name__ == "__main__":
    unittest.main()
