/* Internal to the control-plane player (ctl_play.h): its state, and the
 * access layer (ctl_access.c: raw and named register accesses, the guards
 * that keep the device inside the arena) the operations (ctl_play.c) use. */
#ifndef VP_CTL_PLAYER_H
#define VP_CTL_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_seq.h"
#include "drv.h"
#include "replay_dev.h"

#define CTL_RING_AREA (64u << 10) /* the player's ring area: ring address registers point into it */
#define CTL_MAX_SEEN 64           /* places remembered for 'unchanged' */

typedef struct ctl_seen {
    uint8_t op, target, width, flags, queue;
    uint32_t off, aux;
    uint64_t v;
} ctl_seen;

typedef struct ctl_player {
    vp_ctx *c;
    vp_dev *d;
    vp_tp *t;              /* the interface the sequence plays through */
    vp_tp *tm;             /* modern structures (raw spaces, window), NULL when absent */
    const vc_ctl_seq *s;
    const char *name;
    const rp_target *tg;
    vp_drv v;
    uint64_t ring;         /* gpa of the ring area */
    bool qset[VP_DRV_QUEUES];
    unsigned tq, nq, nv;
    uint64_t offered;
    uint16_t msix_ctl0;    /* MSI-X control as found, restored after */
    bool msix_touched;
    ctl_seen seen[CTL_MAX_SEEN];
    unsigned nseen;
    const char *checked[VC_CTL_MAX_REQS];
    unsigned nchecked, evaluated;
    uint32_t at;           /* op being played */
    char skip[360], detail[300], wedged[340];
    char expected[96], observed[96];
    const char *vreq;      /* violated requirement, NULL none */
    bool stop;
} ctl_player;

/* Stops the sequence: it cannot be played here, for the reason given. */
void ctl_skip(ctl_player *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline unsigned ctl_queue_of(const ctl_player *p, const vc_ctl_op *o)
{
    return o->queue == VC_CTL_Q_TARGET ? p->tq : o->queue;
}
bool ctl_arena_holds(const ctl_player *p, uint64_t gpa, uint64_t len);
bool ctl_bar_wr(ctl_player *p, unsigned bar, uint64_t off, unsigned w, uint64_t v);
/* A raw op's read or write (READ, WRITE), wherever its space puts it. */
bool ctl_raw(ctl_player *p, const vc_ctl_op *o, bool write, uint64_t *v);
/* Named registers through the sequence's interface (ring addresses as
 * offsets into the ring area). */
bool ctl_reg_rd(ctl_player *p, unsigned r, uint64_t *v);
bool ctl_reg_wr(ctl_player *p, unsigned r, uint64_t v);
/* Whether queue q may be enabled or notified: its rings lie in the arena. */
bool ctl_rings_safe(ctl_player *p, unsigned q, bool enabling, char *why, size_t n);
void ctl_forget_queues(ctl_player *p);

#endif
