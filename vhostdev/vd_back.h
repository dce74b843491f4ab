/* vconform-vhost-dev's back-end: one vhost-user connection serving one
 * reference device model.
 *
 * The front-end (QEMU) never shows the back-end the driver's status
 * writes: it sends features, memory and rings when the guest sets
 * DRIVER_OK, and takes the rings back (GET_VRING_BASE) when the guest
 * resets the device. So a "session" starts when the first ring is ready:
 * the device core is walked through ACKNOWLEDGE, DRIVER, the features the
 * front-end passed, FEATURES_OK and DRIVER_OK, and each ring becomes one of
 * its queues; it ends when the last ring stops, with a device reset.
 * Inside a session everything the driver wrote into rings and buffers is
 * judged by the reference device and recorded (vd_log.h); what the
 * front-end does wrong is recorded as its own, never as the driver's. */
#ifndef VD_BACK_H
#define VD_BACK_H

#include <stdbool.h>
#include <stdint.h>

#include "refdev/models.h"
#include "vd_log.h"
#include "vd_mem.h"
#include "vd_rules.h"
#include "vd_types.h"
#include "vu_msg.h"

#define VD_MAX_RINGS 8

/* A chain the device holds, as the driver left it: split, by head index;
 * packed, by buffer id, with the ring slots it took. */
typedef struct vd_snap {
    uint64_t hash; /* of its descriptors and indirect table; 0: none held */
    uint16_t first, n; /* packed: first slot and slots taken */
} vd_snap;

typedef struct vd_ring {
    uint32_t num;              /* SET_VRING_NUM, 0 until given */
    bool addr_set;
    uint64_t desc, avail, used; /* the front-end's user addresses */
    uint32_t base;             /* SET_VRING_BASE */
    int kick, call, err;       /* eventfds, -1 when none */
    bool started;              /* a kick fd came; until GET_VRING_BASE */
    bool enabled;              /* SET_VRING_ENABLE 1 */
    bool live;                 /* a queue of the device core */
    bool err_signalled, flags_faulted; /* once a session each */
    bool call_missed;          /* a notification came before the call fd */
    vd_snap *snap;             /* per head index (split) or buffer id (packed) */
    /* missed kicks (split): the device emptied the ring and asked for the
     * next kick; buffers seen since then without one, and since when */
    bool waiting, kick_faulted;
    long long pending_since; /* ms, 0: none pending */
    uint32_t nsnap;
    uint32_t packed_slots;     /* packed: ring slots of the chains the device holds */
    /* device-side notification suppression (vd_quiet.c) */
    unsigned kicks;            /* in the session */
    int quiet;                 /* its window: 0 closed, 1 open */
    long long quiet_since;     /* ms the window opened */
    uint16_t quiet_idx, quiet_grace_idx; /* available index at the opening, at the grace's end */
    bool quiet_graced, quiet_faulted;
} vd_ring;

typedef struct vd_back {
    const vd_type *type;
    vc_dev *dev;
    vd_mem mem;
    vd_log *log;
    uint64_t features; /* the last SET_FEATURES */
    bool features_set;
    uint64_t proto;    /* acknowledged protocol features */
    uint64_t status;   /* the last SET_STATUS */
    unsigned nrings;
    vd_ring ring[VD_MAX_RINGS];
    unsigned session;  /* sessions so far; the current one while running */
    bool running;      /* the device core is at DRIVER_OK */
    const char *mode;  /* legacy, modern or modern-packed: the session's */
    vd_rules rules;    /* the session's */
    uint64_t chains;   /* taken in the session */
    uint64_t faults;   /* driver faults in all sessions */
    uint64_t faults_seen; /* the core's faults_total already drained */
    /* what the front-end offers the guest beyond the back-end's features,
     * as the runner configured it (vd_opts.h) */
    bool modern_only, offers_packed;
    bool offers_mtu;   /* QEMU offers the guest MTU (host_mtu) */
    bool provoke;      /* sets NO_NOTIFY with EVENT_IDX, as a device must not (vd_quiet.c) */
    long long now_ms;  /* the last tick's clock */
    uint64_t blk_writes, blk_flushes; /* blk: the session's (vd_accept.c) */
} vd_back;

/* Creates the model; false when its options are refused. */
bool vd_back_init(vd_back *b, const vd_type *t, const vc_model_opts *o, vd_log *log);
void vd_back_destroy(vd_back *b);

/* Protocol features the back-end offers. */
uint64_t vd_back_proto_offered(const vd_back *b);

/* One request from the front-end. Its fds are taken (kept or closed).
 * When *has_reply, reply is to be sent. false: drop the connection (the
 * reason is logged). */
bool vd_back_handle(vd_back *b, vu_msg *m, vu_msg *reply, bool *has_reply);
/* The kick eventfd of ring q fired (already drained). */
void vd_back_kick(vd_back *b, unsigned q);
/* Every poll round: a split ring the device waits on that has buffers no
 * kick announced within VD_KICK_GRACE_MS is a missed notification. */
void vd_back_tick(vd_back *b, long long now_ms);
/* The poll timeout the ticks need (-1: none waiting). */
int vd_back_tick_ms(const vd_back *b);
#define VD_KICK_GRACE_MS 3000
/* A kick fd that hung up or errs: dropped, recorded. */
void vd_back_kick_gone(vd_back *b, unsigned q);
/* The connection is over: every ring stops, the session's rules and the
 * end record are written. */
void vd_back_end(vd_back *b, const char *reason);

/* ---- vd_ring.c, for vd_handle.c ---- */
/* Hooks the device core's interrupts and chain observer to b. */
void vd_ring_attach(vd_back *b);
void vd_ring_try_start(vd_back *b, unsigned q);
/* Stops ring q; returns the base to report. */
uint32_t vd_ring_stop(vd_back *b, unsigned q);
void vd_ring_close_fds(vd_ring *r);
/* Records what the front-end did wrong. */
void vd_front_fault(vd_back *b, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes the device core's new faults to the log. */
void vd_drain_faults(vd_back *b);
/* Serves ring q: its chains, the next kick's wait, the faults. */
void vd_ring_serve(vd_back *b, unsigned q);

/* ---- vd_accept.c: features the guest saw offered, and what the driver
 * did with them ---- */
/* A session starts with the front-end's forwarded features. */
void vd_accept_session(vd_back *b, uint64_t forwarded);
/* A chain the device took. */
void vd_accept_chain(vd_back *b, const vc_chain *c);
/* The session ends (before the device's reset). */
void vd_accept_end(vd_back *b);

/* ---- vd_quiet.c: available-buffer notification suppression provoked by
 * the device ---- */
#define VD_QUIET_AFTER 2      /* kicks on a ring before its window opens */
#define VD_QUIET_GRACE_MS 400 /* kicks on their way when it opened */
#define VD_QUIET_MS 4000      /* the window */
#define VD_QUIET_POLL_MS 20   /* the device polls the ring meanwhile */
/* A ring went live: the field the driver disregards is written. */
void vd_quiet_ring_live(vd_back *b, unsigned q);
void vd_quiet_stop(vd_back *b, unsigned q);
/* A kick: true when the window took it (it is served there). */
bool vd_quiet_kick(vd_back *b, unsigned q);
/* After a kick was served: the window may open. */
void vd_quiet_after_kick(vd_back *b, unsigned q);
/* Every poll round, per ring. */
void vd_quiet_tick(vd_back *b, unsigned q);
bool vd_quiet_any(const vd_back *b);
/* The rule a needed kick also keeps (or a missed one breaks): the
 * disregarded field said otherwise. NULL: none. */
const char *vd_quiet_mislead_rule(const vd_back *b, const vc_vq_dev *q);

#endif
