/* Used buffer notification oracle (see notifychk.h). Written apart from the
 * ring library's own decision (lib/src/split_dev.c, packed_dev.c): positions are counted on a
 * two-lap circle for the packed ring instead of shifting the event by the
 * queue size. */
#include "notifychk.h"

#include <stdio.h>

#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vc/vq_dev.h"

typedef enum need { MAY, MUST, SHOULD_NOT } need;

void vc_notifychk_start(vc_notifychk *n, const vc_gmem *mem, uint64_t features, uint16_t size,
                        uint64_t driver)
{
    n->mem = mem;
    n->size = size;
    n->packed = features >> VC_F_RING_PACKED & 1;
    n->event_idx = features >> VC_F_EVENT_IDX & 1;
    n->driver = driver;
    n->decided = n->packed ? vc_notifychk_pos_packed(size, 0, true) : 0;
    n->heard = false;
}

uint32_t vc_notifychk_pos_split(uint16_t used_idx)
{
    return used_idx;
}

uint32_t vc_notifychk_pos_packed(uint16_t size, uint16_t slot, bool wrap)
{
    return slot + (wrap ? 0u : size);
}

/* Steps from a to b on the position circle. */
static uint32_t dist(const vc_notifychk *n, uint32_t a, uint32_t b)
{
    if (!n->packed)
        return (uint16_t)(b - a);
    uint32_t period = 2u * n->size;
    return (b + period - a % period) % period;
}

/* What the driver asked for the entries in [from, now), and the rule that says so. */
static need judge(const vc_notifychk *n, uint32_t from, uint32_t now, const char **must_req,
                  const char **not_req)
{
    uint32_t moved = dist(n, from, now);
    uint16_t flags, event;
    if (!n->packed) {
        *not_req = n->event_idx ? REQ_DEV_VQ_USED_SUPP_6 : REQ_DEV_VQ_USED_SUPP_2;
        if (n->event_idx) {
            vc_gmem_ld16(n->mem, n->driver + vc_split_used_event_off(n->size), &event);
            *must_req = REQ_DEV_VQ_USED_SUPP_5;
            /* an entry written at index used_event: one of from .. now-1 */
            return dist(n, from, event) < moved ? MUST : SHOULD_NOT;
        }
        vc_gmem_ld16(n->mem, n->driver + VC_SPLIT_AVAIL_FLAGS, &flags);
        *must_req = REQ_DEV_VQ_USED_SUPP_3;
        if (moved == 0)
            return MAY; /* nothing new: no rule speaks of it without EVENT_IDX */
        /* other values are the driver's fault (drv.vq_used_supp.*): either way */
        return flags == 0 ? MUST : flags == VC_SPLIT_AVAIL_F_NO_INTERRUPT ? SHOULD_NOT : MAY;
    }
    vc_gmem_ld16(n->mem, n->driver + VC_PACKED_EVENT_FLAGS, &flags);
    *must_req = REQ_DEV_IMPLIED_PACKED_EVENT_ON;
    *not_req = REQ_DEV_IMPLIED_PACKED_EVENT_OFF;
    switch (flags & 3) {
    case VC_PACKED_EVENT_F_ENABLE:
        return moved ? MUST : MAY;
    case VC_PACKED_EVENT_F_DISABLE:
        return SHOULD_NOT;
    case VC_PACKED_EVENT_F_DESC: {
        if (!n->event_idx)
            return MAY; /* DESC without EVENT_IDX: the driver's fault */
        vc_gmem_ld16(n->mem, n->driver + VC_PACKED_EVENT_OFF_WRAP, &event);
        uint16_t off = event & 0x7fff;
        if (off >= n->size)
            return MAY; /* names no slot: the driver's fault */
        uint32_t at = vc_notifychk_pos_packed(n->size, off, event >> 15);
        /* the slot is one the device moved past: a used descriptor was
         * written there, or it belonged to a list a used descriptor covers */
        return dist(n, from, at) < moved ? MUST : SHOULD_NOT;
    }
    default:
        return MAY; /* reserved value */
    }
}

static void report(vc_notifychk *n, need want, bool sent, uint32_t from, uint32_t now,
                   const char *must_req, const char *not_req)
{
    char d[200];
    if (want == MUST && !sent) {
        snprintf(d, sizeof d, "no notification for used position %u -> %u, which the driver asked for",
                 from, now);
        n->finding(n->ctx, "missed-notification", must_req, d);
    } else if (want == SHOULD_NOT && sent) {
        snprintf(d, sizeof d, "a notification for used position %u -> %u, which the driver did not ask for",
                 from, now);
        n->finding(n->ctx, "unneeded-notification", not_req, d);
    }
}

void vc_notifychk_decision(vc_notifychk *n, uint32_t now, bool sent)
{
    const char *must_req = NULL, *not_req = NULL;
    need want = judge(n, n->decided, now, &must_req, &not_req);
    report(n, want, sent, n->decided, now, must_req, not_req);
    n->decided = now;
    n->heard = true;
}

void vc_notifychk_sent(vc_notifychk *n, uint32_t now)
{
    const char *must_req = NULL, *not_req = NULL;
    need want = judge(n, n->decided, now, &must_req, &not_req);
    report(n, want == SHOULD_NOT ? SHOULD_NOT : MAY, true, n->decided, now, must_req, not_req);
    n->decided = now;
    n->heard = true;
}

void vc_notifychk_kick_end(vc_notifychk *n, uint32_t now, bool sent_only)
{
    if (!n->heard && !sent_only)
        return; /* a backend that reports no decisions is not judged */
    const char *must_req = NULL, *not_req = NULL;
    if (dist(n, n->decided, now) == 0)
        return;
    need want = judge(n, n->decided, now, &must_req, &not_req);
    report(n, want == MUST ? MUST : MAY, false, n->decided, now, must_req, not_req);
    if (sent_only)
        n->decided = now;
}
