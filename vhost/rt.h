/* Round-trip checks per device type: well-formed requests whose answers show
 * the device statements visible from the queue. */
#ifndef VH_RT_H
#define VH_RT_H

#include <stdint.h>

#include "vh_dev.h"
#include "vh_report.h"

typedef struct rt_opts {
    uint64_t image_bytes;     /* size of the image behind a block device, 0 unknown */
    uint8_t image_head[512];  /* its first sector */
    unsigned image_head_len;
} rt_opts;

/* Features a block round trip takes when offered. */
uint64_t rt_blk_features(void);
int rt_blk(vh_dev *d, vh_report *r, const rt_opts *o);
/* virtio-fs (queue 1, the first request queue): FUSE_INIT and its answer. */
uint64_t rt_fs_features(void);
int rt_fs(vh_dev *d, vh_report *r);

#endif
