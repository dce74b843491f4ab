"""Users' domains through the private libvirt (libvirt_daemon): each is
rewritten (libvirt_boot), defined once to learn libvirt's placement
without booting (and to hear a refusal before any VM starts), undefined,
then created as a transient domain; its live XML gives every device's
alias and address, the probe's records (through parse.py, as untrusted as
ever) give each device's mode and checks, and the specs/ rules applied to
the placement (libvirt_place) give the mode it should have."""
import os
import re
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from types import SimpleNamespace

from . import libvirt_boot, libvirt_daemon, libvirt_place, libvirt_xml, matrix, outcap, parse, run
from .report_safe import printable

POLL = 0.05
DESTROY_SECONDS = 15
OUTPUTS = ("console.log", "probe.jsonl", "qemu.log")


class Refused(Exception):
    """libvirt refuses a domain, or its placement cannot be read (exit 2)."""


@dataclass
class Domain:
    path: str                 # the user's file (only read)
    root: ET.Element
    name: str                 # the user's domain name: the reports' configuration
    index: int
    folder: str               # its folder in the run folder
    boot: libvirt_boot.Boot = None
    placement: libvirt_place.Placement = None
    defined_xml: str = ""
    notes: list = field(default_factory=list)

    @property
    def libvirt_name(self):
        return f"vconform-{self.index}-{_safe(self.name)}"[:64]


def _safe(name):
    return re.sub(r"[^A-Za-z0-9._+-]", "_", name)[:40] or "domain"


def load(paths):
    """Domains of the users' files (libvirt_xml.DomainError on bad input)."""
    out, folders, names = [], set(), set()
    for i, p in enumerate(paths, 1):
        root = libvirt_xml.read(p)
        name = libvirt_xml.name_of(root)
        if not name:
            raise libvirt_xml.DomainError(f"{p}: no <name> (libvirt needs one)")
        if name in names:   # the reports' configuration names must differ
            name = f"{name}.{i}"
        names.add(name)
        folder = _safe(name)
        while folder in folders:
            folder += f".{i}"
        folders.add(folder)
        out.append(Domain(p, root, name, i, folder))
    return out


def free_udp_port():
    """A UDP port on 127.0.0.1 nobody holds now (the NIC binds it next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """The domains of one run on one private daemon: prepare() needs only
    the daemon (for --compare too); setup() adds what booting needs."""

    def __init__(self, daemon, qemu, log=lambda *a: None):
        self.daemon, self.qemu, self.log = daemon, qemu, log
        self.guest = self.rundir = None
        self.accel, self.timeout, self.probe_timeout_ms, self.xfail = "tcg", 90, 2000, set()
        self.shared = {}
        self.vms = []

    def setup(self, rundir, guest, accel, timeout, probe_timeout_ms, xfail=()):
        self.rundir, self.guest, self.accel = rundir, guest, accel
        self.timeout, self.probe_timeout_ms, self.xfail = timeout, probe_timeout_ms, set(xfail)

    @property
    def stopping(self):
        return self.daemon.procs.stopping.is_set()

    def stop(self):
        """Ctrl-C or SIGTERM (from a signal handler): no virsh or VM
        starts; libvirtd and virsh are killed now, QEMU by close()."""
        self.daemon.procs.stop_all()

    def _guest_files(self):
        """The kernel and initramfs, copied where the daemon's user reads
        them (the paths boot XMLs name), and the pattern disk's bytes."""
        if not self.shared:
            for key in ("kernel", "initrd"):
                with open(self.guest[key], "rb") as fh:
                    self.daemon.write(f"files/{key}", fh.read(), own=False)
            with open(self.guest["disk"], "rb") as fh:
                self.shared["disk"] = fh.read()
        return self.shared

    def boot_guest(self, d, loader):
        return libvirt_boot.Guest(kernel=self.daemon.path("files", "kernel"),
                                  initrd=self.daemon.path("files", "initrd"), emulator=self.qemu,
                                  files=self.daemon.path("files", str(d.index)), loader=loader)

    def virsh(self, *args, timeout=libvirt_daemon.VIRSH_SECONDS):
        rc, out, err = self.daemon.virsh(*args, timeout=timeout)
        return rc, out, _one_line(err)

    def prepare(self, d, loader=None):
        """Rewrites d and learns libvirt's placement by defining it (then
        undefining it: no domain stays defined); Refused on a refusal.
        Defined as type 'qemu' (TCG): the placement does not depend on it."""
        self.daemon.mkdir(f"files/{d.index}")
        d.boot = libvirt_boot.rewrite(d.root, d.libvirt_name, self.boot_guest(d, loader), free_udp_port)
        xml_path = self.daemon.write(f"files/{d.index}/define.xml", d.boot.xml())
        rc, _, err = self.virsh("define", xml_path)
        if rc != 0:
            raise Refused(f"{d.path}: libvirt refuses the domain: {err or 'virsh define failed'}")
        try:
            rc, out, err = self.virsh("dumpxml", "--inactive", d.libvirt_name)
        finally:
            urc, _, uerr = self.virsh("undefine", d.libvirt_name)
            if urc != 0 and not self.stopping:
                raise Refused(f"{d.path}: cannot undefine the domain it defined: {uerr}")
        if rc != 0:
            raise Refused(f"{d.path}: virsh dumpxml failed: {err}")
        d.defined_xml = out
        d.placement = _placement(out, d.path)
        d.notes = list(d.boot.notes)

    def run(self, d):
        """Boots d (prepared) and returns the result of each virtio device."""
        workdir = self.rundir.mkdir("vm", d.folder)
        new = self._new(d)
        libvirt_boot.set_cmdline(d.boot.root, libvirt_boot.probe_cmdline(d.placement, self.probe_timeout_ms))
        d.boot.root.set("type", "kvm" if self.accel == "kvm" else "qemu")
        xml_path = self.daemon.write(f"files/{d.index}/boot.xml", d.boot.xml())
        for disk in d.boot.disks:
            self.daemon.write(disk, self._guest_files()["disk"])
        for folder in d.boot.folders:
            os.mkdir(folder, 0o700)
            self.daemon.own(folder)
        t0 = time.monotonic()
        rc, _, err = self.virsh("create", xml_path)
        if rc != 0:
            if self.stopping:
                return interrupted(d)
            raise Refused(f"{d.path}: libvirt refuses to start the domain: {err or 'virsh create failed'}")
        created = time.monotonic() - t0
        vm, live = self._watch(d, t0)
        vm.update(workdir=workdir, create_seconds=round(created, 2))
        placement = d.placement
        if live is not None:
            placement = _placement(live, d.path)
            moved = sorted(dv.name for dv in placement.devices
                           if _paths(d.placement).get(dv.key) not in (None, dv.slot_path))
            if moved:
                d.notes.append(f"placed elsewhere when started than when defined: {', '.join(moved)}")
        else:
            d.notes.append("no live XML (the domain had stopped): aliases are missing, the placement is the defined one")
        cut = self._keep(d, workdir, new, live)
        if cut:
            vm["cut"] = cut
        out = parse.parse(run._read(os.path.join(workdir, "probe.jsonl")))
        vm["panic"] = "Kernel panic" in run._read(os.path.join(workdir, "console.log")).decode("utf-8", "replace")
        self.vms.append({"domain": d.name, **{k: vm.get(k) for k in ("status", "seconds", "create_seconds", "hang",
                                                                    "workdir", "cut")}})
        self._console_files(placement, vm, out, new)
        return [result(d, dev, vm, out, placement, self.xfail) for dev in placement.devices]

    def _watch(self, d, t0):
        """Waits for the VM, bounded as the runner's (run._wait): the time
        limit, a silent console, no probe output, an output flood, a stop."""
        live = None
        rc, out, _ = self.virsh("dumpxml", d.libvirt_name, timeout=20)
        if rc == 0:
            live = out
        qemu = self._qemu(d)
        status, hang = "ok", None
        files = {"console.log": d.boot.console, "probe.jsonl": d.boot.results}
        try:
            while not self._ended(d, qemu):
                elapsed = time.monotonic() - t0
                sizes = {n: _size(p) for n, p in files.items()}
                sizes["qemu.log"] = _size(self.daemon.domain_log(d.libvirt_name))
                if self.stopping:
                    status, hang = "interrupted", "the run was interrupted"
                elif max(sizes.values()) > outcap.FLOOD_LIMIT:
                    status, hang = "flood", f"output passed {outcap.FLOOD_LIMIT >> 20} MiB: output flood, VM stopped"
                elif elapsed >= self.timeout:
                    status, hang = "timeout", f"killed at the {self.timeout:g} s time limit"
                elif elapsed >= min(run.FIRMWARE_TIMEOUT, self.timeout) and not sizes["console.log"] \
                        and not sizes["probe.jsonl"]:
                    status, hang = "timeout", "console silent: hung before the kernel started"
                elif elapsed >= min(run.BOOT_TIMEOUT, self.timeout) and not sizes["probe.jsonl"]:
                    status, hang = "timeout", "no probe output: hung before the guest ran"
                else:
                    continue
                break
            if status != "ok":
                if not self.stopping:
                    self.virsh("destroy", d.libvirt_name, timeout=DESTROY_SECONDS)
                if qemu is not None:
                    qemu.kill()
        finally:
            if qemu is not None:
                qemu.close()
        secs = time.monotonic() - t0
        log = libvirt_daemon.read_private(self.daemon.domain_log(d.libvirt_name), 1 << 20).decode("utf-8", "replace")
        reason = re.findall(r"shutting down, reason=(\w+)", log)
        if status == "ok" and reason and reason[-1] == "crashed":
            status = "crash"
        stderr = "\n".join(line for line in log.splitlines() if "qemu-system" in line and ": " in line
                           and not line.startswith("/"))
        vm = {"status": status, "rc": None, "seconds": round(secs, 2), "stderr": stderr[-2000:]}
        if hang:
            vm["hang"] = hang
        return vm, live

    def _ended(self, d, qemu):
        """QEMU has gone: its pidfd says so, or (no pid file read) libvirt
        no longer lists the domain as running."""
        if qemu is not None:
            return qemu.wait(POLL)
        time.sleep(0.2)
        rc, out, _ = self.virsh("domstate", d.libvirt_name, timeout=20)
        return rc != 0 or out.strip() not in ("running", "paused", "in shutdown")

    def _qemu(self, d):
        """The domain's QEMU, from libvirt's pid file (there once create
        returned; a short wait covers a slow file system)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            data = libvirt_daemon.read_private(self.daemon.pidfile(d.libvirt_name), 64).strip()
            if data.isdigit():
                try:
                    return libvirt_daemon.Qemu(int(data), self.daemon.dir)
                except (OSError, libvirt_daemon.DaemonError):
                    return None   # gone already (a VM that ended at once) or not ours
            time.sleep(POLL)
        return None

    def _new(self, d):
        """Writes a new file of this run's own into d's folder (RunDir.open:
        O_EXCL, never a planted name)."""
        def new(name, data):
            with self.rundir.open(f"vm/{d.folder}/{name}", "wb") as fh:
                fh.write(data)
        return new

    def _keep(self, d, workdir, new, live):
        """The run's record of d: the user's XML (a copy), the XML libvirt
        booted, what libvirt made of it, and the VM's output files."""
        with open(d.path, "rb") as fh:
            new("domain.xml", fh.read(libvirt_xml.MAX_BYTES))
        new("boot.xml", d.boot.xml().encode())
        new("defined.xml", d.defined_xml.encode())
        if live is not None:
            new("live.xml", live.encode())
        for name, src in (("console.log", d.boot.console), ("probe.jsonl", d.boot.results),
                          ("qemu.log", self.daemon.domain_log(d.libvirt_name))):
            new(name, libvirt_daemon.read_private(src, run.MAX_OUTPUT + 1))
        return outcap.trim_all(workdir, OUTPUTS)

    def _console_files(self, placement, vm, out, new):
        """What the probe wrote to each console port must reach the host:
        each console device's port files, as console<k>.out for
        run._check_console_host_side."""
        consoles = [dev for dev in placement.devices if dev.type == "console"]
        for k, dev in enumerate(consoles):
            data = b"".join(libvirt_daemon.read_private(p, 1 << 16) for p in dev.ports if p)
            new(f"console{k}.out", data)
            if vm["status"] == "ok":
                addrs = {r.get("addr") for r in out.devices if r.get("slot_path") == dev.slot_path}
                run._check_console_host_side(vm, k, addrs, out)


def result(d, dev, vm, out, placement, xfail):
    """One device's cell: parse.cell_verdict's verdict for the device at
    its slot path, named by libvirt alias, with the placement beside it."""
    cell = matrix.Cell(SimpleNamespace(name=d.name), dev.type, dev.expected, dev.why)
    res = parse.cell_verdict(cell, vm, out, xfail, paths=[dev.slot_path], configured=placement.slot_paths)
    res.update(cell=f"{d.name}/{dev.name}", device=dev.name, dev_type=dev.type)
    rec = res.get("device_record") or {}
    res["libvirt"] = {"alias": dev.alias, "key": dev.key, "element": dev.element, "model": dev.model or "(default)",
                      "address": dev.address, "slot_path": dev.slot_path, "on": dev.bus.label, "bus": dev.bus.kind,
                      "machine": placement.machine, "guest_address": rec.get("addr"),
                      "pci_id": rec.get("device"), "revision": rec.get("revision")}
    res["findings"] = list(dev.findings)
    res["vm"] = {k: vm.get(k) for k in ("status", "seconds", "create_seconds", "workdir")}
    res["probe_problems"] = out.problems[:10]
    return res


def interrupted(d):
    vm = {"status": "interrupted", "rc": None, "seconds": 0, "stderr": ""}
    return [result(d, dev, vm, parse.parse(b""), d.placement, ()) for dev in d.placement.devices]


def refused(d, why):
    """The cells of a domain libvirt (or its QEMU) would not start."""
    vm = {"status": "refused", "rc": None, "seconds": 0, "stderr": why}
    return [result(d, dev, vm, parse.parse(b""), d.placement, ()) for dev in d.placement.devices]


def _placement(text, path):
    try:
        root = libvirt_xml.parse(text.encode(), f"libvirt's XML for {path}")
        return libvirt_place.place(root)
    except (libvirt_xml.DomainError, libvirt_place.PlaceError) as e:
        raise Refused(f"{path}: {e}") from None


def _paths(placement):
    return {dv.key: dv.slot_path for dv in placement.devices}


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _one_line(err):
    """virsh's message, without the line naming our temporary file."""
    lines = [line.strip() for line in err.splitlines() if line.strip() and
             not re.match(r"error: Failed to (define|create) domain from ", line.strip())]
    return printable(" ".join(lines), 1000)   # libvirt echoes what the user's XML says
