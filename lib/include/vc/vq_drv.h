/* Driver side of a virtqueue, split or packed.
 *
 * Used by the guest probe against real devices, by the unit tests against
 * the reference device, and by the fuzzers to build valid scenarios. All ring
 * memory is reached through vc_gmem; the device's answers (used ids and
 * lengths, packed used flags) are validated, never trusted.
 *
 * Low-level writers (vc_split_put_desc, ...) let tests and the probe's hostile
 * checks build malformed chains on purpose.
 */
#ifndef VC_VQ_DRV_H
#define VC_VQ_DRV_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vc/gmem.h"
#include "vc/vq_dev.h" /* vc_seg, feature bit numbers */

/* Result of talking to a device, from the driver's side. */
typedef enum vc_drv_status {
    VC_DRV_OK = 0,
    VC_DRV_FULL,      /* not enough free descriptors */
    VC_DRV_EMPTY,     /* no used buffer yet */
    VC_DRV_BAD_ARG,   /* caller error (no segments, too many, bad indirect arena) */
    VC_DRV_MEM,       /* ring or buffer not in guest memory */
    VC_DRV_DEV_BAD_ID,  /* device returned an id that is not outstanding */
    VC_DRV_DEV_BAD_IDX, /* device moved the used index past what was outstanding */
    VC_DRV_DEV_BAD_LEN, /* device returned a used length beyond the writable space */
} vc_drv_status;

const char *vc_drv_status_name(vc_drv_status s);

typedef struct vc_drv_slot {
    uint32_t token;      /* caller's cookie */
    uint16_t ndesc;      /* ring descriptors used */
    uint16_t last;       /* split: last descriptor of the chain (for freeing) */
    uint32_t in_bytes;   /* writable space given to the device */
    bool busy;
} vc_drv_slot;

typedef struct vc_vq_drv {
    const vc_gmem *mem;
    uint16_t size;
    bool packed, event_idx, indirect;
    uint64_t desc, driver, device;

    /* indirect tables: slot i at indirect_base + i * indirect_max * 16 */
    uint64_t indirect_base;
    uint16_t indirect_max;

    uint16_t num_free;    /* free descriptors */
    uint16_t nbusy;       /* buffers made available and not yet used */
    vc_drv_slot *slot; /* split: indexed by head; packed: by buffer id */

    /* split */
    uint16_t free_head;   /* head of the free descriptor list */
    uint16_t *free_next;  /* free list links (host-side, never in guest memory) */
    uint16_t avail_idx;   /* shadow of avail->idx */
    uint16_t last_used;   /* next used idx to read */
    uint16_t kicked_idx;  /* avail idx at the previous kick decision */

    /* packed */
    uint16_t next_avail; bool avail_wrap;
    uint16_t next_used;  bool used_wrap;
    uint16_t *free_ids; uint16_t nfree_ids;
    uint16_t added; /* descriptors made available since the last kick decision */
} vc_vq_drv;

/* Initialises the driver-side state and the ring memory (zeroed, flags
 * clear). indirect_max 0 disables indirect use; otherwise
 * [indirect_base, +size*indirect_max*16) must be guest memory. */
vc_drv_status vc_vq_drv_init(vc_vq_drv *q, const vc_gmem *mem, uint64_t features, uint16_t size,
                             uint64_t desc, uint64_t driver, uint64_t device,
                             uint64_t indirect_base, uint16_t indirect_max);
void vc_vq_drv_free(vc_vq_drv *q);

/* Makes one buffer available: sg[0..n_out) device-readable, then n_in
 * device-writable segments. use_indirect puts the segments in an indirect
 * table (needs indirect_max >= n_out + n_in). The buffer is visible to the
 * device once this returns (index or flags published with release order). */
vc_drv_status vc_vq_drv_add(vc_vq_drv *q, const vc_seg *sg, unsigned n_out, unsigned n_in,
                            uint32_t token, bool use_indirect);

/* Should the driver notify the device now? Applies the device's suppression
 * (used->flags / avail_event, or the packed device event structure) to what
 * was added since the previous call. */
bool vc_vq_drv_kick_needed(vc_vq_drv *q);

/* Collects one used buffer: its token and the length the device reported.
 * Validates id and length against what was made available. */
vc_drv_status vc_vq_drv_get_used(vc_vq_drv *q, uint32_t *token, uint32_t *len);

/* Driver asks for or suppresses used buffer notifications. */
void vc_vq_drv_want_interrupts(vc_vq_drv *q, bool enable);

/* Split and packed implementations. */
vc_drv_status vc_split_drv_add(vc_vq_drv *q, const vc_seg *sg, unsigned n_out, unsigned n_in,
                               uint32_t token, bool use_indirect);
bool vc_split_drv_kick_needed(vc_vq_drv *q);
vc_drv_status vc_split_drv_get_used(vc_vq_drv *q, uint32_t *token, uint32_t *len);
void vc_split_drv_want_interrupts(vc_vq_drv *q, bool enable);
vc_drv_status vc_packed_drv_add(vc_vq_drv *q, const vc_seg *sg, unsigned n_out, unsigned n_in,
                                uint32_t token, bool use_indirect);
bool vc_packed_drv_kick_needed(vc_vq_drv *q);
vc_drv_status vc_packed_drv_get_used(vc_vq_drv *q, uint32_t *token, uint32_t *len);
void vc_packed_drv_want_interrupts(vc_vq_drv *q, bool enable);

/* Raw writers for building arbitrary (also malformed) rings. */
/* The 16 bytes of one descriptor, for writing many in one access: split
 * (w12 = flags, w14 = next) and packed (w12 = id, w14 = flags) share them. */
static inline void vc_desc_bytes(uint8_t d[16], uint64_t addr, uint32_t len, uint16_t w12,
                                 uint16_t w14)
{
    uint64_t a = htole64(addr);
    uint32_t l = htole32(len);
    uint16_t x = htole16(w12), y = htole16(w14);
    memcpy(d, &a, 8);
    memcpy(d + 8, &l, 4);
    memcpy(d + 12, &x, 2);
    memcpy(d + 14, &y, 2);
}
bool vc_split_put_desc(const vc_gmem *m, uint64_t table, uint32_t idx, uint64_t addr, uint32_t len,
                       uint16_t flags, uint16_t next);
/* Puts head into avail ring slot (idx % size) and stores avail->idx = idx+1. */
bool vc_split_put_avail(const vc_gmem *m, uint64_t avail, uint16_t size, uint16_t idx, uint16_t head);
bool vc_packed_put_desc(const vc_gmem *m, uint64_t ring, uint32_t pos, uint64_t addr, uint32_t len,
                        uint16_t id, uint16_t flags);

#endif
