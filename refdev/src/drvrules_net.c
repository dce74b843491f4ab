/* Network device: driver rules on the net header of every transmitted
 * packet and on the size of receive buffers, beyond what the model needs to
 * serve them (refdev/drvrules.h). */
#include "le.h"
#include "refdev/drvrules.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

enum { HF_DATA_VALID = 2, HF_UDP_TUNNEL_CSUM = 8 };
enum { GSO_TCPV4 = 1, GSO_UDP = 3, GSO_TCPV6 = 4, GSO_UDP_L4 = 5 };
#define GSO_TUNNEL_V4 0x20u
#define GSO_TUNNEL_V6 0x40u
#define GSO_TUNNEL (GSO_TUNNEL_V4 | GSO_TUNNEL_V6)
#define GSO_ECN 0x80u
#define ETH_HLEN 14u
#define C_MTU 10u         /* config: mtu */
#define ETH_FRAME 1514u   /* the largest frame without segmentation offloads */
#define GSO_FRAME 65589u  /* with them: Ethernet, IPv6 header, 64 KiB payload */

static unsigned hdr_size(const vc_dev *d)
{
    unsigned hs = vc_dev_has(d, VC_F_VERSION_1) || vc_dev_has(d, VIRTIO_NET_F_MRG_RXBUF_BIT) ? 12 : 10;
    return vc_dev_has(d, VIRTIO_NET_F_HASH_REPORT_BIT) ? hs + 8 : hs;
}

static bool has(const vc_dev *d, unsigned bit) { return vc_dev_has(d, bit); }

/* gso_type's protocol (without the tunnel and ECN bits) names an offload
 * the device took. */
static void gso_kind(vc_dev *d, unsigned q, uint8_t gso)
{
    static const struct { uint8_t type; unsigned bit; const char *req; } k[] = {
        { GSO_TCPV4, VIRTIO_NET_F_HOST_TSO4_BIT, REQ_DRV_NET_TX_5 },
        { GSO_TCPV6, VIRTIO_NET_F_HOST_TSO6_BIT, REQ_DRV_NET_TX_6 },
        { GSO_UDP, VIRTIO_NET_F_HOST_UFO_BIT, REQ_DRV_NET_TX_7 },
        { GSO_UDP_L4, VIRTIO_NET_F_HOST_USO_BIT, REQ_DRV_NET_TX_8 },
    };
    uint8_t base = gso & (uint8_t)~(GSO_TUNNEL | GSO_ECN);
    for (unsigned i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        vc_drv_rule(d, base != k[i].type || has(d, k[i].bit), "NET_TX_GSO_UNNEGOTIATED", k[i].req,
                    (int)q, "gso_type 0x%02x without its host offload", gso);
}

/* The UDP tunnel bits of gso_type and flags. */
static void tunnel(vc_dev *d, unsigned q, uint8_t flags, uint8_t gso)
{
    bool tun = gso & GSO_TUNNEL, tcsum = flags & HF_UDP_TUNNEL_CSUM;
    bool tun_f = has(d, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_BIT);
    bool csum_f = has(d, VIRTIO_NET_F_HOST_UDP_TUNNEL_GSO_CSUM_BIT);
    uint8_t base = gso & (uint8_t)~(GSO_TUNNEL | GSO_ECN);
    vc_drv_rule(d, !tun || tun_f, "NET_TX_TUNNEL_UNNEGOTIATED", REQ_DRV_NET_TX_27, (int)q,
                "gso_type 0x%02x: tunnel bit without HOST_UDP_TUNNEL_GSO", gso);
    vc_drv_rule(d, !(tun && tcsum) || (tun_f && csum_f), "NET_TX_TUNNEL_CSUM_UNNEGOTIATED",
                REQ_DRV_NET_TX_12, (int)q, "tunnel GSO with outer checksum offload, flags 0x%02x", flags);
    vc_drv_rule(d, !tcsum || csum_f, "NET_TX_TUNNEL_CSUM_FLAG", REQ_DRV_NET_TX_13, (int)q,
                "UDP_TUNNEL_CSUM without HOST_UDP_TUNNEL_GSO_CSUM, flags 0x%02x", flags);
    vc_drv_rule(d, !tcsum || csum_f, "NET_TX_TUNNEL_CSUM_FLAG", REQ_DRV_NET_TX_28, (int)q,
                "UDP_TUNNEL_CSUM set, flags 0x%02x", flags);
    vc_drv_rule(d, !(tun && base == GSO_UDP), "NET_TX_TUNNEL_UFO", REQ_DRV_NET_TX_14, (int)q,
                "gso_type 0x%02x: tunnel bit with the deprecated UDP type", gso);
    vc_drv_rule(d, (gso & GSO_TUNNEL) != GSO_TUNNEL, "NET_TX_TUNNEL_BOTH", REQ_DRV_NET_TX_15, (int)q,
                "gso_type 0x%02x: both tunnel bits", gso);
    vc_drv_rule(d, !tcsum || tun, "NET_TX_TUNNEL_CSUM_ALONE", REQ_DRV_NET_TX_16, (int)q,
                "UDP_TUNNEL_CSUM without a tunnel bit, gso_type 0x%02x", gso);
    vc_drv_rule(d, !((flags & HF_DATA_VALID) && tun), "NET_TX_TUNNEL_DATA_VALID", REQ_DRV_NET_TX_31,
                (int)q, "DATA_VALID with gso_type 0x%02x", gso);
}

/* Legacy without ANY_LAYOUT: the header is the first descriptor by itself,
 * so a first descriptor of a header's size is the driver's header size; it
 * is the receive header's (drv.net_tx.1). Otherwise the split between
 * header and frame is not visible. */
static void hdr_desc(vc_dev *d, unsigned q, const vc_chain *c, unsigned hs)
{
    if (has(d, VC_F_VERSION_1) || has(d, VIRTIO_F_ANY_LAYOUT_BIT) || c->nseg < 2 || c->n_out < 2)
        return;
    uint32_t n = c->seg[0].len;
    if (n == 10 || n == 12)
        vc_drv_rule(d, n == hs, "NET_TX_HDR_SIZE", REQ_DRV_NET_TX_1, (int)q,
                    "header descriptor of %u bytes, receive headers %u", n, hs);
}

static void tx(vc_dev *d, unsigned q, const vc_chain *c, unsigned hs)
{
    uint8_t h[20];
    hdr_desc(d, q, c, hs);
    if (c->in_bytes > 0 || c->out_bytes < hs || vc_chain_read(d->mem, c, 0, h, hs) != hs)
        return; /* the model's drv.implied.net_hdr_layout */
    gso_kind(d, q, h[1]);
    tunnel(d, q, h[0], h[1]);
    vc_drvrules_net_offload(d, q, c, hs, h);
}

/* Bytes a receive buffer needs for one packet of mtu bytes (drv.net_cfg.7),
 * 0 when MTU is not negotiated. */
static uint64_t mtu_fit(const vc_dev *d, unsigned hs)
{
    return has(d, VIRTIO_NET_F_MTU_BIT) ? (uint64_t)hs + ETH_HLEN + vc_get16(d->config + C_MTU) : 0;
}

/* Receive buffers without MRG_RXBUF: one buffer per packet, so each holds
 * the whole header and should hold the largest packet; with MTU, some
 * buffer the device holds takes an mtu-sized packet. */
static void rx(vc_dev *d, unsigned q, const vc_chain *c, unsigned hs)
{
    if (c->out_bytes > 0 || c->in_bytes == 0 || has(d, VIRTIO_NET_F_MRG_RXBUF_BIT))
        return; /* the model's layout rule, or drv.net_rxbuf.3 */
    uint64_t n = c->in_bytes;
    if (!vc_drv_rule(d, n >= hs, "NET_RX_BUFFER_HDR", REQ_DRV_NET_RXBUF_4, (int)q,
                     "receive buffer of %llu bytes, header %u", (unsigned long long)n, hs))
        return;
    bool gso = has(d, VIRTIO_NET_F_GUEST_TSO4_BIT) || has(d, VIRTIO_NET_F_GUEST_TSO6_BIT) ||
               has(d, VIRTIO_NET_F_GUEST_UFO_BIT) || has(d, VIRTIO_NET_F_GUEST_USO4_BIT) ||
               has(d, VIRTIO_NET_F_GUEST_USO6_BIT);
    uint64_t want = (uint64_t)hs + (gso ? GSO_FRAME : ETH_FRAME);
    vc_drv_rule(d, n >= want, "NET_RX_BUFFER_SMALL_FRAME", gso ? REQ_DRV_NET_RXBUF_1 : REQ_DRV_NET_RXBUF_2,
                (int)q, "receive buffer of %llu bytes, a full packet takes %llu", (unsigned long long)n,
                (unsigned long long)want);
    uint64_t fit = mtu_fit(d, hs);
    unsigned p = q / 2;
    if (!fit || p >= VC_DRV_NET_PAIRS)
        return;
    if (n >= fit)
        d->drv.net_rx_fit[p]++;
    vc_drv_rule(d, d->drv.net_rx_fit[p] > 0, "NET_RX_NO_MTU_BUFFER", REQ_DRV_NET_CFG_7, (int)q,
                "no receive buffer held takes %llu bytes (mtu %u); this one has %llu", (unsigned long long)fit,
                vc_get16(d->config + C_MTU), (unsigned long long)n);
}

void vc_drvrules_net_used(vc_dev *d, unsigned q, const vc_chain *c)
{
    unsigned p = q / 2, hs = hdr_size(d);
    uint64_t fit = mtu_fit(d, hs);
    if (q % 2 || p >= VC_DRV_NET_PAIRS || !fit || has(d, VIRTIO_NET_F_MRG_RXBUF_BIT) || c->out_bytes > 0 ||
        c->in_bytes < fit || d->drv.net_rx_fit[p] == 0)
        return;
    d->drv.net_rx_fit[p]--;
}

void vc_drvrules_net(vc_dev *d, unsigned q, const vc_chain *c)
{
    bool mq = has(d, VIRTIO_NET_F_MQ_BIT);
    unsigned ctrl = mq ? d->nqueues - 1 : 2;
    if (has(d, VIRTIO_NET_F_CTRL_VQ_BIT) && q == ctrl)
        return;
    if (q >= d->nqueues || (!mq && q >= 2))
        return; /* no such data queue: the model's fault */
    unsigned hs = hdr_size(d);
    if (q % 2)
        tx(d, q, c, hs);
    else
        rx(d, q, c, hs);
}
