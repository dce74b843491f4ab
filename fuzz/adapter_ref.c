/* The reference device's ring layer behind the adapter interface: the worked
 * example for adapting another backend. */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "vc/vq_dev.h"

#define REF_MAX_BATCH 16

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
    /* room for a batch of chains of up to size segments each */
    uint32_t want = (uint32_t)size * REF_MAX_BATCH;
    if (b->nbuf < want) {
        free(b->buf);
        b->buf = malloc(sizeof(*b->buf) * want);
        b->nbuf = b->buf ? want : 0;
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

/* Fills what we report as written (capped at the real space, and at 4 KiB:
 * chains may hold gigabytes of buffers), returns the chain, and asks the ring
 * layer whether to notify; false when the ring layer refused the push. */
static bool ref_complete(ref_backend *b, const vc_adapter_events *ev, vc_chain *c,
                         vc_used_policy policy)
{
    uint32_t len = used_len(c, policy);
    for (uint64_t off = 0; off < len && off < c->in_bytes && off < sizeof(b->fill);
         off += sizeof(b->fill)) {
        uint64_t n2 = c->in_bytes - off < sizeof(b->fill) ? c->in_bytes - off : sizeof(b->fill);
        vc_chain_write(b->mem, c, off, b->fill, n2);
    }
    vc_err e = vc_vq_dev_push(&b->q, c, len);
    if (e == VC_E_USED_LEN) /* the ring layer caught the over-long length */
        e = vc_vq_dev_push(&b->q, c, (uint32_t)c->in_bytes);
    if (e != VC_OK) {
        ev->rejected(ev->ctx, vc_err_name(e));
        return false;
    }
    bool sent = vc_vq_dev_should_notify(&b->q);
    if (ev->notify)
        ev->notify(ev->ctx, sent);
    return true;
}

/* Takes up to ev->batch chains (at least one), then returns them in the
 * order taken, a notification decision after each. Each chain of a batch
 * gets cap segments of its own in buf, the first one at its end. */
static void ref_kick(void *be, const vc_adapter_events *ev, vc_used_policy policy)
{
    ref_backend *b = be;
    if (!b->ready)
        return;
    uint32_t batch = ev->batch > 1 ? ev->batch : 1;
    if (batch > REF_MAX_BATCH)
        batch = REF_MAX_BATCH;
    for (uint32_t n = 0; n < b->q.size;) {
        vc_chain c[REF_MAX_BATCH];
        uint32_t k = 0;
        bool stop = false;
        for (; k < batch && n < b->q.size; k++, n++) {
            if (ev->enough && ev->enough(ev->ctx)) {
                stop = true;
                break;
            }
            /* the first chain keeps the segments at the allocation's end
             * (ASan catches an overrun of exactly the queue size there) */
            c[k] = (vc_chain){ .seg = b->segs ? b->segs - (uint64_t)k * b->cap : NULL, .cap = b->cap };
            bool got;
            vc_err e = vc_vq_dev_pop(&b->q, &c[k], &got);
            if (e != VC_OK) {
                ev->rejected(ev->ctx, vc_err_name(e));
                return; /* the queue is broken: nothing taken comes back */
            }
            if (!got) {
                stop = true;
                break;
            }
            ev->took(ev->ctx, c[k].id);
        }
        for (uint32_t i = 0; i < k; i++)
            if (!ref_complete(b, ev, &c[i], policy))
                return;
        if (stop || k == 0)
            return;
    }
}

const vc_adapter vc_adapter_ref = {
    .name = "refdev",
    .create = ref_create,
    .destroy = ref_destroy,
    .setup = ref_setup,
    .kick = ref_kick,
    .returns_all = true,
};
