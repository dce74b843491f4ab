/* Rejection codes of the device-side virtqueue walk.
 *
 * Each code names the requirement it enforces, separately for the split and
 * the packed ring where the spec states the rule in both places. The REQ_*
 * macros come from the header generated out of specs/requirements/, so a
 * code citing an ID that is not in the catalogue does not compile.
 */
#ifndef VC_VQ_ERRORS_H
#define VC_VQ_ERRORS_H

#include <stdbool.h>

#include "vc/req_ids.h"

/* X(code, split requirement, packed requirement, what the device saw).
 * A code only one ring type raises (the split ring's available index) names
 * the same requirement in both columns. */
#define VC_VQ_ERRORS(X)                                                                          \
    X(VC_E_RING_ADDR, REQ_DRV_RESERVED_FEATURES_4, REQ_DRV_RESERVED_FEATURES_4,                  \
      "ring part not in guest memory")                                                           \
    X(VC_E_QUEUE_SIZE, REQ_DRV_PCI_COMMON_3, REQ_DRV_PCI_COMMON_2,                              \
      "queue size zero, above 32768, or not a power of 2 for a split ring")                     \
    X(VC_E_RING_ALIGN, REQ_DRV_VQ_1, REQ_DRV_PACKED_1, "ring part misaligned")                  \
    X(VC_E_AVAIL_IDX_JUMP, REQ_DRV_VQ_AVAIL_1, REQ_DRV_VQ_AVAIL_1,                              \
      "available index moved by more than the queue size (split only)")                         \
    X(VC_E_HEAD_RANGE, REQ_DRV_IMPLIED_HEAD_RANGE, REQ_DRV_IMPLIED_BUFFER_ID_RANGE,              \
      "chain head or buffer id outside the queue")                                              \
    X(VC_E_NEXT_RANGE, REQ_DRV_IMPLIED_NEXT_RANGE, REQ_DRV_IMPLIED_NEXT_RANGE,                   \
      "next index outside the descriptor table")                                                \
    X(VC_E_LOOP, REQ_DRV_VQ_DESC_1, REQ_DRV_PACKED_SG_3, "descriptor chain loops")               \
    X(VC_E_CHAIN_TOO_LONG, REQ_DRV_VQ_INDIRECT_3, REQ_DRV_PACKED_SG_2,                           \
      "chain longer than the queue size")                                                       \
    X(VC_E_INDIRECT_NOT_NEGOTIATED, REQ_DRV_VQ_INDIRECT_1, REQ_DRV_PACKED_INDIRECT_1,            \
      "indirect descriptor without VIRTIO_F_INDIRECT_DESC")                                     \
    X(VC_E_INDIRECT_NESTED, REQ_DRV_VQ_INDIRECT_2, REQ_DRV_PACKED_INDIRECT_2,                    \
      "indirect descriptor inside an indirect table")                                           \
    X(VC_E_INDIRECT_NEXT, REQ_DRV_VQ_INDIRECT_4, REQ_DRV_PACKED_INDIRECT_4,                      \
      "descriptor has both INDIRECT and NEXT")                                                  \
    X(VC_E_INDIRECT_LEN, REQ_DRV_IMPLIED_INDIRECT_LEN, REQ_DRV_IMPLIED_INDIRECT_LEN,             \
      "indirect table length zero or not a multiple of 16")                                     \
    X(VC_E_WRITE_BEFORE_READ, REQ_DRV_FRAMING_1, REQ_DRV_PACKED_SG_3,                            \
      "device-readable descriptor after a device-writable one")                                 \
    X(VC_E_PACKED_PARTIAL, REQ_DRV_PACKED_SG_6, REQ_DRV_PACKED_SG_6,                              \
      "packed list continues into a descriptor that is not available")                          \
    X(VC_E_BUF_ADDR, REQ_DRV_RESERVED_FEATURES_4, REQ_DRV_RESERVED_FEATURES_4,                   \
      "buffer not in guest memory (or address+length wraps)")                                   \
    X(VC_E_TOTAL_LEN, REQ_DRV_VQ_DESC_1, REQ_DRV_VQ_DESC_1,                                      \
      "chain longer than 2^32 bytes in total")                                                  \
    X(VC_E_IN_ORDER_NEXT, REQ_DRV_VQ_DESC_1, REQ_DRV_VQ_DESC_1,                                  \
      "next not sequential with VIRTIO_F_IN_ORDER")                                             \
    X(VC_E_IN_ORDER_INDIRECT, REQ_DRV_VQ_INDIRECT_5, REQ_DRV_VQ_INDIRECT_5,                      \
      "indirect next not sequential with VIRTIO_F_IN_ORDER")                                    \
    X(VC_E_NOT_READY, REQ_DEV_STATUS_1, REQ_DEV_STATUS_1,                                        \
      "queue used before DRIVER_OK or while not enabled")                                       \
    X(VC_E_USED_LEN, REQ_DEV_VQ_USED_2, REQ_DEV_VQ_USED_2,                                       \
      "used length larger than the chain's writable space")                                     \
    X(VC_E_USED_UNKNOWN, REQ_DEV_IMPLIED_USED_KNOWN, REQ_DEV_IMPLIED_USED_KNOWN,                  \
      "used entry for a chain that was not taken")                                              \
    X(VC_E_BROKEN, REQ_DEV_STATUS_2, REQ_DEV_STATUS_2, "queue broken by an earlier error")

typedef enum vc_err {
    VC_OK = 0,
#define VC_ERR_ENUM(code, sreq, preq, text) code,
    VC_VQ_ERRORS(VC_ERR_ENUM)
#undef VC_ERR_ENUM
    VC_E_COUNT
} vc_err;

/* Stable machine-readable name ("VC_E_LOOP"), requirement short id for the
 * given ring type ("drv.vq_desc.1"), and a human description. */
const char *vc_err_name(vc_err e);
const char *vc_err_req(vc_err e, bool packed);
const char *vc_err_text(vc_err e);

#endif
