"""specs/ loaders and QEMU's expected-mode rules."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from vcharness import specs  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


class ExpectedMode(unittest.TestCase):
    def mode(self, *args):
        return specs.expected_mode(*args)[0]

    def test_machine_defaults(self):
        self.assertEqual(self.mode("blk", "pc-i440fx-2.6", "root"), "legacy")
        self.assertEqual(self.mode("blk", "pc-i440fx-2.7", "root"), "transitional")
        self.assertEqual(self.mode("net", "pc", "root"), "transitional")
        self.assertEqual(self.mode("net", "q35", "root"), "transitional")
        self.assertEqual(self.mode("net", "q35", "port"), "modern")

    def test_flags(self):
        self.assertEqual(self.mode("rng", "pc", "root", "on", "auto"), "modern")
        self.assertEqual(self.mode("rng", "pc", "root", "auto", "on"), "legacy")
        self.assertEqual(self.mode("rng", "pc", "root", "on", "on"), "refused")
        self.assertEqual(self.mode("rng", "pc-i440fx-2.6", "root", "auto", "off"), "transitional")
        self.assertEqual(self.mode("rng", "q35", "port", "off", "auto"), "transitional")
        self.assertEqual(self.mode("rng", "q35", "port", "auto", "on"), "refused")

    def test_modern_only_types(self):
        for args in (("pc-i440fx-2.6", "root"), ("pc", "root", "off", "on"), ("q35", "port")):
            self.assertEqual(self.mode("input", *args), "modern")

    def test_bad_input(self):
        with self.assertRaises(ValueError):
            specs.expected_mode("blk", "virt", "root")
        with self.assertRaises(ValueError):
            specs.expected_mode("blk", "pc", "bridge")
        with self.assertRaises(KeyError):
            specs.expected_mode("nosuch", "pc", "root")


class Tables(unittest.TestCase):
    def test_seed_types(self):
        seed = {d["short"]: d for d in specs.device_types() if d["seed"] == "yes"}
        self.assertEqual(set(seed), {"net", "blk", "console", "rng", "balloon", "scsi", "input"})
        for d in seed.values():
            self.assertEqual(int(d["modern_pci"], 16), 0x1040 + int(d["id"]))

    def test_feature_requires_known(self):
        names = {f["name"] for f in specs.features()}
        for f in specs.features():
            if f["requires"] != "-":
                for alt in f["requires"].replace("|", ",").split(","):
                    self.assertIn(alt, names, f["name"])

    def test_mode_rule_requirements_in_catalogue(self):
        shorts = {r["short"] for r in specs.requirements()}
        for r in specs.mode_rules():
            self.assertIn(r["requirement"], shorts)

    def test_bad_tsv_row_names_file_and_line(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
            fh.write("a\tb\n1\t2\n3\n")
        try:
            with self.assertRaisesRegex(ValueError, r":3: 1 fields"):
                specs.read_tsv(fh.name)
        finally:
            os.unlink(fh.name)


if __name__ == "__main__":
    unittest.main()


class Literals(unittest.TestCase):
    """tools/check_literals.py finds facts of specs/ written out in C."""

    def test_finds_restated_facts_and_ignores_comments(self):
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import check_literals
        src = ("enum { F_MRG_RXBUF = 15, F_MULT3 = 1 };\n"
               "/* F_MQ = 22 in a comment */\n"
               "#define VIRTIO_NET_F_MQ 22\n"
               "static const int d = { .device_id = 2 };\n"
               "if (v == 0x1AF4 || id > 0x107f) {}\n")
        with tempfile.TemporaryDirectory(dir=ROOT) as d:
            with open(os.path.join(d, "x.c"), "w") as fh:
                fh.write(src)
            found = check_literals.scan([os.path.relpath(d, ROOT)])
        lines = sorted(int(p.split(":")[1]) for p in found)
        self.assertEqual(lines, [1, 3, 4, 5, 5], found)
