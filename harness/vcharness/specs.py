"""Loader for specs/: the single source of truth shared with the C build.

Only the standard library is used. Every table is a TSV file with a header row;
lines starting with '#' are comments.
"""
import csv
import os
import re

SPECS_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "specs"))

SHORT_ID_RE = re.compile(r"^(dev|drv)\.([a-z0-9_]+)\.([a-z0-9_]+)$")


def read_tsv(path):
    """Rows of a TSV file as dicts; comment lines skipped; a row with the
    wrong number of fields is an error naming the file and line."""
    rows = []
    with open(path, newline="", encoding="utf-8") as fh:
        lines = [(n, l) for n, l in enumerate(fh, 1) if l.strip() and not l.startswith("#")]
    if not lines:
        return rows
    header = lines[0][1].rstrip("\n").split("\t")
    for n, line in lines[1:]:
        fields = line.rstrip("\n").split("\t")
        if len(fields) != len(header):
            raise ValueError(f"{path}:{n}: {len(fields)} fields, header has {len(header)}")
        rows.append(dict(zip(header, fields)))
    return rows


def requirements(specs_dir=SPECS_DIR):
    """The requirement catalogue: list of dicts with id, short, target,
    keyword, file, summary (and 'group', the file it came from)."""
    out = []
    rdir = os.path.join(specs_dir, "requirements")
    for name in sorted(os.listdir(rdir)):
        if not name.endswith(".tsv"):
            continue
        for row in read_tsv(os.path.join(rdir, name)):
            row["group"] = name[:-4]
            out.append(row)
    return out


def c_macro(short_id):
    """drv.vq_indirect.3 -> REQ_DRV_VQ_INDIRECT_3"""
    return "REQ_" + short_id.replace(".", "_").upper()


def device_types(specs_dir=SPECS_DIR):
    """Device types: id, name, short, qemu_device, windows_driver, legacy_pci,
    modern_pci, queues, seed."""
    return read_tsv(os.path.join(specs_dir, "device_types.tsv"))


def device_type(short, specs_dir=SPECS_DIR):
    for d in device_types(specs_dir):
        if d["short"] == short:
            return d
    raise KeyError(f"unknown device type {short!r}")


def features(specs_dir=SPECS_DIR):
    """Feature bits: device, bit, name, requires, legacy_only, description."""
    return read_tsv(os.path.join(specs_dir, "features.tsv"))
