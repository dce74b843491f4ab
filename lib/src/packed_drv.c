/* Packed ring, driver side: buffer ids from a free stack, lists written with
 * the first descriptor's flags stored last, used descriptors validated. */
#include <endian.h>
#include <string.h>

#include "vc/ring.h"
#include "vc/vq_drv.h"

bool vc_packed_put_desc(const vc_gmem *m, uint64_t ring, uint32_t pos, uint64_t addr, uint32_t len,
                        uint16_t id, uint16_t flags)
{
    uint64_t d = ring + (uint64_t)pos * VC_PACKED_DESC_SIZE;
    /* address, length and id in one write; the flags after them */
    uint8_t b[VC_PACKED_DESC_SIZE];
    vc_desc_bytes(b, addr, len, id, flags);
    return vc_gmem_write(m, d, b, VC_PACKED_DESC_FLAGS) && vc_gmem_st16(m, d + VC_PACKED_DESC_FLAGS, flags);
}

static uint16_t avail_bits(bool wrap)
{
    return wrap ? VC_DESC_F_AVAIL : VC_DESC_F_USED;
}

vc_drv_status vc_packed_drv_add(vc_vq_drv *q, const vc_seg *sg, unsigned n_out, unsigned n_in,
                                uint32_t token, bool use_indirect)
{
    unsigned total = n_out + n_in, need = use_indirect ? 1 : total;
    if (need > q->num_free || q->nfree_ids == 0)
        return VC_DRV_FULL;
    uint16_t id = q->free_ids[q->nfree_ids - 1];
    uint32_t in_bytes = 0;
    for (unsigned i = n_out; i < total; i++)
        in_bytes += sg[i].len;

    if (use_indirect) {
        uint64_t table = q->indirect_base + (uint64_t)id * q->indirect_max * VC_PACKED_DESC_SIZE;
        for (unsigned i = 0; i < total; i++)
            if (!vc_packed_put_desc(q->mem, table, i, sg[i].addr, sg[i].len, 0,
                                    i >= n_out ? VC_DESC_F_WRITE : 0))
                return VC_DRV_MEM;
    }

    /* write every descriptor but the first, then the first with release order,
     * so the device never sees a partial list (drv.packed_sg.6) */
    uint16_t first = q->next_avail, first_flags = 0;
    bool wrap = q->avail_wrap;
    uint16_t pos = first;
    for (unsigned i = 0; i < need; i++) {
        uint64_t addr = use_indirect ? q->indirect_base + (uint64_t)id * q->indirect_max * 16
                                     : sg[i].addr;
        uint32_t len = use_indirect ? total * VC_PACKED_DESC_SIZE : sg[i].len;
        uint16_t flags = avail_bits(wrap);
        if (use_indirect)
            flags |= VC_DESC_F_INDIRECT;
        else
            flags |= (i + 1 < need ? VC_DESC_F_NEXT : 0) | (i >= n_out ? VC_DESC_F_WRITE : 0);
        if (i == 0) {
            first_flags = flags;
            flags &= (uint16_t)~(VC_DESC_F_AVAIL | VC_DESC_F_USED); /* not yet the driver's */
            flags |= avail_bits(!wrap);
        }
        if (!vc_packed_put_desc(q->mem, q->desc, pos, addr, len, id, flags))
            return VC_DRV_MEM;
        if (++pos == q->size) {
            pos = 0;
            wrap = !wrap;
        }
    }
    vc_gmem_st16_release(q->mem, q->desc + (uint64_t)first * VC_PACKED_DESC_SIZE + VC_PACKED_DESC_FLAGS,
                         first_flags);
    q->next_avail = pos;
    q->avail_wrap = wrap;
    q->nfree_ids--;
    q->num_free = (uint16_t)(q->num_free - need);
    q->nbusy++;
    q->added = (uint16_t)(q->added + need);
    q->slot[id] = (vc_drv_slot){ .token = token, .ndesc = (uint16_t)need, .in_bytes = in_bytes,
                                 .busy = true };
    return VC_DRV_OK;
}

bool vc_packed_drv_kick_needed(vc_vq_drv *q)
{
    uint16_t added = q->added;
    q->added = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* flags visible before reading suppression */
    uint16_t off_wrap, flags;
    vc_gmem_ld16(q->mem, q->device + VC_PACKED_EVENT_OFF_WRAP, &off_wrap);
    vc_gmem_ld16(q->mem, q->device + VC_PACKED_EVENT_FLAGS, &flags);
    if (added == 0 || (flags & 3) == VC_PACKED_EVENT_F_DISABLE)
        return false;
    if ((flags & 3) == VC_PACKED_EVENT_F_DESC && q->event_idx) {
        uint16_t now = q->next_avail, old = (uint16_t)(now - added);
        uint16_t event = off_wrap & 0x7fff;
        if (!!(off_wrap >> 15) != q->avail_wrap)
            event = (uint16_t)(event - q->size);
        return vc_need_event(event, now, old);
    }
    return true;
}

vc_drv_status vc_packed_drv_get_used(vc_vq_drv *q, uint32_t *token, uint32_t *len)
{
    uint64_t d = q->desc + (uint64_t)q->next_used * VC_PACKED_DESC_SIZE;
    uint16_t flags, id;
    uint32_t ulen;
    if (!vc_gmem_ld16_acquire(q->mem, d + VC_PACKED_DESC_FLAGS, &flags))
        return VC_DRV_MEM;
    bool av = flags & VC_DESC_F_AVAIL, us = flags & VC_DESC_F_USED;
    if (av != q->used_wrap || us != q->used_wrap)
        return VC_DRV_EMPTY;
    vc_gmem_ld16(q->mem, d + VC_PACKED_DESC_ID, &id);
    vc_gmem_ld32(q->mem, d + VC_PACKED_DESC_LEN, &ulen);
    if (id >= q->size || !q->slot[id].busy)
        return VC_DRV_DEV_BAD_ID;
    vc_drv_slot *s = &q->slot[id];
    *token = s->token;
    *len = ulen;
    s->busy = false;
    uint32_t next = (uint32_t)q->next_used + s->ndesc;
    if (next >= q->size) {
        next -= q->size;
        q->used_wrap = !q->used_wrap;
    }
    q->next_used = (uint16_t)next;
    q->free_ids[q->nfree_ids++] = id;
    q->num_free = (uint16_t)(q->num_free + s->ndesc);
    q->nbusy--;
    return ulen > s->in_bytes ? VC_DRV_DEV_BAD_LEN : VC_DRV_OK;
}

void vc_packed_drv_want_interrupts(vc_vq_drv *q, bool enable)
{
    vc_gmem_st16(q->mem, q->driver + VC_PACKED_EVENT_OFF_WRAP, 0);
    vc_gmem_st16_release(q->mem, q->driver + VC_PACKED_EVENT_FLAGS,
                         enable ? VC_PACKED_EVENT_F_ENABLE : VC_PACKED_EVENT_F_DISABLE);
}
