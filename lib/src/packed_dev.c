/* Packed ring, device side: take descriptor lists in ring order, write used
 * descriptors, decide on used buffer notifications. */
#include <endian.h>
#include <string.h>

#include "chain_build.h"
#include "vc/mutant.h"
#include "vc/ring.h"
#include "vc/vq_dev.h"

typedef struct pdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t id, flags;
} pdesc;

static bool read_pdesc(vc_vq_dev *q, uint64_t at, pdesc *d)
{
    uint8_t raw[VC_PACKED_DESC_SIZE];
    q->desc_reads++;
    if (!vc_gmem_read(q->mem, at, raw, sizeof(raw)))
        return false;
    memcpy(&d->addr, raw + VC_PACKED_DESC_ADDR, 8);
    memcpy(&d->len, raw + VC_PACKED_DESC_LEN, 4);
    memcpy(&d->id, raw + VC_PACKED_DESC_ID, 2);
    memcpy(&d->flags, raw + VC_PACKED_DESC_FLAGS, 2);
    d->addr = le64toh(d->addr);
    d->len = le32toh(d->len);
    d->id = le16toh(d->id);
    d->flags = le16toh(d->flags);
    return true;
}

/* The driver's descriptor: AVAIL matches the wrap counter, USED does not. */
static bool is_avail(uint16_t flags, bool wrap)
{
    return !!(flags & VC_DESC_F_AVAIL) == wrap && !!(flags & VC_DESC_F_USED) != wrap;
}

/* Walks an indirect table; every entry is a buffer (only WRITE counts). */
static vc_err walk_table(vc_vq_dev *q, const pdesc *d, vc_chain *c)
{
    uint32_t entries;
    vc_err e = vc_indirect_check(q->mem, d->addr, d->len, &entries);
    if (e != VC_OK)
        return e;
    for (uint32_t i = 0; i < entries; i++) {
        pdesc t;
        if (!read_pdesc(q, d->addr + (uint64_t)i * VC_PACKED_DESC_SIZE, &t))
            return VC_E_BUF_ADDR;
        if ((t.flags & VC_DESC_F_INDIRECT) && !VC_MUTANT_IS(NESTED_INDIRECT))
            return VC_E_INDIRECT_NESTED;
        /* other flags and the id are reserved in a table and ignored */
        e = vc_chain_add(q->mem, c, t.addr, t.len, t.flags & VC_DESC_F_WRITE);
        if (e != VC_OK)
            return e;
    }
    return VC_OK;
}

/* Walks the list starting at avail_pos; on success sets the id and slots
 * used, and where the next list starts. */
static vc_err walk(vc_vq_dev *q, vc_chain *c, uint16_t *pos, bool *wrap)
{
    pdesc d;
    uint16_t slots = 0;
    for (;;) {
        if (slots == q->size)
            return VC_E_CHAIN_TOO_LONG; /* the list never ends */
        if (!read_pdesc(q, q->desc + (uint64_t)*pos * VC_PACKED_DESC_SIZE, &d))
            return VC_E_BUF_ADDR;
        if (slots > 0 && !is_avail(d.flags, *wrap))
            return VC_E_PACKED_PARTIAL; /* rest of the list not made available first */
        slots++;
        if (++*pos == q->size) {
            *pos = 0;
            if (!VC_MUTANT_IS(PACKED_WRAP))
                *wrap = !*wrap;
        }
        if (d.flags & VC_DESC_F_INDIRECT) {
            if (!q->indirect)
                return VC_E_INDIRECT_NOT_NEGOTIATED;
            if ((d.flags & VC_DESC_F_NEXT) || slots > 1)
                return VC_E_INDIRECT_NEXT;
            vc_err e = walk_table(q, &d, c);
            if (e != VC_OK)
                return e;
            break;
        }
        vc_err e = vc_chain_add(q->mem, c, d.addr, d.len, d.flags & VC_DESC_F_WRITE);
        if (e != VC_OK)
            return e;
        if (!(d.flags & VC_DESC_F_NEXT))
            break;
    }
    /* the buffer id is in the last descriptor of the list */
    if (d.id >= q->size)
        return VC_E_HEAD_RANGE;
    c->id = d.id;
    c->ndesc = slots;
    return VC_OK;
}

vc_err vc_packed_dev_pop(vc_vq_dev *q, vc_chain *c, bool *got)
{
    uint16_t flags;
    uint64_t first = q->desc + (uint64_t)q->avail_pos * VC_PACKED_DESC_SIZE;
    vc_gmem_ld16_acquire(q->mem, first + VC_PACKED_DESC_FLAGS, &flags);
    if (!is_avail(flags, q->avail_wrap))
        return VC_OK; /* dev.packed_desc.2: only descriptors the driver flipped */

    uint32_t cap = c->cap;
    if (c->cap > q->size)
        c->cap = q->size; /* a list may not exceed the queue (drv.packed_sg.2) */
    vc_chain_reset(c);
    uint16_t pos = q->avail_pos;
    bool wrap = q->avail_wrap;
    vc_err e = walk(q, c, &pos, &wrap);
    c->cap = cap;
    if (e != VC_OK)
        return e;
    q->avail_pos = pos;
    q->avail_wrap = wrap;
    if (q->inflight[c->id] < UINT8_MAX)
        q->inflight[c->id]++;
    q->ninflight++;
    *got = true;
    return VC_OK;
}

vc_err vc_packed_dev_push(vc_vq_dev *q, const vc_chain *c, uint32_t written)
{
    if (c->id >= q->size || q->inflight[c->id] == 0)
        return VC_E_USED_UNKNOWN;
    if (written > c->in_bytes && !VC_MUTANT_IS(USED_LEN))
        return VC_E_USED_LEN;
    uint64_t d = q->desc + (uint64_t)q->used_pos * VC_PACKED_DESC_SIZE;
    vc_gmem_st16(q->mem, d + VC_PACKED_DESC_ID, c->id);
    vc_gmem_st32(q->mem, d + VC_PACKED_DESC_LEN, written);
    uint16_t flags = q->used_wrap ? (VC_DESC_F_AVAIL | VC_DESC_F_USED) : 0;
    vc_gmem_st16_release(q->mem, d + VC_PACKED_DESC_FLAGS, flags); /* flags last */
    /* one used descriptor per list, the list's other slots skipped */
    uint16_t step = c->ndesc && !VC_MUTANT_IS(PACKED_USED_STEP) ? c->ndesc : 1;
    uint32_t next = (uint32_t)q->used_pos + step;
    if (next >= q->size) {
        next -= q->size;
        q->used_wrap = !q->used_wrap;
    }
    q->used_pos = (uint16_t)next;
    q->signalled_used = (uint16_t)(q->signalled_used + step);
    q->inflight[c->id]--;
    q->ninflight--;
    return VC_OK;
}

/* signalled_used counts ring slots written since the last decision. */
bool vc_packed_dev_should_notify(vc_vq_dev *q)
{
    uint16_t added = q->signalled_used;
    q->signalled_used = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* used flags visible before reading suppression */
    uint16_t off_wrap, flags;
    vc_gmem_ld16(q->mem, q->driver + VC_PACKED_EVENT_OFF_WRAP, &off_wrap);
    vc_gmem_ld16(q->mem, q->driver + VC_PACKED_EVENT_FLAGS, &flags);
    if (added == 0)
        return false;
    switch (flags & 3) {
    case VC_PACKED_EVENT_F_DISABLE:
        return false;
    case VC_PACKED_EVENT_F_DESC:
        if (q->event_idx) {
            uint16_t now = q->used_pos, old = (uint16_t)(now - added);
            uint16_t event = off_wrap & 0x7fff;
            bool wrap = VC_MUTANT_IS(PACKED_EVENT_WRAP) ? q->avail_wrap : q->used_wrap;
            if (!!(off_wrap >> 15) != wrap)
                event = (uint16_t)(event - q->size);
            return vc_need_event(event, now, old);
        }
        return true; /* DESC without EVENT_IDX is reserved: notify to be safe */
    default:
        return true;
    }
}

void vc_packed_dev_want_notify(vc_vq_dev *q, bool enable)
{
    vc_gmem_st16(q->mem, q->device + VC_PACKED_EVENT_OFF_WRAP, 0);
    vc_gmem_st16_release(q->mem, q->device + VC_PACKED_EVENT_FLAGS,
                         enable ? VC_PACKED_EVENT_F_ENABLE : VC_PACKED_EVENT_F_DISABLE);
}
