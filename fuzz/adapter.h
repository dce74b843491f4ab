/* Backend adapter: how any C device backend plugs into the fuzz harness.
 *
 * A backend sees guest memory only through the vc_gmem it is given (so the
 * harness observes every read and write), serves one virtqueue when kicked,
 * and reports each chain it takes, and each ring it refuses, through the
 * events. The reference device is adapted in fuzz/adapter_ref.c: read it as
 * the worked example (README, "Fuzzing your own backend").
 */
#ifndef VC_ADAPTER_H
#define VC_ADAPTER_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/gmem.h"

typedef struct vc_adapter_events {
    void *ctx;
    /* The backend takes a chain (head index or packed buffer id), before it
     * touches the chain's buffers. */
    void (*took)(void *ctx, uint16_t id);
    /* The backend refuses the ring and stops serving it; code is the
     * backend's own name for the reason (may be NULL). */
    void (*rejected)(void *ctx, const char *code);
    /* Optional for the backend: true when the harness has seen enough work
     * in this run; a backend may then end the kick before its next chain
     * (a queue of 1024 chains of 1024 descriptors would take 60 ms). */
    bool (*enough)(void *ctx);
} vc_adapter_events;

/* How much of a chain's writable space the backend should fill, so that the
 * harness can check used lengths: chosen by the scenario. */
typedef enum vc_used_policy {
    VC_USED_ALL = 0,
    VC_USED_NONE = 1,
    VC_USED_HALF = 2,
    VC_USED_ONE_MORE = 3, /* asks for one byte beyond the space: must be refused */
} vc_used_policy;

typedef struct vc_adapter {
    const char *name;
    void *(*create)(const vc_gmem *mem);
    void (*destroy)(void *be);
    /* (Re)configures the queue from scratch; false if the backend refuses
     * the geometry (not a finding by itself). */
    bool (*setup)(void *be, uint64_t features, uint16_t size, uint64_t desc, uint64_t driver,
                  uint64_t device);
    /* Serves the queue: takes available chains, writes into their writable
     * buffers per policy, publishes used entries. */
    void (*kick)(void *be, const vc_adapter_events *ev, vc_used_policy policy);
} vc_adapter;

extern const vc_adapter vc_adapter_ref; /* the reference device's ring layer */

#endif
