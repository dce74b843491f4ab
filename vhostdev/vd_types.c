/* Device types the back-end serves (see vd_types.h). */
#include "vd_types.h"

#include <string.h>

#include "vc/req_ids.h"
#include "vc/spec_features.h"

static void rng(vd_rules *r, vc_dev *d, unsigned q, const vc_chain *c)
{
    vd_rules_seen(r, REQ_DRV_RNG_OP_1);
}

/* blk: the layout on every request, then the rules of its type */
static void blk(vd_rules *r, vc_dev *d, unsigned q, const vc_chain *c)
{
    vd_rules_seen(r, REQ_DRV_IMPLIED_BLK_REQ_LAYOUT);
    uint8_t t[4];
    if (c->out_bytes < 16 || c->in_bytes < 1 || vc_chain_read(d->mem, c, 0, t, 4) != 4)
        return;
    uint32_t type = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    switch (type) {
    case 0: /* IN */
    case 1: /* OUT */
        vd_rules_seen(r, REQ_DRV_BLK_OP_6);
        vd_rules_seen(r, REQ_DRV_BLK_OP_2);
        break;
    case 4: vd_rules_seen(r, REQ_DRV_BLK_OP_4); break;
    case 8: vd_rules_seen(r, REQ_DRV_BLK_OP_8); break;
    case 11:
        if (vc_dev_has(d, VIRTIO_BLK_F_DISCARD_BIT)) {
            vd_rules_seen(r, REQ_DRV_BLK_OP_7);
            vd_rules_seen(r, REQ_DRV_BLK_OP_9);
        }
        break;
    case 13:
        if (vc_dev_has(d, VIRTIO_BLK_F_WRITE_ZEROES_BIT)) {
            vd_rules_seen(r, REQ_DRV_BLK_OP_7);
            vd_rules_seen(r, REQ_DRV_BLK_OP_11);
        }
        break;
    }
}

/* scsi: control and request layouts; event buffers */
static void scsi(vd_rules *r, vc_dev *d, unsigned q, const vc_chain *c)
{
    vd_rules_seen(r, q == 1 ? REQ_DRV_SCSI_EVENT_2 : REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT);
}

static void input(vd_rules *r, vc_dev *d, unsigned q, const vc_chain *c)
{
    vd_rules_seen(r, q == 0 ? REQ_DRV_INPUT_OP_2 : REQ_DRV_INPUT_OP_3);
}

/* net over vhost-user: data queues only (QEMU keeps the control queue) */
static void net(vd_rules *r, vc_dev *d, unsigned q, const vc_chain *c)
{
    if (q % 2 == 0) { /* receive */
        vd_rules_seen(r, REQ_DRV_NET_RXBUF_3);
        vd_rules_seen(r, REQ_DRV_IMPLIED_NET_HDR_LAYOUT);
        return;
    }
    vd_rules_seen(r, REQ_DRV_IMPLIED_NET_HDR_LAYOUT);
    unsigned hs = vc_dev_has(d, VC_F_VERSION_1) || vc_dev_has(d, VIRTIO_NET_F_MRG_RXBUF_BIT) ? 12 : 10;
    if (c->in_bytes > 0 || c->out_bytes < hs)
        return;
    vd_rules_seen(r, REQ_DRV_NET_TX_30);
    /* the model's offload faults: judged only where the offload is absent */
    if (!vc_dev_has(d, VIRTIO_NET_F_CSUM_BIT))
        vd_rules_seen(r, REQ_DRV_NET_TX_3);
    if (!vc_dev_has(d, VIRTIO_NET_F_HOST_TSO4_BIT) && !vc_dev_has(d, VIRTIO_NET_F_HOST_TSO6_BIT))
        vd_rules_seen(r, REQ_DRV_NET_TX_19);
    if (hs == 12)
        vd_rules_seen(r, REQ_DRV_NET_TX_2);
    if (vc_dev_has(d, VIRTIO_NET_F_MTU_BIT))
        vd_rules_seen(r, REQ_DRV_NET_CFG_8);
}

/* net: the control queue, MAC, link status and multiqueue are QEMU's own
 * (it answers the guest and forwards none of them), so the model offers
 * none of them: otherwise it would see MQ without CTRL_VQ and blame the
 * driver for a dependency the front-end dropped. The same for the bits
 * that need the control queue (CTRL_RX_EXTRA, GUEST_ANNOUNCE: QEMU 7.2
 * forwards GUEST_ANNOUNCE, never CTRL_VQ). */
#define NET_FRONT_END_OWNED                                                                  \
    (1ull << VIRTIO_NET_F_MQ_BIT | 1ull << VIRTIO_NET_F_CTRL_VQ_BIT |                       \
     1ull << VIRTIO_NET_F_CTRL_RX_BIT | 1ull << VIRTIO_NET_F_CTRL_VLAN_BIT |                \
     1ull << VIRTIO_NET_F_CTRL_MAC_ADDR_BIT | 1ull << VIRTIO_NET_F_STATUS_BIT |             \
     1ull << VIRTIO_NET_F_MAC_BIT | 1ull << VIRTIO_NET_F_CTRL_RX_EXTRA_BIT |                \
     1ull << VIRTIO_NET_F_GUEST_ANNOUNCE_BIT)

/* net: the receive offloads QEMU's virtio-net offers by default. The
 * model never sends a segmented or partly checksummed packet, which a
 * device may always do; offered, they shape the driver's receive buffers
 * (drv.net_rxbuf.1) and bring feature dependencies a driver could break
 * (GUEST_TSO4 needs GUEST_CSUM: drv.features.1). */
#define NET_GUEST_OFFLOADS                                                                   \
    (1ull << VIRTIO_NET_F_GUEST_CSUM_BIT | 1ull << VIRTIO_NET_F_GUEST_TSO4_BIT |             \
     1ull << VIRTIO_NET_F_GUEST_TSO6_BIT)

/* Queue sizes: QEMU 7.2's defaults (blk queue-size, scsi virtqueue_size,
 * net rx/tx_queue_size); rng and input get the largest QEMU allows, so a
 * size QEMU picks is never above the model's. */
static const vd_type types[] = {
    { "rng", 1024, 0, 0, false, NULL, rng },
    { "blk", 128, 0, 0, true, REQ_DRV_CFGSPACE_2, blk },
    { "scsi", 128, 0, 0, false, NULL, scsi },
    { "input", 1024, 0, 0, true, REQ_DRV_INPUT_INIT_2, input },
    { "net", 1024, NET_FRONT_END_OWNED, NET_GUEST_OFFLOADS, false, NULL, net },
};

const vd_type *vd_type_find(const char *name)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (name && strcmp(types[i].name, name) == 0)
            return &types[i];
    return NULL;
}

const char *vd_type_names(void)
{
    return "rng, blk, scsi, input, net";
}
