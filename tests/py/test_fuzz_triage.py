"""Fuzz triage tools: finding signatures (fuzz/findings.py), the minimiser
(fuzz/minimize.py) against a stand-in replay binary, and known-findings
files."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "fuzz"))
import findings  # noqa: E402

SCN = os.path.join(ROOT, "build", "plain", "fuzz", "vconform-scn")


class Signatures(unittest.TestCase):
    def test_oracle_differential_and_sanitizer_lines(self):
        text = ("FINDING x (chain):\nwrong-refusal-code [drv.packed_indirect.2]: backend refused\n"
                "rng: used-length-too-large [dev.vq_used.2]: chain 0\n"
                "wrong-refusal-code [drv.packed_indirect.2]: the same again\n"
                "SUMMARY: AddressSanitizer: heap-buffer-overflow /w/lib/src/split_dev.c:88 in walk\n"
                "\x1b[2J garbage [not a finding\n")
        self.assertEqual(findings.signatures(text), [
            ("wrong-refusal-code", "drv.packed_indirect.2", "-"),
            ("used-length-too-large", "dev.vq_used.2", "rng"),
            ("heap-buffer-overflow", "AddressSanitizer", "split_dev.c:88")])

    def test_tiers(self):
        text = ("missed-notification [dev.vq_used_supp.5] (device): no notification\n"
                "refdev: unneeded-notification [dev.vq_used_supp.6] (should): a notification\n"
                "accepted-forbidden-chain [drv.vq_avail.1] (tolerated): took chain 0\n"
                "hang [-] (liveness): more than 4096 accesses\n"
                "used-wrong-slot [dev.implied.used_slot]: a line of older output\n"
                "SUMMARY: AddressSanitizer: stack-buffer-overflow /w/fuzz/x.c:9 in f\n")
        self.assertEqual([t for _, t in findings.classified(text)],
                         ["device", "should", "tolerated", "liveness", "device", "memory"])
        self.assertEqual(findings.signatures(text)[1], ("unneeded-notification", "dev.vq_used_supp.6", "refdev"))

    def test_known_files(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("# comment\nwrong-refusal-code drv.packed_indirect.2\nx dev.vq_used.2 ref\n")
        try:
            known = findings.load_known(fh.name)
            self.assertTrue(findings.is_known(("wrong-refusal-code", "drv.packed_indirect.2", "rng"), known))
            self.assertTrue(findings.is_known(("x", "dev.vq_used.2", "ref"), known))
            self.assertFalse(findings.is_known(("x", "dev.vq_used.2", "rng"), known))
            with open(fh.name, "w") as out:
                out.write("lonely\n")
            with self.assertRaises(ValueError):
                findings.load_known(fh.name)
        finally:
            os.unlink(fh.name)

def minimize(d, build, *args):
    """fuzz/minimize.py on a scenario whose finding needs head 0x2 made
    available and a kick, padded with a chain and a WRAP it does not need:
    (the process, the minimal scenario's lines after its header)."""
    text = os.path.join(d, "in.txt")
    with open(text, "w") as fh:
        fh.write("scenario packed=0 indirect=0 event_idx=0 in_order=0 qsize=3 used=0\n"
                 "DESC flags=WRITE index=0x0 len=0x40 addr=0x200000\nAVAIL head=0x0\nKICK\n"
                 "DESC flags=WRITE index=0x2 len=0x40 addr=0x200080\nAVAIL head=0x2\nWRAP\nKICK\n")
    scn = os.path.join(d, "in.bin")
    subprocess.run([SCN, "build", text, scn], check=True)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "fuzz", "minimize.py"), "-b", build, *args, scn],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p, [ln for ln in p.stdout.splitlines() if not ln.startswith(("#", "scenario"))]


@unittest.skipUnless(os.access(SCN, os.X_OK), "needs build/plain/fuzz/vconform-scn")
class Minimize(unittest.TestCase):
    def test_keeps_the_finding_and_drops_the_rest(self):
        with tempfile.TemporaryDirectory() as d:
            build = os.path.join(d, "build")
            os.makedirs(os.path.join(build, "fuzz"))
            shutil.copy(SCN, os.path.join(build, "fuzz", "vconform-scn"))
            # a stand-in target: the finding needs head 0x2 made available and a kick
            fake = os.path.join(build, "fuzz", "replay-fake")
            with open(fake, "w") as fh:
                fh.write(f"#!/bin/sh\nt=$({SCN} print \"$1\")\n"
                         "echo \"$t\" | grep -q 'AVAIL head=0x2' && echo \"$t\" | grep -q KICK && "
                         "echo 'made-up [drv.vq_avail.1]: found' && exit 1\nexit 0\n")
            os.chmod(fake, 0o755)
            p, body = minimize(d, build, "-t", "fake")
            self.assertEqual(body, ["AVAIL head=0x2", "KICK"], p.stdout)
            self.assertIn("made-up drv.vq_avail.1", p.stdout)

    def test_vhost_crash_kept_and_backend_restarted(self):
        with tempfile.TemporaryDirectory() as d:
            build = os.path.join(d, "build")
            os.makedirs(os.path.join(build, "fuzz"))
            os.makedirs(os.path.join(build, "vhost"))
            shutil.copy(SCN, os.path.join(build, "fuzz", "vconform-scn"))
            # a stand-in back-end: its "socket" a file, its pid beside it
            backend = os.path.join(d, "backend.sh")
            with open(backend, "w") as fh:
                fh.write("#!/bin/sh\necho $$ > \"$1.pid\"; : > \"$1\"; exec sleep 600\n")
            # a stand-in vconform-vhost: head 0x2 made available and a kick
            # kill the back-end (SIGABRT), and it sees only a hang-up; a dead
            # back-end (a zombie too) is unreachable
            tool = os.path.join(build, "vhost", "vconform-vhost")
            with open(tool, "w") as fh:
                fh.write("#!/bin/sh\nsock=$2 f=$3 pid=$(cat \"$2.pid\")\n"
                         "st=$(sed -n 's/^State:.\\(.\\).*/\\1/p' \"/proc/$pid/status\" 2>/dev/null)\n"
                         "[ -n \"$st\" ] && [ \"$st\" != Z ] || "
                         "{ echo \"$f: backend-unreachable [-] (crash): gone\"; exit 1; }\n"
                         f"t=$({SCN} print \"$f\")\n"
                         "echo \"$t\" | grep -q 'AVAIL head=0x2' && echo \"$t\" | grep -q KICK && "
                         "kill -ABRT \"$pid\" && echo \"$f: backend-unreachable [-] (crash): hung up\" && exit 1\n"
                         "exit 0\n")
            for f in (backend, tool):
                os.chmod(f, 0o755)
            p, body = minimize(d, build, "-t", "vhost", "--backend", backend)
            # every try that keeps the crash kills the back-end: a minimiser
            # that did not start it again would keep anything
            self.assertEqual(body, ["AVAIL head=0x2", "KICK"], p.stdout)
            self.assertIn("finding kept: backend-crash - signal-6", p.stdout)
            self.assertEqual(subprocess.run(["pgrep", "-f", "sleep 600"], capture_output=True).stdout, b"",
                             "the back-end outlived the minimiser")

if __name__ == "__main__":
    unittest.main()
