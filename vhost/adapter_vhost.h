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
 * never returned, the back-end leaving) are collected after each run. */
#ifndef VU_ADAPTER_VHOST_H
#define VU_ADAPTER_VHOST_H

#include <stdbool.h>

#include "adapter.h"
#include "exec.h"

typedef struct vu_adapter_opts {
    const char *socket;
    int timeout_ms; /* bound on every answer, and on a kick's wait for used entries */
    int settle_ms;  /* a used index standing still this long after a kick: the back-end is done */
} vu_adapter_opts;

typedef struct vu_adapter_stats {
    unsigned long kicks, settled;  /* kicks, and those that ended by settling, not with every chain back */
    unsigned long disconnects, connects;
    unsigned long late_bytes;      /* bytes the back-end wrote between runs (discarded) */
} vu_adapter_stats;

extern const vc_adapter vc_adapter_vhost;

/* Sets the options; also after a back-end was restarted (clears 'gone'). */
void vu_adapter_configure(const vu_adapter_opts *o);
/* After each vc_fz_run: waits (bounded) for chains still out, then hands
 * over the adapter's findings for that run; returns their number. */
unsigned vu_adapter_end_run(vc_fz_finding *out, unsigned cap);
/* The back-end cannot be reached any more (it died): nothing else will run. */
bool vu_adapter_gone(void);
const vu_adapter_stats *vu_adapter_stats_get(void);

#endif
