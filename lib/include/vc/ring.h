/* Virtqueue ring layouts (split and packed) as explicit little-endian byte
 * layouts: offsets, sizes and alignments. Rings live in guest memory and are
 * only ever accessed through vc_gmem at these offsets.
 */
#ifndef VC_RING_H
#define VC_RING_H

#include <stdbool.h>
#include <stdint.h>

/* Descriptor flags (split and packed). */
#define VC_DESC_F_NEXT 1u
#define VC_DESC_F_WRITE 2u
#define VC_DESC_F_INDIRECT 4u
#define VC_DESC_F_AVAIL (1u << 7) /* packed only */
#define VC_DESC_F_USED (1u << 15) /* packed only */

#define VC_MAX_QUEUE_SIZE 32768u

/* ---- split ring ---- */
/* struct desc { le64 addr; le32 len; le16 flags; le16 next; } */
#define VC_SPLIT_DESC_SIZE 16u
#define VC_SPLIT_DESC_ADDR 0u
#define VC_SPLIT_DESC_LEN 8u
#define VC_SPLIT_DESC_FLAGS 12u
#define VC_SPLIT_DESC_NEXT 14u
/* avail { le16 flags; le16 idx; le16 ring[N]; le16 used_event; } */
#define VC_SPLIT_AVAIL_FLAGS 0u
#define VC_SPLIT_AVAIL_IDX 2u
#define VC_SPLIT_AVAIL_RING 4u
#define VC_SPLIT_AVAIL_F_NO_INTERRUPT 1u
/* used { le16 flags; le16 idx; { le32 id; le32 len; } ring[N]; le16 avail_event; } */
#define VC_SPLIT_USED_FLAGS 0u
#define VC_SPLIT_USED_IDX 2u
#define VC_SPLIT_USED_RING 4u
#define VC_SPLIT_USED_ELEM_SIZE 8u
#define VC_SPLIT_USED_F_NO_NOTIFY 1u

#define VC_SPLIT_DESC_ALIGN 16u
#define VC_SPLIT_AVAIL_ALIGN 2u
#define VC_SPLIT_USED_ALIGN 4u
/* Legacy (virtio 0.9.5) PCI: one contiguous area, used ring page aligned. */
#define VC_LEGACY_VRING_ALIGN 4096u

static inline uint64_t vc_split_desc_bytes(uint32_t n) { return (uint64_t)VC_SPLIT_DESC_SIZE * n; }
/* with event idx the trailing used_event / avail_event field is included */
static inline uint64_t vc_split_avail_bytes(uint32_t n) { return 6u + 2ull * n; }
static inline uint64_t vc_split_used_bytes(uint32_t n) { return 6u + 8ull * n; }
static inline uint64_t vc_split_used_event_off(uint32_t n) { return 4u + 2ull * n; }
static inline uint64_t vc_split_avail_event_off(uint32_t n) { return 4u + 8ull * n; }

/* Legacy layout: desc at base, avail right after, used at the next 4 KiB. */
static inline uint64_t vc_legacy_avail_off(uint32_t n) { return vc_split_desc_bytes(n); }
static inline uint64_t vc_legacy_used_off(uint32_t n)
{
    uint64_t end = vc_split_desc_bytes(n) + vc_split_avail_bytes(n);
    return (end + VC_LEGACY_VRING_ALIGN - 1) & ~(uint64_t)(VC_LEGACY_VRING_ALIGN - 1);
}
static inline uint64_t vc_legacy_ring_bytes(uint32_t n)
{
    return vc_legacy_used_off(n) + vc_split_used_bytes(n);
}

/* ---- packed ring ---- */
/* struct pdesc { le64 addr; le32 len; le16 id; le16 flags; } */
#define VC_PACKED_DESC_SIZE 16u
#define VC_PACKED_DESC_ADDR 0u
#define VC_PACKED_DESC_LEN 8u
#define VC_PACKED_DESC_ID 12u
#define VC_PACKED_DESC_FLAGS 14u
/* event suppression { le16 off_wrap; le16 flags; } for driver and device area */
#define VC_PACKED_EVENT_OFF_WRAP 0u
#define VC_PACKED_EVENT_FLAGS 2u
#define VC_PACKED_EVENT_SIZE 4u
#define VC_PACKED_EVENT_F_ENABLE 0u
#define VC_PACKED_EVENT_F_DISABLE 1u
#define VC_PACKED_EVENT_F_DESC 2u

#define VC_PACKED_DESC_ALIGN 16u
#define VC_PACKED_EVENT_ALIGN 4u

static inline uint64_t vc_packed_desc_bytes(uint32_t n) { return (uint64_t)VC_PACKED_DESC_SIZE * n; }

/* True when the ring would need a notification: the event index (the value
 * the peer asked to be told about) lies in (old, new]. Wraps at 2^16. */
static inline bool vc_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

static inline bool vc_is_pow2(uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

#endif
