/* Network card with a loopback backend (none when detached): every frame
 * the driver transmits passes the receive filter (promiscuous, all-multicast,
 * the CTRL_RX_EXTRA modes, MAC table, VLAN table) and comes back on a
 * receive queue. Two queue pairs (MQ), a control queue, mergeable receive
 * buffers, link status, MTU, speed and duplex in config, and guest
 * announcements the host asks for (vc_net_announce). With the offload
 * option it also offers CSUM, HOST_TSO4/6 and HOST_ECN: a checksum request
 * is filled in on the looped-back frame; GSO packets are taken and counted,
 * not segmented (nothing on the loopback needs the segments). */
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "refdev/held.h"
#include "refdev/models.h"
#include "vc/spec_devices.h"
#include "vc/spec_features.h"

#define NET_PAIRS 2u
#define NET_NQUEUES (2u * NET_PAIRS + 1u)
#define NET_QUEUE_MAX 128
#define NET_MTU 1400u /* below 1500: a standard full-size frame from the wire is over it */
#define ETH_HLEN 14u
#define FRAME_MAX 1518u /* a standard frame with one VLAN tag */
#define BACKLOG 16u                         /* frames waiting per receive queue */
#define MAC_TABLE 32u

/* feature bits, from specs/features.tsv */
enum {
    F_MTU = VIRTIO_NET_F_MTU_BIT,
    F_MAC = VIRTIO_NET_F_MAC_BIT,
    F_MRG_RXBUF = VIRTIO_NET_F_MRG_RXBUF_BIT,
    F_STATUS = VIRTIO_NET_F_STATUS_BIT,
    F_CTRL_VQ = VIRTIO_NET_F_CTRL_VQ_BIT,
    F_CTRL_RX = VIRTIO_NET_F_CTRL_RX_BIT,
    F_CTRL_VLAN = VIRTIO_NET_F_CTRL_VLAN_BIT,
    F_MQ = VIRTIO_NET_F_MQ_BIT,
    F_CTRL_MAC_ADDR = VIRTIO_NET_F_CTRL_MAC_ADDR_BIT,
    F_CTRL_RX_EXTRA = VIRTIO_NET_F_CTRL_RX_EXTRA_BIT,
    F_SPEED_DUPLEX = VIRTIO_NET_F_SPEED_DUPLEX_BIT,
    F_GUEST_ANNOUNCE = VIRTIO_NET_F_GUEST_ANNOUNCE_BIT,
    F_CSUM = VIRTIO_NET_F_CSUM_BIT,
    F_HOST_TSO4 = VIRTIO_NET_F_HOST_TSO4_BIT,
    F_HOST_TSO6 = VIRTIO_NET_F_HOST_TSO6_BIT,
    F_HOST_ECN = VIRTIO_NET_F_HOST_ECN_BIT,
};
#define S_LINK_UP 1u
#define S_ANNOUNCE 2u
enum { C_MAC = 0, C_STATUS = 6, C_MAX_PAIRS = 8, C_MTU = 10, C_SPEED = 12, C_DUPLEX = 16, C_SIZE = 17 };
enum { RX_PROMISC, RX_ALLMULTI, RX_ALLUNI, RX_NOMULTI, RX_NOUNI, RX_NOBCAST, RX_MODES };
#define NET_SPEED 10000u /* Mbit/s */
#define DUPLEX_FULL 0u   /* the normative value (dev.net_cfg.11) */
enum { HF_NEEDS_CSUM = 1, HF_DATA_VALID = 2, HF_RSC_INFO = 4 };
enum { CL_RX = 0, CL_MAC = 1, CL_VLAN = 2, CL_ANNOUNCE = 3, CL_MQ = 4 };
enum { ACK_OK = 0, ACK_ERR = 1 };

typedef struct frame {
    uint8_t b[FRAME_MAX];
    uint32_t len;
} frame;

typedef struct rxq {
    vc_held held;
    frame backlog[BACKLOG];
    unsigned head, n;
} rxq;

typedef struct net {
    vc_dev dev;
    uint8_t mac[6], orig_mac[6];
    rxq rx[NET_PAIRS];
    bool mode[RX_MODES]; /* RX_PROMISC .. RX_NOBCAST, as the control commands set them */
    uint8_t uni[MAC_TABLE][6], multi[MAC_TABLE][6];
    uint32_t nuni, nmulti;
    uint8_t vlan[4096 / 8];
    unsigned pairs; /* active queue pairs */
    bool detached;  /* no peer: transmitted frames go nowhere */
    vc_net_stats st;
} net;

static unsigned hdr_size(vc_dev *d)
{
    /* the legacy header without mergeable buffers lacks num_buffers */
    return vc_dev_has(d, VC_F_VERSION_1) || vc_dev_has(d, F_MRG_RXBUF) ? 12 : 10;
}

static unsigned ctrl_queue(vc_dev *d) { return vc_dev_has(d, F_MQ) ? 2 * NET_PAIRS : 2; }

static bool in_table(uint8_t (*t)[6], uint32_t n, const uint8_t *mac)
{
    for (uint32_t i = 0; i < n; i++)
        if (memcmp(t[i], mac, 6) == 0)
            return true;
    return false;
}

/* The receive filter (dev.net_ctrl_rx.*, dev.net_ctrl_mac.4, dev.net_ctrl_vlan.*). */
static bool accept(net *m, const uint8_t *f, uint32_t len)
{
    vc_dev *d = &m->dev;
    if (len >= ETH_HLEN + 4 && vc_get_be16(f + 12) == 0x8100 && vc_dev_has(d, F_CTRL_VLAN)) {
        uint16_t vid = vc_get_be16(f + 14) & 0xfff;
        if (!(m->vlan[vid / 8] & (1u << (vid % 8))))
            return false;
    }
    /* promiscuous wins over every other mode (dev.net_ctrl_rx.3); each
     * suppression over its all- mode (.8, .11, .13); broadcast is not
     * multicast to the suppression (.9) */
    if (m->mode[RX_PROMISC])
        return true;
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (memcmp(f, bcast, 6) == 0)
        return !m->mode[RX_NOBCAST];
    if (f[0] & 1)
        return !m->mode[RX_NOMULTI] && (m->mode[RX_ALLMULTI] || in_table(m->multi, m->nmulti, f));
    return !m->mode[RX_NOUNI] &&
           (m->mode[RX_ALLUNI] || memcmp(f, m->mac, 6) == 0 || in_table(m->uni, m->nuni, f));
}

static bool rx_buf_ok(vc_dev *d, unsigned q, const vc_chain *c)
{
    if (c->out_bytes == 0 && c->in_bytes > 0 &&
        (!vc_dev_has(d, F_MRG_RXBUF) || c->in_bytes >= hdr_size(d)))
        return true;
    bool small = c->out_bytes == 0 && c->in_bytes > 0;
    vc_dev_fault(d, small ? "NET_RX_BUFFER_SMALL" : "NET_RX_LAYOUT",
                 small ? REQ_DRV_NET_RXBUF_3 : REQ_DRV_IMPLIED_NET_HDR_LAYOUT, (int)q, false,
                 "receive buffer: %llu readable, %llu writable bytes",
                 (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
    return false;
}

/* Writes one frame into held buffers; false when it must wait for more. */
static bool put_frame(net *m, unsigned q, rxq *r, const frame *fr)
{
    vc_dev *d = &m->dev;
    unsigned hs = hdr_size(d);
    uint64_t need = hs + fr->len;
    bool mrg = vc_dev_has(d, F_MRG_RXBUF);
    unsigned nbuf = 0;
    uint64_t room = 0;
    while (room < need && nbuf < r->held.n && (mrg || nbuf == 0))
        room += vc_held_at(&r->held, nbuf++)->in_bytes;
    if (room < need) {
        if (!mrg && nbuf == 1) { /* one buffer per packet (dev.net_rxbuf.2): too small */
            m->st.rx_dropped++;
            return true;
        }
        return false;
    }
    uint8_t hdr[12] = { 0 };
    vc_put16(hdr + 10, (uint16_t)nbuf); /* buffers used (dev.net_rxbuf.1) */
    uint64_t off = 0;
    for (unsigned i = 0; i < nbuf; i++) {
        vc_chain *c = vc_held_at(&r->held, 0);
        uint64_t w = 0;
        if (i == 0)
            w = vc_chain_write(d->mem, c, 0, hdr, hs);
        uint64_t take = fr->len - off < c->in_bytes - w ? fr->len - off : c->in_bytes - w;
        w += vc_chain_write(d->mem, c, w, fr->b + off, take);
        off += take;
        vc_held_push(&r->held, d, q, (uint32_t)w);
    }
    m->st.rx_frames++;
    return true;
}

static void deliver(net *m, unsigned pair)
{
    vc_dev *d = &m->dev;
    rxq *r = &m->rx[pair];
    unsigned q = 2 * pair;
    if (!(d->status & VC_STATUS_DRIVER_OK))
        return;
    vc_held_fill(&r->held, d, q, rx_buf_ok);
    while (r->n > 0 && put_frame(m, q, r, &r->backlog[r->head])) {
        r->head = (r->head + 1) % BACKLOG;
        r->n--;
        vc_held_fill(&r->held, d, q, rx_buf_ok);
    }
}

/* NEEDS_CSUM: the ones' complement sum from csum_start to the end, stored
 * at csum_start + csum_offset (false when that is outside the frame: the
 * driver's drv.net_tx.17, judged by the driver rules). */
static bool fill_csum(frame *fr, uint16_t start, uint16_t off)
{
    if ((uint32_t)start + off + 2 > fr->len)
        return false;
    uint32_t sum = 0;
    for (uint32_t i = start; i < fr->len; i += 2)
        sum += (uint32_t)fr->b[i] << 8 | (i + 1 < fr->len ? fr->b[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t v = (uint16_t)~sum;
    fr->b[start + off] = (uint8_t)(v >> 8);
    fr->b[start + off + 1] = (uint8_t)v;
    return true;
}

static void loop_back(net *m, unsigned pair, vc_chain *c, uint64_t off, uint64_t len, const uint8_t *h)
{
    /* after reset only the first receive queue is used; never one beyond
     * the active pairs (dev.net_ctrl_mq.1, dev.net_ctrl_mq.2) */
    unsigned p = pair < m->pairs ? pair : 0;
    rxq *r = &m->rx[p];
    if (len > FRAME_MAX || len < ETH_HLEN || r->n == BACKLOG) {
        m->st.tx_dropped++;
        return;
    }
    frame *fr = &r->backlog[(r->head + r->n) % BACKLOG];
    fr->len = (uint32_t)vc_chain_read(m->dev.mem, c, off, fr->b, len);
    if ((h[0] & HF_NEEDS_CSUM) && vc_dev_has(&m->dev, F_CSUM) && fill_csum(fr, vc_get16(h + 6), vc_get16(h + 8)))
        m->st.tx_csum++;
    if (!accept(m, fr->b, fr->len)) {
        m->st.rx_filtered++;
        return;
    }
    r->n++;
    deliver(m, p);
}

bool vc_net_receive(vc_dev *d, const uint8_t *f, uint32_t len)
{
    net *m = d->model;
    rxq *r = &m->rx[0];
    /* nothing longer than mtu plus the link header with MTU negotiated
     * (dev.net_cfg.5): these frames carry no GSO */
    if (len < ETH_HLEN || len > FRAME_MAX || r->n == BACKLOG ||
        (vc_dev_has(d, F_MTU) && len > NET_MTU + ETH_HLEN)) {
        m->st.rx_dropped++;
        return false;
    }
    if (!accept(m, f, len)) {
        m->st.rx_filtered++;
        return false;
    }
    frame *fr = &r->backlog[(r->head + r->n) % BACKLOG];
    memcpy(fr->b, f, len);
    fr->len = len;
    r->n++;
    deliver(m, 0);
    return true;
}

static uint32_t serve_tx(vc_dev *d, unsigned q, vc_chain *c)
{
    net *m = d->model;
    unsigned hs = hdr_size(d);
    uint8_t h[12] = { 0 };
    if (c->in_bytes > 0 || c->out_bytes < hs || vc_chain_read(d->mem, c, 0, h, hs) != hs) {
        vc_dev_fault(d, "NET_TX_LAYOUT", REQ_DRV_IMPLIED_NET_HDR_LAYOUT, (int)q, false,
                     "transmit buffer: %llu readable, %llu writable bytes",
                     (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
        m->st.tx_dropped++;
        return 0;
    }
    if (h[0] & (HF_DATA_VALID | HF_RSC_INFO))
        vc_dev_fault(d, "NET_TX_RX_FLAGS", REQ_DRV_NET_TX_30, (int)q, false, "flags 0x%02x", h[0]);
    else if ((h[0] & HF_NEEDS_CSUM) && !vc_dev_has(d, F_CSUM))
        vc_dev_fault(d, "NET_TX_CSUM", REQ_DRV_NET_TX_3, (int)q, false, "flags 0x%02x", h[0]);
    if (hs == 12 && vc_get16(h + 10) != 0)
        vc_dev_fault(d, "NET_TX_NUM_BUFFERS", REQ_DRV_NET_TX_2, (int)q, false,
                     "num_buffers %u on transmit", vc_get16(h + 10));
    uint64_t len = c->out_bytes - hs;
    if (h[1] != 0 && !vc_dev_has(d, F_HOST_TSO4) && !vc_dev_has(d, F_HOST_TSO6)) {
        /* no segmentation offload negotiated: nothing to segment with */
        vc_dev_fault(d, "NET_TX_GSO", REQ_DRV_NET_TX_19, (int)q, false, "gso_type %u", h[1]);
        m->st.tx_dropped++;
        return 0;
    }
    if (h[1] != 0) { /* the driver rules judge its fields; the segments are not needed */
        m->st.tx_gso++;
        return 0;
    }
    if (vc_dev_has(d, F_MTU) && len > NET_MTU + ETH_HLEN + 4) {
        vc_dev_fault(d, "NET_TX_OVER_MTU", REQ_DRV_NET_CFG_8, (int)q, false,
                     "%llu-byte frame", (unsigned long long)len);
        m->st.tx_dropped++;
        return 0;
    }
    m->st.tx_frames++;
    if (!m->detached)
        loop_back(m, (q - 1) / 2, c, hs, len, h);
    return 0;
}

/* One control command: returns the ack. */
static uint8_t ctrl_cmd(net *m, uint8_t cls, uint8_t cmd, const uint8_t *data, uint64_t len)
{
    vc_dev *d = &m->dev;
    switch (cls) {
    case CL_RX:
        if (!vc_dev_has(d, F_CTRL_RX) || cmd >= RX_MODES || len != 1 ||
            (cmd > RX_ALLMULTI && !vc_dev_has(d, F_CTRL_RX_EXTRA)))
            return ACK_ERR; /* the extra modes only with CTRL_RX_EXTRA (dev.net_ctrl_rx.5) */
        m->mode[cmd] = data[0] != 0;
        return ACK_OK;
    case CL_MAC:
        if (cmd == 1 && vc_dev_has(d, F_CTRL_MAC_ADDR) && len == 6) {
            memcpy(m->mac, data, 6);
            memcpy(d->config + C_MAC, data, 6); /* before completion (dev.net_ctrl_mac.3) */
            return ACK_OK;
        }
        if (cmd == 0 && vc_dev_has(d, F_CTRL_RX) && len >= 8) {
            uint32_t nu = vc_get32(data);
            if (nu > MAC_TABLE || len < 8 + 6ull * nu)
                return ACK_ERR;
            uint32_t nm = vc_get32(data + 4 + 6 * nu);
            if (nm > MAC_TABLE || len != 8 + 6ull * (nu + nm))
                return ACK_ERR; /* two le32-counted lists (drv.net_ctrl_mac.3) */
            memcpy(m->uni, data + 4, 6 * nu);
            memcpy(m->multi, data + 8 + 6 * nu, 6 * nm);
            m->nuni = nu;
            m->nmulti = nm;
            return ACK_OK;
        }
        return ACK_ERR;
    case CL_VLAN:
        if (!vc_dev_has(d, F_CTRL_VLAN) || cmd > 1 || len != 2 || vc_get16(data) >= 4096)
            return ACK_ERR;
        uint16_t vid = vc_get16(data);
        if (cmd == 0)
            m->vlan[vid / 8] |= (uint8_t)(1u << (vid % 8));
        else
            m->vlan[vid / 8] &= (uint8_t)~(1u << (vid % 8));
        return ACK_OK;
    case CL_MQ:
        if (!vc_dev_has(d, F_MQ) || cmd != 0 || len != 2)
            return ACK_ERR;
        if (vc_get16(data) < 1 || vc_get16(data) > NET_PAIRS) {
            vc_dev_fault(d, "NET_MQ_PAIRS", REQ_DRV_NET_CTRL_MQ_2, (int)ctrl_queue(d), false,
                         "%u queue pairs requested", vc_get16(data));
            return ACK_ERR;
        }
        m->pairs = vc_get16(data);
        return ACK_OK;
    case CL_ANNOUNCE:
        if (!vc_dev_has(d, F_GUEST_ANNOUNCE) || cmd != 0 || len != 0)
            return ACK_ERR;
        /* cleared before the command completes (dev.net_ctrl_announce.1) */
        vc_put16(d->config + C_STATUS, vc_get16(d->config + C_STATUS) & ~S_ANNOUNCE);
        return ACK_OK;
    default:
        return ACK_ERR;
    }
}

static uint32_t serve_ctrl(vc_dev *d, unsigned q, vc_chain *c)
{
    net *m = d->model;
    uint8_t buf[8 + 6 * 2 * MAC_TABLE + 2];
    if (c->out_bytes < 2 || c->in_bytes < 1) {
        vc_dev_fault(d, "NET_CTRL_LAYOUT", REQ_DRV_IMPLIED_NET_CTRL_LAYOUT, (int)q, false,
                     "command: %llu readable, %llu writable bytes",
                     (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
        return 0;
    }
    uint64_t len = c->out_bytes > sizeof(buf) ? sizeof(buf) : c->out_bytes;
    vc_chain_read(d->mem, c, 0, buf, len);
    uint8_t ack = c->out_bytes > sizeof(buf) ? ACK_ERR : ctrl_cmd(m, buf[0], buf[1], buf + 2, len - 2);
    vc_chain_write(d->mem, c, c->in_bytes - 1, &ack, 1);
    return (uint32_t)c->in_bytes;
}

static void notify(vc_dev *d, unsigned q)
{
    net *m = d->model;
    if (q == ctrl_queue(d) && vc_dev_has(d, F_CTRL_VQ))
        vc_dev_serve(d, q, serve_ctrl);
    else if (q >= 2 * NET_PAIRS || (q >= 2 && !vc_dev_has(d, F_MQ)))
        vc_dev_fault(d, "NET_QUEUE_ABSENT", REQ_DRV_PCI_AVAIL_NOTIFY_1, (int)q, false,
                     "queue %u is not in use with the negotiated features", q);
    else if (q % 2 == 0)
        deliver(m, q / 2);
    else
        vc_dev_serve(d, q, serve_tx);
}

static void reset(vc_dev *d)
{
    net *m = d->model;
    for (unsigned p = 0; p < NET_PAIRS; p++) {
        vc_held_clear(&m->rx[p].held);
        m->rx[p].n = m->rx[p].head = 0;
    }
    memset(m->mode, 0, sizeof(m->mode));
    m->mode[RX_PROMISC] = true;
    m->nuni = m->nmulti = 0; /* empty after reset (dev.net_ctrl_mac.1) */
    memset(m->vlan, 0, sizeof(m->vlan));
    m->pairs = 1;
    memcpy(m->mac, m->orig_mac, 6); /* ADDR_SET lasts until reset */
    memcpy(d->config + C_MAC, m->orig_mac, 6);
    vc_put16(d->config + C_STATUS, vc_get16(d->config + C_STATUS) & ~S_ANNOUNCE);
}

static void queue_reset(vc_dev *d, unsigned q)
{
    net *m = d->model;
    if (q < 2 * NET_PAIRS && q % 2 == 0)
        vc_held_clear(&m->rx[q / 2].held);
}

static void destroy(vc_dev *d)
{
    net *m = d->model;
    for (unsigned p = 0; p < NET_PAIRS; p++)
        vc_held_free(&m->rx[p].held);
}

static const vc_model_ops net_ops = {
    .name = "net",
    .device_id = VC_DEV_ID_NET,
    .queue_notify = notify, /* config is read-only (drv.net_cfg.1) */
    .reset = reset,
    .queue_reset = queue_reset,
    .destroy = destroy,
};

vc_dev *vc_net_create(const vc_gmem *mem, const vc_model_opts *o)
{
    net *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    uint16_t qmax = o && o->queue_max ? o->queue_max : NET_QUEUE_MAX;
    bool ok = true;
    for (unsigned p = 0; p < NET_PAIRS; p++)
        ok &= vc_held_init(&m->rx[p].held, qmax, qmax);
    if (!ok) {
        for (unsigned p = 0; p < NET_PAIRS; p++)
            vc_held_free(&m->rx[p].held);
        free(m);
        return NULL;
    }
    uint16_t qm[NET_NQUEUES];
    for (unsigned i = 0; i < NET_NQUEUES; i++)
        qm[i] = qmax;
    uint64_t f = VC_TRANSPORT_FEATURES | 1ull << F_MTU | 1ull << F_MAC | 1ull << F_MRG_RXBUF |
                 1ull << F_STATUS | 1ull << F_CTRL_VQ | 1ull << F_CTRL_RX | 1ull << F_CTRL_VLAN |
                 1ull << F_MQ | 1ull << F_CTRL_MAC_ADDR | 1ull << F_CTRL_RX_EXTRA | 1ull << F_SPEED_DUPLEX |
                 1ull << F_GUEST_ANNOUNCE;
    if (o && o->offload)
        f |= 1ull << F_CSUM | 1ull << F_HOST_TSO4 | 1ull << F_HOST_TSO6 | 1ull << F_HOST_ECN;
    vc_dev_init(&m->dev, &net_ops, m, mem, f & ~(o ? o->features_off : 0), C_SIZE, NET_NQUEUES,
                qm);
    uint8_t *c = m->dev.config;
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x76, 0x63, 0x00 };
    memcpy(m->orig_mac, mac, 6);
    m->orig_mac[5] = (uint8_t)(o ? o->seed : 0);
    m->detached = o && o->detached;
    vc_put16(c + C_STATUS, 1); /* link up */
    vc_put16(c + C_MAX_PAIRS, NET_PAIRS); /* within 1..0x8000 (dev.net_cfg.1) */
    vc_put16(c + C_MTU, NET_MTU);         /* 68..65535 and at least 1280 (dev.net_cfg.2, .3) */
    vc_put32(c + C_SPEED, NET_SPEED);     /* fixed while the link is up (dev.net_cfg.10, .12) */
    c[C_DUPLEX] = DUPLEX_FULL;
    reset(&m->dev);
    return &m->dev;
}

void vc_net_set_link(vc_dev *d, bool up)
{
    uint16_t st = vc_get16(d->config + C_STATUS);
    vc_put16(d->config + C_STATUS, (uint16_t)(up ? st | S_LINK_UP : st & ~S_LINK_UP));
    if (vc_dev_has(d, F_STATUS))
        vc_dev_config_changed(d);
}

vc_net_stats vc_net_get_stats(const vc_dev *d)
{
    return ((const net *)d->model)->st;
}

bool vc_net_announce(vc_dev *d)
{
    if (!vc_dev_has(d, F_GUEST_ANNOUNCE) || !vc_dev_has(d, F_CTRL_VQ))
        return false; /* the driver would have no way to acknowledge it */
    vc_put16(d->config + C_STATUS, vc_get16(d->config + C_STATUS) | S_ANNOUNCE);
    vc_dev_config_changed(d);
    return true;
}
