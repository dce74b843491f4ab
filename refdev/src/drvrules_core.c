/* Driver-rule checks: reporting and dispatch by device type (see
 * refdev/drvrules.h). */
#include <stdarg.h>
#include <stdio.h>

#include "refdev/drvrules.h"
#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vc/spec_devices.h"

void vc_drv_kept(vc_dev *d, const char *req)
{
    if (d->on_rule)
        d->on_rule(d->rule_opaque, req);
}

bool vc_drv_rule(vc_dev *d, bool ok, const char *code, const char *req, int q, const char *fmt, ...)
{
    if (ok) {
        vc_drv_kept(d, req);
        return true;
    }
    char detail[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    vc_dev_fault(d, code, req, q, false, "%s", detail);
    return false;
}

/* A packed list (or indirect table) stays within the segments the device
 * allows: its type's seg_max besides the request and response headers. */
static void packed_limit(vc_dev *d, unsigned q, const vc_chain *c)
{
    uint32_t limit = 0;
    bool ok = true;
    switch (d->ops->device_id) {
    case VC_DEV_ID_BLK: ok = vc_drvrules_blk_segs_ok(d, c, &limit); break;
    case VC_DEV_ID_SCSI: ok = vc_drvrules_scsi_segs_ok(d, q, c, &limit); break;
    default: break;
    }
    const vc_vq_dev *v = &d->q[q].vq;
    if (!limit || v->size == 0)
        return;
    uint16_t flags = 0;
    uint16_t first = (uint16_t)((v->avail_pos + v->size - c->ndesc % v->size) % v->size);
    vc_gmem_ld16(d->mem, v->desc + (uint64_t)first * VC_PACKED_DESC_SIZE + VC_PACKED_DESC_FLAGS, &flags);
    bool indirect = c->ndesc == 1 && (flags & VC_DESC_F_INDIRECT);
    vc_drv_rule(d, ok, "DRV_LIST_OVER_DEVICE_LIMIT", indirect ? REQ_DRV_PACKED_INDIRECT_3 : REQ_DRV_PACKED_SG_1,
                (int)q, "%s of %u descriptors (%u device-readable), seg_max %u", indirect ? "indirect table" : "list",
                c->nseg, c->n_out, limit);
}

void vc_drvrules_chain(vc_dev *d, unsigned q, const vc_chain *c)
{
    if (d->q[q].vq.packed)
        packed_limit(d, q, c);
    switch (d->ops->device_id) {
    case VC_DEV_ID_BLK: vc_drvrules_blk(d, q, c); break;
    case VC_DEV_ID_NET: vc_drvrules_net(d, q, c); break;
    case VC_DEV_ID_SCSI: vc_drvrules_scsi(d, q, c); break;
    default: break;
    }
}

void vc_drvrules_used(vc_dev *d, unsigned q, const vc_chain *c)
{
    if (d->ops->device_id == VC_DEV_ID_NET)
        vc_drvrules_net_used(d, q, c);
}

bool vc_drv_ring_has_avail(const vc_dev *d, unsigned qi)
{
    const vc_dev_queue *dq = &d->q[qi];
    const vc_vq_dev *q = &dq->vq;
    if (!dq->enabled || q->size == 0 || q->broken != VC_OK)
        return false;
    uint16_t v = 0;
    if (q->packed) {
        if (!vc_gmem_ld16(q->mem, q->desc + (uint64_t)q->avail_pos * VC_PACKED_DESC_SIZE + VC_PACKED_DESC_FLAGS, &v))
            return false;
        return !!(v & VC_DESC_F_AVAIL) == q->avail_wrap && !!(v & VC_DESC_F_USED) != q->avail_wrap;
    }
    return vc_gmem_ld16(q->mem, q->driver + VC_SPLIT_AVAIL_IDX, &v) && v != q->last_avail;
}
