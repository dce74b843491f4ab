"""xfail entries a run had no use for (harness/vcharness/xfail_use.py), and
their section in summary.md."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from vcharness import report_html, report_text, xfail_use  # noqa: E402


def cell(config, device, verdict="conforms", xfail=(), replay=None):
    r = {"cell": f"{config}/{device}", "config": config, "device": device, "verdict": verdict,
         "xfail": list(xfail)}
    if replay:
        r["replay"] = replay
    return r


class Unused(unittest.TestCase):
    def test_matched_entries_are_used(self):
        results = [cell("pc", "blk", "known-violation", ["pci.cap_list"]), cell("pc", "net", "timeout", ["@timeout"])]
        self.assertEqual(xfail_use.unused({"pc/blk/pci.cap_list", "pc/*/@timeout", "pc/b*/pci.*"}, results), [])

    def test_an_entry_for_judged_cells_that_matched_nothing(self):
        results = [cell("pc", "blk"), cell("q35", "blk", "known-violation", ["pci.cap_list"])]
        self.assertEqual(xfail_use.unused({"pc/blk/pci.cap_list", "*/blk/pci.cap_list", "pc/blk/@timeout"},
                                          results), ["pc/blk/@timeout", "pc/blk/pci.cap_list"])

    def test_cells_not_judged_here_keep_their_entries(self):
        results = [cell("pc", "blk"), cell("q35", "net", "skipped"), cell("q35", "rng", "interrupted")]
        self.assertEqual(xfail_use.unused({"q35/net/x", "q35/rng/x", "other/blk/x", "pc/net/x"}, results), [])

    def test_replayed_scenarios_only_where_scenarios_were_replayed(self):
        plain = [cell("pc", "blk")]
        self.assertEqual(xfail_use.unused({"pc/blk/replay.vmm_crash:suite/a.scn", "pc/blk/replay.timeout",
                                           "*/blk/ctl.expect:control/wce.*"}, plain), [])
        replayed = [cell("pc", "blk", "known-violation", ["replay.vmm_crash:suite/a.scn"], {"scenarios": 2})]
        self.assertEqual(xfail_use.unused({"pc/blk/replay.vmm_crash:suite/a.scn", "pc/blk/replay.vmm_crash",
                                           "pc/blk/replay.timeout:suite/b.scn"}, replayed),
                         ["pc/blk/replay.timeout:suite/b.scn"])
        # a replay run plays no probe checks: their entries are not its business
        self.assertEqual(xfail_use.unused({"pc/blk/pci.cap_list", "pc/blk/@timeout"}, replayed), [])

    def test_malformed_entries_and_records_do_not_break_it(self):
        results = [cell("pc", "blk", "violates", [3, None]), {"verdict": "conforms"}]
        self.assertEqual(xfail_use.unused({"no-slashes", "pc/blk/3"}, results), [])


class Summary(unittest.TestCase):
    def doc(self, stale):
        return {"qemu_version": "7.2", "accel": "tcg", "seconds": 1, "xfail_unused": stale,
                "cells": [cell("pc", "blk")], "coverage": {}}

    def test_listed_in_summary(self):
        md = report_text.markdown(self.doc(["pc/blk/pci.cap_list"]))
        self.assertIn("## xfail entries this run had no use for (1)", md)
        self.assertIn("`pc/blk/pci.cap_list`", md)
        self.assertNotIn("had no use", report_text.markdown(self.doc([])))

    def test_listed_in_the_html_report(self):
        page = report_html.html_page(self.doc(["pc/blk/<b>"]))
        self.assertIn("1 xfail entries this run had no use for", page)
        self.assertIn("<code>pc/blk/&lt;b&gt;</code>", page)
        self.assertNotIn("had no use", report_html.html_page(self.doc(None)))

    def test_untrusted_values(self):
        md = report_text.markdown(self.doc("pc/blk/`x`\nline"))
        self.assertIn("(1)", md)
        self.assertEqual(md.count("## xfail entries"), 1)
        many = report_text.markdown(self.doc([f"pc/blk/c{i}" for i in range(60)]))
        self.assertIn("and 10 more", many)


if __name__ == "__main__":
    unittest.main()
