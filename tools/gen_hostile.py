#!/usr/bin/env python3
"""Writes the curated hostile suite, corpus/hostile/*, in the scenario text
form (fuzz/scn_text.c): one scenario per ring rejection code of
lib/include/vc/vq_errors.h that a chain can express, for split and packed
rings, with and without indirect descriptors, each in four placements (the
bad chain alone, after a valid chain in the same kick, after one in an
earlier kick, and followed by a queue reset and a valid chain); and valid
but unusual chains a device must accept, one or more per device-side MUST of
the virtqueue, split and packed sections a chain can exercise.

Directives the replay reads (guest-probe/src/replay_list.h):
  #@ oracle=CODE       what the verdict oracle says (VC_OK: every chain valid);
                       ctest checks it against the oracle's own reading
  #@ use req=ID        every valid chain must come back used, on devices whose
                       replay queue answers any chain; ID is the requirement

usage: gen_hostile.py [OUTDIR]   (default corpus/hostile; files are rewritten)
"""
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
A, B, C = 0x200000, 0x210000, 0x300000
TABLES = 0x100000
OUTSIDE = 0x5000000       # not in the scenario's map: not guest memory
BIG = 0x1000000           # the 64 MiB region (ring-layer targets only)
FAR = 0xffff              # a head, next or id outside every queue (sizes are at most 32768)


def tentry(table, entry):
    return TABLES + (table * 2048 + entry) * 16


class Scn:
    """One scenario being written: split descriptor indices, packed ring
    positions and indirect tables are handed out in order."""

    def __init__(self, packed, indirect, qsize=8, in_order=False, event_idx=False):
        self.packed, self.indirect, self.qsize = packed, indirect, qsize
        self.in_order, self.event_idx = in_order, event_idx
        self.ops = []
        self.next_desc = 0   # split: next free descriptor index; packed: ring position
        self.next_table = 0
        self.data = 0        # offset of the next buffer in data C (writable) and A (readable)
        self.ids = {}        # packed: buffer id of each ring position

    def header(self):
        raw = self.qsize.bit_length() - 1 if not self.packed else self.qsize - 1
        return (f"scenario packed={int(self.packed)} indirect={int(self.indirect)} "
                f"event_idx={int(self.event_idx)} in_order={int(self.in_order)} qsize={raw} used=0")

    def op(self, text):
        self.ops.append(text)

    def buf(self, n, writable):
        at = (C if writable else A) + self.data
        self.data += (n + 63) & ~63
        return at

    # ---- descriptors ----
    def desc(self, idx, flags, ln, addr):
        self.op(f"DESC flags={flags or 0} index={idx} len={ln:#x} addr={addr:#x}")
        self.ids[idx % self.qsize] = idx % self.qsize  # DESC gives a packed one its position as id

    def set_id(self, idx, bid):
        self.op(f"NEXT which=0 index={idx} next={bid:#x}")
        self.ids[idx % self.qsize] = bid

    def table(self):
        t = self.next_table
        self.next_table += 1
        return t

    def tdesc(self, t, e, flags, ln, addr):
        """An indirect-table entry in the ring's own layout: IDESC writes the
        split one; for packed tables the flags go where packed puts them."""
        if self.packed:
            self.op(f"IDESC flags=0 index={t << 11 | e:#x} len={ln:#x} addr={addr:#x}")
            self.op(f"NEXT which=1 index={t << 11 | e:#x} next={_bits(flags)}")
        else:
            self.op(f"IDESC flags={flags or 0} index={t << 11 | e:#x} len={ln:#x} addr={addr:#x}")

    def publish(self, head, ndesc):
        """split: head into the avail ring; packed: ndesc descriptors from
        head, every one carrying the last one's buffer id (the spec reads
        it there; drivers write it in each, and so does the suite, except
        where the id is what a scenario tests)."""
        if self.packed:
            last = (head + ndesc - 1) % self.qsize
            bid = self.ids.get(last, last)
            for k in range(ndesc - 1):
                at = (head + k) % self.qsize
                if self.ids.get(at, at) != bid:
                    self.set_id(at, bid)
        self.op(f"AVAIL head={ndesc - 1 if self.packed else head}")

    def kick(self):
        self.op("KICK")

    # ---- chains ----
    def take(self, n):
        i = self.next_desc
        self.next_desc += n
        return i

    def good(self):
        """A plain valid chain: 16 readable bytes, 64 writable."""
        i = self.take(2)
        self.desc(i, "NEXT", 16, self.buf(16, False))
        self.desc(i + 1, "WRITE", 64, self.buf(64, True))
        self.publish(i, 2)

    def reset(self):
        self.op("RESET")
        self.next_desc = 0


def _bits(flags):
    names = {"NEXT": 1, "WRITE": 2, "INDIRECT": 4}
    v = 0
    for f in (flags or "").split("|"):
        if f:
            v |= names[f]
    return v


# ---- chains a conforming device refuses: (name, ring types, indirect, oracle code, what) ----

def bad_avail_jump(s):
    i = s.take(1)
    s.desc(i, "WRITE", 64, s.buf(64, True))
    s.op(f"AIDX idx={0x8000:#x}")  # more than any queue size ahead


def bad_head_range(s):
    i = s.take(1)
    s.desc(i, "WRITE", 64, s.buf(64, True))
    if s.packed:
        s.set_id(i, FAR)  # the buffer id
        s.publish(i, 1)
    else:
        s.op(f"AVAIL head={FAR:#x}")


def bad_next_range(s):
    if s.indirect:
        t = s.table()
        s.tdesc(t, 0, "NEXT", 16, s.buf(16, False))
        s.op(f"NEXT which=1 index={t << 11:#x} next={FAR:#x}")
        s.tdesc(t, 1, "WRITE", 64, s.buf(64, True))
        i = s.take(1)
        s.desc(i, "INDIRECT", 32, tentry(t, 0))
    else:
        i = s.take(2)
        s.desc(i, "NEXT", 16, s.buf(16, False))
        s.op(f"NEXT which=0 index={i} next={FAR:#x}")
        s.desc(i + 1, "WRITE", 64, s.buf(64, True))
    s.publish(i, 1)


def bad_loop(s):
    if s.indirect:
        t = s.table()
        s.tdesc(t, 0, "NEXT|WRITE", 64, s.buf(64, True))
        s.tdesc(t, 1, "NEXT|WRITE", 64, s.buf(64, True))
        s.op(f"NEXT which=1 index={t << 11 | 1:#x} next=0")
        i = s.take(1)
        s.desc(i, "INDIRECT", 32, tentry(t, 0))
    else:
        i = s.take(2)
        s.desc(i, "NEXT|WRITE", 64, s.buf(64, True))
        s.desc(i + 1, "NEXT|WRITE", 64, s.buf(64, True))
        s.op(f"NEXT which=0 index={i + 1} next={i}")
    s.publish(i, 1)


def bad_too_long(s):
    if s.indirect:
        t = s.table()
        if s.packed:  # a table one longer than the queue (IDESC entries carry packed flags)
            for e in range(s.qsize + 1):
                s.tdesc(t, e, "WRITE", 8, s.buf(8, True))
            n = s.qsize + 1
        else:  # 2048 entries: longer than any queue
            s.op(f"FILL flags=WRITE index={t << 11:#x} count=2048 len=8 shift=0 addr={C:#x}")
            n = 2048
        i = s.take(1)
        s.desc(i, "INDIRECT", 16 * n, tentry(t, 0))
        s.publish(i, 1)
    else:  # packed: every slot of the ring linked on
        i = s.take(s.qsize)
        s.op(f"FILL flags=WRITE|MAIN index={i} count={s.qsize} len=8 shift=0 addr={C:#x}")
        s.desc((i + s.qsize - 1) % s.qsize, "NEXT|WRITE", 8, C + 0x800)
        s.publish(i, s.qsize)


def indirect_chain(s, flags="INDIRECT", entries=(("", 16), ("WRITE", 64)), ln=None):
    t = s.table()
    for e, (f, n) in enumerate(entries):
        last = e == len(entries) - 1
        link = "" if s.packed or last else "NEXT"
        f2 = "|".join(x for x in (link, f) if x)
        s.tdesc(t, e, f2, n, s.buf(n, "WRITE" in f))
    return t, (16 * len(entries) if ln is None else ln)


def bad_indirect_not_negotiated(s):
    t, ln = indirect_chain(s)
    i = s.take(1)
    s.desc(i, "INDIRECT", ln, tentry(t, 0))
    s.publish(i, 1)


def bad_nested(s):
    inner, iln = indirect_chain(s)
    t = s.table()
    s.tdesc(t, 0, "INDIRECT", iln, tentry(inner, 0))
    i = s.take(1)
    s.desc(i, "INDIRECT", 16, tentry(t, 0))
    s.publish(i, 1)


def bad_indirect_next(s):
    t, ln = indirect_chain(s)
    i = s.take(2)
    s.desc(i, "INDIRECT|NEXT", ln, tentry(t, 0))
    s.desc(i + 1, "WRITE", 64, s.buf(64, True))
    s.publish(i, 2)


def bad_indirect_not_first(s):  # packed: the indirect descriptor must be the list's only one
    t, ln = indirect_chain(s)
    i = s.take(2)
    s.desc(i, "NEXT", 16, s.buf(16, False))
    s.desc(i + 1, "INDIRECT", ln, tentry(t, 0))
    s.publish(i, 2)


def bad_indirect_len(ln):
    def f(s):
        t, _ = indirect_chain(s)
        i = s.take(1)
        s.desc(i, "INDIRECT", ln, tentry(t, 0))
        s.publish(i, 1)
    return f


def bad_write_before_read(s):
    if s.indirect:
        t, ln = indirect_chain(s, entries=(("WRITE", 64), ("", 16)))
        i = s.take(1)
        s.desc(i, "INDIRECT", ln, tentry(t, 0))
        s.publish(i, 1)
    else:
        i = s.take(2)
        s.desc(i, "NEXT|WRITE", 64, s.buf(64, True))
        s.desc(i + 1, "", 16, s.buf(16, False))
        s.publish(i, 2)


def bad_partial(s):
    i = s.take(2)
    s.desc(i, "NEXT", 16, s.buf(16, False))
    s.desc(i + 1, "WRITE", 64, s.buf(64, True))
    s.publish(i, 1)  # only the first made available


def bad_buf_addr(s):
    if s.indirect:
        t, ln = indirect_chain(s, entries=(("", 16), ("WRITE", 64)))
        s.tdesc(t, 1, "WRITE", 64, OUTSIDE)
        i = s.take(1)
        s.desc(i, "INDIRECT", ln, tentry(t, 0))
    else:
        i = s.take(2)
        s.desc(i, "NEXT", 16, s.buf(16, False))
        s.desc(i + 1, "WRITE", 64, OUTSIDE)
    s.publish(i, 2 if s.packed and not s.indirect else 1)


def bad_table_addr(s):
    i = s.take(1)
    s.desc(i, "INDIRECT", 32, OUTSIDE)
    s.publish(i, 1)


def bad_total_len(s):  # 65 buffers of 64 MiB: more than 4 GiB (needs the big region)
    t = s.table()
    s.op(f"FILL flags=WRITE|SAME index={t << 11:#x} count=65 len=0x1000 shift=7 addr={BIG:#x}")
    i = s.take(1)
    s.desc(i, "INDIRECT", 65 * 16, tentry(t, 0))
    s.publish(i, 1)


def bad_in_order_next(s):
    i = s.take(3)
    s.desc(i, "NEXT", 16, s.buf(16, False))
    s.op(f"NEXT which=0 index={i} next={i + 2}")
    s.desc(i + 2, "WRITE", 64, s.buf(64, True))
    s.publish(i, 1)


def bad_in_order_indirect(s):
    t = s.table()
    s.tdesc(t, 0, "NEXT", 16, s.buf(16, False))
    s.op(f"NEXT which=1 index={t << 11:#x} next=2")
    s.tdesc(t, 2, "WRITE", 64, s.buf(64, True))
    i = s.take(1)
    s.desc(i, "INDIRECT", 48, tentry(t, 0))
    s.publish(i, 1)


# (name, packed?, indirect?, builder, oracle code, extra header)
BAD = [
    ("avail-idx-jump", False, False, bad_avail_jump, "VC_E_AVAIL_IDX_JUMP", {}),
    ("avail-idx-jump", False, True, bad_avail_jump, "VC_E_AVAIL_IDX_JUMP", {}),
    ("head-range", False, False, bad_head_range, "VC_E_HEAD_RANGE", {}),
    ("head-range", False, True, bad_head_range, "VC_E_HEAD_RANGE", {}),
    ("head-range", True, False, bad_head_range, "VC_E_HEAD_RANGE", {}),
    ("head-range", True, True, bad_head_range, "VC_E_HEAD_RANGE", {}),
    ("next-range", False, False, bad_next_range, "VC_E_NEXT_RANGE", {}),
    ("next-range", False, True, bad_next_range, "VC_E_NEXT_RANGE", {}),
    ("loop", False, False, bad_loop, "VC_E_LOOP", {}),
    ("loop", False, True, bad_loop, "VC_E_LOOP", {}),
    ("chain-too-long", False, True, bad_too_long, "VC_E_CHAIN_TOO_LONG", {}),
    ("chain-too-long", True, False, bad_too_long, "VC_E_CHAIN_TOO_LONG", {}),
    ("chain-too-long", True, True, bad_too_long, "VC_E_CHAIN_TOO_LONG", {"qsize": 2}),
    ("indirect-not-negotiated", False, False, bad_indirect_not_negotiated, "VC_E_INDIRECT_NOT_NEGOTIATED", {}),
    ("indirect-not-negotiated", True, False, bad_indirect_not_negotiated, "VC_E_INDIRECT_NOT_NEGOTIATED", {}),
    ("indirect-nested", False, True, bad_nested, "VC_E_INDIRECT_NESTED", {}),
    ("indirect-nested", True, True, bad_nested, "VC_E_INDIRECT_NESTED", {}),
    ("indirect-and-next", False, True, bad_indirect_next, "VC_E_INDIRECT_NEXT", {}),
    ("indirect-and-next", True, True, bad_indirect_next, "VC_E_INDIRECT_NEXT", {}),
    ("indirect-not-first", True, True, bad_indirect_not_first, "VC_E_INDIRECT_NEXT", {}),
    ("indirect-len-zero", False, True, bad_indirect_len(0), "VC_E_INDIRECT_LEN", {}),
    ("indirect-len-zero", True, True, bad_indirect_len(0), "VC_E_INDIRECT_LEN", {}),
    ("indirect-len-odd", False, True, bad_indirect_len(17), "VC_E_INDIRECT_LEN", {}),
    ("indirect-len-odd", True, True, bad_indirect_len(17), "VC_E_INDIRECT_LEN", {}),
    ("write-before-read", False, False, bad_write_before_read, "VC_E_WRITE_BEFORE_READ", {}),
    ("write-before-read", False, True, bad_write_before_read, "VC_E_WRITE_BEFORE_READ", {}),
    ("write-before-read", True, False, bad_write_before_read, "VC_E_WRITE_BEFORE_READ", {}),
    ("write-before-read", True, True, bad_write_before_read, "VC_E_WRITE_BEFORE_READ", {}),
    ("partial-list", True, False, bad_partial, "VC_E_PACKED_PARTIAL", {}),
    ("buffer-outside-memory", False, False, bad_buf_addr, "VC_E_BUF_ADDR", {}),
    ("buffer-outside-memory", False, True, bad_buf_addr, "VC_E_BUF_ADDR", {}),
    ("buffer-outside-memory", True, False, bad_buf_addr, "VC_E_BUF_ADDR", {}),
    ("buffer-outside-memory", True, True, bad_buf_addr, "VC_E_BUF_ADDR", {}),
    ("table-outside-memory", False, True, bad_table_addr, "VC_E_BUF_ADDR", {}),
    ("table-outside-memory", True, True, bad_table_addr, "VC_E_BUF_ADDR", {}),
    ("total-past-4gib", False, True, bad_total_len, "VC_E_TOTAL_LEN", {}),
    ("in-order-next", False, False, bad_in_order_next, "VC_E_IN_ORDER_NEXT", {"in_order": True}),
    ("in-order-indirect", False, True, bad_in_order_indirect, "VC_E_IN_ORDER_INDIRECT", {"in_order": True}),
]

PLACEMENTS = {
    "alone": "the forbidden chain is the first one made available",
    "after-valid": "a valid chain before it, in the same kick",
    "later-kick": "a valid chain in an earlier kick",
    "then-reset": "then a queue reset and a valid chain, which must come back",
    "after-wrap": "valid chains first, each kicked, until the rings went round once",
}

# Codes a chain cannot express, and why (listed in the README).
NOT_EXPRESSIBLE = {
    "VC_E_RING_ADDR": "the scenario's rings sit at fixed addresses in its map",
    "VC_E_QUEUE_SIZE": "the header's queue size is always one the ring type allows",
    "VC_E_RING_ALIGN": "the scenario's ring layout is always aligned",
    "VC_E_NOT_READY": "a replay sets DRIVER_OK before its first kick",
    "VC_E_USED_LEN": "a device-side error: every replay checks used lengths",
    "VC_E_USED_UNKNOWN": "a device-side error: every replay checks used ids",
    "VC_E_BROKEN": "the state after a refusal, not a chain",
}


def bad_scenario(name, packed, indirect, build, code, extra, placement):
    s = Scn(packed, indirect, **extra)
    if placement == "after-wrap":  # a refusal must not depend on where the rings stand
        for _ in range(s.qsize // 2 + 1):
            if s.next_desc + 2 > s.qsize:
                s.next_desc = 0
            s.good()
            s.kick()
    if placement in ("after-valid", "later-kick"):
        s.good()
        if placement == "later-kick":
            s.kick()
    build(s)
    s.kick()
    if placement == "then-reset":
        s.reset()
        s.good()
        s.kick()
    return s


# ---- chains a device must accept: (name, packed, indirect, builder, requirement, what) ----

def ok_indirect_write_flag(s):
    t, ln = indirect_chain(s)
    i = s.take(1)
    s.desc(i, "INDIRECT|WRITE", ln, tentry(t, 0))  # the device disregards WRITE here
    s.publish(i, 1)
    s.kick()


def ok_direct_then_indirect(n_direct):
    def f(s):
        t, ln = indirect_chain(s, entries=(("WRITE", 64),))
        i = s.take(n_direct + 1)
        for k in range(n_direct):
            s.desc(i + k, "NEXT", 16, s.buf(16, False))
        s.desc(i + n_direct, "INDIRECT", ln, tentry(t, 0))
        s.publish(i, 1)
        s.kick()
    return f


def ok_many_small(s):  # 1-byte writable pieces
    n = s.qsize
    i = s.take(n)
    s.op(f"FILL flags=WRITE|MAIN index={i} count={n} len=1 shift=0 addr={C:#x}")
    s.publish(i, n)
    s.kick()


def ok_odd_pieces(s):  # a message cut at odd places
    sizes = [("", 7), ("", 1), ("", 8), ("WRITE", 13), ("WRITE", 51)]
    i = s.take(len(sizes))
    for k, (f, n) in enumerate(sizes):
        link = "NEXT" if k < len(sizes) - 1 else ""
        s.desc(i + k, "|".join(x for x in (link, f) if x), n, s.buf(n, bool(f)))
    s.publish(i, len(sizes))
    s.kick()


def ok_straddle(s):  # one buffer across the boundary of data A and B
    i = s.take(2)
    s.desc(i, "NEXT", 16, A + 0x100)
    s.desc(i + 1, "WRITE", 0x100, B - 0x80)
    s.publish(i, 2)
    s.kick()


def ok_full_table(s):  # an indirect table exactly as long as the queue
    t, ln = indirect_chain(s, entries=[("", 16)] + [("WRITE", 32)] * (s.qsize - 1))
    i = s.take(1)
    s.desc(i, "INDIRECT", ln, tentry(t, 0))
    s.publish(i, 1)
    s.kick()


def ok_one_entry_table(s):
    t, ln = indirect_chain(s, entries=(("WRITE", 64),))
    i = s.take(1)
    s.desc(i, "INDIRECT", ln, tentry(t, 0))
    s.publish(i, 1)
    s.kick()


def ok_unasked_kicks(s):
    s.kick()  # nothing available yet
    s.op("EVENT which=0 value=1")  # and the driver asks for no interrupts
    s.good()
    s.kick()
    s.kick()
    s.kick()


def ok_heads_out_of_order(s):
    heads = []
    for _ in range(3):
        i = s.take(2)
        heads.append(i)
        s.desc(i, "NEXT", 16, s.buf(16, False))
        s.desc(i + 1, "WRITE", 64, s.buf(64, True))
    for h in reversed(heads):
        s.publish(h, 2)
    s.kick()


def ok_wrap_around(s):  # the rings go round several times
    for _ in range(3 * s.qsize // 2):
        if s.next_desc + 2 > s.qsize:
            s.next_desc = 0
        s.good()
        s.kick()


def ok_packed_ids_reversed(s):  # buffer ids need not follow ring positions
    for k in range(3):
        i = s.take(2)
        s.desc(i, "NEXT", 16, s.buf(16, False))
        s.desc(i + 1, "WRITE", 64, s.buf(64, True))
        s.set_id(i + 1, s.qsize - 1 - k)
        s.publish(i, 2)
    s.kick()


def ok_event_idx(s):
    s.op("EVENT which=1 value=0" if not s.packed else "EVENT which=2 value=0")
    s.good()
    s.kick()
    s.good()
    s.kick()


def ok_reset_then_use(s):
    s.good()
    s.kick()
    s.reset()
    s.good()
    s.kick()


def ok_zero_length(s):  # a zero-length writable piece between two others
    i = s.take(3)
    s.desc(i, "NEXT|WRITE", 32, s.buf(32, True))
    s.desc(i + 1, "NEXT|WRITE", 0, s.buf(32, True))
    s.desc(i + 2, "WRITE", 32, s.buf(32, True))
    s.publish(i, 3)
    s.kick()


def ok_id_in_last(s):  # the list's descriptors carry different ids: the last one's counts
    i = s.take(3)
    s.desc(i, "NEXT", 16, s.buf(16, False))
    s.desc(i + 1, "NEXT|WRITE", 32, s.buf(32, True))
    s.desc(i + 2, "WRITE", 32, s.buf(32, True))
    s.op(f"AVAIL head=2")
    s.kick()


def not_available_packed(s):  # written, never made available: must not be used
    i = s.take(2)
    s.desc(i, "NEXT", 16, s.buf(16, False))
    s.desc(i + 1, "WRITE", 64, s.buf(64, True))
    s.kick()


def not_published_split(s):  # in the avail ring, the index moved back: not available
    i = s.take(2)
    s.desc(i, "NEXT", 16, s.buf(16, False))
    s.desc(i + 1, "WRITE", 64, s.buf(64, True))
    s.publish(i, 2)
    s.op("AIDX idx=0")
    s.kick()


# use: the valid chains must come back (False: the spec does not oblige a
# device to take it; the replay still checks what it does)
GOOD = [
    ("indirect-write-flag", False, True, ok_indirect_write_flag, "dev.vq_indirect.1", True, {}),
    ("indirect-write-flag", True, True, ok_indirect_write_flag, "dev.vq_indirect.1", True, {}),
    ("direct-then-indirect", False, True, ok_direct_then_indirect(1), "dev.vq_indirect.2", True, {}),
    ("two-direct-then-indirect", False, True, ok_direct_then_indirect(2), "dev.vq_indirect.2", True, {}),
    ("one-byte-pieces", False, False, ok_many_small, "dev.framing.1", True, {}),
    ("one-byte-pieces", True, False, ok_many_small, "dev.packed_sg.1", True, {}),
    ("odd-pieces", False, False, ok_odd_pieces, "dev.framing.1", True, {}),
    ("odd-pieces", True, False, ok_odd_pieces, "dev.packed_sg.1", True, {}),
    ("buffer-across-regions", False, False, ok_straddle, "dev.framing.1", True, {}),
    ("buffer-across-regions", True, False, ok_straddle, "dev.framing.1", True, {}),
    ("table-as-long-as-queue", False, True, ok_full_table, "dev.framing.1", True, {}),
    ("table-as-long-as-queue", True, True, ok_full_table, "dev.framing.1", True, {}),
    ("one-entry-table", False, True, ok_one_entry_table, "dev.framing.1", True, {}),
    ("one-entry-table", True, True, ok_one_entry_table, "dev.framing.1", True, {}),
    ("kicks-not-asked-for", False, False, ok_unasked_kicks, "dev.vq_avail_supp.5", True, {}),
    ("kicks-not-asked-for", True, False, ok_unasked_kicks, "dev.vq_avail_supp.5", True, {}),
    ("heads-out-of-order", False, False, ok_heads_out_of_order, "dev.framing.1", True, {}),
    ("ring-wraps", False, False, ok_wrap_around, "dev.framing.1", True, {}),
    ("ring-wraps", True, False, ok_wrap_around, "dev.packed.1", True, {}),
    ("ids-not-positions", True, False, ok_packed_ids_reversed, "dev.packed.1", True, {}),
    ("id-only-in-last-descriptor", True, False, ok_id_in_last, "", False, {}),
    ("event-idx", False, False, ok_event_idx, "dev.vq_used_supp.5", True, {"event_idx": True}),
    ("event-idx", True, False, ok_event_idx, "dev.vq_used_supp.5", True, {"event_idx": True}),
    ("reset-then-use", False, False, ok_reset_then_use, "dev.vq_reset.2", True, {}),
    ("reset-then-use", True, False, ok_reset_then_use, "dev.vq_reset.2", True, {}),
    ("zero-length-piece", False, False, ok_zero_length, "", False, {}),
    ("zero-length-piece", True, False, ok_zero_length, "", False, {}),
    ("never-available", True, False, not_available_packed, "dev.packed_desc.2", False, {}),
    ("index-moved-back", False, False, not_published_split, "dev.vq_used.1", False, {}),
]


def write(outdir, name, s, lines):
    text = "\n".join(lines + [s.header()] + s.ops) + "\n"
    with open(os.path.join(outdir, name), "w") as fh:
        fh.write(text)


def main(argv):
    outdir = argv[1] if len(argv) > 1 else os.path.join(ROOT, "corpus", "hostile")
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.startswith(("split-", "packed-", "valid-")):
            os.unlink(os.path.join(outdir, f))
    n = 0
    for name, packed, indirect, build, code, extra in BAD:
        for placement, what in PLACEMENTS.items():
            if placement in ("after-valid", "after-wrap") and packed and name == "chain-too-long":
                continue  # the list (or queue of 2) takes every slot of the ring: nothing can come before it
            ring = ("packed" if packed else "split") + ("-indirect" if indirect else "")
            fname = f"{ring}-{name}-{placement}"
            s = bad_scenario(name, packed, indirect, build, code, extra, placement)
            write(outdir, fname, s, [f"# {ring} ring, {name.replace('-', ' ')}: a conforming device refuses it",
                                     f"# ({code}); {what}. Generated by tools/gen_hostile.py.",
                                     f"#@ oracle={code}"])
            n += 1
    for name, packed, indirect, build, req, use, extra in GOOD:
        ring = ("packed" if packed else "split") + ("-indirect" if indirect else "")
        s = Scn(packed, indirect, **extra)
        build(s)
        what = f"valid, and the device must take it ({req})" if use else \
            "valid or not available; what the device does is checked, taking it is not required"
        code = "VC_OK"
        write(outdir, f"valid-{ring}-{name}", s,
              [f"# {ring} ring, {name.replace('-', ' ')}: {what}.", "# Generated by tools/gen_hostile.py.",
               f"#@ oracle={code}" + (f" use req={req}" if use else "")])
        n += 1
    print(f"{n} scenarios in {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
