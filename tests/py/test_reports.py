"""Report tests: every writer produces a well-formed file whatever the cell
results hold (their strings come from the guest and QEMU's stderr), and the
HTML page tells unexpected failures from known violations."""
import html.parser
import json
import os
import re
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from vcharness import report, specs  # noqa: E402
from vcharness.report_safe import MAX_FIELD, clean, jsonl, printable  # noqa: E402

CATALOGUE = specs.requirements()
# what no text report may hold raw: C0 controls but tab and line feed, DEL,
# C1 controls, lone surrogates
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def check(**kw):
    c = {"addr": "a", "driver": "modern", "id": "blk.read", "verdict": "pass",
         "reqs": ["dev.net_rx.1"], "expected": "x", "observed": "x"}
    c.update(kw)
    return c


def cell(name, **kw):
    config, _, device = name.partition("/")
    r = {"cell": name, "config": config, "device": device, "expected_mode": "modern",
         "observed_mode": "modern", "why": "", "verdict": "conforms", "reason": "1 checks passed",
         "reqs": [], "checks": [check()], "xfail": []}
    r.update(kw)
    return r


def hostile():
    """One cell per kind of hostile value."""
    deep = ["x"]
    for _ in range(100):
        deep = [deep]
    loop = []
    loop.append(loop)
    return [
        cell("c/reqs", verdict="violates", reqs=[["x"]], checks=[check(verdict="fail", reqs=[["x"], 3, None])]),
        cell("c/surrogate", verdict="violates", observed_mode="\ud800",
             checks=[check(verdict="fail", observed="\ud800", expected="\udfff\ud800x")]),
        cell("c/controls", verdict="violates", reason="\x1b[2J\x00 \x9b31m\u202e\r\nend\x07",
             checks=[check(verdict="fail", detail="\x1b]0;title\x07")]),
        cell("c/xml", verdict="probe-error", reason="\ufffe\uffff\x0b\x0c </failure><x> & \"'"),
        cell("c/huge", verdict="violates", reason="y" * (4 << 20), checks=[check(observed="z" * (1 << 20))]),
        cell("c/checks", checks=["not a check", 5, None, ["nested"], {"verdict": 7}]),
        cell("c/verdict-number", verdict=7, reason=None),
        cell("c/verdict-none", verdict=None, known="yes", reqs="dev.net_rx.1"),
        cell("c/nan", vm={"seconds": float("nan")}, retried=float("inf"), checks=[check(observed=float("-inf"))]),
        cell("c/nested", reason=deep, checks=loop, why=["a", {"b": [1.5, None]}]),
        {"cell": None, "config": 3, "device": ["x"]},
        {},
        "not a dict",
        cell("c/<script>alert(1)</script>", verdict="violates", reason="<img src=x onerror=alert(1)>"),
    ]


def strict_json(raw):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(raw.decode("utf-8"), parse_constant=refuse)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


class HostileResults(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        meta = {"qemu_version": "\x1b]0;pwned\x07 7.2", "seconds": float("nan"),
                "vms": [{"stderr": "\ud800\x00 qemu: warning"}]}
        self.paths = report.write_all(self.tmp.name, meta, hostile(), CATALOGUE)

    def read(self, kind):
        with open(self.paths[kind], "rb") as fh:
            return fh.read()

    def test_results_json_is_strict_utf8_json_with_bounded_fields(self):
        doc = strict_json(self.read("json"))
        self.assertEqual(len(doc["cells"]), len(hostile()))
        for s in strings(doc):
            self.assertFalse(re.search("[\ud800-\udfff]", s), repr(s[:40]))
            self.assertLessEqual(len(s), MAX_FIELD)
        huge = next(c for c in doc["cells"] if c["cell"] == "c/huge")
        self.assertIn("[cut: 4194304 characters]", huge["reason"])
        self.assertTrue(any("cut from 4194304" in n for n in doc["sanitised"]))
        nan = next(c for c in doc["cells"] if c["cell"] == "c/nan")
        self.assertIsNone(nan["vm"]["seconds"])
        self.assertEqual(doc["summary"]["cells"], len(hostile()))

    def test_cells_cleaned_before_keep_their_notes(self):
        # the runner cleans once (clean_cells) and hands the notes on
        notes = []
        cells = report.clean_cells(hostile(), notes)
        paths = report.write_all(self.tmp.name, {}, cells, CATALOGUE, notes)
        with open(paths["json"], "rb") as fh:
            doc = strict_json(fh.read())
        self.assertTrue(any("cut from 4194304" in n for n in doc["sanitised"]))
        self.assertEqual(report.summary(cells)["cells"], len(hostile()))

    def test_junit_is_well_formed_xml(self):
        root = ET.fromstring(self.read("junit"))
        failures = root.findall(".//failure")
        # every cell that is not conforms or skipped is unexpected, the
        # stray 'known': 'yes' included
        self.assertEqual(len(failures), 11)
        self.assertTrue(any("\\x1b[2J\\x00" in f.get("message") for f in failures))

    def test_tap_and_markdown_hold_no_raw_controls(self):
        for kind in ("tap", "markdown"):
            text = self.read(kind).decode("utf-8")
            self.assertFalse(RAW_CONTROL.search(text), kind)
            self.assertLess(len(text), 64 << 10, kind)  # the 4 MiB reason is cut
        tap = self.read("tap").decode("utf-8").splitlines()
        self.assertEqual(tap[1], f"1..{len(hostile())}")
        results = [ln for ln in tap if re.match(r"(not )?ok \d+ ", ln)]
        self.assertEqual(len(results), len(hostile()))
        md = self.read("markdown").decode("utf-8")
        self.assertIn("\\x1b]0;pwned\\x07", md)

    def test_html_is_escaped_and_parses(self):
        page = self.read("html").decode("utf-8")
        self.assertFalse(RAW_CONTROL.search(page))
        self.assertNotIn("<script>alert", page)
        self.assertNotIn("<img src=x", page)
        parser = html.parser.HTMLParser()
        parser.feed(page)
        parser.close()

    def test_raw_results_summary_and_unexpected(self):
        s = report.summary(hostile())
        self.assertEqual((s["cells"], s["unexpected"]), (len(hostile()), 11))
        self.assertTrue(report.unexpected({"verdict": ["conforms"]}))
        self.assertTrue(report.unexpected({"verdict": "timeout", "known": "yes"}))
        self.assertFalse(report.unexpected({"verdict": "timeout", "known": True}))


class Escaping(unittest.TestCase):
    def test_printable(self):
        s = printable("a\x1b[2J\x00\x9b\ud800\u202eb\tc\nd")
        self.assertEqual(s, "a\\x1b[2J\\x00\\x9b\\ud800\\u202eb c d")
        self.assertEqual(printable("x\ny", newlines=True), "x\ny")
        self.assertEqual(printable("é ✓ 漢"), "é ✓ 漢")
        self.assertEqual(printable(None), "")
        self.assertEqual(printable(["a"]), '["a"]')
        self.assertEqual(printable("x" * 50, 10), "... [cut: 50 characters]")
        self.assertEqual(printable("x" * 50, 30), "x" * 6 + "... [cut: 50 characters]")

    def test_clean(self):
        loop = {}
        loop["self"] = loop
        for value in (float("nan"), [float("inf")], {1: "\ud800"}, loop, object(), ("t",)):
            json.dumps(clean(value), allow_nan=False).encode("utf-8")
        self.assertEqual(clean({"a": [1, "b", None, True]}), {"a": [1, "b", None, True]})
        line = jsonl({"a": float("nan"), "b": "\ud800\n"})  # for cells.jsonl
        self.assertEqual(line.count("\n"), 1)
        self.assertEqual(strict_json(line.encode("utf-8")), {"a": None, "b": "\ufffd\n"})


def sample():
    """One cell of each kind the page colours."""
    fail = check(verdict="fail", id="net.rx.hdr", reqs=["dev.net_rx.1"])
    used = check(verdict="fail", id="vq.used_len", reqs=["dev.vq_used.2"])
    return [cell("q35/blk"),
            cell("q35/net", verdict="violates", reqs=["dev.net_rx.1"], checks=[check(), fail],
                 reason="modern net.rx.hdr: expected 1, observed 0"),
            cell("q35/input", verdict="known-violation", reqs=["dev.vq_used.2"], checks=[used] * 3,
                 xfail=["vq.used_len"]),
            cell("pc/scsi", verdict="timeout", known=True, checks=[], observed_mode=None,
                 reason="no probe output within 20 s"),
            cell("pc/blk", verdict="vmm-crash", checks=[], observed_mode=None, reason="QEMU killed by signal 11"),
            cell("pc/rng", verdict="skipped", checks=[], observed_mode=None, reason="no machine pc"),
            cell("pc/net", verdict="violates", observed_mode="legacy", checks=[],
                 reason="mode legacy at a, expected modern")]


class HtmlPage(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.paths = report.write_all(self.tmp.name, {"qemu_version": "7.2"}, sample(), CATALOGUE)
        with open(self.paths["html"], encoding="utf-8") as fh:
            self.page = fh.read()

    def test_counts_sentence_in_html_and_markdown(self):
        want = ("7 cells: 1 conforms, 2 violate, 1 known violation, 1 timed out (known), "
                "1 QEMU crash, 1 skipped; 3 unexpected.")
        self.assertIn(want, self.page)
        with open(self.paths["markdown"], encoding="utf-8") as fh:
            self.assertIn(want, fh.read())
        self.assertEqual(report.sentence([]), "0 cells: none; 0 unexpected.")

    def test_colours_tell_unexpected_from_known_with_a_legend(self):
        by_cell = {a: k for k, a in re.findall(r"<td class='(\w+)'><a href='#cell-(\S+?)'", self.page)}
        self.assertEqual(by_cell, {"q35_blk": "conforms", "q35_net": "violates", "q35_input": "known",
                                   "pc_scsi": "known", "pc_blk": "error", "pc_rng": "skipped",
                                   "pc_net": "violates"})
        legend = re.search(r"<ul class='legend'>(.*?)</ul>", self.page).group(1)
        for k in set(by_cell.values()):
            self.assertIn(f"class='sw {k}'", legend)
            self.assertRegex(self.page, r"\." + k + r"\{background:#[0-9a-f]{6}[;}]")

    def test_sticky_header_and_first_column(self):
        self.assertIn(".scroll thead th{position:sticky;top:0", self.page)
        self.assertIn(".scroll tbody th{position:sticky;left:0", self.page)
        self.assertIn("<div class='scroll'><table class='matrix'><thead>", self.page)

    def test_requirement_view_links_to_cells(self):
        reqs = self.page[self.page.index("id='requirements'"):self.page.index("id='cells'")]
        self.assertIn("Without MRG_RXBUF, num_buffers is always 1.", reqs)  # the catalogue's paraphrase
        self.assertIn("Device Types / Network Device / Device Operation / Processing of Incoming Packets", reqs)
        self.assertIn("MUST, device", reqs)
        self.assertIn("href='#cell-q35_net'", reqs)
        self.assertIn("q35/input known", reqs)
        self.assertEqual(reqs.count("href='#cell-q35_input'"), 1)  # three functions, one link
        self.assertIn("href='#cell-pc_net'", reqs)  # the wrong mode, under 'none named'
        # unexpected first
        self.assertLess(reqs.index("dev.net_rx.1"), reqs.index("dev.vq_used.2"))
        ids = set(re.findall(r"id='([^']+)'", self.page))
        for target in re.findall(r"href='#([^']+)'", self.page):
            self.assertIn(target, ids)

    def test_self_contained(self):
        self.assertNotRegex(self.page, r"(src|href)\s*=\s*['\"]?(https?:|//)")
        self.assertNotIn("<link", self.page)
        self.assertNotIn("@import", self.page)
        self.assertNotIn("<script src", self.page)


if __name__ == "__main__":
    unittest.main()
