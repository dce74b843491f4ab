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


def mode_rules(specs_dir=SPECS_DIR):
    """Classification rules (modes.tsv), in evaluation order."""
    return read_tsv(os.path.join(specs_dir, "modes.tsv"))


def qemu_mode_rules(specs_dir=SPECS_DIR):
    """QEMU's expected mode per configuration (qemu_modes.tsv), in order."""
    return read_tsv(os.path.join(specs_dir, "qemu_modes.tsv"))


def qemu_buses(specs_dir=SPECS_DIR):
    """Root buses and the QEMU ports and bridges that make buses
    (qemu_buses.tsv): model, on, bus, slots, numbering, id."""
    return read_tsv(os.path.join(specs_dir, "qemu_buses.tsv"))


def qemu_vhost(specs_dir=SPECS_DIR):
    """{type: row} of QEMU's vhost-user front-ends (qemu_vhost.tsv): type,
    qemu_device, frontend, variants, modern_only, needs_kvm."""
    return {r["type"]: r for r in read_tsv(os.path.join(specs_dir, "qemu_vhost.tsv"))}


# the bus a device sits on, as qemu_modes.tsv's rules tell them apart
BUSES = ("root", "port", "conventional")

MACHINE_RE = re.compile(r"^pc-i440fx-(\d+)\.(\d+)$")


def machine_class(machine):
    """'old' (i440fx before 2.7), 'pc' (other i440fx) or 'q35'."""
    if machine == "pc" or machine.startswith("pc-i440fx-"):
        m = MACHINE_RE.match(machine)
        if m and (int(m.group(1)), int(m.group(2))) < (2, 7):
            return "old"
        return "pc"
    if machine == "q35" or machine.startswith("pc-q35-"):
        return "q35"
    raise ValueError(f"unknown machine type {machine!r} (pc, pc-i440fx-X.Y, q35, pc-q35-X.Y)")


def expected_mode(device_short, machine, bus, disable_legacy="auto", disable_modern="auto",
                  specs_dir=SPECS_DIR, modern_only=False):
    """(mode, why) QEMU should give a device of this type in this
    configuration, from qemu_modes.tsv. bus is one of BUSES. modern_only:
    the QEMU model is virtio 1 only although the type has a legacy id (a
    vhost-user front-end, qemu_vhost.tsv)."""
    if bus not in BUSES:
        raise ValueError(f"bus must be one of {', '.join(BUSES)}, not {bus!r}")
    for flag in (disable_legacy, disable_modern):
        if flag not in ("auto", "on", "off"):
            raise ValueError(f"disable-legacy/disable-modern must be auto, on or off, not {flag!r}")
    dev = device_type(device_short, specs_dir)
    has_legacy = "no" if dev["legacy_pci"] == "-" or modern_only else "yes"
    have = {"device_legacy": has_legacy, "machine": machine_class(machine), "bus": bus,
            "disable_legacy": disable_legacy, "disable_modern": disable_modern}
    for rule in qemu_mode_rules(specs_dir):
        if all(rule[k] in ("*", v) for k, v in have.items()):
            return rule["expected"], rule["why"]
    raise ValueError(f"qemu_modes.tsv has no rule for {have}")
