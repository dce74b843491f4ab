"""Bad inputs to the fuzz tools get a message and a non-zero exit.

usage: fuzz_cli_inputs.py VCONFORM_SCN REPLAY_BINARY CORPUS_DIR

A replay that found nothing to replay used to exit 0 like a clean one, and
`vconform-scn print DIR` printed an empty scenario: a CI step with a wrong
path passed. Standard library only.
"""
import os
import subprocess
import sys
import tempfile
import unittest

SCN = REPLAY = CORPUS = None


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class Inputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.empty = os.path.join(self.tmp.name, "empty")
        os.mkdir(self.empty)
        self.missing = os.path.join(self.tmp.name, "missing")

    def tearDown(self):
        self.tmp.cleanup()

    def refused(self, rc, out, err, message):
        self.assertEqual(rc, 2, "exit status (stdout %r, stderr %r)" % (out, err))
        self.assertIn(message, err)

    def test_scn_print_a_directory(self):
        self.refused(*run(SCN, "print", CORPUS), "is a directory")

    def test_scn_print_an_empty_directory(self):
        self.refused(*run(SCN, "print", self.empty), "is a directory")

    def test_scn_print_a_missing_path(self):
        self.refused(*run(SCN, "print", self.missing), "No such file")

    def test_scn_print_without_a_file(self):
        self.refused(*run(SCN, "print"), "print takes FILE")

    def test_scn_build_refuses_a_value_wider_than_its_field(self):
        text = os.path.join(self.tmp.name, "t.txt")
        with open(text, "w") as f:
            f.write("scenario qsize=3\nAVAIL head=0x12345\n")
        out = os.path.join(self.tmp.name, "t.bin")
        self.refused(*run(SCN, "build", text, out), "line 2: head=0x12345")
        self.assertFalse(os.path.exists(out))

    def test_replay_a_corpus_directory(self):
        rc, out, err = run(REPLAY, CORPUS)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"replayed [1-9][0-9]* inputs, no findings")

    def test_replay_an_empty_directory(self):
        self.refused(*run(REPLAY, self.empty), "no inputs in " + self.empty)

    def test_replay_an_empty_directory_beside_a_corpus(self):
        self.refused(*run(REPLAY, CORPUS, self.empty), "no inputs in " + self.empty)

    def test_replay_a_missing_path(self):
        self.refused(*run(REPLAY, self.missing), "No such file")

    def test_replay_without_arguments(self):
        self.refused(*run(REPLAY), "no inputs given")


if __name__ == "__main__":
    SCN, REPLAY, CORPUS = sys.argv[1:4]
    unittest.main(argv=sys.argv[:1])
