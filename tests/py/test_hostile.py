"""The hostile-record suite: vconform-run against a fake QEMU
(hostile/fake_qemu.py) that writes chosen bytes into the results channel,
hangs, floods or answers oddly; and bad input on the command line. Every
case must end with the right verdict, every report written and
well-formed, and no traceback."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile"))
import fake_build  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
RUNNER = os.path.join(ROOT, "harness", "vconform-run")
FAKE = os.path.join(HERE, "hostile", "fake_qemu.py")
REPORTS = ("results.json", "junit.xml", "results.tap", "summary.md", "report.html", "cells.jsonl")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


class Hostile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="vc-hostile-")
        d = self.tmp.name
        self.build, self.kernel = fake_build.make(d)
        self.results = os.path.join(d, "results")

    def tearDown(self):
        self.tmp.cleanup()

    def args(self, *extra, results=None):
        return [sys.executable, RUNNER, "--build", self.build, "--kernel", self.kernel, "--qemu", FAKE,
                "--firmware", "seabios", "--accel", "tcg", "--quiet", "--config", "i440fx-2.6",
                "--device", "rng", "--results", results or self.results, *extra]

    def run_fake(self, fake=None, *extra, results=None, timeout=60):
        env = dict(os.environ, VCONFORM_FAKE=json.dumps(fake or {}))
        p = subprocess.run(self.args(*extra, results=results), env=env, capture_output=True, timeout=timeout)
        self.assertNotIn(b"Traceback", p.stderr, p.stderr.decode(errors="replace"))
        return p

    def run_dir(self, results=None):
        results = results or self.results
        runs = [n for n in os.listdir(results) if n != "latest" and not n.startswith(".")]
        self.assertEqual(len(runs), 1, runs)
        return os.path.join(results, runs[0])

    def cells(self, rundir):
        """The cells of results.json, after checking every report parses."""
        for name in REPORTS:
            self.assertTrue(os.path.exists(os.path.join(rundir, name)), name)
        with open(os.path.join(rundir, "results.json"), encoding="utf-8") as fh:
            doc = json.loads(fh.read(), parse_constant=lambda c: self.fail(f"{c} in results.json"))
        with open(os.path.join(rundir, "cells.jsonl"), encoding="utf-8") as fh:
            for line in fh:
                json.loads(line, parse_constant=lambda c: self.fail(f"{c} in cells.jsonl"))
        ET.parse(os.path.join(rundir, "junit.xml"))
        return {c["cell"]: c for c in doc["cells"]}

    # the guest's records

    def test_a_conforming_guest_conforms(self):
        p = self.run_fake()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.cells(self.run_dir())["i440fx-2.6/rng"]["verdict"], "conforms")

    def test_hostile_records_never_make_a_cell_conform(self):
        for m in ("drop-check", "long-line", "nested-reqs", "surrogate", "nan", "deep", "huge-field",
                  "extra-device", "no-checks"):
            with self.subTest(mutation=m):
                results = os.path.join(self.tmp.name, "r-" + m)
                p = self.run_fake({"mutate": [m]}, results=results)
                self.assertEqual(p.returncode, 1, p.stderr)
                cell = self.cells(self.run_dir(results))["i440fx-2.6/rng"]
                self.assertEqual(cell["verdict"], "probe-error", cell["reason"])

    def test_random_bytes_and_control_characters(self):
        p = self.run_fake({"raw": "".join(map(chr, range(256))) * 40})
        self.assertEqual(p.returncode, 1)
        self.assertEqual(self.cells(self.run_dir())["i440fx-2.6/rng"]["verdict"], "probe-error")
        results = os.path.join(self.tmp.name, "r-ctl")
        p = self.run_fake({"mutate": ["control-chars"], "console": "\x1b[2J\x00boom"}, results=results)
        self.assertEqual(p.returncode, 0)
        self.assertNotIn(b"\x1b", p.stdout + p.stderr)
        self.cells(self.run_dir(results))

    def test_output_flood_stops_the_vm_and_is_cut_on_disk(self):
        p = self.run_fake({"flood": 40, "hang": True})
        self.assertEqual(p.returncode, 1)
        rundir = self.run_dir()
        cell = self.cells(rundir)["i440fx-2.6/rng"]
        self.assertEqual(cell["verdict"], "probe-error")
        self.assertIn("flood", cell["reason"])
        vm, = os.listdir(os.path.join(rundir, "vm"))
        size = os.path.getsize(os.path.join(rundir, "vm", vm, "console.log"))
        self.assertLess(size, 2 << 20)

    # interruptions

    def interrupt(self, how):
        pids = os.path.join(self.tmp.name, "pids")
        env = dict(os.environ, VCONFORM_FAKE=json.dumps({"hang": True, "child": True, "pids": pids}))
        p = subprocess.Popen(self.args("--timeout", "60"), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(pids) and len(open(pids).read().split()) >= 2:
                break
            time.sleep(0.05)
        else:
            p.kill()
            self.fail("the fake VM never started")
        t0 = time.monotonic()
        if how == "ctrl-c":  # the terminal sends SIGINT to the whole foreground group
            os.killpg(p.pid, signal.SIGINT)
        else:
            p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
        took = time.monotonic() - t0
        self.assertNotIn(b"Traceback", err, err.decode(errors="replace"))
        self.assertLess(took, 3, "stopping took too long")
        for pid in map(int, open(pids).read().split()):
            self.assertFalse(alive(pid), f"pid {pid} survived")
        cell = self.cells(self.run_dir())["i440fx-2.6/rng"]
        self.assertEqual(cell["verdict"], "interrupted")
        return p.returncode

    def test_ctrl_c_ends_every_vm_and_writes_the_reports(self):
        self.assertEqual(self.interrupt("ctrl-c"), 128 + signal.SIGINT)

    def test_sigterm_ends_every_vm_and_writes_the_reports(self):
        self.assertEqual(self.interrupt("sigterm"), 128 + signal.SIGTERM)

    def test_a_timeout_kills_a_stopped_vmm_and_its_children(self):
        pids = os.path.join(self.tmp.name, "pids")
        p = self.run_fake({"hang": True, "child": True, "stop": True, "pids": pids}, "--timeout", "1.5")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(self.cells(self.run_dir())["i440fx-2.6/rng"]["verdict"], "timeout")
        pid_list = list(map(int, open(pids).read().split()))
        self.assertEqual(len(pid_list), 2)
        for pid in pid_list:
            self.assertFalse(alive(pid), f"pid {pid} survived")

    # the results folder

    def test_comma_in_the_results_path(self):
        results = os.path.join(self.tmp.name, "a,b=c")
        p = self.run_fake(results=results)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.cells(self.run_dir(results))["i440fx-2.6/rng"]["verdict"], "conforms")

    def test_latest_that_is_not_our_link_is_left_alone(self):
        os.makedirs(self.results)
        latest = os.path.join(self.results, "latest")
        with open(latest, "w") as fh:
            fh.write("mine\n")
        self.assertEqual(self.run_fake().returncode, 0)
        self.assertEqual(open(latest).read(), "mine\n")
        os.unlink(latest)
        os.symlink("/etc", latest)
        self.assertEqual(self.run_fake().returncode, 0)
        self.assertEqual(os.readlink(latest), "/etc")

    def test_parallel_runs_get_folders_of_their_own(self):
        env = dict(os.environ, VCONFORM_FAKE="{}")
        ps = [subprocess.Popen(self.args(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for _ in range(3)]
        for p in ps:
            p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0)
        runs = [n for n in os.listdir(self.results) if n != "latest"]
        self.assertEqual(len(runs), 3, runs)
        for r in runs:
            self.assertIn("i440fx-2.6/rng", self.cells(os.path.join(self.results, r)))

    # bad input

    def assert_usage(self, p, text):
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(text.encode(), p.stderr)

    def test_bad_timeouts(self):
        for v in ("nan", "inf", "0", "-1", "x"):
            with self.subTest(timeout=v):
                self.assert_usage(self.run_fake({}, "--timeout", v), "--timeout")

    def test_bad_xfail_files(self):
        d = self.tmp.name
        bad = {"missing": None, "dir": d, "latin1": b"pc/blk/\xe9\n", "malformed": b"pc/blk\n"}
        for name, content in bad.items():
            with self.subTest(xfail=name):
                path = content if name == "dir" else os.path.join(d, f"xfail-{name}")
                if isinstance(content, bytes):
                    with open(path, "wb") as fh:
                        fh.write(content)
                p = self.run_fake({}, "--xfail", path)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(b"xfail", p.stderr.lower())

    def test_bad_paths_and_names(self):
        self.assert_usage(self.run_fake({}, "--config", "no-such-*"), "no configuration matches")
        with open(os.path.join(self.tmp.name, "file"), "w") as fh:
            fh.write("x")
        self.assert_usage(self.run_fake(results=os.path.join(self.tmp.name, "file")), "not a folder")
        self.assert_usage(self.run_fake(results="/proc/vconform"), "results")
        notkernel = os.path.join(self.tmp.name, "notkernel")
        with open(notkernel, "w") as fh:
            fh.write("hello")
        p = subprocess.run([*self.args(), "--kernel", notkernel], capture_output=True,
                           env=dict(os.environ, VCONFORM_FAKE="{}"), timeout=60)
        self.assert_usage(p, "not a kernel image")

    def test_qemu_version_with_bytes_that_are_not_utf8(self):
        p = self.run_fake({"version": "QEMU emulator version 7.2.\xff\x1b[2J\n"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(b"\x1b", p.stdout)

    def test_a_full_disk_loses_no_verdict_silently(self):
        mnt = os.path.join(self.tmp.name, "small")
        os.makedirs(mnt)
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", mnt],
                                               capture_output=True).returncode:
            self.skipTest("needs root to mount a small tmpfs")
        try:
            p = self.run_fake({"raw": "x" * 40000 + "\n"}, results=mnt)
            self.assertIn(p.returncode, (1, 2))
            if p.returncode == 2:
                self.assertIn(b"cannot", p.stderr)
        finally:
            subprocess.run(["umount", mnt])


if __name__ == "__main__":
    unittest.main()
