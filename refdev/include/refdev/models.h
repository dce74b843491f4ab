/* Constructors of the reference device models. Each returns a heap device
 * (free with vc_model_free) or NULL on bad options. */
#ifndef REFDEV_MODELS_H
#define REFDEV_MODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "refdev/device.h"

typedef struct vc_model_opts {
    uint64_t features_off; /* offered bits to withhold (e.g. packed ring) */
    uint16_t queue_max;    /* 0: the model's default */
    uint32_t seed;         /* deterministic randomness (rng) */
    /* blk: the disk image (caller-owned, disk_bytes a multiple of 512) */
    uint8_t *disk;
    uint64_t disk_bytes;
    bool read_only;
    const char *serial; /* GET_ID answer, at most 20 bytes used */
} vc_model_opts;

/* Transport features every model offers. */
#define VC_TRANSPORT_FEATURES                                                       \
    ((1ull << VC_F_INDIRECT_DESC) | (1ull << VC_F_EVENT_IDX) | (1ull << VC_F_VERSION_1) | \
     (1ull << VC_F_RING_PACKED) | (1ull << 40 /* VIRTIO_F_RING_RESET */))

vc_dev *vc_rng_create(const vc_gmem *mem, const vc_model_opts *o);
vc_dev *vc_blk_create(const vc_gmem *mem, const vc_model_opts *o);

/* Creates a model by its short name ("rng", "blk", ...); NULL if unknown. */
vc_dev *vc_model_create(const char *name, const vc_gmem *mem, const vc_model_opts *o);
void vc_model_free(vc_dev *d);

#endif
