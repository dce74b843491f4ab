/* Verdict oracle (see oracle.h). Written apart from lib/src on purpose:
 * descriptors are decoded into a flat record, rules are a flat list of
 * tests, and the packed walk is a loop over ring positions. */
#include "oracle.h"

#include <endian.h>
#include <stddef.h>
#include <string.h>

#include "vc/ring.h"
#include "vc/vq_dev.h"

typedef struct rec {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, link; /* link: split next, packed buffer id */
} rec;

static bool fetch(const vc_oracle *o, uint64_t at, rec *r, vc_oracle_chain *c)
{
    uint8_t b[16];
    if (!vc_gmem_read(o->mem, at, b, 16))
        return false;
    uint64_t addr;
    uint32_t len;
    uint16_t w12, w14;
    memcpy(&addr, b, 8);
    memcpy(&len, b + 8, 4);
    memcpy(&w12, b + 12, 2);
    memcpy(&w14, b + 14, 2);
    r->addr = le64toh(addr);
    r->len = le32toh(len);
    /* split: flags then next; packed: buffer id then flags */
    r->flags = le16toh(o->packed ? w14 : w12);
    r->link = le16toh(o->packed ? w12 : w14);
    if (!c)
        return true; /* a peek, not part of a chain */
    /* a chain usually walks consecutive entries: one range for the run */
    if (c->nranges > 0 && at >= c->range[c->nranges - 1].gpa &&
        at <= c->range[c->nranges - 1].gpa + c->range[c->nranges - 1].len) {
        uint64_t end = c->range[c->nranges - 1].gpa + c->range[c->nranges - 1].len;
        if (at + 16 > end)
            c->range[c->nranges - 1].len += at + 16 - end;
    } else if (c->nranges < VC_ORACLE_MAX_RANGES) {
        c->range[c->nranges].gpa = at;
        c->range[c->nranges].len = 16;
        c->nranges++;
    } else {
        c->ranges_overflow = true;
    }
    return true;
}

void vc_oracle_init(vc_oracle *o, const vc_gmem *mem, uint64_t features, uint16_t size,
                    uint64_t desc, uint64_t driver, uint64_t device)
{
    memset(o, 0, sizeof(*o));
    o->mem = mem;
    o->size = size;
    o->packed = features >> VC_F_RING_PACKED & 1;
    o->indirect = features >> VC_F_INDIRECT_DESC & 1;
    o->in_order = features >> VC_F_IN_ORDER & 1;
    o->desc = desc;
    o->driver = driver;
    o->device = device;
    o->wrap = true;
}

/* Accounting of one buffer descriptor; the rules in their fixed order. */
typedef struct acc {
    uint32_t nseg;
    bool seen_writable;
    uint64_t total, writable;
} acc;

static vc_err take_buffer(const vc_oracle *o, acc *a, const rec *r, vc_oracle_chain *c)
{
    bool w = r->flags & VC_DESC_F_WRITE;
    if (a->nseg >= o->size)
        return VC_E_CHAIN_TOO_LONG;
    if (!vc_gmem_valid(o->mem, r->addr, r->len))
        return VC_E_BUF_ADDR;
    if (!w && a->seen_writable)
        return VC_E_WRITE_BEFORE_READ;
    if (a->total + r->len > (1ull << 32))
        return VC_E_TOTAL_LEN;
    a->nseg++;
    a->total += r->len;
    if (w) {
        a->seen_writable = true;
        a->writable += r->len;
        if (c->nwr < VC_ORACLE_MAX_RANGES) {
            c->wr[c->nwr].gpa = r->addr;
            c->wr[c->nwr].len = r->len;
            c->nwr++;
        } else {
            c->wr_overflow = true;
        }
    } else if (c->nrd < VC_ORACLE_MAX_RANGES) {
        c->rd[c->nrd].gpa = r->addr;
        c->rd[c->nrd].len = r->len;
        c->nrd++;
    } else {
        c->rd_overflow = true;
    }
    return VC_OK;
}

static vc_err indirect_rules(const vc_oracle *o, const rec *r, bool nested_ok_never)
{
    if (nested_ok_never)
        return VC_E_INDIRECT_NESTED;
    if (!o->indirect)
        return VC_E_INDIRECT_NOT_NEGOTIATED;
    if (r->flags & VC_DESC_F_NEXT)
        return VC_E_INDIRECT_NEXT;
    if (r->len == 0 || r->len % 16)
        return VC_E_INDIRECT_LEN;
    if (!vc_gmem_valid(o->mem, r->addr, r->len))
        return VC_E_BUF_ADDR;
    return VC_OK;
}

static vc_err split_next(vc_oracle *o, vc_oracle_chain *c, bool *got)
{
    uint16_t idx;
    vc_gmem_ld16(o->mem, o->driver + 2, &idx);
    uint16_t waiting = (uint16_t)(idx - o->last_avail);
    if (!waiting)
        return VC_OK;
    if (waiting > o->size)
        return VC_E_AVAIL_IDX_JUMP;
    uint16_t head;
    vc_gmem_ld16(o->mem, o->driver + 4 + 2u * (o->last_avail & (o->size - 1)), &head);
    if (head >= o->size)
        return VC_E_HEAD_RANGE;

    acc a = { 0 };
    uint64_t base = o->desc;
    uint32_t limit = o->size, at = head, steps = 0;
    bool inside = false;
    for (;;) {
        rec r;
        if (!fetch(o, base + 16ull * at, &r, c))
            return VC_E_BUF_ADDR;
        if (++steps > limit)
            return VC_E_LOOP;
        if (r.flags & VC_DESC_F_INDIRECT) {
            vc_err e = indirect_rules(o, &r, inside);
            if (e)
                return e;
            base = r.addr;
            limit = r.len / 16;
            at = 0;
            steps = 0;
            inside = true;
            continue;
        }
        vc_err e = take_buffer(o, &a, &r, c);
        if (e)
            return e;
        if (!(r.flags & VC_DESC_F_NEXT))
            break;
        if (r.link >= limit)
            return VC_E_NEXT_RANGE;
        if (o->in_order && inside && r.link != at + 1)
            return VC_E_IN_ORDER_INDIRECT;
        if (o->in_order && !inside && r.link != (at + 1) % o->size)
            return VC_E_IN_ORDER_NEXT;
        at = r.link;
    }
    c->id = head;
    c->slots = 1;
    c->writable = a.writable;
    c->nseg = a.nseg;
    o->last_avail++;
    *got = true;
    return VC_OK;
}

/* Packed: a descriptor is the driver's when its AVAIL bit equals our wrap
 * counter and its USED bit does not. */
static bool packed_avail(const vc_oracle *o, uint16_t flags, bool wrap)
{
    bool av = flags & VC_DESC_F_AVAIL, us = flags & VC_DESC_F_USED;
    return av == wrap && us != wrap;
}

static vc_err packed_table(const vc_oracle *o, acc *a, const rec *r, vc_oracle_chain *c)
{
    if (r->len == 0 || r->len % 16)
        return VC_E_INDIRECT_LEN;
    if (!vc_gmem_valid(o->mem, r->addr, r->len))
        return VC_E_BUF_ADDR;
    for (uint32_t i = 0; i < r->len / 16; i++) {
        rec t;
        if (!fetch(o, r->addr + 16ull * i, &t, c))
            return VC_E_BUF_ADDR;
        if (t.flags & VC_DESC_F_INDIRECT)
            return VC_E_INDIRECT_NESTED;
        t.flags &= VC_DESC_F_WRITE; /* other flags are reserved and ignored */
        vc_err e = take_buffer(o, a, &t, c);
        if (e)
            return e;
    }
    return VC_OK;
}

static vc_err packed_next(vc_oracle *o, vc_oracle_chain *c, bool *got)
{
    rec r;
    if (!fetch(o, o->desc + 16ull * o->pos, &r, NULL) || !packed_avail(o, r.flags, o->wrap))
        return VC_OK;
    acc a = { 0 };
    uint16_t pos = o->pos, used = 0;
    bool wrap = o->wrap;
    for (;;) {
        if (used == o->size)
            return VC_E_CHAIN_TOO_LONG;
        if (!fetch(o, o->desc + 16ull * pos, &r, c))
            return VC_E_BUF_ADDR;
        if (used > 0 && !packed_avail(o, r.flags, wrap))
            return VC_E_PACKED_PARTIAL;
        used++;
        if (++pos == o->size) {
            pos = 0;
            wrap = !wrap;
        }
        if (r.flags & VC_DESC_F_INDIRECT) {
            if (!o->indirect)
                return VC_E_INDIRECT_NOT_NEGOTIATED;
            if ((r.flags & VC_DESC_F_NEXT) || used > 1)
                return VC_E_INDIRECT_NEXT;
            vc_err e = packed_table(o, &a, &r, c);
            if (e)
                return e;
            break;
        }
        vc_err e = take_buffer(o, &a, &r, c);
        if (e)
            return e;
        if (!(r.flags & VC_DESC_F_NEXT))
            break;
    }
    if (r.link >= o->size)
        return VC_E_HEAD_RANGE;
    c->id = r.link;
    c->slots = used;
    c->writable = a.writable;
    c->nseg = a.nseg;
    o->pos = pos;
    o->wrap = wrap;
    *got = true;
    return VC_OK;
}

vc_err vc_oracle_next(vc_oracle *o, vc_oracle_chain *c, bool *got)
{
    memset(c, 0, offsetof(vc_oracle_chain, range));
    *got = false;
    return o->packed ? packed_next(o, c, got) : split_next(o, c, got);
}
