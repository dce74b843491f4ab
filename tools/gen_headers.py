#!/usr/bin/env python3
"""Generates the C headers that carry specs/ into the build.

usage: gen_headers.py OUTDIR
Writes OUTDIR/vc/req_ids.h (one REQ_* string macro per catalogue entry plus a
table of all entries), OUTDIR/vc/spec_features.h (feature bits with their
dependency groups) OUTDIR/vc/spec_devices.h (device types, PCI IDs and the
virtio PCI vendor and id ranges of specs/pci_ids.tsv) and
OUTDIR/vc/spec_modes.h (mode classification rules).
Fails on duplicate or malformed IDs and on unknown feature names.
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


MAX_GROUPS = 4


def gen_features(devtypes, feats):
    ids = {d["short"]: int(d["id"]) for d in devtypes}
    ids["transport"] = 0
    by_name = {}
    for f in feats:
        if f["device"] not in ids:
            sys.exit(f"gen_headers: feature {f['name']}: unknown device {f['device']!r}")
        if f["name"] in by_name:
            sys.exit(f"gen_headers: duplicate feature {f['name']}")
        by_name[f["name"]] = f
    lines = [
        "/* Generated from specs/features.tsv by tools/gen_headers.py: do not edit. */",
        "#ifndef VC_SPEC_FEATURES_H",
        "#define VC_SPEC_FEATURES_H",
        "",
        f"#define VC_FEAT_MAX_GROUPS {MAX_GROUPS}",
        "",
        "/* X(device id (0: transport), bit, NAME, legacy_only, g0, g1, g2, g3):",
        " * the bit needs every non-zero group g to share a bit with the set (bits >= 64 omitted) */",
        "#define VC_FEATURES(X) \\",
    ]
    macros = []
    for f in feats:
        bit = int(f["bit"])
        macros.append(f"#define {f['name']}_BIT {bit}")
        if bit >= 64:
            continue
        groups = []
        if f["requires"] != "-":
            for g in f["requires"].split(","):
                mask = 0
                for alt in g.split("|"):
                    d = by_name.get(alt)
                    if d is None or d["device"] not in (f["device"], "transport"):
                        sys.exit(f"gen_headers: {f['name']} requires unknown {alt!r}")
                    if int(d["bit"]) >= 64:
                        sys.exit(f"gen_headers: {f['name']} requires bit >= 64")
                    mask |= 1 << int(d["bit"])
                groups.append(mask)
        if len(groups) > MAX_GROUPS:
            sys.exit(f"gen_headers: {f['name']}: more than {MAX_GROUPS} requirement groups")
        groups += [0] * (MAX_GROUPS - len(groups))
        legacy = "1" if f["legacy_only"] == "yes" else "0"
        gs = ", ".join(f"0x{g:x}ull" for g in groups)
        lines.append(f"    X({ids[f['device']]}, {bit}, {f['name']}, {legacy}, {gs}) \\")
    lines += ["", "/* bit numbers by name */"] + macros + ["", "#endif", ""]
    return "\n".join(lines)


def gen_pci_ids(rows):
    """#define VC_PCI_<NAME> for each row of pci_ids.tsv."""
    out = []
    for r in rows:
        try:
            v = int(r["value"], 16)
        except ValueError:
            sys.exit(f"gen_headers: pci_ids.tsv: {r['name']} is not a hex number")
        out.append(f"#define VC_PCI_{r['name'].upper()} 0x{v:04x}")
    return out


def gen_devices(devtypes, pci_rows=()):
    lines = [
        "/* Generated from specs/device_types.tsv by tools/gen_headers.py: do not edit. */",
        "#ifndef VC_SPEC_DEVICES_H",
        "#define VC_SPEC_DEVICES_H",
        "",
        "/* X(virtio id, short name, legacy PCI id (0: none), modern PCI id, seed type) */",
        "#define VC_DEVICE_TYPES(X) \\",
    ]
    ids = []
    pci = {r["name"]: int(r["value"], 16) for r in pci_rows}
    for d in devtypes:
        legacy = "0" if d["legacy_pci"] == "-" else d["legacy_pci"]
        seed = "1" if d["seed"] == "yes" else "0"
        if pci and int(d["modern_pci"], 16) != pci["modern_base"] + int(d["id"]):
            sys.exit(f"gen_headers: {d['short']}: modern PCI id is not modern_base + type")
        lines.append(f"    X({d['id']}, {c_str(d['short'])}, {legacy}, {d['modern_pci']}, {seed}) \\")
        ids.append(f"#define VC_DEV_ID_{d['short'].upper()} {d['id']}")
    lines += ["", *ids, "", "/* from specs/pci_ids.tsv */", *gen_pci_ids(pci_rows), "", "#endif", ""]
    return "\n".join(lines)


def gen_modes(rules):
    lines = [
        "/* Generated from specs/modes.tsv by tools/gen_headers.py: do not edit. */",
        "#ifndef VC_SPEC_MODES_H",
        "#define VC_SPEC_MODES_H",
        "",
        "/* X(mode name, id_lo, id_hi, rev (-1 any, 0, 1 for >=1), io_bar0 (-1 any, 0, 1),",
        " *   caps (-1 any, 0, 1), requirement short id): first match wins */",
        "#define VC_MODE_RULES(X) \\",
    ]
    tri = {"any": "-1", "no": "0", "yes": "1"}
    revs = {"any": "-1", "0": "0", ">=1": "1"}
    for r in rules:
        try:
            rev, io, caps = revs[r["rev"]], tri[r["io_bar0"]], tri[r["caps"]]
        except KeyError as e:
            sys.exit(f"gen_headers: modes.tsv: bad value {e} in rule {r['mode']}")
        lines.append(f"    X({c_str(r['mode'])}, {r['id_lo']}, {r['id_hi']}, {rev}, {io}, {caps}, "
                     f"{c_str(r['requirement'])}) \\")
    lines += ["", "#endif", ""]
    return "\n".join(lines)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_headers.py OUTDIR")
    out = sys.argv[1]
    write_if_changed(os.path.join(out, "vc", "req_ids.h"), gen_req_ids(specs.requirements()))
    devtypes = specs.device_types()
    write_if_changed(os.path.join(out, "vc", "spec_features.h"), gen_features(devtypes, specs.features()))
    write_if_changed(os.path.join(out, "vc", "spec_devices.h"),
                     gen_devices(devtypes, specs.read_tsv(os.path.join(specs.SPECS_DIR, "pci_ids.tsv"))))
    write_if_changed(os.path.join(out, "vc", "spec_modes.h"), gen_modes(specs.mode_rules()))


if __name__ == "__main__":
    main()
