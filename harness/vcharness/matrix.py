"""The conformance matrix: configurations (machine type x bus x flags x
device variant, read from harness/configs by configs.py) and the seven seed
device types, with the mode QEMU should give each cell (from
specs/qemu_modes.tsv), and the QEMU command line of one VM per configuration."""
import os
import re
import subprocess
from dataclasses import dataclass

from . import guest, qmp, ringdrain, specs, topology

RESULTS_PORT = 0xE9  # isa-debugcon's port: the probe writes its JSON Lines there
SEED_TYPES = ["net", "blk", "console", "rng", "balloon", "scsi", "input"]
BLK_SERIAL = "vconform-blk"


def __getattr__(name):
    # the default matrix, read from harness/configs/default.cfg on first use
    # (vconform-run reads it through configs.load, which reports mistakes)
    if name == "DEFAULT_CONFIGS":
        from . import configs
        return configs.default()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _qemu_device(device, vhost=False):
    """(QEMU model, whether -transitional/-non-transitional variants exist),
    from specs/device_types.tsv: QEMU has the variants for exactly the
    types with a legacy PCI id; for a vhost-user front-end, from
    specs/qemu_vhost.tsv."""
    if vhost:
        v = specs.qemu_vhost()[device]
        return v["qemu_device"], v["variants"] == "yes"
    d = specs.device_type(device)
    return d["qemu_device"], d["legacy_pci"] != "-"


INPUT_EXTRA = ["virtio-mouse-pci", "virtio-tablet-pci"]
# Backends a configuration may choose per device type (<type>.backend), the
# default first; device_args builds them. The "none" choices and nopeer (a
# datagram socket sending to an address nobody has) leave a device without
# what the probe's request checks use.
BACKENDS = {"net": ("loopback", "none", "nopeer"), "blk": ("disk", "disk-ro"), "console": ("port", "none"),
            "rng": ("builtin",), "balloon": (), "scsi": ("disk", "none", "disk+cd"), "input": ()}


def has_variant(device, vhost=False):
    """Whether QEMU has -transitional / -non-transitional models of the type."""
    return _qemu_device(device, vhost)[1]


@dataclass
class Cell:
    config: object            # configs.Config
    device: str               # short type name
    expected: str             # legacy, transitional, modern or refused
    why: str

    @property
    def id(self):
        return f"{self.config.name}/{self.device}"


def expected(config, device):
    """(mode, why) for one cell: set by hand in the configuration, or from
    the device-variant rule, or from specs/."""
    d = config.dev(device)
    if d.expect:
        return d.expect, f"set by the configuration ({config.source})"
    modern_only = config.vhost and specs.qemu_vhost()[device]["modern_only"] == "yes"
    if d.variant and has_variant(device, config.vhost):
        return variant_mode(d.variant)
    mode, why = specs.expected_mode(device, config.machine, topology.bus_kind(d.bus), d.prop("disable-legacy"),
                                    d.prop("disable-modern"), modern_only=modern_only)
    if modern_only and mode == "modern":
        why = f"QEMU's {_qemu_device(device, True)[0]} is virtio 1 only (specs/qemu_vhost.tsv)"
    return mode, why


def variant_mode(variant):
    """(mode, why) of QEMU's -transitional / -non-transitional models,
    whatever bus they sit on."""
    if variant == "non-transitional":
        return "modern", "a -non-transitional device has no legacy interface"
    return "transitional", "a -transitional device keeps both interfaces wherever it sits"


def probe_args(loopback, console_ports, timeout_ms):
    """The probe's arguments for the runner's backends: the pattern disk,
    frames looped back (when every NIC does), the console ports (when every
    console device has the same number), the bound on each device wait."""
    return ["--json", f"ioport:{RESULTS_PORT:#x}", "--blk-pattern", "--blk-serial", BLK_SERIAL] + \
        (["--net-loopback"] if loopback else []) + \
        (["--console-ports", str(console_ports)] if console_ports is not None else []) + \
        ["--timeout-ms", str(timeout_ms)]


def kernel_cmdline(args):
    """The guest kernel's command line with the probe's arguments.
    earlyprintk: the kernel's first lines come within 0.3 s, so the runner
    tells a firmware hang from a slow boot (run.FIRMWARE_TIMEOUT);
    cryptomgr.notests skips the crypto self-tests (0.3 s of TCG time);
    noapictimer skips the local APIC timer's calibration, 100 ms of busy
    waiting on the PM timer (ticks come from the HPET or PIT);
    no_timer_check skips the IO-APIC timer's test, 20 ms of busy waiting
    (3 % of the guest's instructions to /init)."""
    return ("console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 loglevel=4 cryptomgr.notests noapictimer "
            "no_timer_check "
            "vconform.args=" + ",".join(args))


def cells(configs, devices=None):
    """The cells of configs: each one's device types, or those of devices it has."""
    out = []
    for c in configs:
        for d in (devices or c.devices):
            if d in c.devices:
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
    d = config.dev(device)
    name = name or _qemu_device(device, config.vhost)[0]
    if d.variant and has_variant(device, config.vhost):
        name = name.replace("-pci", f"-pci-{d.variant}")
    props = list(place) + list(d.props)
    args = []
    if config.vhost:  # the back-end listens on the socket (vhost_backends)
        sock = os.path.join(sockdir or workdir, f"vu{index}.sock")
        args += ["-chardev", f"socket,id=vu{index},path={qopt(sock)}"]
        if device == "net":
            args += ["-netdev", f"vhost-user,id=net{index},chardev=vu{index}"]
            props.append(f"netdev=net{index}")
        else:
            props.append(f"chardev=vu{index}")
    elif device == "rng":
        args += ["-object", f"rng-builtin,id=rng{index}"]
        props.append(f"rng=rng{index}")
    elif device == "blk":
        ro = ",readonly=on" if d.backend == "disk-ro" else ""  # disk-ro: the device offers RO
        args += ["-drive", f"file={qopt(disk)},if=none,id=blk{index},format=raw,snapshot=on{ro}"]
        props += [f"drive=blk{index}", f"serial={BLK_SERIAL}"]
    elif device == "net" and d.backend != "none":
        sock = os.path.join(sockdir or workdir, f"net{index}.sock")
        # nopeer: the frames go to an address no socket has, so none come back
        peer = sock if d.backend == "loopback" else os.path.join(sockdir or workdir, f"net{index}.nopeer")
        args += ["-netdev", f"dgram,id=net{index},local.type=unix,local.path={qopt(sock)},"
                            f"remote.type=unix,remote.path={qopt(peer)}"]
        props.append(f"netdev=net{index}")
    elif device == "scsi":
        props.append(f"id=scsi{index}")
    elif device == "console":
        props.append(f"id=vser{index}")
    elif device == "balloon":  # its statistics are read and polled by QOM path (qmp.py)
        props.append(f"id=balloon{index}")
        for p in props:  # free-page-hint=on needs an iothread: the one its props name
            if p.startswith("iothread="):
                args += ["-object", "iothread,id=" + p.split("=", 1)[1]]
    dev = ",".join([name] + props)
    args += ["-device", dev]
    if config.vhost:
        pass
    elif device == "scsi" and d.backend in ("disk", "disk+cd"):  # disk+cd: the runner plugs a CD on request
        args += ["-drive", f"file={qopt(disk)},if=none,id=sd{index},format=raw,snapshot=on,readonly=on",
                 "-device", f"scsi-hd,drive=sd{index},bus=scsi{index}.0"]
    elif device == "console" and d.backend == "port":
        out = os.path.join(workdir, f"console{index}.out")
        # the data port (id 1; qmp.py's console-port-cycle unplugs and plugs it
        # again by its id); for the probe also a console port (id 0), where
        # QEMU sends a byte written to emerg_wr (console<i>.emerg, run.py
        # checks it; the kernel's console ports are hvc, not vport, devices)
        args += ["-chardev", f"file,id=port{index},path={qopt(out)}", "-device", qmp.virtserialport(index)]
        if config.profile == "probe":
            emerg = os.path.join(workdir, f"console{index}.emerg")
            args += ["-chardev", f"file,id=emerg{index},path={qopt(emerg)}",
                     "-device", f"virtconsole,bus=vser{index}.0,chardev=emerg{index},name=vconform.emerg.{index}"]
    return args


CONSOLE_PORTS = 2  # the 'port' backend's for the probe: the data port and the console port


def qemu_devices(devices, vhost=False, input_extra=True):
    """(cell device type, QEMU model or None for the type's own) of every QEMU
    device the cells need: the input cell is keyboard, mouse and tablet (one
    vhost-user-input device with vhost; the keyboard alone without
    input_extra)."""
    out = [(d, None) for d in devices]
    if "input" in devices and not vhost and input_extra:
        out += [("input", name) for name in INPUT_EXTRA]
    return out


def layout(parts, disk="D", workdir="/w", sockdir=None, input_extra=True):
    """Places the devices of one VM (topology.place). parts: (config, device
    types) sharing a machine type. Every device gets an explicit address, so a
    device record's slot_path says which cell it belongs to. Returns (QEMU
    arguments, {(config name, device type): [slot paths]}, {(config name,
    device type): index of its first device}: the index names its backends,
    console<i>.out)."""
    args, paths, first = [], {}, {}
    placed = topology.place([(config, qemu_devices(devices, config.vhost, input_extra))
                             for config, devices in parts])
    held = {p.index for p in _held(placed)}
    for kind, item in placed:
        if kind == "hop":
            args += ["-device", item]
            continue
        p = item
        dev = device_args(p.config, p.device, p.index, disk, workdir, sockdir, name=p.model, place=p.props)
        if p.index in held:  # its backing objects only: the device is plugged later
            dev = [a for i, a in enumerate(dev) if a != "-device" and (i == 0 or dev[i - 1] != "-device")]
        args += dev
        paths.setdefault((p.config.name, p.device), []).append(p.path)
        first.setdefault((p.config.name, p.device), p.index)
    return args, paths, first


def _held(placed):
    """The balloons of a VM after its first (plan.py lets several share a VM
    only where each can be swapped in and out)."""
    return [p for kind, p in placed if kind == "dev" and p.device == "balloon"][1:]


def held_balloons(parts, input_extra=True):
    """The balloons the probe meets in turn after the first: not on the
    command line; the runner plugs each when the probe asks (qmp.py
    balloon-swap). [(slot path, device_add arguments)] in that order."""
    placed = topology.place([(config, qemu_devices(devices, config.vhost, input_extra))
                             for config, devices in parts])
    out = []
    for p in _held(placed):
        dev = device_args(p.config, p.device, p.index, "", "", name=p.model, place=p.props)
        spec = dev[dev.index("-device") + 1]
        if ",," in spec:  # an escaped comma: no balloon property has one
            raise ValueError(f"cannot hot-plug {spec!r}")
        name, *props = spec.split(",")
        out.append((p.path, dict({"driver": name}, **dict(kv.split("=", 1) for kv in props))))
    return out


def loops_back(parts):
    """Whether every net device of the VM has the loopback backend (the
    probe's --net-loopback holds for the whole VM)."""
    return all(config.vhost or config.dev("net").backend == "loopback" for config, devices in parts
               if "net" in devices)


def scsi_cd(parts):
    """Whether every scsi device of the VM (at least one) has the disk+cd
    backend: the probe then asks the runner for a CD drive (--scsi-cd)."""
    backends = [config.dev("scsi").backend for config, devices in parts if "scsi" in devices and not config.vhost]
    return bool(backends) and all(b == "disk+cd" for b in backends)


def scsi_cd_paths(parts, input_extra=True):
    """The slot paths of the VM's scsi devices with the disk+cd backend."""
    paths = layout(parts, input_extra=input_extra)[1]
    return [path for config, devices in parts if "scsi" in devices and not config.vhost and
            config.dev("scsi").backend == "disk+cd" for path in paths[(config.name, "scsi")]]


def console_ports(parts):
    """N when every console device of the VM has N ports (the 'port' backend
    gives the probe two, a kernel driver one, 'none' none); None when they differ, so the probe does not
    assume."""
    counts = {(CONSOLE_PORTS if config.profile == "probe" else 1) if config.dev("console").backend == "port" else 0
              for config, devices in parts if "console" in devices}
    return counts.pop() if len(counts) == 1 else None


def vm_command(qemu, config, devices, kernel, initrd, disk, workdir, timeout_ms=2000, memory=256,
               sockdir=None, bios=None, parts=None, probe_extra=(), input_extra=True, ring=False):
    """The full QEMU command line for one VM: config's devices, or parts, a
    list of (config, devices) sharing config's machine type and profile;
    probe_extra: more probe arguments (a scenario replay's); ring: the
    results channel through a ring buffer (ringdrain.py), not a file."""
    parts = parts or [(config, devices)]
    args = probe_args(loops_back(parts), console_ports(parts), timeout_ms) + list(probe_extra)
    if config.drv_fault:
        args += ["--drv-fault", config.drv_fault]
    monitor = qmp.wanted(config.profile, [d for _, ds in parts for d in ds])
    swaps = len(held_balloons(parts, input_extra))
    if swaps:  # the runner plugs each next balloon when the probe asks (qmp.py)
        args += ["--balloon-swaps", str(swaps)]
    if config.profile == "probe" and any(cfg.vhost for cfg, _ in parts):
        # vhost-user devices signal through irqfd, which the probe's MSI-X
        # trick does not see, and their interrupt checks break driver rules
        # on purpose, which the back-end judging the probe's driver counts
        args.append("--no-irq")
        # the semantics checks break driver rules on purpose too, and QEMU's
        # vhost-user net front-end acks receive filters no back-end applies
        args.append("--no-semantics")
        # and a split-ring personality declines RING_PACKED where it is
        # offered, which a driver should accept (drv.reserved_features.5)
        args.append("--prefer-packed")
    elif config.profile == "probe":
        args += ["--irq-modules", "/" + guest.IRQ_DIR]  # INTx counted when the modules are there
        args += ["--config-change"] if monitor else []  # the runner answers its notes (qmp.py)
        args.append("--blk-no-unmap")  # the runner's drives have no discard=unmap: no sector is ever freed
        cd_at = scsi_cd_paths(parts, input_extra) if monitor else []
        if cd_at and scsi_cd(parts):  # a CD drive plugged on request (qmp.py)
            args.append("--scsi-cd")
        elif cd_at:  # into some SCSI hosts of the VM only
            args += ["--scsi-cd-at", "+".join(cd_at)]
    else:
        args += ["--kernel-drivers", "/modules"]
        if config.profile == "kdrv-legacy":
            args.append("--force-legacy")
        if any(cfg.vhost for cfg, _ in parts):
            # QEMU 7.2's vhost-user net forwards no per-queue reset to the back-end
            args.append("--no-ring-resize")
    machine = config.machine
    if any(cfg.vhost for cfg, _ in parts):
        # vhost-user back-ends map guest memory: it must be a shared memfd
        machine += ",memory-backend=mem"
    cmd = [qemu, "-nodefaults", "-machine", machine, "-accel", accel(), "-m", str(memory),
           "-display", "none", "-no-reboot", "-no-user-config",
           "-kernel", kernel, "-initrd", initrd,
           "-append", kernel_cmdline(args),
           # paths inside option lists go through qopt (a comma in the results path)
           "-chardev", "file,id=console,path=" + qopt(os.path.join(workdir, "console.log")),
           "-serial", "chardev:console",
           # the results channel: QEMU's debug console, no virtio device (and
           # no UART: a serial port cost 0.5 s per VM under TCG)
           ] + (ringdrain.qemu_args(ringdrain.sock_path(sockdir or workdir)) if ring else
                ["-chardev", "file,id=results,path=" + qopt(os.path.join(workdir, "probe.jsonl"))]) + [
           "-device", f"isa-debugcon,iobase={RESULTS_PORT:#x},chardev=results"]
    if monitor:  # qmp.py answers the probe's notes on it
        cmd += ["-qmp", "unix:" + qopt(qmp_path(workdir, sockdir)) + ",server=on,wait=off"]
    if bios:
        cmd += ["-bios", bios]
    if machine != config.machine:
        cmd += ["-object", f"memory-backend-memfd,id=mem,size={memory}M,share=on"]
    cmd += layout(parts, disk, workdir, sockdir, input_extra)[0]
    return cmd


def image_command(qemu, config, parts, image, workdir, memory=1024, sockdir=None):
    """A user's guest (--guest-image): its disk boots through SeaBIOS from the
    machine's own IDE/AHCI controller (snapshot=on: the image never
    changes), the serial console goes to console.log, and the devices of
    parts are the vhost-user ones; no probe, no results channel."""
    with open(image, "rb") as fh:
        fmt = "qcow2" if fh.read(4) == b"QFI\xfb" else "raw"
    return [qemu, "-nodefaults", "-machine", f"{config.machine},memory-backend=mem", "-accel", accel(),
            "-m", str(memory), "-display", "none", "-no-user-config",
            "-object", f"memory-backend-memfd,id=mem,size={memory}M,share=on",
            "-drive", f"file={qopt(image)},format={fmt},if=ide,snapshot=on",
            "-chardev", "file,id=console,path=" + qopt(os.path.join(workdir, "console.log")),
            "-serial", "chardev:console"] + layout(parts, "", workdir, sockdir)[0]


@dataclass
class Backend:
    index: int       # the device's index in the VM (its chardev vu<index>)
    config: object
    device: str
    sock: str
    log: str         # the back-end's JSON Lines record
    cmd: list


def vhost_backends(parts, binary, disk, workdir, sockdir=None):
    """One vconform-vhost-dev per vhost-user device of the VM, on the socket
    device_args gave its chardev; blk and scsi serve the pattern disk (in
    memory: writes never reach the file) and blk answers GET_ID as QEMU's
    virtio-blk does in the other configurations."""
    out = []
    for kind, p in topology.place([(config, qemu_devices(devices, config.vhost)) for config, devices in parts]):
        if kind != "dev" or not p.config.vhost:
            continue
        sock = os.path.join(sockdir or workdir, f"vu{p.index}.sock")
        log = os.path.join(workdir, f"vhost{p.index}.jsonl")
        cmd = [binary, "--socket", sock, "--device", p.device, "--log", log, "--accept-timeout-ms", "60000"]
        if p.device in ("blk", "scsi"):
            cmd += ["--image", disk]
        if p.device == "blk":
            cmd += ["--serial", BLK_SERIAL]
        # what QEMU offers the guest beyond the back-end's features: the
        # back-end judges the driver's acceptance (drv.reserved_features.1, .5)
        if expected(p.config, p.device)[0] == "modern":
            cmd.append("--modern-only")
        if p.config.dev(p.device).prop("packed") == "on":
            cmd.append("--offers-packed")
        if p.device == "net" and p.config.dev("net").prop("host_mtu") not in ("auto", "0"):
            cmd.append("--offers-mtu")
        if p.device == "blk" and p.config.dev("blk").backend == "disk-ro":
            cmd.append("--read-only")
        if p.config.provoke:  # NO_NOTIFY with EVENT_IDX: does the driver disregard it
            cmd.append("--provoke")
        if p.config.offload and p.device == "net":  # transmit offloads: the driver's GSO headers judged
            cmd.append("--offers-offload")
        out.append(Backend(p.index, p.config, p.device, sock, log, cmd))
    return out


def qmp_path(workdir, sockdir=None):
    """The VM's monitor socket (in sockdir: unix socket paths must stay short)."""
    return os.path.join(sockdir or workdir, "qmp.sock")
