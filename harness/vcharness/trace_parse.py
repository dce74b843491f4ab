"""Reads QEMU's "log" trace of a kernel-driver VM (trace_judge.py judges it):
memory_region_ops_read/_write on the virtio-pci regions and pci_cfg_write,
which tells where each function's BARs are. The trace is untrusted input (a
guest decides what it holds): read up to a cap, every line matched whole,
numbers bounded; a line that does not match is counted and skipped.

Each access becomes an Access of one PCI function (bus, slot, function from
the BAR that holds its address): the region (common, isr, device, notify of
the modern interface, legacy for the I/O BAR of the legacy one), the offset
in it, write or read, size and value."""
import io
import re
from dataclasses import dataclass, field

READ_LIMIT = 96 << 20        # bytes of the trace read; the rest is cut (noted)
MAX_LINE = 400
MAX_FN_EVENTS = 200000       # accesses kept per function
_PFX = r"^(?:\d{1,10}@\d{1,12}\.\d{1,9}:)?"   # -msg timestamp=on
_HEX = r"0x([0-9a-f]{1,16})"
MR_RE = re.compile(_PFX + r"memory_region_ops_(read|write) cpu -?\d{1,6} mr " + _HEX + r" addr " + _HEX +
                   r" value " + _HEX + r" size (\d{1,2}) name '([A-Za-z0-9_.:-]{1,80})'$")
CFG_RE = re.compile(_PFX + r"pci_cfg_write ([A-Za-z0-9_.-]{1,80}) ([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) @" + _HEX +
                    r" <- " + _HEX + r"$")
MODERN = {"virtio-pci-common": "common", "virtio-pci-isr": "isr", "virtio-pci-device": "device",
          "virtio-pci-notify": "notify"}
LEGACY_NAME = "virtio-pci"    # QEMU's legacy I/O BAR0
# where QEMU's virtio-pci puts each modern region in its BAR (the probe's
# capability records say the same); the notify region is longer with
# page-per-vq (one page per queue, the default of machine types before 2.8)
REGION_START = {"common": 0, "isr": 0x1000, "device": 0x2000, "notify": 0x3000}
MODERN_SPAN = 1 << 24
LEGACY_SPAN = 0x100
BAR_OFFSETS = (0x10, 0x14, 0x18, 0x1c, 0x20, 0x24)


@dataclass
class Access:
    seq: int
    region: str      # common, isr, device, notify, legacy
    off: int
    write: bool
    size: int
    value: int


@dataclass
class Function:
    name: str                # QEMU's device model, e.g. virtio-net-pci
    addr: str                # 0000:BB:SS.F as the guest numbers it
    accesses: list = field(default_factory=list)
    cfg_writes: list = field(default_factory=list)  # (seq, offset, value) into its PCI config space
    dropped: int = 0


@dataclass
class Trace:
    functions: dict = field(default_factory=dict)   # addr -> Function
    malformed: int = 0
    unplaced: int = 0        # virtio accesses no known BAR holds
    cut: bool = False        # the file was longer than READ_LIMIT
    lines: int = 0
    problems: list = field(default_factory=list)
    firmware_end: int = 0    # sequence number of the last fw_cfg access: the kernel runs after it
    firmware_accesses: int = 0   # virtio accesses before it (SeaBIOS drives blk and scsi), not judged


def pci_addr(bus, slot, fn):
    return f"0000:{bus:02x}:{slot:02x}.{fn:x}"


class _Bars:
    """Where each function's BARs are now, from pci_cfg_write (sizing writes
    of all ones leave a BAR unplaced until it gets an address)."""

    def __init__(self):
        self.regs = {}   # (name, addr) -> {offset: value}
        self.mem, self.io = [], []   # (base, key)

    def write(self, key, off, value):
        if off not in BAR_OFFSETS:
            return
        r = self.regs.setdefault(key, {})
        r[off] = value & 0xffffffff
        self._rebuild()

    def _rebuild(self):
        mem, io = [], []
        for key, r in self.regs.items():
            skip = False
            for off in BAR_OFFSETS:
                if skip:
                    skip = False
                    continue
                v = r.get(off)
                if v is None:
                    continue
                if v & 1:
                    base = v & 0xfffc
                    if base and v != 0xffffffff:
                        io.append((base, key))
                    continue
                base = v & 0xfffffff0
                if (v >> 1) & 3 == 2:   # 64-bit: the next register is the high half
                    hi = r.get(off + 4, 0)
                    skip = True
                    if hi == 0xffffffff:
                        continue
                    base |= hi << 32
                if base and (v | 0xf) != 0xffffffff:
                    mem.append((base, key))
        self.mem, self.io = sorted(mem), sorted(io)

    def find(self, addr, io, span):
        best = None
        for base, key in (self.io if io else self.mem):
            if base <= addr:
                best = (base, key)
            else:
                break
        if best and addr - best[0] < span:
            return best
        return None


def _lines(fh, read_limit, t):
    """The file's lines, read a bounded piece at a time (a line without an
    end never fills memory: past MAX_LINE it is cut and marked long), up to
    read_limit bytes; t.cut says when the file went on."""
    used = 0
    while True:
        raw = fh.readline(MAX_LINE + 1)
        if not raw:
            return
        used += len(raw)
        if used > read_limit:
            t.cut = True
            t.problems.append(f"trace longer than {read_limit >> 20} MiB: the rest was not read")
            return
        if not raw.endswith(b"\n"):
            if len(raw) > MAX_LINE:   # a long line: skip its rest
                while raw and not raw.endswith(b"\n"):
                    raw = fh.readline(1 << 16)
                    used += len(raw)
                yield None
                continue
            # the last line without its end: QEMU was killed mid-write
        yield raw.rstrip(b"\n")


def parse(path=None, data=None, read_limit=READ_LIMIT):
    """Trace of the file at path (or of the bytes data)."""
    t = Trace()
    try:
        fh = io.BytesIO(data) if data is not None else open(path, "rb")
    except OSError as e:
        t.problems.append(f"no trace: {e.strerror}")
        return t
    with fh:
        _parse(_lines(fh, read_limit, t), t)
    return t


def _parse(lines, t):
    _read_lines(lines, t)
    # what the firmware did to a device before the kernel started is not the kernel's driver
    for f in t.functions.values():
        n = len(f.accesses)
        f.accesses = [a for a in f.accesses if a.seq > t.firmware_end]
        t.firmware_accesses += n - len(f.accesses)


def _read_lines(lines, t):
    bars = _Bars()
    seq = 0
    for raw in lines:
        if raw is None:
            t.lines += 1
            t.malformed += 1
            continue
        if not raw:
            continue
        t.lines += 1
        if b"virtio-pci" not in raw and b"pci_cfg_write" not in raw:
            if b" name 'fwcfg" in raw:   # the firmware still loading the kernel
                seq += 1
                t.firmware_end = seq
            continue   # most of the trace: the results console, timers, the PCI host (a fast test first)
        if len(raw) > MAX_LINE:
            t.malformed += 1
            continue
        try:
            line = raw.decode("ascii")
        except UnicodeDecodeError:
            t.malformed += 1
            continue
        if line.startswith("pci_cfg_write") or ":pci_cfg_write" in line[:30]:
            m = CFG_RE.match(line)
            if not m:
                t.malformed += 1
                continue
            name, bus, slot, fn, off, val = m.group(1), int(m.group(2), 16), int(m.group(3), 16), int(m.group(4)), \
                int(m.group(5), 16), int(m.group(6), 16)
            if bus > 255 or slot > 31 or fn > 7:
                t.malformed += 1
                continue
            key = (name, pci_addr(bus, slot, fn))
            bars.write(key, off, val)
            if name.startswith("virtio-"):
                f = _fn(t, key)
                seq += 1
                if len(f.cfg_writes) < MAX_FN_EVENTS:
                    f.cfg_writes.append((seq, off, val))
            continue
        if "memory_region_ops_" not in line[:40]:
            continue   # other events: not ours
        m = MR_RE.match(line)
        if not m:
            t.malformed += 1
            continue
        name = m.group(6)
        if name == LEGACY_NAME:
            region, io, span = "legacy", True, LEGACY_SPAN
        else:
            region = next((r for p, r in MODERN.items() if name.startswith(p + "-")), None)
            if region is None:
                continue   # not a virtio region (the console, timers, PCI host, MSI-X table ...)
            io, span = False, MODERN_SPAN
        addr, value, size = int(m.group(3), 16), int(m.group(4), 16), int(m.group(5))
        if size not in (1, 2, 4, 8):
            t.malformed += 1
            continue
        hit = bars.find(addr, io, span)
        if hit is None:
            t.unplaced += 1
            continue
        base, key = hit
        off = addr - base - REGION_START.get(region, 0)
        if off < 0:
            t.unplaced += 1
            continue
        f = _fn(t, key)
        seq += 1
        if len(f.accesses) >= MAX_FN_EVENTS:
            f.dropped += 1
            continue
        f.accesses.append(Access(seq, region, off, m.group(1) == "write", size, value))


def _fn(t, key):
    name, addr = key
    f = t.functions.get(addr)
    if f is None or f.name != name:
        # a second model at one address would be a renumbering: keep the newest
        f = t.functions[addr] = Function(name, addr)
    return f
