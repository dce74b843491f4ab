"""What changes for a guest's virtio devices between two versions of its
setup: two domain XMLs (the placement libvirt gives each, libvirt_place)
or two configurations files (harness/configs). For every device present
in both: its mode and PCI device ID under each (specs/qemu_modes.tsv and
specs/device_types.tsv), and whether the ID changes. A disk controller
whose ID changes is what stops a guest from booting: its OS (Windows
above all) bound the boot disk's driver to the old ID."""
from dataclasses import dataclass

from . import libvirt_place, matrix
from .report_safe import printable

DISK_TYPES = ("blk", "scsi")
BOOT_WARNING = "this guest's boot disk driver will not match"


@dataclass
class Row:
    name: str           # the device, as both sides name it
    type: str
    old: tuple          # (mode, PCI device ID, where) or None when absent
    new: tuple

    @property
    def both(self):
        return self.old is not None and self.new is not None

    @property
    def id_changes(self):
        return self.both and self.old[1] != self.new[1]

    @property
    def mode_changes(self):
        return self.both and self.old[0] != self.new[0]

    @property
    def warning(self):
        return BOOT_WARNING if self.id_changes and self.type in DISK_TYPES else ""


def _side(mode, dtype, where):
    return mode, libvirt_place.device_id(dtype, mode) if mode in ("legacy", "transitional", "modern") else "-", where


def placements(old, new):
    """Rows for two libvirt_place.Placements, devices matched by key (the
    disk's target, the NIC's MAC, the controller's index, else order)."""
    def side(p):
        return {d.key: d for d in p.devices}
    a, b = side(old), side(new)
    rows = []
    for key in list(a) + [k for k in b if k not in a]:
        da, db = a.get(key), b.get(key)
        d = da or db
        rows.append(Row(key, d.type,
                        _side(da.expected, da.type, f"{da.bus.label}, {da.address}") if da else None,
                        _side(db.expected, db.type, f"{db.bus.label}, {db.address}") if db else None))
    return rows


def config_sets(old, new):
    """Rows for two lists of configs.Config: configurations matched by name
    (or the only one of each file), devices by type."""
    if len(old) == 1 and len(new) == 1:
        pairs = [(old[0], new[0])]
    else:
        names = {c.name: c for c in new}
        pairs = [(c, names[c.name]) for c in old if c.name in names]
    rows = []
    for co, cn in pairs:
        label = co.name if co.name == cn.name else f"{co.name} -> {cn.name}"
        for dtype in list(co.devices) + [t for t in cn.devices if t not in co.devices]:
            sides = []
            for c in (co, cn):
                if dtype in c.devices:
                    mode, _ = matrix.expected(c, dtype)
                    bus = "/".join(c.dev(dtype).bus) or "root"
                    sides.append(_side(mode, dtype, f"{c.machine}, {bus}"))
                else:
                    sides.append(None)
            rows.append(Row(f"{label}/{dtype}", dtype, *sides))
    return rows


def render(rows, old_label, new_label):
    """The comparison as text lines (cut and made printable: device names
    come from the user's files)."""
    out = [f"OLD: {printable(old_label, 200)}", f"NEW: {printable(new_label, 200)}",
           "(modes from the placement and specs/qemu_modes.tsv, IDs from specs/device_types.tsv; no VM booted)", ""]
    w = max([len(printable(r.name, 40)) for r in rows] + [6])
    out.append(f"{'device':{w}}  {'type':7}  {'mode':27}  {'PCI device ID':17}  change")
    for r in rows:
        name = printable(r.name, 40)
        if not r.both:
            out.append(f"{name:{w}}  {r.type:7}  only in {'OLD' if r.old else 'NEW'} "
                       f"({printable((r.old or r.new)[2], 80)})")
            continue
        mode = f"{r.old[0]} -> {r.new[0]}" if r.mode_changes else r.old[0]
        ids = f"{r.old[1]} -> {r.new[1]}" if r.id_changes else r.old[1]
        change = ("ID CHANGES" + (f": {r.warning}" if r.warning else "")) if r.id_changes else \
            ("mode changes, same ID" if r.mode_changes else "none")
        out.append(f"{name:{w}}  {r.type:7}  {mode:27}  {ids:17}  {change}")
        if r.id_changes or r.mode_changes:
            out.append(f"{'':{w}}    old: {printable(r.old[2], 100)}; new: {printable(r.new[2], 100)}")
    both = [r for r in rows if r.both]
    changed = [r for r in both if r.id_changes]
    disks = [r for r in changed if r.warning]
    out += ["", f"{len(changed)} of {len(both)} devices in both change their PCI device ID"
                + (f"; {len(disks)} of them disk controllers: {BOOT_WARNING}" if disks else "") + "."]
    return out
