/* The executor's adapter over vhost-user: plays fuzz scenarios into the
 * rings of any back-end process and reports what it can see of it.
 *
 * The executor keeps the driver's view of guest memory; the back-end maps a
 * memfd copy. Before each kick the driver's changes go into the copy; after
 * the kick the back-end's changes come back through the executor's own
 * guest-memory gate, so its write oracle judges them (a write into
 * device-readable memory is dev.vq_desc.1). The back-end's individual
 * accesses are not visible: what it read, the order of its writes, and
 * which chain it took when are inferred from the used ring (see the README,
 * "What the black-box route cannot check").
 *
 * The adapter interface has no context pointer, so the options are set
 * once beforehand and the adapter's own findings (notifications, chains
 * never returned, the back-end leaving, writes found only at the end of a
 * run) are collected after each run. */
#ifndef VU_ADAPTER_VHOST_H
#define VU_ADAPTER_VHOST_H

#include <stdbool.h>

#include "adapter.h"
#include "exec.h"

typedef struct vu_adapter_opts {
    const char *socket;
    int timeout_ms; /* bound on every answer, and on a kick's wait for used entries */
    /* After a kick the back-end is asked a question on its socket (a
     * fence: it answers after handling the kick, when kicks and messages
     * share its loop); chains still out are waited for until the used index
     * has stood still this long after the answer. */
    int settle_us;
    /* device feature bits (0-23) the back-end may get; 0: all it offers
     * (the differential mode gives only those the reference model offers) */
    uint64_t device_mask;
    /* the queue played (net: 1 is the first transmit queue); the queues
     * below it are set up empty */
    unsigned queue;
    /* End each wait as soon as the back-end process is idle (vh_idle.h:
     * every thread asleep, read from /proc) instead of waiting for the
     * used ring to stand still settle_us; no fence is then sent. Falls
     * back to settling where the process cannot be watched or never
     * sleeps (a polling back-end). */
    bool idle;
} vu_adapter_opts;

typedef struct vu_adapter_stats {
    unsigned long kicks, settled;  /* kicks, and those that ended by settling, not with every chain back */
    unsigned long disconnects, connects, reopens; /* reopens: connections made in one round trip */
    unsigned long late_bytes;      /* bytes the back-end wrote between runs (discarded) */
    unsigned long nacked;          /* ring set-ups the back-end refused (REPLY_ACK): not played */
    /* why connections ended: the back-end hung up, chains left out (it may
     * count them in flight), a forbidden chain taken or the used ring
     * overwritten (state not followed), no answer to the fence, the ring
     * restart found chains taken in and never used */
    unsigned long end_hangup, end_dropped, end_lost, end_silent, end_held;
    /* waits ended because the back-end was idle, and looks at its threads */
    unsigned long idle_ends, idle_checks;
    /* where the time went, in microseconds: connecting (hello, memory
     * table), ring set-up and stop, memory comparisons, waiting after
     * kicks, waiting at the end of runs */
    unsigned long long us_connect, us_ring, us_mirror, us_wait, us_end;
} vu_adapter_stats;

extern const vc_adapter vc_adapter_vhost;

/* Sets the options; also after a back-end was restarted (clears 'gone'). */
void vu_adapter_configure(const vu_adapter_opts *o);
/* After each vc_fz_run: waits (bounded) for chains still out, then hands
 * over the adapter's findings for that run; returns their number. */
unsigned vu_adapter_end_run(vc_fz_finding *out, unsigned cap);
/* After vu_adapter_end_run: the last run's back-end was followed to the
 * end (no forbidden chain taken, used ring not overwritten, no head reused
 * while it may be held): its used entries say what it did. */
bool vu_adapter_followed(void);
/* The last run saw the back-end hang up (a refusal, or its death: the
 * caller who owns the process can tell). */
bool vu_adapter_hung_up(void);
/* After the last run: still connected, the back-end answers a question
 * asked settle_us later (bounded by timeout_ms); false when it hung up or
 * kept silent instead. Not connected: true (nothing to ask). */
bool vu_adapter_answers(void);
/* The back-end cannot be reached any more (it died): nothing else will run. */
bool vu_adapter_gone(void);
/* The ring features (VC_F_* bits) the back-end offers, once connected. */
uint64_t vu_adapter_offered(void);
/* The device feature bits (0-23) the back-end gets. */
uint64_t vu_adapter_device_features(void);
const vu_adapter_stats *vu_adapter_stats_get(void);

#endif
