/* Used buffer notifications on a packed ring, through the driver event
 * suppression structure: enable, disable, and (EVENT_IDX) one descriptor
 * named by offset and wrap counter. A ring of 4 makes the named descriptor
 * lie past the ring's end, so the wrap counter decides. */
#include <stdio.h>

#include "checks_irq.h"
#include "vc/req_ids.h"
#include "vc/ring.h"

#define RING 4u

static void set_event(vp_isess *s, uint16_t flags, uint16_t off_wrap)
{
    const vc_gmem *m = &s->v.c->dma.mem;
    vc_vq_drv *vq = &s->v.q[s->q];
    vc_gmem_st16(m, vq->driver + VC_PACKED_EVENT_OFF_WRAP, off_wrap);
    vc_gmem_st16_release(m, vq->driver + VC_PACKED_EVENT_FLAGS, flags);
}

void vp_checks_notify_packed(vp_ctx *c, vp_dev *d, vp_irq *q)
{
    vp_isess s;
    uint64_t extra = 1ull << VC_F_EVENT_IDX | 1ull << VC_F_INDIRECT_DESC; /* indirect: one slot a request */
    if (!vp_isess_open(&s, c, d, VP_IS_PACKED, extra, RING, false, "notify.packed"))
        return;
    vp_report *r = c->rep;
    vc_vq_drv *vq = &s.v.q[s.q];
    uint16_t qv = q->nvec > 1 ? 1 : 0, cb, qb;
    uint32_t bit = 1u << qv, seen = 0;
    char ex[32], ob[64];
    snprintf(ex, sizeof ex, "vector %u", qv);
    vp_isess_vectors(&s, VP_NO_VECTOR, qv, &cb, &qb);
    if (qb != qv || vq->size != RING) {
        vp_check(r, "notify.packed", "", VP_SKIP, NULL, NULL, "queue %u: vector %u reads 0x%x, size %u", s.q, qv, qb,
                 vq->size);
        goto out;
    }
    set_event(&s, VC_PACKED_EVENT_F_ENABLE, 0);
    if (!vp_irq_step(&s, q, bit, &seen, "notify.packed.enable"))
        goto out;
    vp_expect(r, "notify.packed.enable", REQ_DEV_IMPLIED_PACKED_EVENT_ON, seen & bit, ex,
              vp_irq_describe(seen, ob, sizeof ob), "driver event flags ENABLE, one used descriptor");
    set_event(&s, VC_PACKED_EVENT_F_DISABLE, 0);
    vp_irq_clear(q);
    for (unsigned i = 0; i < 2; i++) {
        char err[128];
        if (!vp_isess_req(&s, err, sizeof err)) {
            vp_check(r, "notify.packed.disable", "", VP_ERROR, NULL, NULL, "request: %s", err);
            goto out;
        }
    }
    seen = vp_irq_settle(q, &s.t);
    vp_expect(r, "notify.packed.disable", REQ_DEV_IMPLIED_PACKED_EVENT_OFF, seen == 0, "nothing",
              vp_irq_describe(seen, ob, sizeof ob), "driver event flags DISABLE, two used descriptors");
    if (!(s.v.features >> VC_F_EVENT_IDX & 1) || !s.indirect) {
        vp_check(r, "notify.packed.desc", "", VP_SKIP, NULL, NULL, "EVENT_IDX or INDIRECT_DESC not offered");
        goto out;
    }
    /* to the ring's last slot, silently, so the named descriptor is past the wrap */
    while (vq->next_used != RING - 1) {
        char err[128];
        if (!vp_isess_req(&s, err, sizeof err)) {
            vp_check(r, "notify.packed.desc", "", VP_ERROR, NULL, NULL, "request: %s", err);
            goto out;
        }
    }
    uint16_t at = (uint16_t)((vq->next_used + 2) % RING);
    bool wrap = vq->used_wrap ^ (vq->next_used + 2u >= RING);
    set_event(&s, VC_PACKED_EVENT_F_DESC, (uint16_t)(at | (unsigned)wrap << 15));
    uint32_t before = 0;
    vp_irq_clear(q);
    for (unsigned i = 0; i < 2; i++) {
        char err[128];
        if (!vp_isess_req(&s, err, sizeof err)) {
            vp_check(r, "notify.packed.desc", "", VP_ERROR, NULL, NULL, "request: %s", err);
            goto out;
        }
    }
    before = vp_irq_settle(q, &s.t);
    uint32_t at_event = 0, after = 0;
    if (!vp_irq_step(&s, q, bit, &at_event, "notify.packed.desc") ||
        !vp_irq_step(&s, q, 0, &after, "notify.packed.desc"))
        goto out;
    vp_expect(r, "notify.packed.desc", REQ_DEV_IMPLIED_PACKED_EVENT_ON, at_event & bit, ex,
              vp_irq_describe(at_event, ob, sizeof ob),
              "driver event DESC naming offset 1 past the wrap: that descriptor");
    char ob2[64], all[160];
    snprintf(all, sizeof all, "before: %s; after: %s", vp_irq_describe(before, ob, sizeof ob),
             vp_irq_describe(after, ob2, sizeof ob2));
    vp_expect(r, "notify.packed.desc_others", REQ_DEV_IMPLIED_PACKED_EVENT_OFF, !before && !after, "nothing", all,
              "driver event DESC past the wrap: the two descriptors before the named one (the second past the "
              "wrap) and the one after it");
out:
    vp_isess_close(&s);
}
