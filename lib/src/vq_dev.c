/* Device-side virtqueue: set-up, dispatch to the split or packed walker, and
 * the chain data helpers device models use. */
#include "vc/vq_dev.h"

#include <stdlib.h>
#include <string.h>

#include "vc/ring.h"

static bool aligned(uint64_t a, uint64_t align)
{
    return (a & (align - 1)) == 0;
}

static vc_err check_layout(const vc_vq_dev *q)
{
    uint32_t n = q->size;
    if (q->packed) {
        if (!aligned(q->desc, VC_PACKED_DESC_ALIGN) || !aligned(q->driver, VC_PACKED_EVENT_ALIGN) ||
            !aligned(q->device, VC_PACKED_EVENT_ALIGN))
            return VC_E_RING_ALIGN;
        if (!vc_gmem_valid(q->mem, q->desc, vc_packed_desc_bytes(n)) ||
            !vc_gmem_valid(q->mem, q->driver, VC_PACKED_EVENT_SIZE) ||
            !vc_gmem_valid(q->mem, q->device, VC_PACKED_EVENT_SIZE))
            return VC_E_RING_ADDR;
        return VC_OK;
    }
    if (!aligned(q->desc, VC_SPLIT_DESC_ALIGN) || !aligned(q->driver, VC_SPLIT_AVAIL_ALIGN) ||
        !aligned(q->device, VC_SPLIT_USED_ALIGN))
        return VC_E_RING_ALIGN;
    if (!vc_gmem_valid(q->mem, q->desc, vc_split_desc_bytes(n)) ||
        !vc_gmem_valid(q->mem, q->driver, vc_split_avail_bytes(n)) ||
        !vc_gmem_valid(q->mem, q->device, vc_split_used_bytes(n)))
        return VC_E_RING_ADDR;
    return VC_OK;
}

vc_err vc_vq_dev_init(vc_vq_dev *q, const vc_gmem *mem, uint64_t features, uint16_t size,
                      uint64_t desc, uint64_t driver, uint64_t device)
{
    free(q->inflight);
    memset(q, 0, sizeof(*q));
    q->mem = mem;
    q->size = size;
    q->packed = features & (1ull << VC_F_RING_PACKED);
    q->event_idx = features & (1ull << VC_F_EVENT_IDX);
    q->indirect = features & (1ull << VC_F_INDIRECT_DESC);
    q->in_order = features & (1ull << VC_F_IN_ORDER);
    q->desc = desc;
    q->driver = driver;
    q->device = device;
    q->avail_wrap = q->used_wrap = true;
    bool size_ok = q->packed ? size >= 1 : vc_is_pow2(size);
    if (!size_ok || size > VC_MAX_QUEUE_SIZE) {
        q->broken = VC_E_QUEUE_SIZE;
        return q->broken;
    }
    q->inflight = calloc(size, 1);
    if (!q->inflight) {
        q->broken = VC_E_BROKEN;
        return q->broken;
    }
    q->broken = check_layout(q);
    return q->broken;
}

void vc_vq_dev_free(vc_vq_dev *q)
{
    free(q->inflight);
    q->inflight = NULL;
}

vc_err vc_vq_dev_pop(vc_vq_dev *q, vc_chain *c, bool *got)
{
    *got = false;
    if (q->broken)
        return q->broken;
    vc_err e = q->packed ? vc_packed_dev_pop(q, c, got) : vc_split_dev_pop(q, c, got);
    if (e != VC_OK) {
        *got = false;
        q->broken = e;
    }
    return e;
}

vc_err vc_vq_dev_push(vc_vq_dev *q, const vc_chain *c, uint32_t written)
{
    if (q->broken)
        return q->broken;
    /* a refused push is the device model's own mistake, caught before any
     * write: the ring stays usable, so it is not made sticky */
    return q->packed ? vc_packed_dev_push(q, c, written) : vc_split_dev_push(q, c, written);
}

bool vc_vq_dev_should_notify(vc_vq_dev *q)
{
    return q->packed ? vc_packed_dev_should_notify(q) : vc_split_dev_should_notify(q);
}

void vc_vq_dev_want_notify(vc_vq_dev *q, bool enable)
{
    if (q->packed)
        vc_packed_dev_want_notify(q, enable);
    else
        vc_split_dev_want_notify(q, enable);
}

/* Walks the segments of one direction, skipping off bytes, copying len. */
static uint64_t chain_copy(const vc_gmem *m, const vc_chain *c, bool write, uint64_t off,
                           uint8_t *buf, uint64_t len)
{
    uint64_t done = 0;
    uint32_t first = write ? c->n_out : 0, end = write ? c->nseg : c->n_out;
    for (uint32_t i = first; i < end && done < len; i++) {
        const vc_seg *s = &c->seg[i];
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        uint64_t n = s->len - off;
        if (n > len - done)
            n = len - done;
        bool ok = write ? vc_gmem_write(m, s->addr + off, buf + done, n)
                        : vc_gmem_read(m, s->addr + off, buf + done, n);
        if (!ok)
            break;
        done += n;
        off = 0;
    }
    return done;
}

uint64_t vc_chain_read(const vc_gmem *m, const vc_chain *c, uint64_t off, void *dst, uint64_t len)
{
    return chain_copy(m, c, false, off, dst, len);
}

uint64_t vc_chain_write(const vc_gmem *m, const vc_chain *c, uint64_t off, const void *src,
                        uint64_t len)
{
    return chain_copy(m, c, true, off, (uint8_t *)src, len);
}
