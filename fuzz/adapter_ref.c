/* The reference device's ring layer behind the adapter interface: the worked
 * example for adapting another backend. */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "vc/vq_dev.h"

typedef struct ref_backend {
    const vc_gmem *mem;
    vc_vq_dev q;
    bool ready;
    vc_seg *buf;   /* grown to the largest queue seen, never shrunk */
    uint32_t nbuf;
    vc_seg *segs;  /* the last cap entries of buf */
    uint32_t cap;
    uint8_t fill[4096];
} ref_backend;

static void *ref_create(const vc_gmem *mem)
{
    ref_backend *b = calloc(1, sizeof(*b));
    if (b) {
        b->mem = mem;
        memset(b->fill, 0xa5, sizeof(b->fill));
    }
    return b;
}

static void ref_destroy(void *be)
{
    ref_backend *b = be;
    vc_vq_dev_free(&b->q);
    free(b->buf);
    free(b);
}

static bool ref_setup(void *be, uint64_t features, uint16_t size, uint64_t desc, uint64_t driver,
                      uint64_t device)
{
    ref_backend *b = be;
    if (b->nbuf < size) {
        free(b->buf);
        b->buf = malloc(sizeof(*b->buf) * size);
        b->nbuf = b->buf ? size : 0;
    }
    /* Exactly the queue size, ending where the allocation ends: an off-by-one
     * in the chain limit writes past it (ASan sees it whatever queues came
     * before; with the buffer at the front a larger earlier queue hid it). */
    b->cap = size <= b->nbuf ? size : 0;
    b->segs = b->buf ? b->buf + (b->nbuf - b->cap) : NULL;
    b->ready = vc_vq_dev_init(&b->q, b->mem, features, size, desc, driver, device) == VC_OK;
    return b->ready;
}

static uint32_t used_len(const vc_chain *c, vc_used_policy p)
{
    switch (p) {
    case VC_USED_NONE: return 0;
    case VC_USED_HALF: return (uint32_t)(c->in_bytes / 2);
    case VC_USED_ONE_MORE: return (uint32_t)(c->in_bytes + 1);
    default: return (uint32_t)c->in_bytes;
    }
}

static void ref_kick(void *be, const vc_adapter_events *ev, vc_used_policy policy)
{
    ref_backend *b = be;
    if (!b->ready)
        return;
    for (uint32_t n = 0; n < b->q.size; n++) {
        if (ev->enough && ev->enough(ev->ctx))
            return;
        vc_chain c = { .seg = b->segs, .cap = b->cap };
        bool got;
        vc_err e = vc_vq_dev_pop(&b->q, &c, &got);
        if (e != VC_OK) {
            ev->rejected(ev->ctx, vc_err_name(e));
            return;
        }
        if (!got)
            return;
        ev->took(ev->ctx, c.id);
        uint32_t len = used_len(&c, policy);
        /* fill what we report as written (capped at the real space, and
         * at 4 KiB: chains may hold gigabytes of buffers) */
        for (uint64_t off = 0; off < len && off < c.in_bytes && off < sizeof(b->fill);
             off += sizeof(b->fill)) {
            uint64_t n2 = c.in_bytes - off < sizeof(b->fill) ? c.in_bytes - off : sizeof(b->fill);
            vc_chain_write(b->mem, &c, off, b->fill, n2);
        }
        e = vc_vq_dev_push(&b->q, &c, len);
        if (e == VC_E_USED_LEN) /* the ring layer caught the over-long length */
            e = vc_vq_dev_push(&b->q, &c, (uint32_t)c.in_bytes);
        if (e != VC_OK) {
            ev->rejected(ev->ctx, vc_err_name(e));
            return;
        }
    }
}

const vc_adapter vc_adapter_ref = {
    .name = "refdev",
    .create = ref_create,
    .destroy = ref_destroy,
    .setup = ref_setup,
    .kick = ref_kick,
};
