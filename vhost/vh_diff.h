/* Differential mode over vhost-user: every scenario is also played on the
 * reference device's model in process (fuzz/adapter_model.h, the same
 * executor and oracles), and the two runs are compared kick by kick: which
 * chains each took, which used entries with which lengths it published,
 * whether it refused the ring. A black-box back-end completes chains in its
 * own order, so each kick's events are compared as sets, not sequences.
 * Where they differ, the oracles decide who is wrong: the side with a
 * finding of its own; with none on either side the divergence is reported
 * as it is (tier "differential"). */
#ifndef VH_DIFF_H
#define VH_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"

typedef struct vh_diff {
    vc_fz *model;
    const char *name;
    uint64_t device_bits; /* device feature bits the model offers (the back-end gets only these) */
    vc_fz_report rep;     /* the model's last run */
} vh_diff;

/* Sets the model up (refdev/models.h name: blk, net, rng, ...). */
bool vh_diff_init(vh_diff *d, const char *model);
void vh_diff_free(vh_diff *d);
/* Plays s on the model with the device features the back-end negotiated,
 * compares with the back-end's report (back_notes: the adapter's findings
 * besides); 0 when they agree, else 1 with the divergence (kind
 * "divergence") and the verdict in *out. */
unsigned vh_diff_run(vh_diff *d, const vc_scenario *s, uint64_t device_features, const vc_fz_report *back,
                     unsigned back_notes, vc_fz_finding *out);

#endif
