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
    /* Optional for the backend: each used buffer notification decision it
     * makes (after every push, or once after a batch), sent or not, for the
     * used entries published since its previous decision. The harness checks
     * it against the driver's suppression: split flags or used_event, the
     * packed driver event structure. A backend that only sees its own
     * notifications go out sets vc_adapter.notify_sent_only instead. */
    void (*notify)(void *ctx, bool sent);
    /* Set by the harness: how many chains the backend should take before it
     * uses them (0 or 1: each one at once). A hint; backends that complete
     * as they go ignore it. Batches leave the device's available position
     * ahead of its used one, where position and event bugs show. */
    uint32_t batch;
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
    /* The backend reports only the notifications it sends (an observed
     * interrupt or call), not the decisions not to: the harness then checks
     * that each one was allowed and that none is missing at the end of a
     * kick, instead of judging every decision. */
    bool notify_sent_only;
    /* Every chain the backend takes comes back (a used entry) before its
     * kick returns: a chain still out after a kick is then a finding. */
    bool returns_all;
} vc_adapter;

extern const vc_adapter vc_adapter_ref; /* the reference device's ring layer */

#endif
