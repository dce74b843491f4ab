"""Where libvirt put each virtio device of a domain, read from an XML with
addresses (`virsh dumpxml`, live or after define), and the mode that
placement implies: the model asked for (harness/libvirt/devices.tsv), the
bus the device sits on (its PCI controller, harness/libvirt/controllers.tsv
and specs/qemu_buses.tsv) and the rules of specs/qemu_modes.tsv. Also the
slot path the probe will report for each PCI device (dev.fn of every hop
from the root bus), which ties the probe's records to libvirt's aliases."""
import functools
import os
from dataclasses import dataclass, field

from . import matrix, specs, topology

TABLES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "libvirt"))


class PlaceError(Exception):
    """The XML's placement cannot be read (a message for the user)."""


@functools.lru_cache(maxsize=None)
def _devices():
    return tuple(specs.read_tsv(os.path.join(TABLES, "devices.tsv")))


@functools.lru_cache(maxsize=None)
def _controllers():
    return {r["model"]: r for r in specs.read_tsv(os.path.join(TABLES, "controllers.tsv"))}


def device_rows(tag):
    return [r for r in _devices() if r["element"] == tag]


def attr(el, path):
    """The value at path ('@a' or 'child/@a') of el, or None."""
    if path == "-":
        return None
    child, _, name = path.rpartition("@")
    if child:
        el = el.find(child.rstrip("/"))
        if el is None:
            return None
    return el.get(name)


def holds(el, where):
    if where == "-":
        return True
    path, _, value = where.partition("=")
    return attr(el, path) == value


def classify(el):
    """(device type, variant) of a virtio device element: variant is ''
    (QEMU's plain device), 'transitional' or 'non-transitional'; None for
    any other element."""
    for row in device_rows(el.tag):
        if not holds(el, row["where"]):
            continue
        model = attr(el, row["model"])
        if model is None:
            return (row["type"], "") if row["absent"] == "plain" else None
        if model in row["plain"].split(","):
            return row["type"], ""
        if model in ("virtio-transitional", "virtio-non-transitional"):
            return row["type"], model[len("virtio-"):]
        return None
    return None


def pci_address(el):
    """(bus, slot, function) of el's <address type='pci'>, or None."""
    a = el.find("address")
    if a is None or a.get("type") != "pci":
        return None
    try:
        dom, bus, slot, fn = (int(a.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function"))
    except ValueError:
        raise PlaceError(f"<{el.tag}> has a PCI address that is not numbers: {dict(a.attrib)}") from None
    if dom != 0:
        raise PlaceError(f"<{el.tag}> is in PCI domain {dom}: vconform knows domain 0 only")
    return bus, slot, fn


@dataclass
class Bus:
    index: int
    model: str          # libvirt's controller model
    qemu: str           # the QEMU device ('-' for a root bus)
    kind: str           # root, port, switch or conventional
    alias: str
    path: str           # slot path of the controller ('' for the root bus)

    @property
    def label(self):
        return f"{self.alias or 'pci.' + str(self.index)} ({self.qemu if self.qemu != '-' else self.model})"


@dataclass
class Device:
    key: str            # the same device in two XMLs of one guest has the same key
    alias: str          # libvirt's alias ('' before the domain runs, unless the user gave one)
    element: str
    type: str           # specs/device_types.tsv short name
    model: str          # the model as written ('' when none)
    variant: str        # '', 'transitional' or 'non-transitional'
    address: str        # libvirt's PCI address (bus = controller index)
    slot_path: str
    bus: Bus
    expected: str
    why: str
    findings: list = field(default_factory=list)
    ports: list = field(default_factory=list)   # console: host files of its ports

    @property
    def name(self):
        return self.alias or self.key


@dataclass
class Placement:
    machine: str
    devices: list       # Device, in the XML's order
    slot_paths: set     # every PCI device's slot path: anything else the probe finds was not configured


def buses(root):
    """{controller index: Bus} of the PCI controllers."""
    ctrls = {}
    for c in root.iterfind("devices/controller[@type='pci']"):
        try:
            ctrls[int(c.get("index", "0"))] = c
        except ValueError:
            raise PlaceError(f"a PCI controller with index {c.get('index')!r}") from None
    out = {}

    def bus(i, depth=0):
        if i in out:
            return out[i]
        c = ctrls.get(i)
        if c is None:
            raise PlaceError(f"a device sits on PCI bus {i}, and no PCI controller has index {i}")
        model = c.get("model", "")
        row = _controllers().get(model)
        if row is None:
            raise PlaceError(f"PCI controller {i} has model {model!r}, which vconform does not know "
                             f"(known: {', '.join(_controllers())})")
        qemu = c.find("model").get("name") if c.find("model") is not None else row["qemu"]
        kind = row["bus"]
        if kind == "unsupported":
            raise PlaceError(f"PCI controller {i} is a {model}: its root bus is one the probe's slot "
                             f"paths cannot tell from the main one, so vconform does not support it")
        if kind == "-":
            m = topology.models().get(qemu)
            if m is None:
                raise PlaceError(f"PCI controller {i} is QEMU's {qemu!r}, which specs/qemu_buses.tsv does not list")
            kind = m.bus
        alias = c.find("alias").get("name", "") if c.find("alias") is not None else ""
        if kind == "root":
            path = ""
        else:
            a = pci_address(c)
            if a is None or depth > 32 or a[0] == i:
                raise PlaceError(f"PCI controller {i} ({model}) has no PCI address on another bus")
            parent = bus(a[0], depth + 1)
            path = _join(parent.path, a[1], a[2])
        out[i] = Bus(i, model, qemu, kind, alias, path)
        return out[i]

    for i in ctrls:
        bus(i)
    return out, bus


def _join(path, slot, fn):
    return (path + "/" if path else "") + f"{slot:02x}.{fn:x}"


def machine_of(root):
    t = root.find("os/type")
    return t.get("machine", "") if t is not None else ""


def place(root):
    """The Placement of an XML whose PCI addresses libvirt has assigned."""
    machine = machine_of(root)
    try:
        specs.machine_class(machine)
    except ValueError as e:
        raise PlaceError(f"machine type {machine!r}: {e}") from None
    _, bus = buses(root)
    devices, paths, seen = [], set(), {}
    for el in root.find("devices"):
        a = pci_address(el)
        if a is None:
            continue
        b = bus(a[0])
        path = _join(b.path, a[1], a[2])
        paths.add(path)
        kind = classify(el)
        if kind is None:
            continue
        dtype, variant = kind
        key = _key(el, dtype, seen)
        alias = el.find("alias").get("name", "") if el.find("alias") is not None else ""
        row = next(r for r in device_rows(el.tag) if holds(el, r["where"]))
        model = attr(el, row["model"]) or ""
        if b.kind not in specs.BUSES:
            raise PlaceError(f"{alias or key} sits on {b.label}, whose bus holds no devices")
        mode, why = expected(dtype, machine, b.kind, variant)
        d = Device(key, alias, el.tag, dtype, model, variant, f"0000:{a[0]:02x}:{a[1]:02x}.{a[2]:x}", path, b,
                   mode, why)
        d.findings = findings(d)
        devices.append(d)
    _ports(root, devices)
    return Placement(machine, devices, paths)


def _key(el, dtype, seen):
    """What names one device in two XMLs of a guest: the disk's target,
    the NIC's MAC, the controller's index, else the element's place
    among its kind."""
    if el.tag == "disk" and el.find("target") is not None:
        return f"disk {el.find('target').get('dev')}"
    if el.tag == "interface" and el.find("mac") is not None:
        return f"interface {el.find('mac').get('address')}"
    if el.tag == "controller":
        return f"controller {el.get('type')} {el.get('index', '0')}"
    base = f"input {el.get('type')}" if el.tag == "input" else el.tag
    n = seen.get(base, 0)
    seen[base] = n + 1
    return f"{base} #{n}"


def expected(dtype, machine, bus, variant):
    """(mode, why): as matrix.expected for the -transitional and
    -non-transitional models, else the qemu_modes.tsv rule for the bus."""
    if variant in ("transitional", "non-transitional"):
        return matrix.variant_mode(variant)
    return specs.expected_mode(dtype, machine, bus)


def findings(d):
    """Where libvirt's placement and the model asked for disagree."""
    out = []
    if d.variant == "transitional" and d.bus.kind == "port":
        out.append(f"{d.name} asks for virtio-transitional but sits on {d.bus.label}, a PCI Express port: "
                   f"its legacy I/O BAR needs an I/O window the port may not get (libvirt puts "
                   f"transitional devices behind a pcie-to-pci-bridge unless an address says otherwise)")
    if d.variant == "transitional" and specs.device_type(d.type)["legacy_pci"] == "-":
        out.append(f"{d.name} asks for virtio-transitional, but {d.type} has no legacy interface")
    return out


def _ports(root, devices):
    """Each console device's host files: the file backends of the channels
    and consoles on its virtio-serial controller."""
    by_index = {}
    for d in devices:
        if d.type == "console" and d.key.startswith("controller "):
            by_index[d.key.split()[-1]] = d
    for el in list(root.iterfind("devices/channel")) + list(root.iterfind("devices/console")):
        a = el.find("address")
        t = el.find("target")
        if a is None or a.get("type") != "virtio-serial" or t is None or t.get("type") != "virtio":
            continue
        d = by_index.get(a.get("controller", "0"))
        src = el.find("source")
        if d is not None:
            d.ports.append(src.get("path") if src is not None and el.get("type") == "file" else None)


def device_id(dtype, mode):
    """The PCI device ID a device of this type has in this mode (0x1000 +
    ... for legacy and transitional, 0x1040 + virtio id for modern)."""
    row = specs.device_type(dtype)
    return row["modern_pci"] if mode == "modern" else row["legacy_pci"]
