#!/usr/bin/env python3
"""Facts that specs/ owns must not be written again in C: feature bit
numbers, virtio device ids, the virtio PCI vendor id and the PCI device id
ranges come from the headers tools/gen_headers.py generates. This finds
literals that restate them (run by ctest).
usage: check_literals.py [DIR ...]   (default: the C parts of the tree)"""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
DIRS = ["lib", "refdev", "fuzz", "vhost", "vhostdev", "guest-probe", "tests"]

def feature_suffixes():
    """'MRG_RXBUF', 'VERSION_1', ...: what follows _F_ in specs' feature names."""
    sys.path.insert(0, os.path.join(ROOT, "harness"))
    from vcharness import specs
    return {f["name"].split("_F_", 1)[1] for f in specs.features()}


FEATURES = feature_suffixes()
# a name for a feature bit given a number: F_MRG_RXBUF = 15, #define X_F_MQ 22
# (only names of specs' features: fault flags like F_MULT3 are not facts of specs/)
FEATURE_RE = re.compile(r"(?:\bF_|#\s*define\s+\w*_F_)([A-Z0-9_]+)\b\s*=?\s*\d+\b")

# (what, pattern): each match outside comments is a restated fact
RULES = [
    ("a virtio device id", re.compile(r"\.(?:device_id|virtio_id)\s*=\s*\d+\b")),
    ("the virtio PCI vendor id", re.compile(r"\b0x1af4\b", re.I)),
    ("a virtio PCI device id range bound", re.compile(r"\b0x(?:103f|1040|107f)\b", re.I)),
]
COMMENT_RE = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.S)


def strip_comments(text):
    """Comments blanked (line breaks kept); string literals kept as they are."""
    def blank(m):
        s = m.group(0)
        return s if s.startswith('"') else re.sub(r"[^\n]", " ", s)
    return COMMENT_RE.sub(blank, text)


def scan(dirs):
    problems = []
    for top in dirs:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text = strip_comments(fh.read())
                for n, line in enumerate(text.splitlines(), 1):
                    for m in FEATURE_RE.finditer(line):
                        if m.group(1) in FEATURES:
                            problems.append(f"{os.path.relpath(path, ROOT)}:{n}: a feature bit number "
                                            f"written out ({m.group(0).strip()!r}): use the generated header")
                    for what, rx in RULES:
                        m = rx.search(line)
                        if m:
                            problems.append(f"{os.path.relpath(path, ROOT)}:{n}: {what} written out "
                                            f"({m.group(0).strip()!r}): use the generated header")
    return problems


def main(argv):
    problems = scan(argv or DIRS)
    for p in problems:
        print(p)
    print(f"check_literals: {len(problems)} literal(s) that specs/ owns")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
