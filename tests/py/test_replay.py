"""Scenario replay in the guest (vconform-run --hostile / --scenarios)
against a fake QEMU (hostile/fake_qemu.py's replay mode) that crashes, hangs
or wedges on chosen scenarios: each is the verdict of that scenario, with a
reproducer and a one-line command, and the cell goes on after it; known
crashes from the xfail file are not replayed again; the records' new
fields are checked like the others."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile"))
import fake_build  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import hostile, parse  # noqa: E402

RUNNER = os.path.join(ROOT, "harness", "vconform-run")
FAKE = os.path.join(HERE, "hostile", "fake_qemu.py")
PROBE = os.path.join(ROOT, "build", "plain", "guest-probe", "vconform-probe")
NAMES = ["a-first", "b-crashes", "c-fine", "d-hangs", "e-fine", "f-violates", "g-wedges", "h-last"]


class Replay(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vc-replay-")
        d = self.tmp.name
        self.build, self.kernel = fake_build.make(d)
        self.suite = os.path.join(d, "suite")
        os.makedirs(self.suite)
        for n in NAMES:
            with open(os.path.join(self.suite, n), "w") as fh:
                fh.write("scenario packed=0 indirect=0 event_idx=0 in_order=0 qsize=3 used=0\nKICK\n")
        with open(os.path.join(self.suite, "README.md"), "w") as fh:
            fh.write("not a scenario\n")

    def tearDown(self):
        self.tmp.cleanup()

    def run_replay(self, fake, *extra, xfail=None):
        results = tempfile.mkdtemp(dir=self.tmp.name)
        args = [sys.executable, RUNNER, "--build", self.build, "--kernel", self.kernel, "--qemu", FAKE,
                "--firmware", "seabios", "--accel", "tcg", "--quiet", "--config", "q35-port", "--device", "rng",
                "--results", results, "--scenarios", self.suite, *extra]
        if xfail:
            path = os.path.join(self.tmp.name, "xfail.txt")
            with open(path, "w") as fh:
                fh.write(xfail)
            args += ["--xfail", path]
        env = dict(os.environ, VCONFORM_FAKE=json.dumps({"mode": "modern", "replay": {"scenarios": NAMES, **fake}}),
                   VCONFORM_HANG_S="1")
        p = subprocess.run(args, env=env, capture_output=True, timeout=120)
        self.assertNotIn(b"Traceback", p.stderr, p.stderr.decode(errors="replace"))
        run = next(os.path.join(results, n) for n in os.listdir(results) if n != "latest")
        with open(os.path.join(run, "results.json")) as fh:
            cell = json.load(fh)["cells"][0]
        return p, run, cell

    def outcomes(self, cell):
        return {c["scenario"]: (c["id"], c["outcome"]) for c in cell["checks"]}

    def test_crash_hang_and_wedge_are_verdicts_of_their_scenarios(self):
        p, run, cell = self.run_replay({"crash": "b-crashes", "hang": "d-hangs", "wedge": "g-wedges",
                                        "fail": {"f-violates": "replay.used_len"}})
        self.assertEqual(p.returncode, 1)
        self.assertEqual(cell["verdict"], "vmm-crash", cell["reason"])
        got = self.outcomes(cell)
        self.assertEqual(sorted(got), NAMES)  # every scenario judged, the README left out
        self.assertEqual(got["b-crashes"], ("replay.vmm_crash", "vmm-crash"))
        self.assertEqual(got["d-hangs"], ("replay.timeout", "timeout"))
        self.assertEqual(got["g-wedges"], ("replay.wedged", "wedged"))
        self.assertEqual(got["f-violates"], ("replay.used_len", "violates"))
        self.assertEqual(got["h-last"], ("replay", "conforms"))
        self.assertEqual(cell["reqs"], ["dev.vq_used.2"])
        repro = {r["scenario"]: r for r in cell["replay"]["reproducers"]}
        self.assertEqual(set(repro), {"b-crashes", "d-hangs"})
        for r in repro.values():
            self.assertTrue(r["alone"], r)  # replayed alone, it does it again
            self.assertTrue(os.path.isfile(r["file"]))
            self.assertTrue(r["command"].startswith("harness/vconform-run --config q35-port --device rng "
                                                    "--replay-known --scenarios "), r["command"])
            self.assertTrue(r["command"].endswith(r["file"]), r["command"])
        with open(os.path.join(run, "summary.md")) as fh:
            summary = fh.read()
        self.assertIn("## Replayed scenarios", summary)
        self.assertIn("vmm-crash on b-crashes", summary)
        with open(os.path.join(run, "report.html")) as fh:
            self.assertIn("b-crashes", fh.read())
        # a crash, a hang (and its lone replay), a wedge: the VMs went on after each
        starts = [v["from"] for v in cell["replay"]["vms"]]
        self.assertEqual(starts, [0, 2, 4, 7])

    def test_known_crash_is_not_replayed_again(self):
        p, run, cell = self.run_replay({"crash": "b-crashes"},
                                       xfail="*/rng/replay.vmm_crash:b-*  # a known crash\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(cell["verdict"], "known-violation", cell["reason"])
        self.assertEqual(len(cell["replay"]["vms"]), 1)  # one VM: the crash left out
        self.assertIn("not replayed", next(c["detail"] for c in cell["checks"] if c["scenario"] == "b-crashes"))
        p, run, cell = self.run_replay({"crash": "b-crashes"}, "--replay-known",
                                       xfail="*/rng/replay.vmm_crash:b-*\n")
        self.assertEqual(cell["verdict"], "known-violation", cell["reason"])
        self.assertEqual(len(cell["replay"]["vms"]), 2)

    def test_a_clean_replay_conforms(self):
        p, run, cell = self.run_replay({})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(cell["verdict"], "conforms", cell["reason"])
        self.assertEqual(cell["replay"]["outcomes"], {"conforms": len(NAMES)})

    def test_record_fields_are_checked(self):
        ok = {"v": 1, "type": "check", "addr": "0000:00:03.0", "driver": "modern", "id": "replay",
              "verdict": "pass", "scenario": "chain/split-1desc", "outcome": "conforms"}
        for field, bad in (("scenario", "../etc/passwd"), ("scenario", "a b"), ("outcome", "fine"),
                           ("scenario", 3)):
            rec, why = parse._record(json.dumps({**ok, field: bad}).encode())
            self.assertIsNone(rec, (field, bad))
        self.assertIsNotNone(parse._record(json.dumps(ok).encode())[0])
        note = {"v": 1, "type": "note", "event": "begin", "addr": "0000:00:03.0", "scenario": "x"}
        self.assertIsNotNone(parse._record(json.dumps(note).encode())[0])
        self.assertIsNone(parse._record(json.dumps({**note, "event": "boom"}).encode())[0])
        out = parse.parse((json.dumps(note) + "\n").encode())
        self.assertEqual(len(out.notes), 1)

    @unittest.skipUnless(os.access(PROBE, os.X_OK), "build/plain has no probe")
    def test_the_runner_numbers_scenarios_as_the_probe_does(self):
        d = os.path.join(self.tmp.name, "order")
        for n in ("B", "a", "a-b", "a_b", "a.b", "sub/z", "sub/A", "_x", "9"):
            os.makedirs(os.path.dirname(os.path.join(d, n)), exist_ok=True)
            with open(os.path.join(d, n), "w") as fh:
                fh.write("scenario qsize=3\nKICK\n")
        p = subprocess.run([PROBE, "--sim", "rng:modern", "--scenarios", d, "--json", "-", "--quiet",
                            "--replay-quiet-ms", "1"], capture_output=True, text=True, timeout=60)
        probe_order = [json.loads(x)["scenario"] for x in p.stdout.splitlines() if '"begin"' in x]
        self.assertEqual(probe_order, [n for n, _ in hostile.scenario_files(d)])

    @unittest.skipUnless(os.access(PROBE, os.X_OK), "build/plain has no probe")
    def test_control_sequences_ride_with_the_scenarios(self):
        """The runner's list (scenarios + control/*.ctl) is the probe's, in the
        same order, and the probe plays the .ctl entries as control-plane
        sequences; a user's control file without the suffix gets it."""
        scn, ctl = os.path.join(self.tmp.name, "scn"), os.path.join(self.tmp.name, "ctl")
        os.makedirs(scn)
        os.makedirs(ctl)
        for n in ("b", "d"):
            with open(os.path.join(scn, n), "w") as fh:
                fh.write("scenario qsize=3\nKICK\n")
        for n in ("a.ctl", "z.ctl", "README.md", "notes.txt"):
            with open(os.path.join(ctl, n), "w") as fh:
                fh.write("ctl modes=modern spec=accept\nRD reg=status\n")
        files = hostile.suite(scn, ctl)
        self.assertEqual([n for n, _ in files], ["b", "control/a.ctl", "control/z.ctl", "d"])
        self.assertEqual([n for n, _ in hostile.suite(None, os.path.join(ctl, "notes.txt"))],
                         ["control/notes.txt.ctl"])
        guest_dir = os.path.join(self.tmp.name, "guest")
        for n, path in files:  # as the initramfs lays them out
            os.makedirs(os.path.dirname(os.path.join(guest_dir, n)), exist_ok=True)
            with open(path) as src, open(os.path.join(guest_dir, n), "w") as dst:
                dst.write(src.read())
        p = subprocess.run([PROBE, "--sim", "rng:modern", "--scenarios", guest_dir, "--json", "-", "--quiet",
                            "--replay-quiet-ms", "1"], capture_output=True, text=True, timeout=60)
        recs = [json.loads(x) for x in p.stdout.splitlines()]
        self.assertEqual([r["scenario"] for r in recs if r.get("event") == "begin"], [n for n, _ in files])
        ids = {r["scenario"]: r["id"] for r in recs if r["type"] == "check" and r.get("scenario")}
        self.assertEqual(ids["control/a.ctl"], "ctl")
        self.assertTrue(ids["b"].startswith("replay"))


if __name__ == "__main__":
    unittest.main()
