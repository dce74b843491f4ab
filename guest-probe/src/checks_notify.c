/* Used buffer notifications on split rings, seen as MSI-X messages: the
 * avail flags and used_event with and without EVENT_IDX, delivery on each
 * MSI-X vector, and a queue on NO_VECTOR raising nothing; the used ring's
 * flags, and kicks the device did not ask for. QEMU (and the reference
 * device) notify the first used buffer after set-up whatever used_event
 * says, so the EVENT_IDX checks start after one. */
#include <stdio.h>

#include "checks_irq.h"
#include "vc/req_ids.h"
#include "vc/ring.h"

/* n requests, each waited for; false after reporting an error under id. */
static bool requests(vp_isess *s, unsigned n, const char *id)
{
    char err[128];
    for (unsigned i = 0; i < n; i++)
        if (!vp_isess_req(s, err, sizeof err)) {
            vp_check(s->v.c->rep, id, "", VP_ERROR, NULL, NULL, "request: %s", err);
            return false;
        }
    return true;
}

/* Maps the session queue to vector v; false (a skip under id) when the
 * device refuses, which it may (dev.pci_msix.8 is a SHOULD NOT). */
static bool map_queue(vp_isess *s, uint16_t v, const char *id)
{
    uint16_t cb, qb;
    vp_isess_vectors(s, VP_NO_VECTOR, v, &cb, &qb);
    if (qb == v)
        return true;
    vp_check(s->v.c->rep, id, "", VP_SKIP, NULL, NULL, "queue %u: vector %u refused (reads 0x%x)", s->q, v, qb);
    return false;
}

/* Each vector in turn, alone; then NO_VECTOR, nothing at all. */
static void vectors(vp_isess *s, vp_irq *q)
{
    vp_report *r = s->v.c->rep;
    char ob[160] = "", one[48];
    size_t at = 0;
    bool ok = true;
    uint32_t seen;
    for (unsigned v = 0; v < q->nvec; v++) {
        uint16_t cb, qb;
        vp_isess_vectors(s, VP_NO_VECTOR, (uint16_t)v, &cb, &qb);
        if (qb != v) {
            at += (size_t)snprintf(ob + at, sizeof ob - at, "%s%u: refused", at ? "; " : "", v);
            continue;
        }
        /* the step's register read orders the device's work: any other
         * vector would have come with this one */
        if (!vp_irq_step(s, q, 1u << v, &seen, "msix.vector_delivery"))
            return;
        ok = ok && seen == 1u << v;
        at += (size_t)snprintf(ob + at, sizeof ob - at, "%s%u: %s", at ? "; " : "", v,
                               vp_irq_describe(seen, one, sizeof one));
        if (at >= sizeof ob)
            break;
    }
    vp_expect(r, "msix.vector_delivery", REQ_DEV_PCI_MSIX_4, ok, "each mapped vector, alone", ob,
              "queue mapped to each vector in turn, one used buffer each");
    if (!map_queue(s, VP_NO_VECTOR, "msix.no_vector") || !vp_irq_step(s, q, 0, &seen, "msix.no_vector"))
        return;
    vp_expect(r, "msix.no_vector", REQ_DEV_PCI_USED_NOTIFY_1, seen == 0, "nothing",
              vp_irq_describe(seen, one, sizeof one), "queue on NO_VECTOR, one used buffer");
}

void vp_checks_notify_split(vp_ctx *c, vp_dev *d, vp_is_kind kind, vp_irq *q)
{
    vp_isess s;
    if (!vp_isess_open(&s, c, d, kind, 0, 0, false, "notify.split"))
        return;
    vp_report *r = c->rep;
    uint16_t qv = q->nvec > 1 ? 1 : 0;
    uint32_t bit = 1u << qv, seen;
    vc_vq_drv *vq = &s.v.q[s.q];
    char ex[32], ob[64];
    snprintf(ex, sizeof ex, "vector %u", qv);
    if (!map_queue(&s, qv, "notify.split") || !vp_irq_step(&s, q, bit, &seen, "notify.split.flags_clear"))
        goto out;
    vp_expect(r, "notify.split.flags_clear", REQ_DEV_VQ_USED_SUPP_3, seen & bit, ex,
              vp_irq_describe(seen, ob, sizeof ob), "avail flags 0, one used buffer");
    /* without EVENT_IDX used_event means nothing: far ahead, it must not hold anything back */
    vc_gmem_st16(&c->dma.mem, vq->driver + vc_split_used_event_off(vq->size), (uint16_t)(vq->last_used + 0x100));
    if (!vp_irq_step(&s, q, bit, &seen, "notify.split.used_event_ignored"))
        goto out;
    vp_expect(r, "notify.split.used_event_ignored", REQ_DEV_VQ_USED_SUPP_1, seen & bit, ex,
              vp_irq_describe(seen, ob, sizeof ob), "EVENT_IDX not negotiated, used_event 256 entries ahead");
    vc_vq_drv_want_interrupts(vq, false); /* avail flags NO_INTERRUPT */
    vp_irq_clear(q);
    if (!requests(&s, 2, "notify.split.no_interrupt"))
        goto out;
    seen = vp_irq_settle(q, &s.t);
    vp_expect(r, "notify.split.no_interrupt", REQ_DEV_VQ_USED_SUPP_2, seen == 0, "nothing",
              vp_irq_describe(seen, ob, sizeof ob), "avail flags NO_INTERRUPT, two used buffers");
    vc_vq_drv_want_interrupts(vq, true);
    uint16_t uf = 0xffff;
    vc_gmem_ld16(&c->dma.mem, vq->device + VC_SPLIT_USED_FLAGS, &uf);
    snprintf(ob, sizeof ob, "0x%x", uf);
    vp_expect(r, "notify.split.used_flags", REQ_DEV_VQ_AVAIL_SUPP_1, uf <= VC_SPLIT_USED_F_NO_NOTIFY, "0 or 1", ob,
              "used ring flags, EVENT_IDX not negotiated, after five used buffers");
    vectors(&s, q);
out:
    vp_isess_close(&s);
}

void vp_checks_notify_event_idx(vp_ctx *c, vp_dev *d, vp_is_kind kind, vp_irq *q)
{
    vp_isess s;
    if (!vp_isess_open(&s, c, d, kind, 1ull << VC_F_EVENT_IDX, 0, false, "notify.event_idx"))
        return;
    vp_report *r = c->rep;
    const vc_gmem *m = &c->dma.mem;
    vc_vq_drv *vq = &s.v.q[s.q];
    uint64_t ue = vq->driver + vc_split_used_event_off(vq->size), flags = vq->driver + VC_SPLIT_AVAIL_FLAGS;
    uint16_t qv = q->nvec > 1 ? 1 : 0;
    uint32_t bit = 1u << qv, seen;
    char ex[32], ob[64];
    snprintf(ex, sizeof ex, "vector %u", qv);
    if (!(s.v.features >> VC_F_EVENT_IDX & 1)) {
        vp_check(r, "notify.event_idx", "", VP_SKIP, NULL, NULL, "EVENT_IDX not offered");
        goto out;
    }
    if (!map_queue(&s, qv, "notify.event_idx"))
        goto out;
    vc_gmem_st16(m, ue, vq->last_used);
    if (!vp_irq_step(&s, q, bit, &seen, "notify.event_idx.first"))
        goto out;
    vp_check(r, "notify.event_idx.first", "", VP_INFO, NULL, vp_irq_describe(seen, ob, sizeof ob),
             "used_event at the first entry: the start-up buffer");
    /* with EVENT_IDX the low bit of flags is not ours to honour */
    vc_gmem_st16(m, flags, VC_SPLIT_AVAIL_F_NO_INTERRUPT);
    vc_gmem_st16(m, ue, vq->last_used);
    if (!vp_irq_step(&s, q, bit, &seen, "notify.event_idx.flags_ignored"))
        goto out;
    vp_expect(r, "notify.event_idx.flags_ignored", REQ_DEV_VQ_USED_SUPP_4 "," REQ_DEV_VQ_USED_SUPP_5, seen & bit,
              ex, vp_irq_describe(seen, ob, sizeof ob), "flags NO_INTERRUPT, used_event at the next entry");
    /* used_event two entries ahead: the two before it are silent, the third notifies */
    vc_gmem_st16(m, flags, 0);
    vc_gmem_st16(m, ue, (uint16_t)(vq->last_used + 2));
    vp_irq_clear(q);
    if (!requests(&s, 2, "notify.event_idx.before_event"))
        goto out;
    seen = vp_irq_settle(q, &s.t);
    vp_expect(r, "notify.event_idx.before_event", REQ_DEV_VQ_USED_SUPP_6, seen == 0, "nothing",
              vp_irq_describe(seen, ob, sizeof ob), "the two entries before used_event");
    if (!vp_irq_step(&s, q, bit, &seen, "notify.event_idx.at_event"))
        goto out;
    vp_expect(r, "notify.event_idx.at_event", REQ_DEV_VQ_USED_SUPP_5, seen & bit, ex,
              vp_irq_describe(seen, ob, sizeof ob), "the entry at used_event");
    if (!vp_irq_step(&s, q, 0, &seen, "notify.event_idx.after_event"))
        goto out;
    vp_expect(r, "notify.event_idx.after_event", REQ_DEV_VQ_USED_SUPP_6, seen == 0, "nothing",
              vp_irq_describe(seen, ob, sizeof ob), "the entry after used_event");
    uint16_t uf = 0xffff;
    vc_gmem_ld16(m, vq->device + VC_SPLIT_USED_FLAGS, &uf);
    snprintf(ob, sizeof ob, "0x%x", uf);
    vp_expect(r, "notify.event_idx.used_flags", REQ_DEV_VQ_AVAIL_SUPP_3, uf == 0, "0", ob,
              "used ring flags, EVENT_IDX negotiated");
    /* kicks the device did not ask for (avail_event says so), then a request */
    char err[128];
    for (unsigned i = 0; i < 3; i++)
        vp_tp_notify(&s.t, s.q);
    bool ok = vp_isess_req(&s, err, sizeof err);
    vp_expect(r, "notify.event_idx.spurious_kicks", REQ_DEV_VQ_AVAIL_SUPP_5, ok, "the next request served",
              ok ? "served" : err, "three notifications with nothing new first");
out:
    vp_isess_close(&s);
}
