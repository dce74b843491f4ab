#!/usr/bin/env python3
"""Generates the C headers that carry specs/ into the build.

usage: gen_headers.py OUTDIR
Writes OUTDIR/vc/req_ids.h (one REQ_* string macro per catalogue entry plus a
table of all entries). Fails on duplicate or malformed IDs.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from vcharness import specs  # noqa: E402


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_if_changed(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def gen_req_ids(reqs):
    seen = {}
    lines = [
        "/* Generated from the TSV files in specs/requirements by tools/gen_headers.py: do not edit. */",
        "#ifndef VC_REQ_IDS_H",
        "#define VC_REQ_IDS_H",
        "",
    ]
    for r in reqs:
        short = r["short"]
        if not specs.SHORT_ID_RE.match(short):
            sys.exit(f"gen_headers: malformed short id {short!r}")
        for key in (short, r["id"]):
            if key in seen:
                sys.exit(f"gen_headers: duplicate requirement id {key!r}")
            seen[key] = True
        lines.append(f"#define {specs.c_macro(short)} {c_str(short)}")
    lines += [
        "",
        "typedef struct vc_req_info {",
        "    const char *short_id, *id, *target, *keyword, *summary;",
        "} vc_req_info;",
        "",
        "/* X(short_id, full id, target, keyword, summary) for every catalogue entry */",
        "#define VC_REQ_TABLE(X) \\",
    ]
    for r in reqs:
        lines.append(
            f"    X({c_str(r['short'])}, {c_str(r['id'])}, {c_str(r['target'])}, "
            f"{c_str(r['keyword'])}, {c_str(r['summary'])}) \\"
        )
    lines += ["", f"#define VC_REQ_COUNT {len(reqs)}", "", "#endif", ""]
    return "\n".join(lines)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_headers.py OUTDIR")
    out = sys.argv[1]
    write_if_changed(os.path.join(out, "vc", "req_ids.h"), gen_req_ids(specs.requirements()))


if __name__ == "__main__":
    main()
