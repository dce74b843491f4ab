/* Available-buffer notification suppression provoked by the device (see
 * vd_back.h), on split rings:
 *
 * - the field the driver must disregard says "no kick": without EVENT_IDX,
 *   avail_event lies far ahead of the ring (drv.vq_avail_supp.2); with it
 *   and --provoke, the used ring's NO_NOTIFY is set (drv.vq_avail_supp.5; a
 *   device must not do that, dev.vq_avail_supp.3, hence an option). The
 *   driver's kicks are judged as always (vd_ring.c), and each needed kick
 *   that came, or did not, is judged against this rule too.
 * - on each ring, after every VD_QUIET_AFTER kicks, a window of
 *   VD_QUIET_MS in which the field the driver must honour says "no kick":
 *   NO_NOTIFY without EVENT_IDX (drv.vq_avail_supp.3), avail_event far
 *   ahead with it (.7). The device polls the ring meanwhile, so the driver
 *   keeps working, and the core leaves the field alone (hold_notify).
 *
 * Race: a driver that read the field just before the device's write became
 * visible kicks legitimately, for buffers it published before that read;
 * the device's own read of the available index after its write (and a
 * full fence) covers them. A kick is a fault only when it comes
 * VD_QUIET_GRACE_MS after the write and the index moved past that read: a
 * buffer published while the suppression was visible, and kicked for. */
#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vd_back.h"

#define FAR_AHEAD 0x8000u /* no batch of buffers reaches it: vring_need_event stays false */

static uint16_t avail_idx(const vc_vq_dev *q)
{
    uint16_t v = 0;
    vc_gmem_ld16_acquire(q->mem, q->driver + VC_SPLIT_AVAIL_IDX, &v);
    return v;
}

static const char *honour_rule(const vc_vq_dev *q)
{
    return q->event_idx ? REQ_DRV_VQ_AVAIL_SUPP_7 : REQ_DRV_VQ_AVAIL_SUPP_3;
}

const char *vd_quiet_mislead_rule(const vd_back *b, const vc_vq_dev *q)
{
    if (q->packed)
        return NULL;
    if (!q->event_idx)
        return REQ_DRV_VQ_AVAIL_SUPP_2;
    return b->provoke ? REQ_DRV_VQ_AVAIL_SUPP_5 : NULL;
}

void vd_quiet_ring_live(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    vc_dev_queue *dq = &b->dev->q[qi];
    const vc_vq_dev *q = &dq->vq;
    r->kicks = 0;
    r->quiet = 0;
    r->quiet_faulted = r->quiet_graced = false;
    dq->hold_notify = false;
    if (q->packed)
        return;
    if (!q->event_idx)
        vc_gmem_st16_release(q->mem, q->device + vc_split_avail_event_off(q->size),
                             (uint16_t)(q->last_avail + FAR_AHEAD));
    else if (b->provoke)
        vc_gmem_st16_release(q->mem, q->device + VC_SPLIT_USED_FLAGS, VC_SPLIT_USED_F_NO_NOTIFY);
}

/* Judged only when the driver published buffers after the grace: it had
 * the chance to kick and did not. */
static void judge_window(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    const vc_vq_dev *q = &b->dev->q[qi].vq;
    if (!r->quiet_faulted && r->quiet_graced && avail_idx(q) != r->quiet_grace_idx)
        vd_rules_seen(&b->rules, honour_rule(q));
}

void vd_quiet_stop(vd_back *b, unsigned qi)
{
    if (b->ring[qi].quiet == 1 && b->ring[qi].live) /* the ring stops in the window */
        judge_window(b, qi);
    b->dev->q[qi].hold_notify = false;
    b->ring[qi].quiet = 0;
}

static void open_window(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    vc_dev_queue *dq = &b->dev->q[qi];
    const vc_vq_dev *q = &dq->vq;
    dq->hold_notify = true;
    if (q->event_idx)
        vc_gmem_st16_release(q->mem, q->device + vc_split_avail_event_off(q->size),
                             (uint16_t)(q->last_avail + FAR_AHEAD));
    else
        vc_gmem_st16_release(q->mem, q->device + VC_SPLIT_USED_FLAGS, VC_SPLIT_USED_F_NO_NOTIFY);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the write visible before the index is read */
    r->quiet_idx = avail_idx(q);
    r->quiet_since = b->now_ms;
    r->quiet = 1;
    r->waiting = false; /* no kick is due while it lasts */
}

bool vd_quiet_kick(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    const vc_vq_dev *q = &b->dev->q[qi].vq;
    r->kicks++;
    if (r->quiet != 1)
        return false;
    uint16_t idx = avail_idx(q);
    if (b->now_ms - r->quiet_since >= VD_QUIET_GRACE_MS && idx != r->quiet_idx && !r->quiet_faulted) {
        r->quiet_faulted = true;
        vc_dev_fault(b->dev, "DRV_KICK_SUPPRESSED", honour_rule(q), (int)qi, false,
                     "kick %lld ms after the device asked for none (%s); available index %u, %u then",
                     b->now_ms - r->quiet_since, q->event_idx ? "avail_event far ahead" : "NO_NOTIFY", idx,
                     r->quiet_idx);
    }
    vd_ring_serve(b, qi);
    return true;
}

void vd_quiet_after_kick(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    const vc_dev_queue *dq = &b->dev->q[qi];
    if (r->quiet == 0 && r->kicks >= VD_QUIET_AFTER && r->live && dq->enabled && !dq->vq.packed &&
        dq->vq.broken == VC_OK && !(b->dev->status & VC_STATUS_NEEDS_RESET) && b->now_ms > 0)
        open_window(b, qi);
}

static void close_window(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    vc_dev_queue *dq = &b->dev->q[qi];
    judge_window(b, qi);
    dq->hold_notify = false;
    r->quiet = 0; /* the next after VD_QUIET_AFTER more kicks */
    r->kicks = 0;
    vc_vq_dev_want_notify(&dq->vq, true); /* kicks wanted again: the core's own write */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    vd_ring_serve(b, qi);
}

void vd_quiet_tick(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    if (r->quiet != 1)
        return;
    if (!r->live) {
        vd_quiet_stop(b, qi);
        return;
    }
    long long t = b->now_ms - r->quiet_since;
    if (!r->quiet_graced && t >= VD_QUIET_GRACE_MS) {
        r->quiet_graced = true;
        r->quiet_grace_idx = avail_idx(&b->dev->q[qi].vq);
    }
    if (t >= VD_QUIET_MS)
        close_window(b, qi);
    else
        vd_ring_serve(b, qi); /* the device polls while it asked for no kicks */
}

bool vd_quiet_any(const vd_back *b)
{
    for (unsigned i = 0; i < b->nrings; i++)
        if (b->ring[i].quiet == 1)
            return true;
    return false;
}
