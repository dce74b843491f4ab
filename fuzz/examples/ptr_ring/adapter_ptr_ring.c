/* Plugs ptr_ring into the fuzz harness (fuzz/adapter.h). The pointer build
 * hands the backend the harness's regions as its own host mappings and
 * watches around each call (fuzz/ptr/ptr_watch.h); the PR_GMEM twin hands
 * it the vc_gmem. The harness's policy picks how much a reply writes. */
#include <stdlib.h>

#include "adapter.h"
#include "ptr_ring.h"
#include "vc/vq_dev.h"
#ifndef PR_GMEM
#include "ptr_watch.h"
#endif

typedef struct pr_backend {
    const vc_gmem *mem;
    pr_dev dev;
    pr_elem elem;
    bool ready;
} pr_backend;

static void *pr_create(const vc_gmem *mem)
{
    pr_backend *b = calloc(1, sizeof(*b));
    if (b)
        b->mem = mem;
    return b;
}

static void pr_destroy(void *be)
{
    pr_backend *b = be;
    free(b->elem.buf);
    free(b);
}

static bool pr_setup(void *be, uint64_t features, uint16_t size, uint64_t desc, uint64_t driver,
                     uint64_t device)
{
    pr_backend *b = be;
    /* the split ring only, and no in-order: a device that lacks them offers neither */
    if (features & ((1ull << VC_F_RING_PACKED) | (1ull << VC_F_IN_ORDER)))
        return b->ready = false;
    pr_region reg[PR_MAX_REGIONS];
    unsigned n = 0;
    for (; n < b->mem->nregions && n < PR_MAX_REGIONS; n++)
        reg[n] = (pr_region){b->mem->region[n].gpa, b->mem->region[n].size, b->mem->region[n].host};
    pr_init(&b->dev, reg, n, b->mem);
    free(b->elem.buf);
    b->elem.buf = malloc(sizeof(pr_buf) * (size ? size : 1));
    b->elem.cap = b->elem.buf ? size : 0;
#ifndef PR_GMEM
    vc_ptr_watch(b->mem);
#endif
    b->ready = pr_set_queue(&b->dev, features & (1ull << VC_F_INDIRECT_DESC), size, desc, driver, device);
#ifndef PR_GMEM
    vc_ptr_watch(NULL);
#endif
    return b->ready;
}

static uint32_t reply_len(const pr_elem *e, vc_used_policy p)
{
    switch (p) {
    case VC_USED_NONE: return 0;
    case VC_USED_HALF: return (uint32_t)(e->in_bytes / 2);
    default: return e->in_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)e->in_bytes;
    }
}

static void pr_kick(void *be, const vc_adapter_events *ev, vc_used_policy policy)
{
    pr_backend *b = be;
    if (!b->ready)
        return;
#ifndef PR_GMEM
    vc_ptr_watch(b->mem);
#endif
    for (uint32_t k = 0; k < b->dev.size; k++) {
        if (ev->enough && ev->enough(ev->ctx))
            break;
        int got = pr_pop(&b->dev, &b->elem);
        if (got < 0)
            ev->rejected(ev->ctx, pr_err_name((pr_err)-got));
        if (got <= 0)
            break;
        ev->took(ev->ctx, b->elem.head);
        pr_push(&b->dev, &b->elem, reply_len(&b->elem, policy), 0xa5);
    }
#ifndef PR_GMEM
    vc_ptr_watch(NULL);
#endif
}

#ifdef PR_GMEM
const vc_adapter vc_adapter_ptr_ring = {.name = "ptr_ring (vc_gmem twin)",
#else
const vc_adapter vc_adapter_ptr_ring = {.name = "ptr_ring",
#endif
                                        .create = pr_create, .destroy = pr_destroy,
                                        .setup = pr_setup, .kick = pr_kick};
