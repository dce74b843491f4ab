/* Driver-side virtqueue: common set-up and dispatch to split or packed. */
#include "vc/vq_drv.h"

#include <stdlib.h>
#include <string.h>

#include "vc/ring.h"

const char *vc_drv_status_name(vc_drv_status s)
{
    switch (s) {
    case VC_DRV_OK: return "ok";
    case VC_DRV_FULL: return "ring full";
    case VC_DRV_EMPTY: return "no used buffer";
    case VC_DRV_BAD_ARG: return "bad argument";
    case VC_DRV_MEM: return "not in guest memory";
    case VC_DRV_DEV_BAD_ID: return "device returned an id that was not outstanding";
    case VC_DRV_DEV_BAD_IDX: return "device moved the used index too far";
    case VC_DRV_DEV_BAD_LEN: return "device returned a used length beyond the writable space";
    }
    return "unknown";
}

static bool zero_rings(const vc_vq_drv *q)
{
    uint32_t n = q->size;
    if (q->packed)
        return vc_gmem_fill(q->mem, q->desc, 0, vc_packed_desc_bytes(n)) &&
               vc_gmem_fill(q->mem, q->driver, 0, VC_PACKED_EVENT_SIZE) &&
               vc_gmem_fill(q->mem, q->device, 0, VC_PACKED_EVENT_SIZE);
    return vc_gmem_fill(q->mem, q->desc, 0, vc_split_desc_bytes(n)) &&
           vc_gmem_fill(q->mem, q->driver, 0, vc_split_avail_bytes(n)) &&
           vc_gmem_fill(q->mem, q->device, 0, vc_split_used_bytes(n));
}

vc_drv_status vc_vq_drv_init(vc_vq_drv *q, const vc_gmem *mem, uint64_t features, uint16_t size,
                             uint64_t desc, uint64_t driver, uint64_t device,
                             uint64_t indirect_base, uint16_t indirect_max)
{
    memset(q, 0, sizeof(*q));
    q->mem = mem;
    q->size = size;
    q->packed = features & (1ull << VC_F_RING_PACKED);
    q->event_idx = features & (1ull << VC_F_EVENT_IDX);
    q->indirect = (features & (1ull << VC_F_INDIRECT_DESC)) && indirect_max > 0;
    q->desc = desc;
    q->driver = driver;
    q->device = device;
    q->indirect_base = indirect_base;
    q->indirect_max = q->indirect ? indirect_max : 0;
    if (size == 0 || size > VC_MAX_QUEUE_SIZE || (!q->packed && !vc_is_pow2(size)))
        return VC_DRV_BAD_ARG;
    if (q->indirect &&
        !vc_gmem_valid(mem, indirect_base, (uint64_t)size * indirect_max * VC_SPLIT_DESC_SIZE))
        return VC_DRV_MEM;
    if (!zero_rings(q))
        return VC_DRV_MEM;
    q->slot = calloc(size, sizeof(*q->slot));
    q->free_next = calloc(size, sizeof(*q->free_next));
    q->free_ids = calloc(size, sizeof(*q->free_ids));
    if (!q->slot || !q->free_next || !q->free_ids) {
        vc_vq_drv_free(q);
        return VC_DRV_BAD_ARG;
    }
    q->num_free = size;
    for (uint32_t i = 0; i < size; i++) {
        q->free_next[i] = (uint16_t)(i + 1);
        q->free_ids[i] = (uint16_t)(size - 1 - i); /* stack: id 0 on top */
    }
    q->nfree_ids = size;
    q->avail_wrap = q->used_wrap = true;
    return VC_DRV_OK;
}

void vc_vq_drv_free(vc_vq_drv *q)
{
    free(q->slot);
    free(q->free_next);
    free(q->free_ids);
    q->slot = NULL;
    q->free_next = NULL;
    q->free_ids = NULL;
}

vc_drv_status vc_vq_drv_add(vc_vq_drv *q, const vc_seg *sg, unsigned n_out, unsigned n_in,
                            uint32_t token, bool use_indirect)
{
    if (n_out + n_in == 0 || n_out + n_in > VC_MAX_QUEUE_SIZE)
        return VC_DRV_BAD_ARG;
    if (use_indirect && (!q->indirect || n_out + n_in > q->indirect_max))
        return VC_DRV_BAD_ARG;
    return q->packed ? vc_packed_drv_add(q, sg, n_out, n_in, token, use_indirect)
                     : vc_split_drv_add(q, sg, n_out, n_in, token, use_indirect);
}

bool vc_vq_drv_kick_needed(vc_vq_drv *q)
{
    return q->packed ? vc_packed_drv_kick_needed(q) : vc_split_drv_kick_needed(q);
}

vc_drv_status vc_vq_drv_get_used(vc_vq_drv *q, uint32_t *token, uint32_t *len)
{
    return q->packed ? vc_packed_drv_get_used(q, token, len) : vc_split_drv_get_used(q, token, len);
}

void vc_vq_drv_want_interrupts(vc_vq_drv *q, bool enable)
{
    if (q->packed)
        vc_packed_drv_want_interrupts(q, enable);
    else
        vc_split_drv_want_interrupts(q, enable);
}
