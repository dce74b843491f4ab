"""The domain vconform boots for a user's domain XML: the same machine
type, controllers, addresses and devices (libvirt places them as it would
for the user), with the guest OS replaced by direct kernel boot of the
probe, disks by scratch images of the same bus and model, every network
by a UDP socket on 127.0.0.1 that sends to itself (nothing leaves the
host), every character device by a file, and what needs the host's own
resources (passthrough, TPM, spice, vhost-user daemons) left out. Works
on a copy: the user's tree, and file, are never changed. Every change is
said in a note."""
import copy
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from . import libvirt_xml, matrix

MEMORY_MIB = 256     # as the runner's VMs (matrix.vm_command)
# features that describe the machine and work under TCG; the rest are
# hypervisor enlightenments and host tuning the probe does not need
FEATURES = ("acpi", "apic", "pae", "vmport", "smm", "ioapic", "vmcoreinfo")
# virtio properties of a disk's or NIC's <driver>: they shape the device;
# cache, io, name and the like are host-side only
DRIVER_KEEP = ("queues", "queue_size", "rx_queue_size", "tx_queue_size", "iothread", "iommu", "ats",
               "packed", "page_per_vq", "event_idx", "ioeventfd")
DISK_KEEP = ("target", "readonly", "shareable", "wwn", "vendor", "product", "geometry", "blockio", "boot",
             "address", "alias")
NIC_KEEP = ("mac", "model", "address", "alias", "mtu", "link", "boot", "coalesce")
# device elements kept as they are: emulated devices and controllers that
# shape the PCI placement and need nothing from the host
KEEP = ("controller", "memballoon", "video", "sound", "watchdog", "panic", "hub", "iommu", "crypto")
DROP_WHY = {
    "graphics": "no display: nothing listens on a port",
    "audio": "libvirt adds audio type none",
    "hostdev": "host devices are not passed through",
    "redirdev": "USB redirection needs a spice or TCP peer",
    "smartcard": "smartcards need the host's certificates or a peer",
    "tpm": "a TPM needs swtpm or the host's TPM (not a PCI device)",
    "vsock": "vhost-vsock needs the host's /dev/vhost-vsock",
    "shmem": "shared memory would outlive the run in /dev/shm",
    "lease": "lock leases need a lock manager",
    "nvram": "no firmware variables with direct kernel boot",
    "memory": "memory modules need maxMemory sized for the user's guest",
}


@dataclass
class Guest:
    """What replaces the user's OS, and where backends' files go."""
    kernel: str
    initrd: str
    emulator: str
    files: str                   # a folder the VM may write in
    loader: str = None           # -bios image (qboot), None for SeaBIOS
    accel: str = "tcg"
    cmdline: str = ""


@dataclass
class Boot:
    root: ET.Element
    notes: list = field(default_factory=list)
    disks: list = field(default_factory=list)     # scratch images to create (paths)
    folders: list = field(default_factory=list)   # empty folders to create (9p sources)
    console: str = ""                             # the guest's serial console file
    results: str = ""                             # the probe's results channel file

    def xml(self):
        return libvirt_xml.tostring(self.root)


def rewrite(user, name, guest, udp_port):
    """A Boot for user (a <domain> element) under the domain name `name`;
    udp_port() gives a free UDP port on 127.0.0.1 for each NIC."""
    b = Boot(ET.Element("domain", type="kvm" if guest.accel == "kvm" else "qemu"))
    b.console = f"{guest.files}/console.log"
    b.results = f"{guest.files}/probe.jsonl"
    r = b.root
    _sub(r, "name", name)
    _sub(r, "memory", str(MEMORY_MIB), unit="MiB")
    _sub(r, "vcpu", "1")
    if user.find("iothreads") is not None:
        r.append(copy.deepcopy(user.find("iothreads")))
    r.append(_os(user, guest))
    r.append(_features(user, b.notes))
    if user.find("pm") is not None:
        r.append(copy.deepcopy(user.find("pm")))
    for ev in ("on_poweroff", "on_reboot", "on_crash"):
        _sub(r, ev, "destroy")   # the probe powers off when done; a panic reboots
    r.append(_Devices(user, guest, b, udp_port).build())
    r.append(_commandline(b.results))
    replaced = {"name", "uuid", "title", "description", "metadata", "memory", "currentMemory", "vcpu", "os",
                "features", "pm", "iothreads", "devices", "on_poweroff", "on_reboot", "on_crash"}
    dropped = sorted({_tag(el) for el in user if _tag(el) not in replaced})
    replaced_os = sorted({el.tag for el in user.find("os") if el.tag != "type"})
    b.notes.insert(0, f"memory {MEMORY_MIB} MiB, 1 vCPU, direct kernel boot of the probe instead of the guest OS"
                      + (f" (its {', '.join(replaced_os)} left out)" if replaced_os else "")
                      + ", on_poweroff/reboot/crash destroy")
    if dropped:
        b.notes.append("left out (host tuning, CPU and clock settings, QEMU arguments of the domain's own): "
                       + ", ".join(dropped))
    return b


def _tag(el):
    return ("qemu:" if el.tag.startswith("{" + libvirt_xml.QEMU_NS) else "") + el.tag.split("}")[-1]


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _os(user, guest):
    t = user.find("os/type")
    os_el = ET.Element("os")
    _sub(os_el, "type", "hvm", **{k: v for k, v in t.attrib.items() if k in ("arch", "machine")})
    if guest.loader:
        _sub(os_el, "loader", guest.loader, type="rom")
    _sub(os_el, "kernel", guest.kernel)
    _sub(os_el, "initrd", guest.initrd)
    _sub(os_el, "cmdline", guest.cmdline)
    return os_el


def _features(user, notes):
    f = ET.Element("features")
    old = user.find("features")
    dropped = []
    for el in (old if old is not None else []):
        if el.tag not in FEATURES:
            dropped.append(el.tag)
            continue
        el = copy.deepcopy(el)
        if el.tag == "ioapic" and el.get("driver") == "kvm":
            el.set("driver", "qemu")   # the in-kernel IOAPIC needs KVM
        f.append(el)
    if f.find("acpi") is None:
        f.insert(0, ET.Element("acpi"))
        notes.append("ACPI added: the probe powers the VM off through it")
    if dropped:
        notes.append("features left out (hypervisor enlightenments, no effect on PCI): " + ", ".join(dropped))
    return f


def _commandline(results):
    """The results channel: QEMU's debug console, as in the runner's VMs
    (libvirt has no element for isa-debugcon)."""
    cl = ET.Element(f"{{{libvirt_xml.QEMU_NS}}}commandline")
    for v in ("-chardev", f"file,id=vcresults,path={matrix.qopt(results)}",
              "-device", f"isa-debugcon,iobase={matrix.RESULTS_PORT:#x},chardev=vcresults"):
        ET.SubElement(cl, f"{{{libvirt_xml.QEMU_NS}}}arg", value=v)
    return cl


class _Devices:
    def __init__(self, user, guest, boot, udp_port):
        self.user, self.guest, self.boot, self.udp_port = user, guest, boot, udp_port
        self.out = ET.Element("devices")
        self.n = 0
        self.dropped = {}

    def file(self, stem):
        self.n += 1
        return f"{self.guest.files}/{stem}{self.n}"

    def build(self):
        _sub(self.out, "emulator", self.guest.emulator)
        for el in self.user.find("devices"):
            tag = el.tag
            handler = getattr(self, "_" + tag, None)
            if tag == "emulator":
                continue
            if tag in KEEP:
                self.out.append(copy.deepcopy(el))
            elif handler:
                handler(el)
            else:
                self.drop(tag, DROP_WHY.get(tag, "not an element vconform knows how to make safe"))
        # the guest's console, ttyS0: the kernel's console=ttyS0
        s = _sub(self.out, "serial", type="file")
        _sub(s, "source", path=self.boot.console)
        _sub(s, "target", type="isa-serial", port="0")
        for tag, why in self.dropped.items():
            self.boot.notes.append(f"<{tag}> left out: {why}")
        return self.out

    def drop(self, tag, why):
        self.dropped.setdefault(tag, why)

    def _disk(self, el):
        device = el.get("device", "disk")
        target = el.find("target")
        if device == "cdrom" and target is not None and target.get("bus") == "scsi":
            # the probe reads the pattern disk at LUN 0 of a SCSI host, as
            # the runner's VMs have it: a disk, whatever the LUN held
            self.boot.notes.append(f"cdrom {target.get('dev')} on SCSI: a scratch disk (the probe reads a "
                                   f"disk at LUN 0)")
            device = "disk"
        d = _sub(self.out, "disk", type="file", device="disk" if device == "lun" else device)
        if el.get("model"):
            d.set("model", el.get("model"))
        drv = el.find("driver")
        _sub(d, "driver", name="qemu", type="raw",
             **({k: v for k, v in drv.attrib.items() if k in DRIVER_KEEP} if drv is not None else {}))
        if device in ("disk", "lun"):
            path = self.file("disk") + ".img"
            self.boot.disks.append(path)
            _sub(d, "source", file=path)
        virtio = el.find("target") is not None and el.find("target").get("bus") == "virtio"
        for child in el:
            if child.tag in DISK_KEEP:
                d.append(copy.deepcopy(child))
            elif child.tag == "serial" and not virtio:
                d.append(copy.deepcopy(child))
        if virtio:  # the probe's get-id check (--blk-serial)
            _sub(d, "serial", matrix.BLK_SERIAL)

    def _interface(self, el):
        if el.get("type") == "hostdev":
            self.drop("interface type='hostdev'", "a host network function is not passed through")
            return
        port = str(self.udp_port())
        nic = _sub(self.out, "interface", type="udp")
        # sends to its own address: every frame comes back, as the runner's loopback
        src = _sub(nic, "source", address="127.0.0.1", port=port)
        _sub(src, "local", address="127.0.0.1", port=port)
        if el.find("model") is None and el.get("type") in ("vhostuser", "vdpa"):
            _sub(nic, "model", type="virtio")   # implied by those types; udp's default is another NIC
        for child in el:
            if child.tag in NIC_KEEP:
                nic.append(copy.deepcopy(child))
            elif child.tag == "driver":
                drv = _sub(nic, "driver", **{k: v for k, v in child.attrib.items() if k in DRIVER_KEEP})
                for sub in child:  # host/guest offloads
                    drv.append(copy.deepcopy(sub))
        if el.get("type") != "udp" or el.find("source") is not None:
            self.boot.notes.append(f"interface {_mac(el)}: type {el.get('type')!r} replaced by a UDP socket "
                                   f"on 127.0.0.1 sending to itself")

    def _input(self, el):
        if el.get("type") in ("passthrough", "evdev"):
            self.drop(f"input type='{el.get('type')}'", "a host input device is not passed through")
        else:
            self.out.append(copy.deepcopy(el))

    def _rng(self, el):
        r = _sub(self.out, "rng", **el.attrib)
        for child in el:
            if child.tag != "backend":
                r.append(copy.deepcopy(child))
        _sub(r, "backend", model="builtin")   # no host device or egd peer

    def _filesystem(self, el):
        drv = el.find("driver")
        if drv is not None and drv.get("type") == "virtiofs":
            self.drop("filesystem driver='virtiofs'", "virtiofs needs a virtiofsd daemon and shared memory")
            return
        fs = _sub(self.out, "filesystem", **{k: v for k, v in el.attrib.items() if k != "type"})
        fs.set("type", "mount")
        path = self.file("fs")
        self.boot.folders.append(path)
        for child in el:
            if child.tag in ("target", "readonly", "address", "alias"):
                fs.append(copy.deepcopy(child))
        _sub(fs, "source", dir=path)

    def _chardev(self, el, keep_target):
        c = _sub(self.out, el.tag, type="file")
        _sub(c, "source", path=self.file(el.tag) + ".out")
        for child in el:
            if child.tag == "target" and keep_target:
                t = copy.deepcopy(child)
                if el.tag == "serial":
                    t.attrib.pop("port", None)   # port 0 is ours
                c.append(t)
            elif child.tag in ("address", "alias"):
                c.append(copy.deepcopy(child))

    def _serial(self, el):
        t = el.find("target")
        if t is None or t.get("type") in (None, "isa-serial"):
            return  # ours is ttyS0 (added in build)
        self._chardev(el, True)

    def _console(self, el):
        t = el.find("target")
        if t is not None and t.get("type") == "virtio":
            self._chardev(el, True)   # a virtio-serial console port: keep it on its controller

    def _channel(self, el):
        t = el.find("target")
        if t is None or t.get("type") != "virtio":
            self.drop(f"channel target type='{t.get('type') if t is not None else ''}'",
                      "guestfwd needs user networking")
            return
        self._chardev(el, True)

    def _parallel(self, el):
        self._chardev(el, True)


def _mac(el):
    m = el.find("mac")
    return m.get("address") if m is not None else "(no MAC)"


def set_cmdline(root, cmdline):
    root.find("os/cmdline").text = cmdline


def probe_cmdline(placement, timeout_ms):
    """The guest kernel's command line, as matrix.vm_command gives the
    runner's VMs: every NIC loops back; --console-ports when every console
    device has the same number of ports."""
    counts = {len(d.ports) for d in placement.devices if d.type == "console"}
    return matrix.kernel_cmdline(matrix.probe_args(True, counts.pop() if len(counts) == 1 else None, timeout_ms))
