/* Split ring, device side: walk chains from the available ring, publish
 * used entries, decide on used buffer notifications. */
#include <endian.h>
#include <string.h>

#include "chain_build.h"
#include "vc/mutant.h"
#include "vc/ring.h"
#include "vc/vq_dev.h"

typedef struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
} desc;

static bool read_desc(vc_vq_dev *q, uint64_t table, uint32_t idx, desc *d)
{
    uint8_t raw[VC_SPLIT_DESC_SIZE];
    q->desc_reads++;
    if (!vc_gmem_read(q->mem, table + (uint64_t)idx * VC_SPLIT_DESC_SIZE, raw, sizeof(raw)))
        return false;
    memcpy(&d->addr, raw + VC_SPLIT_DESC_ADDR, 8);
    memcpy(&d->len, raw + VC_SPLIT_DESC_LEN, 4);
    memcpy(&d->flags, raw + VC_SPLIT_DESC_FLAGS, 2);
    memcpy(&d->next, raw + VC_SPLIT_DESC_NEXT, 2);
    d->addr = le64toh(d->addr);
    d->len = le32toh(d->len);
    d->flags = le16toh(d->flags);
    d->next = le16toh(d->next);
    return true;
}

/* Switches the walk into the indirect table a descriptor points at. */
static vc_err enter_indirect(vc_vq_dev *q, const desc *d, bool in_table, uint64_t *table,
                             uint32_t *tsize)
{
    if (in_table && !VC_MUTANT_IS(NESTED_INDIRECT))
        return VC_E_INDIRECT_NESTED;
    if (!q->indirect)
        return VC_E_INDIRECT_NOT_NEGOTIATED;
    if (d->flags & VC_DESC_F_NEXT)
        return VC_E_INDIRECT_NEXT;
    uint32_t entries;
    vc_err e = vc_indirect_check(q->mem, d->addr, d->len, &entries);
    if (e != VC_OK)
        return e;
    *table = d->addr;
    *tsize = entries;
    return VC_OK;
}

/* Checks the step from descriptor idx to d->next within a table of tsize. */
static vc_err check_next(const vc_vq_dev *q, const desc *d, uint32_t idx, uint32_t tsize,
                         bool in_table)
{
    if (d->next >= tsize && !VC_MUTANT_IS(NO_NEXT_CHECK))
        return VC_E_NEXT_RANGE;
    if (q->in_order) {
        if (in_table && d->next != idx + 1)
            return VC_E_IN_ORDER_INDIRECT;
        if (!in_table && d->next != (idx + 1) % q->size)
            return VC_E_IN_ORDER_NEXT;
    }
    return VC_OK;
}

static vc_err walk(vc_vq_dev *q, uint16_t head, vc_chain *c)
{
    uint64_t table = q->desc;
    uint32_t tsize = q->size, idx = head, visited = 0;
    bool in_table = false;
    for (;;) {
        desc d;
        if (!read_desc(q, table, idx, &d))
            return VC_E_BUF_ADDR; /* only reachable through a planted bug */
        if (++visited > tsize && !VC_MUTANT_IS(NO_LOOP_CHECK))
            return VC_E_LOOP; /* more descriptors than the table holds */
        if (d.flags & VC_DESC_F_INDIRECT) {
            /* the WRITE flag of this descriptor is ignored (dev.vq_indirect.1) */
            vc_err e = enter_indirect(q, &d, in_table, &table, &tsize);
            if (e != VC_OK)
                return e;
            in_table = true;
            idx = 0;
            visited = 0;
            continue;
        }
        vc_err e = vc_chain_add(q->mem, c, d.addr, d.len, d.flags & VC_DESC_F_WRITE);
        if (e != VC_OK)
            return e;
        if (!(d.flags & VC_DESC_F_NEXT))
            return VC_OK;
        e = check_next(q, &d, idx, tsize, in_table);
        if (e != VC_OK)
            return e;
        idx = d.next;
    }
}

vc_err vc_split_dev_pop(vc_vq_dev *q, vc_chain *c, bool *got)
{
    uint16_t avail_idx, head;
    vc_gmem_ld16_acquire(q->mem, q->driver + VC_SPLIT_AVAIL_IDX, &avail_idx);
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
    if (pending == 0)
        return VC_OK;
    if (pending > q->size && !VC_MUTANT_IS(AVAIL_JUMP))
        return VC_E_AVAIL_IDX_JUMP;
    vc_gmem_ld16(q->mem, q->driver + VC_SPLIT_AVAIL_RING + 2u * (q->last_avail % q->size), &head);
    if (head >= q->size && !VC_MUTANT_IS(NO_HEAD_CHECK))
        return VC_E_HEAD_RANGE;

    /* The chain may not be longer than the queue (drv.vq_indirect.3). */
    uint32_t cap = c->cap;
    if (c->cap > q->size)
        c->cap = q->size;
    vc_chain_reset(c);
    vc_err e = walk(q, head, c);
    c->cap = cap;
    if (e != VC_OK)
        return e;
    c->id = head;
    c->ndesc = 1;
    q->last_avail++;
    if (q->inflight[head % q->size] < UINT8_MAX)
        q->inflight[head % q->size]++;
    q->ninflight++;
    *got = true;
    return VC_OK;
}

vc_err vc_split_dev_push(vc_vq_dev *q, const vc_chain *c, uint32_t written)
{
    if (c->id >= q->size || q->inflight[c->id] == 0)
        return VC_E_USED_UNKNOWN;
    if (written > c->in_bytes && !VC_MUTANT_IS(USED_LEN))
        return VC_E_USED_LEN;
    uint64_t elem = q->device + VC_SPLIT_USED_RING +
                    (uint64_t)VC_SPLIT_USED_ELEM_SIZE * (q->used_idx % q->size);
    /* len before idx (dev.vq_used.1): the release store orders them */
    vc_gmem_st32(q->mem, elem, c->id);
    vc_gmem_st32(q->mem, elem + 4, written);
    q->used_idx++;
    vc_gmem_st16_release(q->mem, q->device + VC_SPLIT_USED_IDX, q->used_idx);
    q->inflight[c->id]--;
    q->ninflight--;
    return VC_OK;
}

bool vc_split_dev_should_notify(vc_vq_dev *q)
{
    /* signalled_used starts at 0 with the used index: the first decision
     * needs no special case (notifying regardless would break .6) */
    uint16_t old = q->signalled_used, now = q->used_idx;
    q->signalled_used = now;
    q->signalled_valid = true;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* used idx visible before reading suppression */
    if (q->event_idx) {
        uint16_t used_event;
        vc_gmem_ld16(q->mem, q->driver + vc_split_used_event_off(q->size), &used_event);
        if (VC_MUTANT_IS(USED_EVENT_OFF1)) /* the classic slip: event in (old, now] */
            return (uint16_t)(now - used_event) < (uint16_t)(now - old);
        return vc_need_event(used_event, now, old);
    }
    uint16_t flags;
    vc_gmem_ld16(q->mem, q->driver + VC_SPLIT_AVAIL_FLAGS, &flags);
    return now != old && !(flags & VC_SPLIT_AVAIL_F_NO_INTERRUPT);
}

void vc_split_dev_want_notify(vc_vq_dev *q, bool enable)
{
    if (q->event_idx) {
        /* ask to hear about the next buffer; disabling is a no-op with event idx */
        if (enable)
            vc_gmem_st16_release(q->mem, q->device + vc_split_avail_event_off(q->size),
                                 q->last_avail);
        return;
    }
    vc_gmem_st16_release(q->mem, q->device + VC_SPLIT_USED_FLAGS,
                         enable ? 0 : VC_SPLIT_USED_F_NO_NOTIFY);
}
