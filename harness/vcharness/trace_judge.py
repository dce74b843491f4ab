"""Judges the guest kernel's virtio drivers from QEMU's own devices: the
register traffic of each PCI function in QEMU's trace (trace_parse.py)
replayed through the driver-side rules of the virtio PCI transport, device
initialisation, feature negotiation and the per-type config fields.

A rule gets a verdict only where its condition happened in the trace: a
conditional rule whose condition never came (no FAILED status, no
RING_PACKED) gives none. Each rule is tallied per function: kept n times,
or broken with the first place it broke. What the trace cannot show:
notifications QEMU takes through an ioeventfd (those of net, blk, scsi and
console once DRIVER_OK is set), and everything in guest memory (the rings)."""
from . import trace_parse
from . import trace_rules as R

# the judge's own label for checks and cells
SOURCE = "qemu-trace"
JUDGE = {"device": "qemu", "driver": "kernel", "via": "trace"}


class Tally:
    def __init__(self):
        self.rules = {}   # req -> [kept, broken, first failure]

    def rec(self, req, ok, detail=""):
        t = self.rules.setdefault(req, [0, 0, ""])
        if ok:
            t[0] += 1
        else:
            t[1] += 1
            t[2] = t[2] or detail


class _Cycle:
    """What the driver did since its last reset (a write of 0 to status)."""

    def __init__(self, n):
        self.n = n
        self.status = 0            # last non-zero status written
        self.offered = {}          # select -> device_feature word read
        self.accepted = {}         # select -> driver_feature word written
        self.dfsel = self.drsel = 0
        self.qsel = 0
        self.queues = {}           # queue -> set of fields written
        self.notify_off = {}       # queue -> queue_notify_off read
        self.isr_reads = 0
        self.vectors = set()       # vectors mapped (not NO_VECTOR)
        self.features_ok_seq = None
        self.status_read_after_fok = False
        self.cfg_writes_before_ok = set()   # device-config offsets written before DRIVER_OK
        self.sel_written = set()   # input: select/subsel written
        self.size_read_after_sel = False
        self.qresets = {}          # queue -> _QueueReset, from its queue_reset write to its re-enable


class _QueueReset:
    """One queue reset (VIRTIO_F_RING_RESET): 1 written to queue_reset, then
    0 read back (done), then the queue set up again and enabled."""

    def __init__(self, seq, need, before):
        self.seq = seq
        self.need = need            # the fields its discovery wrote: written again before queue_enable
        self.before = before        # their values then (new parameters are allowed: noted, not judged)
        self.pending = True         # not yet read back as 0
        self.ones = 0               # reads of 1 (still resetting)


class FunctionJudge:
    """One function's accesses, in order, through the rules. mode: modern or
    legacy (from the regions it used); info: the probe's device record
    (dev_type, caps with the MSI-X table size and notify multiplier)."""

    def __init__(self, fn, info, exercised=False):
        self.fn, self.info, self.exercised = fn, info or {}, exercised
        self.type = self.info.get("dev_type") or _type_of(fn.name)
        self.t = Tally()
        self.legacy = any(a.region == "legacy" for a in fn.accesses)
        self.table_size = next((c.get("table_size") for c in self.info.get("caps", []) or []
                                if isinstance(c, dict) and c.get("kind") == "msix"
                                and isinstance(c.get("table_size"), int)), None)
        self.msix_pos = next((c.get("pos") for c in self.info.get("caps", []) or []
                              if isinstance(c, dict) and c.get("kind") == "msix" and isinstance(c.get("pos"), int)),
                             None)
        self.mult = next((c.get("notify_off_multiplier") for c in self.info.get("caps", []) or []
                          if isinstance(c, dict) and c.get("kind") == "notify"
                          and isinstance(c.get("notify_off_multiplier"), int)), None)
        self.features = R.feature_table(self.type)
        self.cycles = 0
        self.c = _Cycle(0)
        self.resets = 0
        self.reset_pending = False   # 0 written, not yet read back as 0
        self.failed_pending = False  # FAILED set, no reset since
        self.driver_ok = False
        self.ok_cycles = 0           # cycles that reached DRIVER_OK
        self.vectors_at_ok = False   # a cycle reached DRIVER_OK with MSI-X vectors mapped
        self.caps = [(c["pos"], 20 if c.get("kind") == "notify" else 16, c.get("kind"))
                     for c in self.info.get("caps", []) or [] if isinstance(c, dict) and
                     c.get("kind") in ("common", "notify", "isr", "device") and isinstance(c.get("pos"), int)]
        self.link_cycles = []        # net, STATUS negotiated: whether each such cycle read the status field
        self.qreset_stats = [0, 0, 0]  # queue resets: requested, re-enabled, re-enabled with another size
        self.pending_vector = None   # (field offset, value) waiting for its read-back
        self.prev = None             # the previous access
        self.run = []                # device-config reads in a row
        self.run_gen_before = False
        self.msix_on = False
        self.summary = {}

    # ---- helpers ----

    def rec(self, req, ok, detail=""):
        self.t.rec(req, ok, detail)

    def offered64(self):
        return sum((v & 0xffffffff) << (32 * s) for s, v in self.c.offered.items() if s in (0, 1))

    def accepted64(self):
        return sum((v & 0xffffffff) << (32 * s) for s, v in self.c.accepted.items() if s in (0, 1))

    def has(self, name, bits):
        try:
            return bool(bits >> R.bit(name) & 1)
        except KeyError:
            return False

    def cfg_base(self):
        if not self.legacy:
            return 0
        return R.LEGACY_CFG_MSIX if self.msix_on else R.LEGACY_CFG

    # ---- the walk ----

    def judge(self):
        events = sorted([(a.seq, 0, a) for a in self.fn.accesses] +
                        [(s, 1, (off, val)) for s, off, val in self.fn.cfg_writes], key=lambda e: e[0])
        for _, kind, e in events:
            if kind == 1:
                self.pci_cfg(*e)
                continue
            self.access(e)
        self.end()
        return self.t

    def pci_cfg(self, off, val):
        """Writes into the virtio capabilities (drv.pci_caps.7), and MSI-X
        enable (the legacy header grows by the vector pair)."""
        for pos, length, kind in self.caps:
            if pos <= off < pos + length:
                self.rec("drv.pci_caps.7", False, f"wrote {val:#x} at config offset {off:#x}, in the {kind} capability")
        if self.msix_pos is None:
            return
        ctl = self.msix_pos + 2
        if off == ctl:
            self.msix_on = bool(val & 0x8000)
        elif off == self.msix_pos:
            self.msix_on = bool(val >> 16 & 0x8000)
        elif off == ctl + 1:
            self.msix_on = bool(val & 0x80)

    def access(self, a):
        field = self.field(a)
        self.config_runs(a, field)
        if self.pending_vector and a.region in ("common", "legacy") and field != "isr":
            off, val = self.pending_vector
            if not a.write and a.off == off:
                self.rec("drv.pci_msix.5", True)
                self.pending_vector = None
            elif a.write:
                self.rec("drv.pci_msix.5", False, f"vector {val:#x} written at {off}, not read back before "
                                                  f"the next write (offset {a.off})")
                self.pending_vector = None
        if a.region == "common":
            self.layout(a)
        if field == "device_status":
            self.status(a)
        elif field == "device_feature":
            if not a.write:
                self.c.offered[self.c.dfsel if not self.legacy else 0] = a.value
        elif field == "device_feature_select" and a.write:
            self.c.dfsel = a.value
        elif field == "driver_feature_select" and a.write:
            self.c.drsel = a.value
        elif field == "driver_feature" and a.write:
            self.driver_feature(a)
        elif field == "queue_select" and a.write:
            self.c.qsel = a.value
        elif field == "queue_notify_off" and not a.write:
            self.c.notify_off[self.c.qsel] = a.value
        elif field == "queue_reset":
            self.queue_reset(a)
        elif a.write and field in (
                "queue_size", "queue_desc_lo", "queue_desc_hi", "queue_driver_lo", "queue_driver_hi",
                "queue_device_lo", "queue_device_hi", "queue_msix_vector", "queue_pfn", "queue_enable"):
            self.queue_write(a, field)
        elif field == "queue_notify" or a.region == "notify":
            if a.write:
                self.notify(a)
        elif field == "isr" or a.region == "isr":
            if not a.write:
                self.isr_read(a)
        elif field == "config_msix_vector" and a.write:
            self.vector_write(a, "config")
        elif field == "device_config":
            self.device_config(a)
        if a.region == "common" and a.write and field in R.COMMON_RO:
            self.rec("drv.pci_common.1", False, f"wrote {a.value:#x} to {field}")
        self.prev = (a, field)

    def field(self, a):
        if a.region == "common":
            f = R.COMMON.get(a.off)
            return f[0] if f else None
        if a.region == "device":
            return "device_config"
        if a.region == "isr":
            return "isr"
        if a.region == "notify":
            return "notify"
        f = R.LEGACY.get(a.off)
        if f:
            return f[0]
        if self.msix_pos is None:
            return None   # where the device config starts depends on MSI-X, which is unknown here
        if self.msix_on and a.off in R.LEGACY_MSIX:
            return R.LEGACY_MSIX[a.off][0]
        if a.off >= self.cfg_base():
            return "device_config"
        return None

    # ---- the rules ----

    def layout(self, a):
        """drv.pci_layout.1: common fields at their own width and offset."""
        f = R.COMMON.get(a.off)
        if f is None:
            if a.off < 64:
                self.rec("drv.pci_layout.1", False, f"{a.size}-byte access at offset {a.off}, inside a field")
            return
        self.rec("drv.pci_layout.1", a.size == f[1],
                 f"{f[0]} accessed with {a.size} bytes (its width is {f[1]})")

    def status(self, a):
        c = self.c
        if not a.write:
            if a.value == 0 and self.reset_pending:
                self.reset_pending = False
                self.rec("drv.reset.1", True)
                if not self.legacy:
                    self.rec("drv.pci_common.5", True)
            if c.features_ok_seq is not None and not self.driver_ok:
                c.status_read_after_fok = True
            return
        v = a.value & 0xff
        if v == 0:
            self.reset(a)
            return
        if self.reset_pending:   # a new initialisation before 0 was read back
            self.reset_pending = False
            self.rec("drv.reset.1", False, f"status {v:#x} written after a reset, before reading 0 back")
            if not self.legacy:
                self.rec("drv.pci_common.5", False, f"status {v:#x} written before device_status read back 0")
        if self.failed_pending:
            self.rec("drv.status.3", False, f"status {v:#x} written after FAILED without a reset")
            self.rec("drv.init.5", False, f"status {v:#x} written after FAILED without a reset")
            self.failed_pending = False
        if c.status:
            cleared = c.status & ~v
            self.rec("drv.status.2", not cleared, f"status {c.status:#x} -> {v:#x} clears {cleared:#x}")
        elif self.cycles == 0 and self.resets == 0:
            self.rec("drv.init.1", False, f"first status write {v:#x} without a reset before it")
        if v & R.DRIVER and not (v & R.ACK):
            self.rec("drv.init.1", False, f"DRIVER set without ACKNOWLEDGE ({v:#x})")
        if v & R.FEATURES_OK and not (c.status & R.FEATURES_OK):
            self.features_ok(v, a)
        if v & R.DRIVER_OK and not (c.status & R.DRIVER_OK):
            self.driver_ok_set(v)
        if v & R.FAILED and not (c.status & R.FAILED):
            self.failed_pending = True
            if c.accepted and self.offered64() & ~self.accepted64() and not self.driver_ok:
                self.rec("drv.features.5", False, f"FAILED set after declining offered bits "
                                                  f"{self.offered64() & ~self.accepted64():#x}")
        c.status = v

    def reset(self, a):
        if getattr(self.c, "want_link_status", False):
            self.link_cycles.append(getattr(self.c, "link_status_read", False))
        self.resets += 1
        if self.failed_pending:
            self.rec("drv.status.3", True)
            self.rec("drv.init.5", True)
            self.failed_pending = False
        if self.pending_vector:
            self.pending_vector = None
        self.reset_pending = True
        self.driver_ok = False
        self.cycles += 1
        self.c = _Cycle(self.cycles)

    def driver_feature(self, a):
        c = self.c
        sel = 0 if self.legacy else c.drsel
        if c.status & R.FEATURES_OK:
            self.rec("drv.init.3", False, f"driver_feature[{sel}] = {a.value:#x} written after FEATURES_OK")
        if not (c.status & R.DRIVER):
            self.rec("drv.init.1", False, f"driver_feature[{sel}] written before DRIVER status")
        self.rec("drv.features.2", sel in c.offered,
                 f"driver_feature[{sel}] = {a.value:#x} written before reading device_feature[{sel}]")
        c.accepted[sel] = a.value

    def negotiated(self):
        """Checks of the accepted set (modern at FEATURES_OK, legacy at DRIVER_OK)."""
        c = self.c
        acc, off = self.accepted64(), self.offered64()
        known = {s for s in c.offered}
        words = [s for s in c.accepted if s in (0, 1) and c.accepted[s]]
        if not words:
            return
        extra = acc & ~off & sum(0xffffffff << (32 * s) for s in known)
        deps = []
        for b, row in self.features.items():
            if acc >> b & 1 and row.get("requires", "-") not in ("-", ""):
                for group in row["requires"].split(","):
                    alts = [x.strip() for x in group.split("|") if x.strip()]
                    if alts and not any(self.has(x, acc) for x in alts):
                        deps.append(f"{row['name']} without {group}")
        self.rec("drv.features.1", not extra and not deps,
                 f"accepted {acc:#x} of offered {off:#x}: extra {extra:#x}" if extra else "; ".join(deps[:2]))
        unknown = []
        for b in range(64):
            if acc >> b & 1:
                row = self.features.get(b)
                if row is None or (not self.legacy and row.get("legacy_only") == "yes") or \
                        (self.legacy and b >= 32):
                    unknown.append(b)
        self.rec("drv.features.3", not unknown, f"accepted bit(s) {unknown[:4]} that {self.type} does not define")
        for req, name, typ in R.ACCEPT_WHEN_OFFERED:
            if typ not in (None, self.type):
                continue
            try:
                b = R.bit(name)
            except KeyError:
                continue
            if (b >> 5) in known and off >> b & 1 and not (self.legacy and b >= 32):
                self.rec(req, bool(acc >> b & 1), f"{name} offered, not accepted")
        if self.type == "balloon" and self.has("VIRTIO_BALLOON_F_PAGE_POISON", off):
            c.poison_accepted = self.has("VIRTIO_BALLOON_F_PAGE_POISON", acc)
        for req, name, need, typ in R.ACCEPT_ONLY_WITH:
            if typ == self.type and self.has(name, acc):
                self.rec(req, self.has(need, acc), f"{name} accepted without {need}")

    def features_ok(self, v, a):
        c = self.c
        c.features_ok_seq = a.seq
        if not c.accepted:
            self.rec("drv.init.1", False, "FEATURES_OK set before any driver_feature write")
        self.negotiated()

    def driver_ok_set(self, v):
        c = self.c
        self.driver_ok = True
        self.ok_cycles += 1
        self.summary.update(offered=f"{self.offered64():#x}", accepted=f"{self.accepted64():#x}")
        self.vectors_at_ok = self.vectors_at_ok or bool(c.vectors)
        modern = not self.legacy and self.has("VIRTIO_F_VERSION_1", self.accepted64())
        need = R.ACK | R.DRIVER | (R.FEATURES_OK if modern else 0)
        self.rec("drv.status.1", v & need == need, f"DRIVER_OK written as {v:#x}, without bit(s) {need & ~v:#x}")
        order = []
        if not c.accepted:
            order.append("no driver_feature write before DRIVER_OK")
        if modern and c.features_ok_seq is None:
            order.append("DRIVER_OK without FEATURES_OK")
        if modern and c.features_ok_seq is not None and not c.status_read_after_fok:
            order.append("status not read back after FEATURES_OK")
        self.rec("drv.init.1", not order, "; ".join(order))
        if self.legacy:
            self.negotiated()
        declined = self.offered64() & ~self.accepted64()
        if declined and c.accepted:
            # offered bits it did not take (unknown to it, or unwanted) did not make it give up
            self.rec("drv.features.5", True)
        if c.features_ok_seq is not None:
            self.rec("drv.init.3", True)
        self.rec("drv.init.6", True)
        if self.type == "balloon" and getattr(c, "poison_accepted", None) is not None:
            # PAGE_POISON offered: kept only when the driver also writes poison_val (before DRIVER_OK)
            written = any(12 <= o < 16 for o in c.cfg_writes_before_ok)
            self.rec("drv.balloon_features.2", not c.poison_accepted or written,
                     "PAGE_POISON accepted, poison_val never written")
            if c.poison_accepted:
                self.rec("drv.balloon_poison.2", written, "PAGE_POISON negotiated, poison_val not written before "
                                                          "DRIVER_OK")
        if self.type == "net" and self.has("VIRTIO_NET_F_STATUS", self.accepted64()):
            c.want_link_status = True

    def queue_write(self, a, field):
        c = self.c
        q = c.qsel
        if q in c.qresets:
            self.queue_reused(q, f"{field} written")
        if field == "queue_size":
            packed = self.has("VIRTIO_F_RING_PACKED", self.accepted64())
            if packed:
                self.rec("drv.pci_common.2", a.value != 0, "queue_size 0 written with RING_PACKED")
            else:
                v = a.value
                self.rec("drv.pci_common.3", v != 0 and v & (v - 1) == 0,
                         f"queue_size {v} written (queue {q}), not a power of two")
        elif field == "queue_msix_vector":
            self.vector_write(a, "queue")
        elif field == "queue_enable":
            self.rec("drv.pci_common.6", a.value != 0, f"queue_enable 0 written (queue {q})")
            if a.value:
                need = {"queue_desc_lo", "queue_desc_hi", "queue_driver_lo", "queue_driver_hi",
                        "queue_device_lo", "queue_device_hi"}
                missing = need - c.queues.get(q, set())
                self.rec("drv.pci_common.4", not missing,
                         f"queue {q} enabled before {', '.join(sorted(missing))} written")
                self.vq_align(q)
                if q in c.qresets:
                    self.reenabled(q, c.qresets.pop(q))
        elif field == "queue_pfn" and a.value and not (c.status & R.DRIVER):
            self.rec("drv.init.1", False, f"queue_pfn of queue {q} written before DRIVER status")
        if field != "queue_enable":
            c.queues.setdefault(q, set()).add(field)
            c.queues.setdefault(("v", q), {})[field] = a.value

    # ---- per-queue reset (VIRTIO_F_RING_RESET) ----

    SETUP = ("queue_size", "queue_desc_lo", "queue_desc_hi", "queue_driver_lo", "queue_driver_hi",
             "queue_device_lo", "queue_device_hi", "queue_msix_vector")

    def queue_reset(self, a):
        """1 written to queue_reset starts a reset of the selected queue; a
        read of 0 with that queue selected is the driver seeing it done."""
        c = self.c
        q = c.qsel
        if a.write:
            if a.value != 1 or self.legacy or not self.has("VIRTIO_F_RING_RESET", self.accepted64()):
                return   # the field exists only with RING_RESET
            # what discovery (or the last re-enable) wrote for this queue; a vector
            # only when one was mapped (NO_VECTOR needs no rewrite: the reset leaves none)
            vals = c.queues.get(("v", q), {})
            need = {f for f in c.queues.get(q, set()) if f in self.SETUP and
                    (f != "queue_msix_vector" or vals.get(f) != R.NO_VECTOR)}
            prev = c.qresets.get(q)
            if prev is not None:   # reset again before its re-enable: discovery's fields still stand
                need, vals = prev.need | need, {**prev.before, **vals}
            c.qresets[q] = _QueueReset(a.seq, need, dict(vals))
            c.queues[q] = set()            # drv.pci_common.4 counts the fields written since the reset
            self.qreset_stats[0] += 1
            return
        r = c.qresets.get(q)
        if r is None or not r.pending:
            return
        if a.value == 0:
            r.pending = False
            self.rec("drv.vq_reset.1", True)
            self.rec("drv.pci_common.7", True)
        else:
            r.ones += 1

    def queue_reused(self, q, what):
        """The driver used queue q again: only after it read the reset done."""
        r = self.c.qresets[q]
        if not r.pending:
            return
        r.pending = False
        seen = f"read 1 {r.ones} time(s), never 0" if r.ones else "never read back"
        self.rec("drv.vq_reset.1", False, f"queue {q} {what} after a queue reset whose queue_reset was {seen}")
        self.rec("drv.pci_common.7", False, f"queue {q} {what} before queue_reset read 0 ({seen})")

    def reenabled(self, q, r):
        """drv.vq_reenable.1: queue_enable after a reset comes after every
        field discovery set up was written again (values may differ)."""
        missing = r.need - self.c.queues.get(q, set())
        self.rec("drv.vq_reenable.1", not missing,
                 f"queue {q} re-enabled after a queue reset without writing {', '.join(sorted(missing))} again")
        self.qreset_stats[1] += 1
        now = self.c.queues.get(("v", q), {})
        if r.before.get("queue_size") is not None and now.get("queue_size") != r.before.get("queue_size"):
            self.qreset_stats[2] += 1

    def vq_align(self, q):
        """drv.vq.1 (split rings): descriptor table 16, driver area 2, device area 4 bytes aligned."""
        if self.has("VIRTIO_F_RING_PACKED", self.accepted64()):
            return
        v = self.c.queues.get(("v", q), {})
        bad = [f"{n} {v.get(n + '_lo', 0):#x}" for n, al in (("queue_desc", 16), ("queue_driver", 2),
                                                               ("queue_device", 4))
               if n + "_lo" in v and v[n + "_lo"] % al]
        self.rec("drv.vq.1", not bad, f"queue {q}: {', '.join(bad)} misaligned")

    def vector_write(self, a, what):
        if a.value == R.NO_VECTOR:
            return
        self.c.vectors.add(a.value)
        if self.table_size is not None:
            self.rec("drv.pci_msix.4", a.value < self.table_size,
                     f"{what} vector {a.value} mapped, the MSI-X table has {self.table_size} entries")
        self.pending_vector = (a.off, a.value)

    def notify(self, a):
        c = self.c
        if not self.driver_ok:
            self.rec("drv.init.6", False, f"queue notification (value {a.value:#x}) before DRIVER_OK "
                                          f"(status {c.status:#x})")
        if a.region != "notify":
            return
        data = self.has("VIRTIO_F_NOTIFICATION_DATA", self.accepted64())
        if data:
            self.rec("drv.pci_avail_notify.2", a.size == 4, f"{a.size}-byte notification with NOTIFICATION_DATA")
            return
        self.rec("drv.pci_avail_notify.1", a.size == 2, f"{a.size}-byte notification without NOTIFICATION_DATA")
        mult = self.mult if self.mult is not None else 4
        queues = [q for q, no in c.notify_off.items() if no * mult == a.off] if mult else list(c.notify_off)
        if len(queues) == 1 and queues[0] in c.qresets:
            self.queue_reused(queues[0], "notified")
        if len(queues) == 1 and not self.has("VIRTIO_F_NOTIF_CONFIG_DATA", self.accepted64()):
            self.rec("drv.pci_avail_notify.3", a.value == queues[0],
                     f"wrote {a.value:#x} at the notify address of queue {queues[0]}")

    def isr_read(self, a):
        c = self.c
        if self.driver_ok and c.vectors:
            c.isr_reads += 1
            self.rec("drv.pci_isr.1", False, f"ISR read with MSI-X vectors {sorted(c.vectors)[:4]} in use")

    def device_config(self, a):
        c = self.c
        base = self.cfg_base()
        off = a.off - base
        if not self.legacy:
            self.rec("drv.pci_layout.1", a.size in (1, 2, 4) and off % a.size == 0,
                     f"{a.size}-byte device-config access at offset {off}, not naturally aligned")
        end = off + a.size
        offered = self.offered64()
        for start, stop, name in R.GUARDED.get(self.type, []):
            if off < stop and end > start and c.offered:
                self.rec("drv.cfgspace.2", self.has(name, offered),
                         f"{'wrote' if a.write else 'read'} config offset {off} ({name}'s field), not offered")
        if a.write:
            if not self.driver_ok:
                c.cfg_writes_before_ok.add(off)
            w = R.WRITABLE.get(self.type)
            if w:
                spans, req = w
                ok = any(s <= off and end <= e for s, e in spans)
                self.rec(req, ok, f"wrote {a.value:#x} at device-config offset {off}")
            if self.type == "input" and off in (0, 1):
                c.sel_written.add(off)
                c.size_read_after_sel = False
            return
        if self.type == "net" and off < 8 and end > 6:
            c.link_status_read = True
        if self.type == "blk" and off <= 32 < end and not self.legacy:
            self.rec("drv.blk_init.4", c.features_ok_seq is not None, "writeback read before FEATURES_OK")
        if self.type == "input" and off >= 2:
            self.rec("drv.input_init.1", c.sel_written == {0, 1},
                     f"config offset {off} read before writing both select and subsel")
            if off == 2:
                c.size_read_after_sel = True
            elif off >= 8:
                self.rec("drv.input_init.3", c.size_read_after_sel,
                         f"data at offset {off} read before size for this selection")

    def config_runs(self, a, field):
        """drv.cfgspace.1: a wide field read in pieces sits between two reads
        of config_generation (modern; the legacy header has none)."""
        if self.legacy:
            return
        gen = field == "config_generation" and not a.write
        if field == "device_config" and not a.write:
            if not self.run:
                p = self.prev
                self.run_gen_before = bool(p and p[1] == "config_generation" and not p[0].write)
            self.run.append(a)
            return
        if self.run:
            self._close_run(gen)
        self.run = []

    def _close_run(self, gen_after):
        lo = min(x.off for x in self.run)
        hi = max(x.off + x.size for x in self.run)
        for start, stop, piece in R.WIDE.get(self.type, []):
            pieces = [x for x in self.run if x.off < stop and x.off + x.size > start and piece in (0, x.size)]
            if len(pieces) >= 2:
                self.rec("drv.cfgspace.1", self.run_gen_before and gen_after,
                         f"config bytes {lo}..{hi - 1} read in {len(self.run)} pieces without config_generation "
                         f"{'before' if not self.run_gen_before else 'after'}")
                return

    def end(self):
        if self.link_cycles:
            self.rec("drv.net_cfg.5", all(self.link_cycles),
                     "STATUS negotiated, the status field never read while the device was live")
        if self.run:
            self._close_run(False)
        if self.pending_vector:
            off, val = self.pending_vector
            self.rec("drv.pci_msix.5", False, f"vector {val:#x} written at {off}, never read back")
        if self.ok_cycles:
            # never-rules kept over a whole initialisation
            if not self.legacy and "drv.pci_common.1" not in self.t.rules:
                self.rec("drv.pci_common.1", True)
            w = R.WRITABLE.get(self.type)
            if w and w[1] not in self.t.rules:
                self.rec(w[1], True)
            if self.caps and "drv.pci_caps.7" not in self.t.rules:
                self.rec("drv.pci_caps.7", True)
            if self.vectors_at_ok and self.exercised and self.type in R.INTERRUPTING and \
                    "drv.pci_isr.1" not in self.t.rules:
                self.rec("drv.pci_isr.1", True)
        self.summary.update({"mode": "legacy" if self.legacy else "modern", "model": self.fn.name,
                             "resets": self.resets, "accesses": len(self.fn.accesses),
                             "driver_ok": self.ok_cycles})
        if self.qreset_stats[0]:
            self.summary["queue_resets"] = "{} queue reset(s), {} re-enabled ({} with another size)".format(
                *self.qreset_stats)
        self.summary.setdefault("accepted", "none")


def _type_of(model):
    """Type short name from a QEMU model (virtio-net-pci-transitional -> net)."""
    m = model[len("virtio-"):] if model.startswith("virtio-") else model
    m = m.split("-pci")[0]
    return {"serial": "console", "keyboard": "input", "mouse": "input", "tablet": "input"}.get(m, m)


def judge(trace, infos=None, exercised=(), complete=True):
    """{pci address: (Tally, summary)} for every virtio function the trace
    shows; infos: {address: the probe's device record}; exercised: the
    addresses whose operation the probe saw work; complete: the VM ran to
    its end (else a function the driver never started may just not have
    had its turn)."""
    out = {}
    infos = infos or {}
    for addr, fn in sorted(trace.functions.items()):
        if not fn.accesses:
            continue
        j = FunctionJudge(fn, infos.get(addr), addr in exercised)
        out[addr] = (j.judge(), j.summary)
    if complete and not trace.cut:  # a function missing from a cut trace may just come after the cut
        for addr, info in sorted(infos.items()):
            discovery(out, addr, info)
    return out


def discovery(out, addr, info):
    """drv.pci_discovery.1-.3: the driver took the function (reached
    DRIVER_OK on it) by its device id, transitional or modern, whatever the
    revision. A function it never started is a failure."""
    try:
        dev_id, rev = int(str(info.get("device")), 16), int(str(info.get("revision")), 16)
    except ValueError:
        return
    if info.get("mode") in (None, "invalid") or not info.get("dev_type") or addr not in out and \
            not out:   # no trace at all: nothing to judge by
        return
    tally, summary = out.get(addr, (None, None))
    if tally is None:
        tally, summary = Tally(), {"mode": info.get("mode"), "model": "?", "resets": 0, "accesses": 0,
                                   "driver_ok": 0, "accepted": "none"}
        out[addr] = (tally, summary)
    started = summary.get("driver_ok", 0) > 0
    why = f"device id {dev_id:#06x} revision {rev}: the driver never set DRIVER_OK"
    tally.rec("drv.pci_discovery.1" if dev_id >= 0x1040 else "drv.pci_discovery.2", started, why)
    tally.rec("drv.pci_discovery.3", started, why)


def checks(results, addr, problems=(), cut=False):
    """Check records for one device at addr (PROTOCOL.md's fields). cut:
    the trace was not read to its end, so a rule kept so far is no pass
    (only failures and a note)."""
    out = []
    tally, summary = results.get(addr, (None, None))
    if tally is None:
        return out
    out.append({"addr": addr, "driver": "kernel", "id": "trace.function", "reqs": [], "verdict": "info",
                "expected": "", "observed": f"{summary['mode']}, accepted {summary['accepted']}",
                "detail": f"{summary['accesses']} register accesses of {summary['model']}, "
                          f"{summary['resets']} reset(s)" +
                          (f", {summary['queue_resets']}" if summary.get("queue_resets") else ""),
                "source": SOURCE})
    for req, (kept, broken, first) in sorted(tally.rules.items()):
        if broken:
            out.append({"addr": addr, "driver": "kernel", "id": f"trace.rule.{req}", "reqs": [req],
                        "verdict": "fail", "expected": "kept every time", "observed": f"broken {broken} of "
                        f"{kept + broken} times", "detail": first[:300], "source": SOURCE})
        elif not cut:
            out.append({"addr": addr, "driver": "kernel", "id": f"trace.rule.{req}", "reqs": [req],
                        "verdict": "pass", "expected": "kept every time", "observed": f"kept {kept} times",
                        "detail": "", "source": SOURCE})
    for p in problems:
        out.append({"addr": addr, "driver": "kernel", "id": "trace.record", "reqs": [], "verdict": "info",
                    "expected": "the whole trace", "observed": p[:300], "detail": "", "source": SOURCE})
    return out




# ---- in the runner ----

EVENTS = ("memory_region_ops_read", "memory_region_ops_write", "pci_cfg_write")
TRACE = "trace.log"
TRACE_LIMIT = 256 << 20   # a trace past this stops the VM (run.py), like a flooding console


def qemu_args(workdir, qopt):
    """QEMU's arguments that write the trace into workdir (the events file
    is written here; qopt: matrix.qopt for paths in option lists)."""
    import os
    ev = os.path.join(workdir, "trace.events")
    with open(ev, "x", encoding="ascii") as fh:
        fh.write("\n".join(EVENTS) + "\n")
    return ["-trace", f"events={qopt(ev)},file={qopt(os.path.join(workdir, TRACE))}"]


def vm_judge(workdir, out, keep=False, complete=True):
    """Judges the VM's trace against the probe's device records (out), then
    removes the trace (tens of MB; keep leaves it). complete: the VM ended
    by itself with the probe's end record. Returns (results, notes, cut)."""
    import os
    path = os.path.join(workdir, TRACE)
    t = trace_parse.parse(path)
    infos = {d.get("addr"): d for d in out.devices if isinstance(d.get("addr"), str)}
    exercised = {c.get("addr") for c in out.checks if str(c.get("id", "")).startswith("kdrv.op")
                 and c.get("verdict") == "pass"}
    results = judge(t, infos, exercised, complete)
    notes = list(t.problems)
    if t.malformed:
        notes.append(f"{t.malformed} of {t.lines} trace lines malformed, skipped")
    if not keep:
        for name in (TRACE, "trace.events"):
            try:
                os.unlink(os.path.join(workdir, name))
            except OSError:
                pass
    return results, notes, t.cut


def add_checks(cell, judged, out, paths):
    """Before the cell's verdict: the trace's checks join the probe's, under
    each of the cell's functions. True when some function was judged."""
    from . import parse
    results, notes, cut = judged
    any_ = False
    for d in parse.cell_devices(cell, out, paths):
        cs = checks(results, d["addr"], notes, cut)
        any_ = any_ or bool(cs)
        out.checks.extend(cs)
    return any_
