"""Where the devices of a VM go. A device's bus path is the list of ports
and bridges (specs/qemu_buses.tsv) between it and the root bus; this module
checks paths, gives every hop and device a PCI address, and computes the
slot path the probe reports for each (dev.fn of every hop from the root bus:
05.0/01.0 behind a bridge in slot 5, 1c.0/00.0 behind a root port).

Within one configuration, devices with the same bus path share its bridges
and switches; a port holds one device (slot 0), so each device gets a port
of its own at the end of its path, except devices with explicit addresses,
which share one (functions of one multifunction slot)."""
import functools
from dataclasses import dataclass, field

from . import specs


@dataclass(frozen=True)
class BusModel:
    model: str          # QEMU device, or a machine family for its root bus
    on: tuple           # models or families it may sit on
    bus: str            # root, port, switch or conventional
    slots: range        # slots devices may use on its bus
    numbering: str      # pcie, bridge or -
    id: str             # QEMU id prefix when shared


@functools.lru_cache(maxsize=None)
def models():
    """{model: BusModel}, root buses (families pc, q35) included."""
    out = {}
    for r in specs.qemu_buses():
        lo, _, hi = r["slots"].partition("-")
        out[r["model"]] = BusModel(r["model"], tuple(x for x in r["on"].split(",") if x != "-"), r["bus"],
                                   range(int(lo), int(hi or lo) + 1), r["numbering"], r["id"])
    return out


def family(machine):
    """The machine family whose root bus a machine type has: pc or q35."""
    return "q35" if specs.machine_class(machine) == "q35" else "pc"


def hop_names():
    return [m for m, b in models().items() if b.bus != "root"]


def check_path(machine, hops):
    """ValueError unless hops (QEMU models, from the root bus) is a bus path
    for devices on machine."""
    m = models()
    parent = family(machine)
    for h in hops:
        if h not in m or m[h].bus == "root":
            raise ValueError(f"unknown bus {h!r} (root, or a path of {', '.join(hop_names())} joined by '/')")
        if parent not in m[h].on:
            raise ValueError(f"{h} cannot sit on {parent} (only on {', '.join(m[h].on)})")
        parent = h
    if m[parent].bus not in specs.BUSES:
        only = [n for n in hop_names() if parent in m[n].on]
        raise ValueError(f"{parent}'s bus holds no devices, only {', '.join(only)}")


def bus_kind(hops):
    """The bus a device at the end of hops sits on, as qemu_modes.tsv names it."""
    return models()[hops[-1]].bus if hops else "root"


def check_addr(machine, hops, slot, fn):
    """ValueError unless slot.fn is an address a device may take on the bus
    at the end of hops."""
    b = models()[hops[-1] if hops else family(machine)]
    if slot not in b.slots:
        raise ValueError(f"slot {slot:#x} is not free on {b.model}'s bus "
                         f"(slots {b.slots[0]:#x}-{b.slots[-1]:#x})")
    if not 0 <= fn <= 7:
        raise ValueError(f"function {fn} is not 0-7")


@dataclass
class Bus:
    model: str                # the hop that makes it (the family for the root bus)
    id: str = None            # QEMU id; None for the root bus
    path: str = ""            # slot path of the hop that makes it
    hops: tuple = ()          # QEMU ids of the hops from the root bus
    reserved: set = field(default_factory=set)  # slots given by explicit addresses
    taken: set = field(default_factory=set)

    def take(self, machine):
        """The next free slot for a device without an address."""
        for s in models()[self.model].slots:
            if s not in self.reserved and s not in self.taken:
                self.taken.add(s)
                return s
        where = f"root-bus slots on {machine}" if self.id is None else f"slots behind {self.model} {self.id}"
        raise ValueError(f"more devices than {where}")

    def child_path(self, slot, fn=0):
        return (self.path + "/" if self.path else "") + f"{slot:02x}.{fn}"

    def addr_props(self, slot, fn=0):
        """bus= and addr= properties of something at slot.fn on this bus; a
        port's slot 0 is implicit."""
        props = [] if self.id is None else [f"bus={self.id}"]
        if not (models()[self.model].bus == "port" and (slot, fn) == (0, 0)):
            props.append(f"addr=0x{slot:02x}.{fn}")
        return props


@dataclass
class Placement:
    config: object
    device: str               # the cell's device type
    model: str                # QEMU model, None for the type's own
    index: int                # 1-based in the VM: names its backends
    props: list               # bus= and addr=
    path: str                 # slot path
    hops: tuple               # QEMU ids of the hops on its way


def place(parts):
    """Lays out a VM. parts: [(config, [(device type, QEMU model or None)])],
    configurations of one machine type; a config's dev(type) gives bus and
    addr. Returns the items in command-line order: ("hop", -device argument)
    or ("dev", Placement)."""
    vm = _Vm(parts)
    index = 0
    for k, (config, devs) in enumerate(parts):
        for n, (dev, model) in enumerate(devs):
            index += 1
            d = config.dev(dev)
            # an address is the cell's first function's (the input cell's
            # mouse and tablet take free slots)
            addr = d.addr if all(t != dev for t, _ in devs[:n]) else None
            bus = vm.bus(k, d.bus, index, addr is not None)
            slot, fn = addr or (bus.take(vm.machine), 0)
            vm.items.append(("dev", Placement(config, dev, model, index, bus.addr_props(slot, fn),
                                              bus.child_path(slot, fn), bus.hops)))
    return vm.items


class _Vm:
    """The buses of one VM, made as devices need them, with the QEMU ids and
    numbers given out so far."""

    def __init__(self, parts):
        self.machine = parts[0][0].machine
        self.root = Bus(family(self.machine))
        self.buses, self.items, self.ids = {}, [], set()
        self.pcie, self.bridges = {}, 0   # shared PCIe ports per part, pci-bridges
        self.reserved = {}                # (part, bus path): slots explicit addresses take
        for k, (config, devs) in enumerate(parts):  # first, so the others go around them
            for dev, _ in devs:
                d = config.dev(dev)
                if d.addr:
                    (self.reserved.setdefault((k, d.bus), set()) if d.bus else self.root.reserved).add(d.addr[0])

    def bus(self, k, hops, index, explicit):
        """The bus at the end of hops for device index of part k. A port at
        the end holds one device, so each device without an address gets its
        own; everything else is shared by the devices of the part."""
        bus = self.root
        for i, hop in enumerate(hops):
            last = i == len(hops) - 1
            alone = last and models()[hop].bus == "port" and not explicit
            key = (k, hops, i, index if alone else None)
            if key not in self.buses:
                reserved = self.reserved.get((k, hops), set()) if last and not alone else set()
                self.buses[key] = self._hop(hop, bus, k, index if alone else None, reserved)
            bus = self.buses[key]
        return bus

    def _hop(self, hop, parent, k, index, reserved):
        """Adds a port or bridge on parent: device index's own, or (index
        None) one the devices of part k share."""
        m = models()[hop]
        slot = parent.take(self.machine)
        if index:
            hid, number = f"rp{index}", (index, index)
        else:
            hid, j = f"{m.id}{k}", 0
            while hid in self.ids:
                j += 1
                hid = f"{m.id}{k}_{j}"
            number = (200 + k, self.pcie.get(k, 0))
            if m.numbering == "pcie":
                self.pcie[k] = number[1] + 1
        self.ids.add(hid)
        where = parent.addr_props(slot)
        arg = [hop, f"id={hid}"] + [p for p in where if p.startswith("bus=")]
        if m.numbering == "pcie":
            arg += [f"chassis={number[0]}", f"slot={number[1]}"]
        elif m.numbering == "bridge":
            self.bridges += 1
            arg.append(f"chassis_nr={self.bridges}")
        arg += [p for p in where if not p.startswith("bus=")]
        self.items.append(("hop", ",".join(arg)))
        return Bus(hop, hid, parent.child_path(slot), parent.hops + (hid,), reserved)
