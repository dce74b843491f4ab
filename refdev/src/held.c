/* FIFO of chains a model holds until it has data for them. */
#include "refdev/held.h"

#include <stdlib.h>
#include <string.h>

bool vc_held_init(vc_held *h, unsigned cap, uint16_t seg_cap)
{
    memset(h, 0, sizeof(*h));
    h->c = calloc(cap, sizeof(*h->c));
    h->segs = calloc((size_t)cap * seg_cap, sizeof(*h->segs));
    h->cap = cap;
    h->seg_cap = seg_cap;
    return h->c && h->segs;
}

void vc_held_free(vc_held *h)
{
    free(h->c);
    free(h->segs);
    memset(h, 0, sizeof(*h));
}

void vc_held_clear(vc_held *h)
{
    h->n = h->head = 0;
}

vc_chain *vc_held_at(vc_held *h, unsigned i)
{
    return &h->c[(h->head + i) % h->cap];
}

unsigned vc_held_fill(vc_held *h, vc_dev *d, unsigned q,
                      bool (*ok)(vc_dev *d, unsigned q, const vc_chain *c))
{
    /* bounded: at most one queue's worth of pops per call */
    for (uint32_t tries = 0; h->n < h->cap && tries < d->q[q].size; tries++) {
        unsigned slot = (h->head + h->n) % h->cap;
        vc_chain *c = &h->c[slot];
        *c = (vc_chain){ .seg = h->segs + (size_t)slot * h->seg_cap, .cap = h->seg_cap };
        if (!vc_dev_pop(d, q, c))
            break;
        if (ok && !ok(d, q, c)) {
            vc_dev_push(d, q, c, 0);
            continue;
        }
        h->n++;
    }
    return h->n;
}

void vc_held_push(vc_held *h, vc_dev *d, unsigned q, uint32_t written)
{
    if (h->n == 0)
        return;
    vc_dev_push(d, q, &h->c[h->head], written);
    h->head = (h->head + 1) % h->cap;
    h->n--;
}
