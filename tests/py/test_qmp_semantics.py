"""The device-semantics notes (qmp.py): what the monitor is asked for input
updates, balloon statistics, SCSI hot-plug and a console port unplugged and
plugged again, and the runner's host-side
judgement of balloon.stats.host (run.py)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from vcharness import parse, qmp, run  # noqa: E402
import test_qmp  # noqa: E402
from test_qmp import notes  # noqa: E402


class Semantics(unittest.TestCase):
    run_changer = test_qmp.Changer.run_changer

    def test_input_balloon_scsi(self):
        text = notes(("05.0", "input-abs-batch"), ("06.0", "balloon-stats-poll"), ("07.0", "scsi-hotplug"),
                     ("07.0", "scsi-unplug"), ("05.0", "scsi-hotplug"), ("07.0", "input-abs-batch"))
        actions, seen = self.run_changer(text, {"05.0": ("input", 4), "06.0": ("balloon", 3),
                                                "07.0": ("scsi", 2)})
        self.assertEqual([a[2] for a in actions], ["done"] * 4 + ["refused"] * 2)
        cmds = [(m["execute"], m.get("arguments", {})) for m in seen[1:]]
        self.assertEqual(cmds[0], ("input-send-event", {"events": [
            {"type": "abs", "data": {"axis": "x", "value": 0x1234}},
            {"type": "abs", "data": {"axis": "y", "value": 0x2345}}]}))
        self.assertEqual(cmds[1], ("input-send-event", {"events": [
            {"type": "abs", "data": {"axis": "x", "value": 0x777}}]}))
        qom = "/machine/peripheral/balloon3"
        self.assertEqual(cmds[2:5], [
            ("qom-get", {"path": qom, "property": "guest-stats"}),
            ("qom-set", {"path": qom, "property": "guest-stats-polling-interval", "value": 0}),
            ("qom-set", {"path": qom, "property": "guest-stats-polling-interval", "value": 1})])
        self.assertEqual(cmds[5][0], "blockdev-add")
        name = cmds[5][1]["node-name"]
        self.assertEqual(cmds[6], ("device_add", {"driver": "scsi-hd", "id": name, "bus": "scsi2.0", "drive": name,
                                                  "scsi-id": 1, "lun": 0}))
        self.assertEqual(cmds[7], ("device_del", {"id": name}))


    def test_console_port_cycle(self):
        actions, seen = self.run_changer(notes(("08.0", "console-port-cycle"), ("05.0", "console-port-cycle")),
                                         {"08.0": ("console", 2), "05.0": ("input", 4)})
        self.assertEqual([a[2] for a in actions], ["done", "refused"])
        cmds = [(m["execute"], m.get("arguments", {})) for m in seen[1:]]
        self.assertEqual(cmds, [("device_del", {"id": "vport2"}),
                                ("device_add", {"driver": "virtserialport", "id": "vport2", "bus": "vser2.0",
                                                "chardev": "port2", "name": "vconform.2"})])


    def test_cd_plugged_and_its_medium_changed(self):
        actions, seen = self.run_changer(notes(("07.0", "scsi-cd-hotplug"), ("07.0", "scsi-cd-change"),
                                               ("07.0", "scsi-unplug")), {"07.0": ("scsi", 2)})
        self.assertEqual([a[2] for a in actions], ["done"] * 3)
        cmds = [(m["execute"], m.get("arguments", {})) for m in seen[1:]]
        cd = cmds[0][1]["node-name"]
        self.assertEqual(cmds[0], ("blockdev-add", {"driver": "null-co", "size": qmp.HOTPLUG_BYTES, "node-name": cd}))
        self.assertEqual(cmds[1], ("device_add", {"driver": "scsi-cd", "id": cd, "bus": "scsi2.0", "drive": cd,
                                                  "scsi-id": 1, "lun": 0}))
        medium = cmds[2][1]["node-name"]
        self.assertEqual(cmds[2], ("blockdev-add", {"driver": "null-co", "size": 2 * qmp.HOTPLUG_BYTES,
                                                    "node-name": medium, "latency-ns": qmp.CD_LATENCY_NS}))
        self.assertEqual([c[0] for c in cmds[3:]], ["blockdev-open-tray", "blockdev-remove-medium",
                                                     "blockdev-insert-medium", "blockdev-close-tray", "device_del"])
        self.assertEqual(cmds[5][1], {"id": cd, "node-name": medium})
        self.assertEqual(cmds[7][1], {"id": cd})


def stats_check(observed, verdict="pass"):
    return {"id": "balloon.stats.host", "addr": "0000:00:06.0", "verdict": verdict, "observed": observed}


class BalloonHostSide(unittest.TestCase):
    SENT = "free 0x11110000 total 0x22220000; free 0x33330000 total 0x44440000"

    def judge(self, shown, observed=SENT):
        out = parse.ProbeOutput()
        out.checks = [stats_check(observed)]
        vm = {"balloon_stats": {"06.0": shown}} if shown is not None else {}
        run._check_balloon_host_side(vm, ["06.0"], {"0000:00:06.0"}, out)
        return out.checks[0]

    def test_same_values_pass(self):
        rec = self.judge([(0x11110000, 0x22220000), (0x33330000, 0x44440000)])
        self.assertEqual(rec["verdict"], "pass")

    def test_other_values_or_none_fail(self):
        for shown in ([(0x11110000, 0x22220000), (0x33330000, None)], [(0x22220000, 0x11110000)] * 2, [], None):
            rec = self.judge(shown)
            self.assertEqual(rec["verdict"], "fail", shown)
            self.assertIn("the host showed", rec["observed"])

    def test_unparsable_observed_fails(self):
        self.assertEqual(self.judge([(1, 2)], observed="free lots")["verdict"], "fail")


if __name__ == "__main__":
    unittest.main()
