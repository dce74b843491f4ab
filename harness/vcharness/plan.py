"""Which cells share a VM. Under TCG a boot costs about 2.5 s and probing one
device about a tenth of that, so configurations with the same machine type
and guest profile share one VM, every device at an address of its own
(matrix.layout), within what one VM holds: its root-bus slots, the I/O
windows ports and bridges need for devices with I/O BARs (4 KiB each out of
64 KiB), and one balloon at a time (QEMU allows no second): more than one
only where each can be unplugged and plugged while the guest runs (ACPI
hot-plug: the i440fx root bus, q35 ports from pc-q35-6.1 on), so the probe
meets them in turn, the first from the command line, each next one plugged
by the runner when the probe asks (matrix.held_balloons, qmp.py
balloon-swap). A swap costs about 0.15 s of VM time, a boot 1.3-1.5 s.
A configuration QEMU must refuse gets a start per device (the refusal of
one VM with them all would be split so anyway); one that cannot share (explicit addresses,
a net backend that sends nothing back: configs.Config.shareable), and a cell
known to hang or crash its VM, get a VM of their own."""
import re
from dataclasses import dataclass, field

from . import matrix, parse, specs, topology

ROOT_SLOTS = 28        # pc has 30 free, q35 30 (0x01-0x1e)
IO_WINDOWS = 9         # ports and bridges with an I/O window per VM (the most one configuration needs)
FUNCTIONS = 40         # devices per VM: keeps VMs of a similar length for -j
BALLOONS = 6           # balloons met in turn in one VM (the first plus swaps)


@dataclass
class VmPlan:
    parts: list = field(default_factory=list)  # [(Config, [Cell])], in matrix order
    alone: bool = False                        # a known hang or crash, run by itself

    @property
    def config(self):
        """The first configuration: the VM's machine type and profile."""
        return self.parts[0][0]

    @property
    def cells(self):
        return [c for _, cs in self.parts for c in cs]

    @property
    def name(self):
        if len(self.parts) == 1 and len(self.parts[0][1]) == 1:
            return f"{self.config.name}-{self.parts[0][1][0].device}"
        # a balloon taking its turn away from its configuration's VM (_split_balloons)
        return "+".join(cfg.name + (".balloon" if len(cs) == 1 and cs[0].device == "balloon" else "")
                        for cfg, cs in self.parts)


def needs(config, cells):
    """(root-bus slots, I/O windows, functions, balloons) a configuration's
    cells take in a VM. Every port, switch port and bridge above a device with
    an I/O BAR (legacy or transitional, or a notify capability in one) needs a
    window; devices on the root bus need none."""
    mode = {c.device: c.expected for c in cells}
    devs = [p for kind, p in topology.place([(config, matrix.qemu_devices(list(mode), config.vhost))])
            if kind == "dev"]
    io = set()
    for p in devs:
        if mode[p.device] in ("legacy", "transitional") or \
                config.dev(p.device).prop("modern-pio-notify", "off") == "on":
            io.update(p.hops)
    slots = {p.path.split("/")[0].split(".")[0] for p in devs}
    return len(slots), len(io), len(devs), sum(1 for p in devs if p.device == "balloon")


def swappable(config):
    """Whether config's balloon can be swapped in and out of a running VM
    of the probe profile: ACPI hot-plug of its slot (a q35 root bus takes
    none; q35 ports use it from machine version 6.1, before that native
    PCIe hot-plug with its 5 s attention-button wait)."""
    if config.profile != "probe" or "balloon" not in config.devices:
        return False
    kind = topology.bus_kind(config.dev("balloon").bus)
    if specs.machine_class(config.machine) != "q35":
        return kind == "root"
    m = re.match(r"pc-q35-(\d+)\.(\d+)$", config.machine)  # None: the q35 alias, the newest
    return kind == "port" and (m is None or (int(m.group(1)), int(m.group(2))) >= (6, 1))


def _balloons_fit(used, need, swaps):
    """used, need: (balloons, all of them swappable) of a VM and of a part."""
    if used[0] + need[0] <= 1:
        return True
    return swaps and used[1] and need[1] and used[0] + need[0] <= BALLOONS


def _options_agree(parts):
    """Whether the probe's options that hold for a whole VM (matrix.vm_command)
    suit every part: every net looped back or none, the same console ports."""
    parts = [(cfg, [c.device for c in cs]) for cfg, cs in parts]
    nets = {matrix.loops_back([p]) for p in parts if "net" in p[1]}
    consoles = {matrix.console_ports([p]) for p in parts if "console" in p[1]}
    return len(nets) <= 1 and len(consoles) <= 1


def _split_balloons(items):
    """A balloon that cannot be swapped keeps every other out of its VM, but
    not the other devices of their configurations: where a group has one,
    the swappable balloons become parts of their own, free to take their
    turn in another VM of the group."""
    fixed = any(not swappable(cfg) and any(c.device == "balloon" for c in cs) for cfg, cs in items)
    if not fixed:
        return items
    out = []
    for cfg, cs in items:
        rest = [c for c in cs if c.device != "balloon"]
        if swappable(cfg) and rest and len(rest) < len(cs):
            out += [(cfg, rest), (cfg, [c for c in cs if c.device == "balloon"])]
        else:
            out.append((cfg, cs))
    return out


def plan(cells, xfail=(), swaps=True):
    """VM plans for cells: shared where possible, alone where required;
    swaps: balloons may take turns in one VM (swappable)."""
    order = {}  # configurations in the order of their first cell
    for c in cells:
        order.setdefault(c.config, len(order))
    by_config, plans = {}, []
    for c in cells:
        if any(parse.xfail_match(xfail, c.config.name, c.device, "@" + v)
               for v in ("timeout", "vmm-crash", "guest-panic")):
            plans.append(VmPlan([(c.config, [c])], alone=True))
        else:
            by_config.setdefault(c.config, []).append(c)
    groups = {}
    for cfg, cs in by_config.items():
        if all(c.expected == "refused" for c in cs):
            # QEMU refuses each device: one start per device at once (a
            # start for them all would be refused and split into these)
            plans.extend(VmPlan([(cfg, [c])]) for c in cs)
        elif any(c.expected == "refused" for c in cs) or not cfg.shareable:
            plans.append(VmPlan([(cfg, cs)]))  # QEMU refuses the whole VM, or see Config.shareable
        else:
            groups.setdefault((cfg.machine, cfg.profile), []).append((cfg, cs))
    for items in groups.values():
        if swaps:
            items = _split_balloons(items)
        bins = []  # [VmPlan, [slots, io, functions], (balloons, all swappable)]
        limits = (ROOT_SLOTS, IO_WINDOWS, FUNCTIONS)
        # the hardest to place first, balloons on their own last (they go
        # where a balloon may take its turn); each into the emptiest VM it fits in
        order_key = lambda it: (any(c.device != "balloon" for c in it[1]),) + needs(*it)[1:3]  # noqa: E731
        for cfg, cs in sorted(items, key=order_key, reverse=True):
            need = needs(cfg, cs)
            bal = (need[3], not need[3] or swappable(cfg))
            fits = [b for b in bins if all(u + n <= lim for u, n, lim in zip(b[1], need, limits)) and
                    _balloons_fit(b[2], bal, swaps) and _options_agree(b[0].parts + [(cfg, cs)])]
            if fits:
                b = min(fits, key=lambda b: b[1][2])
                b[0].parts.append((cfg, cs))
                b[1] = [u + n for u, n in zip(b[1], need)]
                b[2] = (b[2][0] + bal[0], b[2][1] and bal[1])
            else:
                bins.append([VmPlan([(cfg, cs)]), list(need[:3]), bal])
        for b in bins:
            b[0].parts.sort(key=lambda p: order.get(p[0], len(order)))
            plans.append(b[0])
    return plans
