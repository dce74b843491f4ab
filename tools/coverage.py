#!/usr/bin/env python3
"""Requirement coverage: which catalogue entries some check names.

A requirement counts as covered by a part (lib, refdev, fuzz, guest-probe,
harness) when that part's code names it where a violation can be reported:
REQ_<...> in C, or the short id ("dev.vq_used.1") as a string literal. Tests
count only through VC_CONFORMS(REQ_DEV_...): a passing unit test that
demonstrates the reference device satisfies that device requirement (part
"tests").

Mentions that are not checks do not count:
- comments (C and Python), in every part;
- in the guest probe, a vp_check() whose verdict can never be a failure: its
  verdict argument names VP_PASS, VP_SKIP, VP_ERROR or VP_INFO and not
  VP_FAIL (an info record, a hard-wired pass, a skip saying why a
  requirement was not checked). A verdict computed elsewhere (a variable)
  still counts, as do vp_expect() (pass or fail) and tables of requirements
  handed to it;
- in the guest probe, vp_report_rt(): it names requirements only on the
  probe's own driver errors, never as a device failure;
- in vhostdev/, the tallies of rules a chain was checked against
  (vd_rules_seen, and vd_types.c's table of the models' rules): only its
  own fault reports count.

--real RESULTS (a run's results.json or run folder, repeatable) counts what
was checked against a real implementation in those runs, not what code
names: a device statement counts when a check naming it passed or failed
against a real device (QEMU's, not the reference device behind a +vhost
cell), a driver statement when one was judged against a real driver (the
guest kernel's, by vconform-vhost-dev in a +vhost cell, or from QEMU's trace
of its register accesses in a kernel-driver cell: judge {"device": "qemu",
"driver": "kernel", "via": "trace"}; not the probe's own driver). Skipped,
erroring and info checks do not count.

Checked against a real VMM: device requirements the guest probe can fail
on a device it drives through its real interface, counted apart: the probe's
own checks (as above), the used-ring oracle its scenario replay runs
(fuzz/usedchk.c), the requirement a hostile-suite scenario names for a
chain the device must take (corpus/hostile, "#@ use req=..."), and the
requirements the control-plane sequences name on operations that judge the
device (corpus/control: req= on an op with expect=eq/ne/oneof/unchanged, or
on a WAIT that is not soft).

usage: coverage.py [--by-section] [--missing] [--json FILE] [--real RESULTS ...]
"""
import argparse
import collections
import json
import os
import re
import sys
import tokenize

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import specs  # noqa: E402

PARTS = ["lib", "refdev", "fuzz", "guest-probe", "vhost", "vhostdev", "harness", "tests"]
VMM_SHARED = [os.path.join("fuzz", "usedchk.c")]   # run by the probe's replay in the guest
VMM_SUITE = os.path.join("corpus", "hostile")
VMM_CONTROL = os.path.join("corpus", "control")
CTL_JUDGED_RE = re.compile(r"^(?!#)(?:\S+\s.*\bexpect=(?:eq|ne|oneof|unchanged)\b|WAIT\b(?!.*\bsoft=1\b)).*$", re.M)
CTL_REQ_RE = re.compile(r"\breq=((?:dev|drv)\.[a-z0-9_]+\.[a-z0-9_]+)")
DIRECTIVE_RE = re.compile(r"^#@.*\breq=((?:dev|drv)\.[a-z0-9_]+\.[a-z0-9_]+)", re.M)
MACRO_RE = re.compile(r"\bREQ_(?:DEV|DRV)_[A-Z0-9_]+\b")
LITERAL_RE = re.compile(r"[\"']((?:dev|drv)\.[a-z0-9_]+\.[a-z0-9_]+)[\"']")
CONFORMS_RE = re.compile(r"\bVC_CONFORMS\((REQ_DEV_[A-Z0-9_]+)\)")
# C comments, and the string and character literals a comment marker may hide in
C_TOKEN_RE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
RECORDER_RE = re.compile(r"\b(vp_check|vp_report_rt)\s*\(")
NOT_FAIL_RE = re.compile(r"\bVP_(?:PASS|SKIP|ERROR|INFO)\b")


def strip_comments(text, python):
    """text without its comments (strings kept: short ids live in them)"""
    if python:
        lines = text.splitlines(keepends=True)
        try:
            toks = list(tokenize.generate_tokens(iter(lines).__next__))
        except (tokenize.TokenError, SyntaxError):
            return text
        for t in reversed([t for t in toks if t.type == tokenize.COMMENT]):
            row, col = t.start
            lines[row - 1] = lines[row - 1][:col] + lines[row - 1][t.end[1]:]
        return "".join(lines)
    return C_TOKEN_RE.sub(lambda m: " " if m.group(0)[0] == "/" else m.group(0), text)


def call_args(text, open_paren):
    """(end, top-level arguments) of the call whose "(" is at open_paren"""
    depth, args, start, i = 0, [], open_paren + 1, open_paren
    while i < len(text):
        c = text[i]
        if c in "\"'":
            m = C_TOKEN_RE.match(text, i)
            i = m.end() if m else i + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i])
                return i + 1, args
        elif c == "," and depth == 1:
            args.append(text[start:i])
            start = i + 1
        i += 1
    return len(text), args


def drop_non_checks(text):
    """probe C text with every recorder call that cannot report a device
    failure blanked out (see the module docstring)"""
    out, pos = [], 0
    for m in RECORDER_RE.finditer(text):
        if m.start() < pos:
            continue  # inside a call already blanked
        end, args = call_args(text, m.end() - 1)
        verdict = args[3] if len(args) > 3 else ""
        if m.group(1) == "vp_report_rt" or (NOT_FAIL_RE.search(verdict) and "VP_FAIL" not in verdict):
            out.append(text[pos:m.start()])
            pos = end
    out.append(text[pos:])
    return " ".join(out)


SEEN_RE = re.compile(r"\bvd_rules_seen\s*\(")


def drop_tallies(text):
    """vhostdev C text without its tallies of rules kept (vd_rules_seen):
    they say where a rule was evaluated, not where a violation is reported"""
    out, pos = [], 0
    for m in SEEN_RE.finditer(text):
        if m.start() < pos:
            continue
        end, _ = call_args(text, m.end() - 1)
        out.append(text[pos:m.start()])
        pos = end
    out.append(text[pos:])
    return " ".join(out)


def scan(reqs):
    """{short id: set of parts naming it}"""
    by_macro = {specs.c_macro(r["short"]): r["short"] for r in reqs}
    shorts = {r["short"] for r in reqs}
    hits = collections.defaultdict(set)
    for part in PARTS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, part)):
            for name in files:
                if not name.endswith((".c", ".h", ".py")):
                    continue
                with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as fh:
                    text = strip_comments(fh.read(), name.endswith(".py"))
                if part == "guest-probe" and not name.endswith(".py"):
                    text = drop_non_checks(text)
                if part == "vhostdev":  # vd_types.c declares the models' rules: no check of its own
                    text = "" if name == "vd_types.c" else drop_tallies(text)
                if part == "tests":
                    for m in CONFORMS_RE.finditer(text):
                        if m.group(1) in by_macro:
                            hits[by_macro[m.group(1)]].add(part)
                    continue
                for m in MACRO_RE.finditer(text):
                    if m.group(0) in by_macro:
                        hits[by_macro[m.group(0)]].add(part)
                for m in LITERAL_RE.finditer(text):
                    if m.group(1) in shorts:
                        hits[m.group(1)].add(part)
    return hits


def real_checked(paths, reqs):
    """({device statements}, {driver statements}) named by a pass or fail
    check in the given runs against a real implementation: a device
    statement against QEMU's devices (not the reference device a vhost-user
    cell is served by), a driver statement against a real driver (a cell
    whose judge names the guest kernel's; the probe's own driver is ours)."""
    known = {r["short"] for r in reqs}
    dev, drv = set(), set()
    for path in paths:
        if os.path.isdir(path):
            path = os.path.join(path, "results.json")
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as e:
            sys.exit(f"coverage.py: cannot read {path}: {e}")
        cells = doc.get("cells") if isinstance(doc, dict) else None
        for cell in cells if isinstance(cells, list) else []:
            if not isinstance(cell, dict):
                continue
            judge = cell.get("judge") if isinstance(cell.get("judge"), dict) else {}
            real_device = judge.get("device") in (None, "qemu")
            real_driver = judge.get("driver") in ("kernel", "guest")
            for c in cell.get("checks", []):
                if not (isinstance(c, dict) and c.get("verdict") in ("pass", "fail")):
                    continue
                for q in c.get("reqs", []):
                    if isinstance(q, str) and q in known:
                        if q.startswith("dev.") and real_device:
                            dev.add(q)
                        elif q.startswith("drv.") and real_driver:
                            drv.add(q)
    return dev, drv


def print_real(paths, reqs):
    dev, drv = real_checked(paths, reqs)
    line = []
    for target, name, seen in (("device", "device", dev), ("driver", "driver", drv)):
        rows = [r for r in reqs if r["target"] == target and r["group"] != "implied"]  # the spec's own
        musts = [r for r in rows if r["keyword"].startswith("MUST")]
        line.append(f"{name} {sum(r['short'] in seen for r in rows)}/{len(rows)} "
                    f"(MUST {sum(r['short'] in seen for r in musts)}/{len(musts)})")
    print("real: " + " ".join(line) + "  (devices: QEMU's; drivers: the guest kernel's, judged through vhost-user "
          "and from QEMU's trace)")


def scan_vmm(reqs, hits):
    """Device requirement short ids checked against a real VMM (module doc)."""
    by_macro = {specs.c_macro(r["short"]): r["short"] for r in reqs}
    out = {q for q, parts in hits.items() if "guest-probe" in parts}
    for rel in [r for r in VMM_SHARED if os.path.exists(os.path.join(ROOT, r))]:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            text = strip_comments(fh.read(), False)
        out |= {by_macro[m.group(0)] for m in MACRO_RE.finditer(text) if m.group(0) in by_macro}
    suite = os.path.join(ROOT, VMM_SUITE)
    for name in os.listdir(suite) if os.path.isdir(suite) else ():
        with open(os.path.join(suite, name), encoding="utf-8", errors="replace") as fh:
            out |= set(DIRECTIVE_RE.findall(fh.read()))
    control = os.path.join(ROOT, VMM_CONTROL)
    for name in sorted(os.listdir(control)) if os.path.isdir(control) else ():
        if name.endswith(".ctl"):
            with open(os.path.join(control, name), encoding="utf-8", errors="replace") as fh:
                for line in CTL_JUDGED_RE.finditer(fh.read()):
                    out |= set(CTL_REQ_RE.findall(line.group(0)))
    shorts = {r["short"] for r in reqs if r["target"] == "device"}
    return out & shorts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--by-section", action="store_true", help="one line per section alias")
    ap.add_argument("--missing", action="store_true", help="list MUST/MUST NOT entries without a check")
    ap.add_argument("--json", metavar="FILE", help="write the full table as JSON")
    ap.add_argument("--real", action="append", metavar="RESULTS",
                    help="a run's results.json (or folder): what it checked against real devices")
    args = ap.parse_args()
    reqs = specs.requirements()
    hits = scan(reqs)

    groups = collections.OrderedDict()
    for r in reqs:
        key = r["group"] if not args.by_section else r["short"].rsplit(".", 1)[0]
        g = groups.setdefault(key, {"total": 0, "covered": 0, "must": 0, "must_covered": 0})
        must = r["keyword"].startswith("MUST")
        g["total"] += 1
        g["must"] += must
        if r["short"] in hits:
            g["covered"] += 1
            g["must_covered"] += must
    width = max(len(k) for k in groups) + 2
    print(f"{'group':<{width}}{'covered':>9}{'total':>7}{'MUST cov':>10}{'MUST':>6}")
    for k, g in groups.items():
        print(f"{k:<{width}}{g['covered']:>9}{g['total']:>7}{g['must_covered']:>10}{g['must']:>6}")
    tot = {f: sum(g[f] for g in groups.values()) for f in ("covered", "total", "must_covered", "must")}
    print(f"{'all':<{width}}{tot['covered']:>9}{tot['total']:>7}{tot['must_covered']:>10}{tot['must']:>6}")
    by_part = collections.Counter(p for parts in hits.values() for p in parts)
    print("checks per part: " + ", ".join(f"{p} {by_part.get(p, 0)}" for p in PARTS))
    vmm = scan_vmm(reqs, hits)
    devs = [r for r in reqs if r["target"] == "device"]
    must = {r["short"] for r in devs if r["keyword"].startswith("MUST")}
    print(f"checked against a real VMM (guest probe, its replay, the hostile suite): {len(vmm)} of {len(devs)} "
          f"device statements, {len(vmm & must)} of {len(must)} MUST")
    if args.real:
        print_real(args.real, reqs)
    if args.missing:
        for r in reqs:
            if r["short"] not in hits and r["keyword"].startswith("MUST"):
                print(f"  not checked: {r['short']:<32} {r['summary']}")
    if args.json:
        table = [{"short": r["short"], "id": r["id"], "keyword": r["keyword"],
                  "parts": sorted(hits.get(r["short"], ())), "vmm": r["short"] in vmm} for r in reqs]
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(table, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
