#!/usr/bin/env python3
"""Build-time check of the requirement catalogue (specs/requirements/*.tsv).

Fails (exit 1, one line per problem) when:
  - a row's short id does not match its section alias and ordinal;
  - code (C or Python) names a requirement id that is not in the catalogue;
  - a summary is missing, or copies the spec (shares a run of 7 or more
    words with the statement it paraphrases);
  - with ../shared/spec present: a row names a statement the spec does not
    have (or with another target/keyword/file), or an in-scope statement of
    the spec is missing from the catalogue.
usage: check_catalogue.py [--spec DIR]
"""
import argparse
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "harness"))
from vcharness import specs  # noqa: E402

CODE_DIRS = ["lib", "refdev", "fuzz", "guest-probe", "tests", "harness", "bench", "vhostdev"]
MACRO_RE = re.compile(r"\bREQ_(DEV|DRV)_[A-Z0-9_]+\b")
LITERAL_RE = re.compile(r"[\"'`]((?:dev|drv)\.[a-z0-9_]+\.[a-z0-9_]+)[\"'`]")
IN_SCOPE_FILE = re.compile(
    r"^(content|split-ring|packed-ring|transport-pci)\.tex$"
    r"|^device-types/(net|blk|console|entropy|balloon|scsi|input)/")
COPY_RUN = 7


def words(text):
    return re.findall(r"[a-z0-9_]+", text.lower())


def shared_run(a, b, n=COPY_RUN):
    """First run of n words that text a shares with text b, or None."""
    wa, wb = words(a), words(b)
    grams = {tuple(wb[i:i + n]) for i in range(len(wb) - n + 1)}
    for i in range(len(wa) - n + 1):
        if tuple(wa[i:i + n]) in grams:
            return " ".join(wa[i:i + n])
    return None


def load_spec(spec_dir):
    path = os.path.join(spec_dir, "requirements.tsv")
    if not os.path.exists(path):
        return None
    out = {}
    for r in specs.read_tsv(path):
        out[f"{r['section']}#{r['ordinal']}"] = r
    return out


def check_rows(reqs, aliases, spec, problems):
    for r in reqs:
        where = f"{r['group']}.tsv: {r['short']}"
        m = specs.SHORT_ID_RE.match(r["short"])
        if not m:
            problems.append(f"{where}: malformed short id")
            continue
        kind, alias, ordinal = m.groups()
        if not r["summary"].strip():
            problems.append(f"{where}: summary is empty")
        if r["group"] == "implied":
            continue
        prefix, _, rest = r["id"].partition(":")
        section, _, num = rest.rpartition("#")
        want_prefix = "devicenormative" if kind == "dev" else "drivernormative"
        if prefix != want_prefix or aliases.get(alias) != section or num != ordinal:
            problems.append(f"{where}: short id does not match {r['id']!r}")
        if spec is None:
            continue
        s = spec.get(r["id"])
        if s is None:
            problems.append(f"{where}: no such statement in the spec: {r['id']}")
            continue
        for col in ("target", "keyword", "file"):
            if s[col] != r[col]:
                problems.append(f"{where}: {col} is {r[col]!r}, the spec says {s[col]!r}")
        run = shared_run(r["summary"], s["statement"])
        if run:
            problems.append(f"{where}: summary copies the spec ({run!r}); use our own words")


def check_scope(reqs, spec, problems):
    have = {r["id"] for r in reqs}
    for key, s in spec.items():
        if IN_SCOPE_FILE.search(s["file"]) and key not in have:
            problems.append(f"catalogue misses in-scope statement {key}")


def check_code(reqs, problems):
    shorts = {r["short"] for r in reqs}
    macros = {specs.c_macro(s) for s in shorts}
    for top in CODE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if not name.endswith((".c", ".h", ".py")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        for m in MACRO_RE.finditer(line):
                            if m.group(0) not in macros:
                                problems.append(f"{rel}:{n}: {m.group(0)} is not in the catalogue")
                        for m in LITERAL_RE.finditer(line):
                            if m.group(1) not in shorts:
                                problems.append(f"{rel}:{n}: {m.group(1)} is not in the catalogue")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default=os.path.join(ROOT, "..", "shared", "spec"),
                    help="folder with the spec's requirements.tsv (default ../shared/spec)")
    args = ap.parse_args()
    reqs = specs.requirements()
    aliases = {r["alias"]: r["section"] for r in specs.read_tsv(
        os.path.join(specs.SPECS_DIR, "section_aliases.tsv"))}
    spec = load_spec(args.spec)
    problems = []
    check_rows(reqs, aliases, spec, problems)
    if spec is not None:
        check_scope(reqs, spec, problems)
    check_code(reqs, problems)
    for p in problems:
        print(p)
    n_dev = sum(1 for r in reqs if r["target"] == "device")
    n_drv = sum(1 for r in reqs if r["target"] == "driver")
    note = "" if spec is not None else " (spec not found: cross-check against the spec skipped)"
    print(f"catalogue: {len(reqs)} entries ({n_dev} device, {n_drv} driver), "
          f"{len(problems)} problem(s){note}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
