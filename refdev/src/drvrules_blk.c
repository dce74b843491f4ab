/* Block requests: driver rules on the request itself that the model does not
 * need to serve it (refdev/drvrules.h). */
#include "le.h"
#include "refdev/drvrules.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

enum { T_FLUSH = 4, T_DISCARD = 11, T_WRITE_ZEROES = 13 };
enum { C_CAPACITY = 0, C_SEG_MAX = 12 };
#define HDR 16u
#define RANGE 16u /* struct virtio_blk_discard_write_zeroes */
#define RANGE_F_UNMAP 1u
#define RANGES_MAX 256u /* ranges looked at per request: the work stays bounded */

/* Discard and write zeroes ranges: on the disk, and no unmap on a discard. */
static void ranges(vc_dev *d, unsigned q, const vc_chain *c, uint32_t type)
{
    uint64_t len = c->out_bytes - HDR, cap = vc_get64(d->config + C_CAPACITY);
    if (len == 0 || len % RANGE)
        return; /* not a whole number of ranges: the model's drv.blk_op.7 */
    uint64_t n = len / RANGE;
    for (uint64_t i = 0; i < n && i < RANGES_MAX; i++) {
        uint8_t r[RANGE];
        if (vc_chain_read(d->mem, c, HDR + i * RANGE, r, RANGE) != RANGE)
            return;
        uint64_t sector = vc_get64(r);
        uint32_t num = vc_get32(r + 8), flags = vc_get32(r + 12);
        if (!vc_drv_rule(d, sector <= cap && num <= cap - sector, "BLK_RANGE_BEYOND_CAPACITY",
                         REQ_DRV_BLK_OP_2, (int)q, "range %llu: sector %llu + %u beyond %llu",
                         (unsigned long long)i, (unsigned long long)sector, num, (unsigned long long)cap))
            return;
        if (type == T_DISCARD &&
            !vc_drv_rule(d, !(flags & RANGE_F_UNMAP), "BLK_DISCARD_UNMAP", REQ_DRV_BLK_OP_14, (int)q,
                         "discard range %llu with the unmap flag", (unsigned long long)i))
            return;
    }
}

bool vc_drvrules_blk_segs_ok(const vc_dev *d, const vc_chain *c, uint32_t *seg_max)
{
    /* seg_max counts data segments: the header and the status come on top */
    *seg_max = vc_dev_has(d, VIRTIO_BLK_F_SEG_MAX_BIT) ? vc_get32(d->config + C_SEG_MAX) : 0;
    return c->nseg <= (uint64_t)*seg_max + 2;
}

void vc_drvrules_blk(vc_dev *d, unsigned q, const vc_chain *c)
{
    uint8_t hdr[HDR];
    if (c->out_bytes < HDR || c->in_bytes < 1 || vc_chain_read(d->mem, c, 0, hdr, HDR) != HDR)
        return; /* no request header: the model's drv.implied.blk_req_layout */
    uint32_t type = vc_get32(hdr);
    switch (type) {
    case T_FLUSH: /* the header and the status byte, nothing else */
        vc_drv_rule(d, c->out_bytes == HDR && c->in_bytes == 1, "BLK_FLUSH_DATA", REQ_DRV_BLK_OP_5,
                    (int)q, "flush with %llu readable and %llu writable bytes",
                    (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
        break;
    case T_DISCARD:
        if (vc_dev_has(d, VIRTIO_BLK_F_DISCARD_BIT))
            ranges(d, q, c, type);
        break;
    case T_WRITE_ZEROES:
        if (vc_dev_has(d, VIRTIO_BLK_F_WRITE_ZEROES_BIT))
            ranges(d, q, c, type);
        break;
    default:
        break;
    }
}
