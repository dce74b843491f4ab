/* Device side of a virtqueue, split or packed, transport-neutral.
 *
 * A device model pops chains, reads the device-readable part, writes the
 * device-writable part and pushes the chain back with the number of bytes it
 * wrote. Every malformed chain is rejected with a vc_err naming the driver
 * requirement it breaks; after a rejection the queue is broken (sticky) and
 * the device is expected to set DEVICE_NEEDS_RESET. Nothing here trusts guest
 * memory: all of it is read through vc_gmem, and the work per pop is bounded
 * by the queue size.
 */
#ifndef VC_VQ_DEV_H
#define VC_VQ_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/gmem.h"
#include "vc/vq_errors.h"
#include "vc/spec_features.h"

typedef struct vc_seg {
    uint64_t addr;
    uint32_t len;
    bool write; /* device-writable */
} vc_seg;

/* One walked descriptor chain. seg points at caller storage of cap entries;
 * cap must be at least the queue size or long chains are rejected with
 * VC_E_CHAIN_TOO_LONG (the device's own limit, which the spec permits). */
typedef struct vc_chain {
    uint16_t id;      /* split: head index; packed: buffer id */
    uint16_t ndesc;   /* packed: ring slots the chain used; split: 1 */
    uint32_t nseg;    /* segments in seg[] */
    uint32_t n_out;   /* device-readable segments (they come first) */
    uint64_t out_bytes, in_bytes;
    uint32_t cap;
    vc_seg *seg;
} vc_chain;

/* Feature bits the ring layer cares about (from specs/features.tsv). */
#define VC_F_INDIRECT_DESC VIRTIO_F_INDIRECT_DESC_BIT
#define VC_F_EVENT_IDX VIRTIO_F_EVENT_IDX_BIT
#define VC_F_VERSION_1 VIRTIO_F_VERSION_1_BIT
#define VC_F_RING_PACKED VIRTIO_F_RING_PACKED_BIT
#define VC_F_IN_ORDER VIRTIO_F_IN_ORDER_BIT

typedef struct vc_vq_dev {
    const vc_gmem *mem;
    uint16_t size;
    bool packed, event_idx, indirect, in_order;
    uint64_t desc, driver, device; /* descriptor area, driver area, device area */
    vc_err broken;                 /* sticky first error, VC_OK when healthy */

    /* split */
    uint16_t last_avail; /* next avail ring slot to read (free running) */
    uint16_t used_idx;   /* our copy of used->idx (free running) */

    /* packed */
    uint16_t avail_pos, used_pos; /* ring positions 0..size-1 */
    bool avail_wrap, used_wrap;

    /* notification suppression state */
    uint16_t signalled_used; /* used idx at the last notification check */
    bool signalled_valid;

    /* oracle bookkeeping: chains taken and not yet pushed, indexed by id */
    uint8_t *inflight;
    uint32_t ninflight;

    uint64_t desc_reads; /* descriptors read so far (work accounting) */
} vc_vq_dev;

/* Sets up a queue over guest memory with the negotiated features. Checks
 * alignment and that every ring part lies in guest memory. On error the queue
 * is left broken. size must be a power of two for split rings and 1..32768
 * for packed rings. */
vc_err vc_vq_dev_init(vc_vq_dev *q, const vc_gmem *mem, uint64_t features, uint16_t size,
                      uint64_t desc, uint64_t driver, uint64_t device);
void vc_vq_dev_free(vc_vq_dev *q);

/* Takes the next available chain. Returns VC_OK and *got=false when the ring
 * is empty, VC_OK and *got=true with the chain filled in, or an error; the
 * queue is then broken and every later call returns that first error again. */
vc_err vc_vq_dev_pop(vc_vq_dev *q, vc_chain *c, bool *got);

/* Returns a chain to the driver with the number of bytes written into its
 * device-writable part. written > c->in_bytes is a device bug and rejected
 * (VC_E_USED_LEN); a chain that was not popped is VC_E_USED_UNKNOWN. */
vc_err vc_vq_dev_push(vc_vq_dev *q, const vc_chain *c, uint32_t written);

/* After one or more pushes: should the device send a used buffer
 * notification? Applies the driver's suppression (flags or used_event for
 * split, the driver event suppression structure for packed). */
bool vc_vq_dev_should_notify(vc_vq_dev *q);

/* Asks the driver for (or not for) available buffer notifications: split
 * writes used->flags or avail_event; packed writes the device area. */
void vc_vq_dev_want_notify(vc_vq_dev *q, bool enable);

/* Chain data helpers: copy from the device-readable part at byte offset off
 * (returns bytes copied, short when the part ends or memory fails), and into
 * the device-writable part. */
uint64_t vc_chain_read(const vc_gmem *m, const vc_chain *c, uint64_t off, void *dst, uint64_t len);
uint64_t vc_chain_write(const vc_gmem *m, const vc_chain *c, uint64_t off, const void *src,
                        uint64_t len);

/* Split and packed implementations behind the functions above. */
vc_err vc_split_dev_pop(vc_vq_dev *q, vc_chain *c, bool *got);
vc_err vc_split_dev_push(vc_vq_dev *q, const vc_chain *c, uint32_t written);
bool vc_split_dev_should_notify(vc_vq_dev *q);
void vc_split_dev_want_notify(vc_vq_dev *q, bool enable);
vc_err vc_packed_dev_pop(vc_vq_dev *q, vc_chain *c, bool *got);
vc_err vc_packed_dev_push(vc_vq_dev *q, const vc_chain *c, uint32_t written);
bool vc_packed_dev_should_notify(vc_vq_dev *q);
void vc_packed_dev_want_notify(vc_vq_dev *q, bool enable);

#endif
