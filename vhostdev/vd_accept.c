/* What the driver did with the features its guest was offered, as far as
 * vhost-user shows it (see vd_back.h): the features the front-end forwards
 * (SET_FEATURES) are the ones the guest accepted, within what the back-end
 * offered, and a block driver's requests tell whether it uses FLUSH. */
#include <string.h>

#include "vc/req_ids.h"
#include "vc/spec_devices.h"
#include "vc/spec_features.h"
#include "vd_back.h"

enum { BLK_T_OUT = 1, BLK_T_FLUSH = 4 };

/* A feature the guest saw offered and a driver should take: kept when the
 * forwarded set has it, broken when not. */
static void should_take(vd_back *b, uint64_t f, unsigned bit, const char *code, const char *req, const char *what)
{
    if (f & (1ull << bit))
        vd_rules_seen(&b->rules, req);
    else
        vc_dev_fault(b->dev, code, req, -1, false, "features 0x%llx: %s offered and not taken",
                     (unsigned long long)f, what);
}

void vd_accept_session(vd_back *b, uint64_t forwarded)
{
    vc_dev *d = b->dev;
    b->blk_writes = b->blk_flushes = 0;
    /* drv.features.3: what the driver accepted is within what was offered.
     * QEMU 7.2 forwards only bits the guest acked of those the back-end
     * offered (it drops the rest before they get here), so with it this
     * holds; a front-end that passes the guest's bits through shows a
     * driver's unknown or reserved bits here. */
    uint64_t extra = forwarded & ~d->offered;
    if (extra)
        vc_dev_fault(d, "DRV_FEATURES_UNOFFERED", REQ_DRV_FEATURES_3, -1, false,
                     "accepted 0x%llx: 0x%llx never offered (or the front-end's own)",
                     (unsigned long long)forwarded, (unsigned long long)extra);
    else
        vd_rules_seen(&b->rules, REQ_DRV_FEATURES_3);
    uint64_t f = forwarded & d->offered;
    /* blk: QEMU's vhost-user-blk offers the guest RO whenever the back-end
     * does (its front-end adds RO, FLUSH and the config bits, then keeps
     * those the back-end has) */
    if (d->ops->device_id == VC_DEV_ID_BLK && (d->offered & (1ull << VIRTIO_BLK_F_RO_BIT)))
        should_take(b, f, VIRTIO_BLK_F_RO_BIT, "DRV_REFUSED_RO", REQ_DRV_BLK_OP_3, "RO");
    /* net: MTU reaches the guest only when QEMU has host_mtu (the runner
     * says so: --offers-mtu) */
    if (d->ops->device_id == VC_DEV_ID_NET && b->offers_mtu && (d->offered & (1ull << VIRTIO_NET_F_MTU_BIT)))
        should_take(b, f, VIRTIO_NET_F_MTU_BIT, "DRV_REFUSED_MTU", REQ_DRV_NET_CFG_6, "MTU");
}

void vd_accept_chain(vd_back *b, const vc_chain *c)
{
    vc_dev *d = b->dev;
    uint8_t t[4];
    if (d->ops->device_id != VC_DEV_ID_BLK || c->out_bytes < 16 || c->in_bytes < 1 ||
        vc_chain_read(d->mem, c, 0, t, sizeof(t)) != sizeof(t))
        return;
    uint32_t type = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    if (type == BLK_T_OUT)
        b->blk_writes++;
    else if (type == BLK_T_FLUSH)
        b->blk_flushes++;
}

/* At the end of a session: a driver that took FLUSH and wrote has flushed
 * at least once (drv.blk_init.1: the runner's guest syncs its writes, so a
 * driver able to flush did); without CONFIG_WCE that flush is also what
 * shows it took the cache for writeback (drv.blk_init.3). Without writes
 * nothing is decided. */
void vd_accept_end(vd_back *b)
{
    vc_dev *d = b->dev;
    if (d->ops->device_id != VC_DEV_ID_BLK || !vc_dev_has(d, VIRTIO_BLK_F_FLUSH_BIT))
        return;
    const char *reqs[2] = { REQ_DRV_BLK_INIT_1, vc_dev_has(d, VIRTIO_BLK_F_CONFIG_WCE_BIT) ? NULL : REQ_DRV_BLK_INIT_3 };
    for (unsigned i = 0; i < 2 && reqs[i]; i++) {
        if (b->blk_flushes)
            vd_rules_seen(&b->rules, reqs[i]);
        else if (b->blk_writes)
            vc_dev_fault(d, "DRV_FLUSH_NEVER", reqs[i], -1, false,
                         "FLUSH taken%s, %llu writes and no flush request in the session",
                         i ? " without CONFIG_WCE" : "", (unsigned long long)b->blk_writes);
    }
}
