/* Chains a model takes from a queue and keeps until it has something to put
 * in them (receive buffers, event buffers, the balloon's stats buffer).
 *
 * A FIFO of up to cap chains, each with room for seg_cap segments (a chain
 * with more segments than that is the device's own limit and breaks the
 * queue, as for any pop). Chains are returned in the order they were taken.
 */
#ifndef REFDEV_HELD_H
#define REFDEV_HELD_H

#include "refdev/device.h"

typedef struct vc_held {
    vc_chain *c;
    vc_seg *segs;
    unsigned cap, n, head;
    uint16_t seg_cap;
} vc_held;

bool vc_held_init(vc_held *h, unsigned cap, uint16_t seg_cap);
void vc_held_free(vc_held *h);
/* Forgets every chain (device or queue reset: the rings are gone). */
void vc_held_clear(vc_held *h);
/* Takes every available chain of queue q while there is room. A chain that
 * ok() refuses (it records the fault) goes straight back with 0 bytes.
 * Returns the number of chains held afterwards. */
unsigned vc_held_fill(vc_held *h, vc_dev *d, unsigned q,
                      bool (*ok)(vc_dev *d, unsigned q, const vc_chain *c));
/* The i-th oldest held chain (i < n). */
vc_chain *vc_held_at(vc_held *h, unsigned i);
/* Returns the oldest held chain to the driver with `written` bytes. */
void vc_held_push(vc_held *h, vc_dev *d, unsigned q, uint32_t written);

#endif
