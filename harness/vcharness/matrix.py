"""The conformance matrix: configurations (machine type x bus x flags x
device variant) and the seven seed device types, with the mode QEMU should
give each cell (from specs/qemu_modes.tsv), and the QEMU command line of one
VM per configuration."""
import os
import re
import subprocess
from dataclasses import dataclass, field

from . import specs

RESULTS_PORT = 0xE9  # isa-debugcon's port: the probe writes its JSON Lines there
SEED_TYPES = ["net", "blk", "console", "rng", "balloon", "scsi", "input"]
BLK_SERIAL = "vconform-blk"


@dataclass(frozen=True)
class Config:
    name: str
    machine: str              # QEMU machine type
    bus: str = "root"         # root (integrated) or port (behind pcie-root-port)
    disable_legacy: str = "auto"
    disable_modern: str = "auto"
    variant: str = ""         # "", "transitional" or "non-transitional" device names
    why: str = ""
    profile: str = "probe"    # probe, kdrv (kernel's drivers) or kdrv-legacy (force_legacy=1)
    props: tuple = ()         # extra virtio-pci properties on every device under test
    port: str = "pcie-root-port"  # with bus=port: pcie-root-port, ioh3420, or downstream
                                  # (xio3130-downstream behind an x3130-upstream switch)


DEFAULT_CONFIGS = [
    Config("i440fx-2.6", "pc-i440fx-2.6", why="last machine type with legacy-only virtio"),
    Config("i440fx-2.7", "pc-i440fx-2.7", why="first machine type with transitional virtio"),
    Config("pc", "pc", why="newest i440fx"),
    Config("q35", "q35", why="devices integrated in the root complex"),
    Config("q35-port", "q35", bus="port", why="devices behind pcie-root-port"),
    Config("q35-ioh3420", "q35", bus="port", port="ioh3420", why="devices behind Intel ioh3420 root ports"),
    Config("q35-downstream", "q35", bus="port", port="downstream",
           why="devices behind downstream ports of a PCIe switch"),
    Config("q35-port-legacy", "q35", bus="port", disable_legacy="off",
           why="legacy forced back on behind a port"),
    Config("pc-modern-off", "pc", disable_modern="on", why="disable-modern=on"),
    Config("pc-legacy-off", "pc", disable_legacy="on", why="disable-legacy=on"),
    Config("pc-pio-notify", "pc", props=("modern-pio-notify=on",),
           why="a second notify capability in an I/O BAR"),
    Config("q35-port-pio-notify", "q35", bus="port", props=("modern-pio-notify=on",),
           why="the I/O BAR notify capability behind a root port"),
    Config("pc-both-off", "pc", disable_legacy="on", disable_modern="on",
           why="both interfaces off: QEMU must refuse"),
    Config("pc-non-transitional", "pc", variant="non-transitional",
           why="-non-transitional device names"),
    Config("q35-port-transitional", "q35", bus="port", variant="transitional",
           why="-transitional device names behind a port"),
    # the guest kernel's own drivers, per mode (and forced to legacy)
    Config("i440fx-2.6+kdrv", "pc-i440fx-2.6", profile="kdrv", why="kernel drivers, legacy devices"),
    Config("i440fx-2.7+kdrv", "pc-i440fx-2.7", profile="kdrv", why="kernel drivers, transitional devices"),
    Config("i440fx-2.7+kdrv-legacy", "pc-i440fx-2.7", profile="kdrv-legacy",
           why="virtio_pci.force_legacy=1 on transitional devices"),
    Config("q35-port+kdrv", "q35", bus="port", profile="kdrv", why="kernel drivers, modern-only devices"),
    Config("q35-port+kdrv-legacy", "q35", bus="port", profile="kdrv-legacy",
           why="force_legacy=1: legacy first, modern-only devices fall back to modern"),
]

# QEMU device per type: base name, extra objects/drives, whether a
# -transitional/-non-transitional variant exists.
_DEVICES = {
    "net": ("virtio-net-pci", True),
    "blk": ("virtio-blk-pci", True),
    "console": ("virtio-serial-pci", True),
    "rng": ("virtio-rng-pci", True),
    "balloon": ("virtio-balloon-pci", True),
    "scsi": ("virtio-scsi-pci", True),
    "input": ("virtio-keyboard-pci", False),
}
INPUT_EXTRA = ["virtio-mouse-pci", "virtio-tablet-pci"]


@dataclass
class Cell:
    config: Config
    device: str               # short type name
    expected: str             # legacy, transitional, modern or refused
    why: str

    @property
    def id(self):
        return f"{self.config.name}/{self.device}"


def expected(config, device):
    """(mode, why) for one cell, from specs/ plus the device-variant rule."""
    if config.variant and _DEVICES[device][1]:
        if config.variant == "non-transitional":
            return "modern", "a -non-transitional device has no legacy interface"
        return "transitional", "a -transitional device keeps both interfaces wherever it sits"
    return specs.expected_mode(device, config.machine, config.bus, config.disable_legacy,
                               config.disable_modern)


def cells(configs, devices):
    out = []
    for c in configs:
        for d in devices:
            mode, why = expected(c, d)
            out.append(Cell(c, d, mode, why))
    return out


def qemu_machines(qemu):
    """Machine types the QEMU binary offers (`-machine help`)."""
    p = subprocess.run([qemu, "-machine", "help"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"{qemu} -machine help failed: {p.stderr.strip()[:200]}")
    names = set()
    for line in p.stdout.splitlines()[1:]:
        m = re.match(r"(\S+)\s", line)
        if m:
            names.add(m.group(1))
        m = re.search(r"\(alias of (\S+)\)", line)
        if m:
            names.add(m.group(1))
    return names


def qopt(value):
    """A value inside a QEMU option list (-chardev file,path=VALUE): commas
    are doubled, as QEMU's option parser wants, so a results path with a
    comma in it still names the same file."""
    return str(value).replace(",", ",,")


_ACCEL = []  # the accelerator the runner chose (vmaccel.choose)


def set_accel(name):
    _ACCEL[:] = [name]


def accel():
    """The runner's choice, else kvm when /dev/kvm is usable, else tcg."""
    if _ACCEL:
        return _ACCEL[0]
    return "kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "tcg"


def device_args(config, device, index, disk, workdir, sockdir=None, name=None, place=()):
    """QEMU arguments for one device of a VM (plus its backends); place: its
    bus= and addr= properties. Net backends loop every frame back: a unix
    datagram socket (in sockdir, a short path) that sends to its own address."""
    base, has_variant = _DEVICES[device]
    base = name or base
    name = base
    if config.variant and has_variant:
        name = base.replace("-pci", f"-pci-{config.variant}")
    props = list(place)
    if not (config.variant and has_variant):
        if config.disable_legacy != "auto":
            props.append(f"disable-legacy={config.disable_legacy}")
        if config.disable_modern != "auto":
            props.append(f"disable-modern={config.disable_modern}")
    props += list(config.props)
    args = []
    if device == "rng":
        args += ["-object", f"rng-builtin,id=rng{index}"]
        props.append(f"rng=rng{index}")
    elif device == "blk":
        args += ["-drive", f"file={disk},if=none,id=blk{index},format=raw,snapshot=on"]
        props += [f"drive=blk{index}", f"serial={BLK_SERIAL}"]
    elif device == "net":
        sock = os.path.join(sockdir or workdir, f"net{index}.sock")
        args += ["-netdev", f"dgram,id=net{index},local.type=unix,local.path={sock},"
                            f"remote.type=unix,remote.path={sock}"]
        props.append(f"netdev=net{index}")
    elif device == "scsi":
        props.append(f"id=scsi{index}")
    elif device == "console":
        props.append(f"id=vser{index}")
    dev = ",".join([name] + props)
    args += ["-device", dev]
    if device == "scsi":
        args += ["-drive", f"file={disk},if=none,id=sd{index},format=raw,snapshot=on,readonly=on",
                 "-device", f"scsi-hd,drive=sd{index},bus=scsi{index}.0"]
    elif device == "console":
        out = os.path.join(workdir, f"console{index}.out")
        args += ["-chardev", f"file,id=port{index},path={out}",
                 "-device", f"virtserialport,bus=vser{index}.0,chardev=port{index},name=vconform.{index}"]
    return args


# First free slot on the root bus: pc has the host bridge at 0 and PIIX at 1;
# q35 the host bridge at 0 and the ICH9 functions at 0x1f.
_FIRST_SLOT = {"q35": 1}
_LAST_SLOT = {"q35": 0x1E}


def qemu_devices(devices):
    """(cell device type, QEMU model or None for the type's own) of every QEMU
    device the cells need: the input cell is keyboard, mouse and tablet."""
    out = [(d, None) for d in devices]
    if "input" in devices:
        out += [("input", name) for name in INPUT_EXTRA]
    return out


def layout(parts, disk="D", workdir="/w", sockdir=None):
    """Places the devices of one VM. parts: (config, device types) sharing a
    machine type. Every device gets an explicit address, so a device record's
    slot_path says which cell it belongs to. Returns (QEMU arguments,
    {(config name, device type): [slot paths]}, {(config name, device type):
    index of its first device}: the index names its backends, console<i>.out)."""
    machine = parts[0][0].machine
    family = "q35" if machine.startswith("q35") else "pc"
    slot = _FIRST_SLOT.get(family, 2)
    last = _LAST_SLOT.get(family, 0x1F)
    args, paths, first, index = [], {}, {}, 0

    def root_slot():
        nonlocal slot
        if slot > last:
            raise ValueError(f"more devices than root-bus slots on {machine}")
        slot += 1
        return slot - 1

    for k, (config, devices) in enumerate(parts):
        switch = None
        for n, (dev, name) in enumerate(qemu_devices(devices)):
            index += 1
            if config.bus != "port":
                s = root_slot()
                place, path = [f"addr=0x{s:02x}.0"], f"{s:02x}.0"
            elif config.port == "downstream":
                if switch is None:  # one switch per part: root port, upstream port
                    switch = root_slot()
                    args += ["-device", f"pcie-root-port,id=swrp{k},chassis={200 + k},slot=0,addr=0x{switch:02x}.0",
                             "-device", f"x3130-upstream,id=up{k},bus=swrp{k}"]
                args += ["-device", f"xio3130-downstream,id=rp{index},bus=up{k},chassis={index},slot={index},"
                                    f"addr=0x{n:02x}.0"]
                place, path = [f"bus=rp{index}"], f"{switch:02x}.0/00.0/{n:02x}.0/00.0"
            else:
                s = root_slot()
                args += ["-device", f"{config.port},id=rp{index},chassis={index},slot={index},addr=0x{s:02x}.0"]
                place, path = [f"bus=rp{index}"], f"{s:02x}.0/00.0"
            args += device_args(config, dev, index, disk, workdir, sockdir, name=name, place=place)
            paths.setdefault((config.name, dev), []).append(path)
            first.setdefault((config.name, dev), index)
    return args, paths, first


def vm_command(qemu, config, devices, kernel, initrd, disk, workdir, timeout_ms=2000, memory=256,
               sockdir=None, bios=None, parts=None):
    """The full QEMU command line for one VM: config's devices, or parts, a
    list of (config, devices) sharing config's machine type and profile."""
    parts = parts or [(config, devices)]
    probe_args = ["--json", f"ioport:{RESULTS_PORT:#x}", "--blk-pattern", "--blk-serial", BLK_SERIAL,
                  "--net-loopback", "--timeout-ms", str(timeout_ms)]
    if config.profile != "probe":
        probe_args += ["--kernel-drivers", "/modules"]
        if config.profile == "kdrv-legacy":
            probe_args.append("--force-legacy")
    cmd = [qemu, "-nodefaults", "-machine", config.machine, "-accel", accel(), "-m", str(memory),
           "-display", "none", "-no-reboot", "-no-user-config",
           "-kernel", kernel, "-initrd", initrd,
           # earlyprintk: the kernel's first lines come within 0.3 s, so the
           # runner tells a firmware hang from a slow boot (run.FIRMWARE_TIMEOUT);
           # cryptomgr.notests skips the crypto self-tests (0.3 s of TCG time)
           "-append", "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 loglevel=4 cryptomgr.notests vconform.args=" +
           ",".join(probe_args),
           "-serial", "file:" + os.path.join(workdir, "console.log"),
           # the results channel: QEMU's debug console, no virtio device (and
           # no UART: a serial port cost 0.5 s per VM under TCG)
           "-chardev", "file,id=results,path=" + os.path.join(workdir, "probe.jsonl"),
           "-device", f"isa-debugcon,iobase={RESULTS_PORT:#x},chardev=results"]
    if bios:
        cmd += ["-bios", bios]
    cmd += layout(parts, disk, workdir, sockdir)[0]
    return cmd
