/* Split ring, driver side: descriptor free list, available ring, used ring
 * collection with validation of what the device reports. */
#include <endian.h>
#include <string.h>

#include "vc/ring.h"
#include "vc/vq_drv.h"

_Static_assert(VC_SPLIT_DESC_FLAGS == 12 && VC_SPLIT_DESC_NEXT == 14 && VC_PACKED_DESC_ID == 12 &&
                   VC_PACKED_DESC_FLAGS == 14,
               "vc_desc_bytes: split and packed descriptors share one layout");

bool vc_split_put_desc(const vc_gmem *m, uint64_t table, uint32_t idx, uint64_t addr, uint32_t len,
                       uint16_t flags, uint16_t next)
{
    /* one 16-byte write: the device sees it only after the avail index moves */
    uint8_t d[VC_SPLIT_DESC_SIZE];
    vc_desc_bytes(d, addr, len, flags, next);
    return vc_gmem_write(m, table + (uint64_t)idx * VC_SPLIT_DESC_SIZE, d, sizeof(d));
}

bool vc_split_put_avail(const vc_gmem *m, uint64_t avail, uint16_t size, uint16_t idx, uint16_t head)
{
    return vc_gmem_st16(m, avail + VC_SPLIT_AVAIL_RING + 2u * (idx % size), head) &&
           vc_gmem_st16_release(m, avail + VC_SPLIT_AVAIL_IDX, (uint16_t)(idx + 1));
}

/* Writes sg as a chain in table starting at first, following links[]. */
static bool write_chain(vc_vq_drv *q, uint64_t table, const uint16_t *links, uint16_t first,
                        const vc_seg *sg, unsigned n_out, unsigned total, uint16_t *last)
{
    uint16_t idx = first;
    for (unsigned i = 0; i < total; i++) {
        bool more = i + 1 < total;
        uint16_t next = more ? links[idx] : 0;
        uint16_t flags = (more ? VC_DESC_F_NEXT : 0) | (i >= n_out ? VC_DESC_F_WRITE : 0);
        if (!vc_split_put_desc(q->mem, table, idx, sg[i].addr, sg[i].len, flags, next))
            return false;
        *last = idx;
        idx = next;
    }
    return true;
}

vc_drv_status vc_split_drv_add(vc_vq_drv *q, const vc_seg *sg, unsigned n_out, unsigned n_in,
                               uint32_t token, bool use_indirect)
{
    unsigned total = n_out + n_in;
    unsigned need = use_indirect ? 1 : total;
    if (q->num_free < need)
        return VC_DRV_FULL;
    uint16_t head = q->free_head, last = head;
    uint32_t in_bytes = 0;
    for (unsigned i = n_out; i < total; i++)
        in_bytes += sg[i].len;

    if (use_indirect) {
        /* table entries link 0->1->2...; links[] is the identity successor */
        uint64_t table = q->indirect_base + (uint64_t)head * q->indirect_max * VC_SPLIT_DESC_SIZE;
        for (unsigned i = 0; i < total; i++) {
            bool more = i + 1 < total;
            uint16_t flags = (more ? VC_DESC_F_NEXT : 0) | (i >= n_out ? VC_DESC_F_WRITE : 0);
            if (!vc_split_put_desc(q->mem, table, i, sg[i].addr, sg[i].len, flags,
                                   more ? (uint16_t)(i + 1) : 0))
                return VC_DRV_MEM;
        }
        if (!vc_split_put_desc(q->mem, q->desc, head, table, total * VC_SPLIT_DESC_SIZE,
                               VC_DESC_F_INDIRECT, 0))
            return VC_DRV_MEM;
    } else if (!write_chain(q, q->desc, q->free_next, head, sg, n_out, total, &last)) {
        return VC_DRV_MEM;
    }

    q->free_head = q->free_next[last];
    q->num_free -= need;
    q->slot[head] = (vc_drv_slot){ .token = token, .ndesc = (uint16_t)need, .last = last,
                                   .in_bytes = in_bytes, .busy = true };
    if (!vc_split_put_avail(q->mem, q->driver, q->size, q->avail_idx, head))
        return VC_DRV_MEM;
    q->avail_idx++;
    q->nbusy++;
    return VC_DRV_OK;
}

bool vc_split_drv_kick_needed(vc_vq_drv *q)
{
    uint16_t old = q->kicked_idx, now = q->avail_idx;
    q->kicked_idx = now;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* avail idx visible before reading suppression */
    if (q->event_idx) {
        uint16_t avail_event;
        vc_gmem_ld16(q->mem, q->device + vc_split_avail_event_off(q->size), &avail_event);
        return vc_need_event(avail_event, now, old);
    }
    uint16_t flags;
    vc_gmem_ld16(q->mem, q->device + VC_SPLIT_USED_FLAGS, &flags);
    return now != old && !(flags & VC_SPLIT_USED_F_NO_NOTIFY);
}

vc_drv_status vc_split_drv_get_used(vc_vq_drv *q, uint32_t *token, uint32_t *len)
{
    uint16_t used_idx;
    if (!vc_gmem_ld16_acquire(q->mem, q->device + VC_SPLIT_USED_IDX, &used_idx))
        return VC_DRV_MEM;
    if (used_idx == q->last_used)
        return VC_DRV_EMPTY;
    if ((uint16_t)(used_idx - q->last_used) > q->nbusy)
        return VC_DRV_DEV_BAD_IDX;
    uint64_t elem = q->device + VC_SPLIT_USED_RING +
                    (uint64_t)VC_SPLIT_USED_ELEM_SIZE * (q->last_used % q->size);
    uint32_t id, ulen;
    if (!vc_gmem_ld32(q->mem, elem, &id) || !vc_gmem_ld32(q->mem, elem + 4, &ulen))
        return VC_DRV_MEM;
    if (id >= q->size || !q->slot[id].busy)
        return VC_DRV_DEV_BAD_ID;
    vc_drv_slot *s = &q->slot[id];
    *token = s->token;
    *len = ulen;
    s->busy = false;
    q->free_next[s->last] = q->free_head;
    q->free_head = (uint16_t)id;
    q->num_free += s->ndesc;
    q->nbusy--;
    q->last_used++;
    return ulen > s->in_bytes ? VC_DRV_DEV_BAD_LEN : VC_DRV_OK;
}

void vc_split_drv_want_interrupts(vc_vq_drv *q, bool enable)
{
    if (q->event_idx) {
        if (enable)
            vc_gmem_st16_release(q->mem, q->driver + vc_split_used_event_off(q->size),
                                 q->last_used);
        return;
    }
    vc_gmem_st16_release(q->mem, q->driver + VC_SPLIT_AVAIL_FLAGS,
                         enable ? 0 : VC_SPLIT_AVAIL_F_NO_INTERRUPT);
}
