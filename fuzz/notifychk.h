/* Used buffer notification oracle, shared like the used-ring oracle
 * (fuzz/usedchk.h): given where the driver's view of the used ring stood at
 * the backend's previous notification decision and where it stands now, and
 * what the driver asked for (split: avail flags or used_event; packed: the
 * driver event suppression structure), says whether the backend had to
 * notify, had better not, or may do either, and reports a decision that
 * breaks the rule.
 *
 * Positions: split, the used index (mod 2^16); packed, the slot of the next
 * used descriptor plus the queue size when its wrap counter is 0, so that
 * one number (mod 2 * size) names a slot and its lap. */
#ifndef VC_NOTIFYCHK_H
#define VC_NOTIFYCHK_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/gmem.h"

typedef struct vc_notifychk {
    const vc_gmem *mem;
    uint16_t size;
    bool packed, event_idx;
    uint64_t driver;     /* driver area: avail ring (split) or driver event structure */
    uint32_t decided;    /* position at the previous decision (or last judged) */
    bool heard;          /* the backend has reported a decision on this queue */
    /* a decision that breaks a rule: kind (stable name), requirement, text */
    void (*finding)(void *ctx, const char *kind, const char *req, const char *detail);
    void *ctx;
} vc_notifychk;

/* A fresh queue: nothing used, nothing decided. */
void vc_notifychk_start(vc_notifychk *n, const vc_gmem *mem, uint64_t features, uint16_t size,
                        uint64_t driver);
/* Position of the used ring as the driver sees it (see above). */
uint32_t vc_notifychk_pos_split(uint16_t used_idx);
uint32_t vc_notifychk_pos_packed(uint16_t size, uint16_t slot, bool wrap);
/* The backend decided (sent or not) with the used ring at now: judged over
 * the entries since its previous decision. */
void vc_notifychk_decision(vc_notifychk *n, uint32_t now, bool sent);
/* A backend that reports only what it sends: each notification must have
 * been asked for by some entry since the last one judged. */
void vc_notifychk_sent(vc_notifychk *n, uint32_t now);
/* End of a kick at now: an entry since the last decision that required a
 * notification and got none is a missed one. sent_only: the backend reports
 * sends only, so what was not missed is judged and the baseline moves. */
void vc_notifychk_kick_end(vc_notifychk *n, uint32_t now, bool sent_only);

#endif
