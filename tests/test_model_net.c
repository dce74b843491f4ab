/* Net model: loopback of transmitted frames, mergeable and single receive
 * buffers, the receive filter driven by control commands, queue pairs, and
 * malformed transmit and control requests. */
#include <string.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_PACKED (1ull << VC_F_RING_PACKED)
#define F_MTU (1ull << 3)
#define F_MAC (1ull << 5)
#define F_MRG (1ull << 15)
#define F_STATUS (1ull << 16)
#define F_CTRL (1ull << 17)
#define F_CTRL_RX (1ull << 18)
#define F_CTRL_VLAN (1ull << 19)
#define F_MQ (1ull << 22)
#define F_CTRL_MAC_ADDR (1ull << 23)
#define F_ALL (F_V1 | F_MTU | F_MAC | F_STATUS | F_CTRL | F_CTRL_RX | F_CTRL_VLAN | F_MQ)

typedef struct rig {
    vc_th t;
    vc_dev *d;
    uint64_t buf;
    unsigned ctrl;
} rig;

static void rig_init(rig *r, uint64_t f)
{
    vc_th_mem(&r->t);
    r->d = vc_net_create(&r->t.tm.mem, NULL);
    r->ctrl = f & F_MQ ? 4 : 2;
    VC_CHECK(vc_th_start(&r->t, r->d, f, r->ctrl + 1u, 16));
    r->buf = vc_testmem_alloc(&r->t.tm, 1 << 16, 4096);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
}

/* Transmits a frame to dst with an optional VLAN tag on queue pair p. */
static void xmit(rig *r, unsigned p, const uint8_t *dst, int vlan, uint32_t payload)
{
    uint8_t f[12 + 1600] = { 0 }; /* net header, then the frame */
    uint8_t *e = f + 12;
    memcpy(e, dst, 6);
    memcpy(e + 6, "\x52\x54\x00\x00\x00\x01", 6);
    uint32_t n = 12;
    if (vlan >= 0) {
        e[n] = 0x81;
        e[n + 2] = (uint8_t)(vlan >> 8);
        e[n + 3] = (uint8_t)vlan;
        n += 4;
    }
    e[n] = 0x88;
    e[n + 1] = 0xb5; /* local experimental ethertype */
    n += 2;
    for (uint32_t i = 0; i < payload; i++)
        e[n + i] = (uint8_t)i;
    vc_gmem_write(&r->t.tm.mem, r->buf + 0x8000, f, 12 + n + payload);
    vc_seg sg = { r->buf + 0x8000, 12 + n + payload, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, 2 * p + 1, &sg, 1, 0, false), 0);
}

static void post_rx(rig *r, unsigned p, unsigned n, uint32_t len)
{
    for (unsigned i = 0; i < n; i++) {
        vc_seg sg = { r->buf + i * 2048, len, true };
        VC_CHECK(vc_th_post(&r->t, 2 * p, &sg, 0, 1, i));
    }
}

static uint8_t ctrl(rig *r, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
    uint8_t m[256] = { cls, cmd };
    if (len)
        memcpy(m + 2, data, len);
    vc_gmem_write(&r->t.tm.mem, r->buf + 0xc000, m, 2 + len);
    vc_gmem_st16(&r->t.tm.mem, r->buf + 0xd000, 0xee);
    vc_seg sg[2] = { { r->buf + 0xc000, 2 + len, false }, { r->buf + 0xd000, 1, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, r->ctrl, sg, 1, 1, false), 1);
    uint8_t ack = 0xee;
    vc_gmem_read(&r->t.tm.mem, r->buf + 0xd000, &ack, 1);
    return ack;
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 9 };
static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };

static void loopback_case(uint64_t f)
{
    rig r;
    rig_init(&r, f);
    post_rx(&r, 0, 4, 1526);
    xmit(&r, 0, bcast, -1, 100);
    uint32_t tok, len;
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    VC_CHECK_EQ(len, 12 + 14 + 100);
    uint8_t got[64];
    vc_gmem_read(&r.t.tm.mem, r.buf + tok * 2048, got, 64);
    VC_CONFORMS(REQ_DEV_NET_RX_5);
    VC_CHECK_EQ(got[0], 0); /* flags: fully checksummed, nothing to finish */
    VC_CONFORMS(REQ_DEV_NET_RX_18);
    VC_CHECK_EQ(got[1], 0); /* gso_type NONE */
    VC_CONFORMS(REQ_DEV_NET_RXBUF_1);
    VC_CHECK_EQ(got[10], 1); /* num_buffers */
    VC_CONFORMS(NULL);
    VC_CHECK(memcmp(got + 12, bcast, 6) == 0);
    VC_CHECK_EQ(got[12 + 14 + 5], 5);
    vc_net_stats st = vc_net_get_stats(r.d);
    VC_CHECK_EQ(st.tx_frames, 1);
    VC_CHECK_EQ(st.rx_frames, 1);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(loopback_split) { loopback_case(F_ALL); }
VC_TEST(loopback_packed) { loopback_case(F_ALL | F_PACKED); }

VC_TEST(mergeable_buffers)
{
    rig r;
    rig_init(&r, F_V1 | F_MRG);
    post_rx(&r, 0, 1, 512);
    xmit(&r, 0, bcast, -1, 1200); /* needs three 512-byte buffers */
    uint32_t tok, len;
    VC_CONFORMS(REQ_DEV_NET_RX_4); /* all buffers of a packet published together */
    VC_CHECK(!vc_th_used(&r.t, 0, &tok, &len)); /* waits for enough buffers */
    vc_seg sg[2] = { { r.buf + 2048, 512, true }, { r.buf + 4096, 512, true } };
    vc_th_post(&r.t, 0, &sg[0], 0, 1, 1);
    vc_th_post(&r.t, 0, &sg[1], 0, 1, 2);
    uint32_t total = 0;
    VC_CONFORMS(REQ_DEV_NET_RX_3); /* all but the last buffer full */
    for (int i = 0; i < 3; i++) {
        VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
        VC_CHECK_EQ(tok, (uint32_t)i);
        if (i < 2)
            VC_CHECK_EQ(len, 512);
        total += len;
    }
    VC_CHECK_EQ(total, 12 + 14 + 1200);
    uint8_t h[12];
    vc_gmem_read(&r.t.tm.mem, r.buf, h, 12);
    VC_CONFORMS(REQ_DEV_NET_RX_2);
    VC_CHECK_EQ(h[10], 3);
    VC_CONFORMS(NULL);
    /* a buffer smaller than the header (drv.net_rxbuf.3) */
    vc_seg tiny = { r.buf, 8, true };
    vc_th_post(&r.t, 0, &tiny, 0, 1, 5);
    VC_CHECK(vc_th_fault(&r.t, "NET_RX_BUFFER_SMALL"));
    rig_free(&r);
}

VC_TEST(receive_filter)
{
    rig r;
    rig_init(&r, F_ALL);
    post_rx(&r, 0, 8, 1526);
    uint8_t off = 0, on = 1;
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_1);
    VC_CHECK_EQ(ctrl(&r, 0, 0, &off, 1), 0); /* promiscuous off */
    VC_CONFORMS(REQ_DEV_NET_CTRL_MAC_4);
    xmit(&r, 0, other, -1, 10);               /* neither our MAC nor in a table */
    xmit(&r, 0, mcast, -1, 10);
    uint8_t own[6];
    vc_dev_config_read(r.d, 0, own, 6);
    xmit(&r, 0, own, -1, 10);
    vc_net_stats st = vc_net_get_stats(r.d);
    VC_CHECK_EQ(st.rx_filtered, 2);
    VC_CHECK_EQ(st.rx_frames, 1);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_4);
    VC_CHECK_EQ(ctrl(&r, 0, 1, &on, 1), 0); /* all-multicast */
    xmit(&r, 0, mcast, -1, 10);
    VC_CONFORMS(REQ_DEV_NET_CTRL_MAC_2);
    /* MAC table: one unicast entry, no multicast */
    uint8_t table[4 + 6 + 4] = { 1, 0, 0, 0 };
    memcpy(table + 4, other, 6);
    VC_CHECK_EQ(ctrl(&r, 1, 0, table, sizeof(table)), 0);
    xmit(&r, 0, other, -1, 10);
    st = vc_net_get_stats(r.d);
    VC_CHECK_EQ(st.rx_frames, 3);
    /* VLAN: tagged frames pass only when the id was added */
    VC_CONFORMS(REQ_DEV_NET_CTRL_VLAN_2);
    xmit(&r, 0, own, 5, 10);
    uint16_t vid = 5;
    VC_CHECK_EQ(ctrl(&r, 2, 0, &vid, 2), 0);
    xmit(&r, 0, own, 5, 10);
    st = vc_net_get_stats(r.d);
    VC_CHECK_EQ(st.rx_filtered, 3);
    VC_CHECK_EQ(st.rx_frames, 4);
    VC_CONFORMS(NULL);
    /* a malformed table and an unknown class are refused, not faults */
    uint8_t bad[4] = { 200, 0, 0, 0 };
    VC_CHECK_EQ(ctrl(&r, 1, 0, bad, 4), 1);
    VC_CHECK_EQ(ctrl(&r, 77, 0, NULL, 0), 1);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(queue_pairs)
{
    rig r;
    rig_init(&r, F_ALL);
    post_rx(&r, 0, 2, 1526);
    post_rx(&r, 1, 2, 1526);
    uint32_t tok, len;
    VC_CONFORMS(REQ_DEV_NET_CTRL_MQ_1);
    xmit(&r, 1, bcast, -1, 10); /* before VQ_PAIRS_SET: received on queue 0 */
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    VC_CHECK(!vc_th_used(&r.t, 2, &tok, &len));
    uint16_t one = 1, two = 2, three = 3;
    VC_CHECK_EQ(ctrl(&r, 4, 0, &two, 2), 0);
    xmit(&r, 1, bcast, -1, 10);
    VC_CHECK(vc_th_used(&r.t, 2, &tok, &len));
    VC_CONFORMS(REQ_DEV_NET_CTRL_MQ_2);
    VC_CHECK_EQ(ctrl(&r, 4, 0, &one, 2), 0);
    xmit(&r, 1, bcast, -1, 10); /* back to one pair: queue 2 is no longer used */
    VC_CHECK(!vc_th_used(&r.t, 2, &tok, &len));
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(ctrl(&r, 4, 0, &three, 2), 1);
    VC_CHECK(vc_th_fault(&r.t, "NET_MQ_PAIRS")); /* drv.net_ctrl_mq.2 */
    rig_free(&r);
}

VC_TEST(malformed_transmit)
{
    rig r;
    rig_init(&r, F_ALL);
    post_rx(&r, 0, 4, 1526);
    uint8_t h[12 + 20] = { 1 }; /* NEEDS_CSUM without CSUM */
    vc_gmem_write(&r.t.tm.mem, r.buf + 0x8000, h, sizeof(h));
    vc_seg sg = { r.buf + 0x8000, sizeof(h), false };
    vc_th_roundtrip(&r.t, 1, &sg, 1, 0, false);
    VC_CHECK(vc_th_fault(&r.t, "NET_TX_CSUM"));
    h[0] = 0;
    h[1] = 1; /* gso TCPV4 without HOST_TSO4 */
    vc_gmem_write(&r.t.tm.mem, r.buf + 0x8000, h, sizeof(h));
    vc_th_roundtrip(&r.t, 1, &sg, 1, 0, false);
    VC_CHECK(vc_th_fault(&r.t, "NET_TX_GSO"));
    h[1] = 0;
    h[10] = 2; /* num_buffers on transmit */
    vc_gmem_write(&r.t.tm.mem, r.buf + 0x8000, h, sizeof(h));
    vc_th_roundtrip(&r.t, 1, &sg, 1, 0, false);
    VC_CHECK(vc_th_fault(&r.t, "NET_TX_NUM_BUFFERS"));
    vc_seg shorth = { r.buf + 0x8000, 6, false };
    vc_th_roundtrip(&r.t, 1, &shorth, 1, 0, false);
    VC_CHECK(vc_th_fault(&r.t, "NET_TX_LAYOUT"));
    vc_seg big = { r.buf, 12 + 1600, false };
    vc_th_roundtrip(&r.t, 1, &big, 1, 0, false);
    VC_CHECK(vc_th_fault(&r.t, "NET_TX_OVER_MTU")); /* drv.net_cfg.8 */
    vc_seg noack = { r.buf, 4, false };
    vc_th_roundtrip(&r.t, r.ctrl, &noack, 1, 0, false);
    VC_CHECK(vc_th_fault(&r.t, "NET_CTRL_LAYOUT"));
    VC_CHECK(!(vc_dev_status(r.d) & VC_STATUS_NEEDS_RESET));
    rig_free(&r);
}

VC_TEST(link_status)
{
    rig r;
    rig_init(&r, F_ALL);
    unsigned irqs = r.t.irqs;
    vc_net_set_link(r.d, false);
    uint16_t st = 1;
    vc_dev_config_read(r.d, 6, &st, 2);
    VC_CHECK_EQ(st, 0);
    VC_CHECK(r.t.irqs > irqs);
    rig_free(&r);
}

VC_TEST(config_and_mac_set)
{
    rig r;
    rig_init(&r, F_ALL | F_CTRL_MAC_ADDR);
    uint16_t pairs = 0, mtu = 0;
    vc_dev_config_read(r.d, 8, &pairs, 2);
    vc_dev_config_read(r.d, 10, &mtu, 2);
    VC_CONFORMS(REQ_DEV_NET_CFG_1);
    VC_CHECK(pairs >= 1 && pairs <= 0x8000);
    VC_CONFORMS(REQ_DEV_NET_CFG_2);
    VC_CHECK(mtu >= 68);
    VC_CONFORMS(REQ_DEV_NET_CFG_3);
    VC_CHECK(mtu >= 1280);
    /* ADDR_SET: the new address is in config by the time the command completes */
    VC_CONFORMS(REQ_DEV_NET_CTRL_MAC_3);
    VC_CHECK_EQ(ctrl(&r, 1, 1, other, 6), 0);
    uint8_t mac[6];
    vc_dev_config_read(r.d, 0, mac, 6);
    VC_CHECK(memcmp(mac, other, 6) == 0);
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

/* Re-runs the bring-up after a device reset (the rings of the first one freed). */
static void rig_restart(rig *r, uint64_t f)
{
    for (unsigned i = 0; i < VC_DEV_MAX_QUEUES; i++)
        vc_vq_drv_free(&r->t.q[i]);
    memset(r->t.q, 0, sizeof r->t.q);
    r->ctrl = f & F_MQ ? 4 : 2;
    VC_CHECK(vc_th_start(&r->t, r->d, f, r->ctrl + 1u, 16));
}

VC_TEST(mac_table_empty_after_reset)
{
    rig r;
    rig_init(&r, F_ALL);
    post_rx(&r, 0, 4, 1526);
    uint8_t off = 0;
    uint8_t table[4 + 6 + 4] = { 1, 0, 0, 0 };
    memcpy(table + 4, other, 6);
    VC_CHECK_EQ(ctrl(&r, 0, 0, &off, 1), 0);
    VC_CHECK_EQ(ctrl(&r, 1, 0, table, sizeof(table)), 0);
    xmit(&r, 0, other, -1, 10); /* in the table: received */
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_frames, 1);
    rig_restart(&r, F_ALL);
    post_rx(&r, 0, 4, 1526);
    VC_CHECK_EQ(ctrl(&r, 0, 0, &off, 1), 0);
    VC_CONFORMS(REQ_DEV_NET_CTRL_MAC_1);
    xmit(&r, 0, other, -1, 10); /* the table is empty again: filtered */
    vc_net_stats st = vc_net_get_stats(r.d);
    VC_CHECK_EQ(st.rx_frames, 1);
    VC_CHECK_EQ(st.rx_filtered, 1);
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(vlan_without_ctrl_vlan_and_promisc)
{
    rig r;
    rig_init(&r, F_ALL & ~F_CTRL_VLAN);
    post_rx(&r, 0, 4, 1526);
    uint8_t off = 0, on = 1, own[6];
    vc_dev_config_read(r.d, 0, own, 6);
    VC_CHECK_EQ(ctrl(&r, 0, 0, &off, 1), 0);
    VC_CONFORMS(REQ_DEV_NET_CTRL_VLAN_1);
    xmit(&r, 0, own, 5, 10); /* no VLAN filtering negotiated: every tag passes */
    xmit(&r, 0, own, 4000, 10);
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_frames, 2);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_2);
    xmit(&r, 0, other, -1, 10); /* promiscuous off: filtered */
    VC_CHECK_EQ(ctrl(&r, 0, 0, &on, 1), 0);
    xmit(&r, 0, other, -1, 10); /* on: received */
    vc_net_stats st = vc_net_get_stats(r.d);
    VC_CHECK_EQ(st.rx_frames, 3);
    VC_CHECK_EQ(st.rx_filtered, 1);
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(transmit_header_fields_ignored)
{
    rig r;
    rig_init(&r, F_ALL);
    post_rx(&r, 0, 4, 1526);
    /* hdr_len, csum_start and csum_offset set, flags and gso_type clear */
    uint8_t f[12 + 14 + 40] = { 0, 0, 40, 0, 0, 0, 16, 0, 2, 0 };
    memcpy(f + 12, bcast, 6);
    f[12 + 12] = 0x88;
    f[12 + 13] = 0xb5;
    for (unsigned i = 12 + 14; i < sizeof f; i++)
        f[i] = (uint8_t)(i * 7);
    vc_gmem_write(&r.t.tm.mem, r.buf + 0x8000, f, sizeof f);
    vc_seg sg = { r.buf + 0x8000, sizeof f, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, &sg, 1, 0, false), 0);
    uint32_t tok, len;
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    uint8_t got[sizeof f];
    vc_gmem_read(&r.t.tm.mem, r.buf + tok * 2048, got, sizeof got);
    VC_CONFORMS(REQ_DEV_NET_TX_2);
    VC_CHECK(memcmp(got + 12, f + 12, sizeof f - 12) == 0); /* no checksum written into the frame */
    VC_CONFORMS(REQ_DEV_NET_TX_7);
    VC_CHECK_EQ(len, sizeof f); /* hdr_len did not shape the frame */
    VC_CONFORMS(REQ_DEV_NET_RXBUF_2);
    VC_CHECK(!vc_th_used(&r.t, 0, &tok, &len)); /* one buffer for the whole frame */
    VC_CONFORMS(REQ_DEV_NET_RX_21);
    VC_CHECK_EQ(got[0] & 4, 0); /* no RSC_INFO without RSC_EXT */
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

int main(void) { return vc_test_main(); }

/* The CTRL_RX_EXTRA modes and which setting wins (dev.net_ctrl_rx.3, .5-.13). */
VC_TEST(receive_filter_extra)
{
    rig r;
    rig_init(&r, F_ALL | 1ull << VIRTIO_NET_F_CTRL_RX_EXTRA_BIT);
    post_rx(&r, 0, 16, 1526);
    uint8_t off = 0, on = 1, own[6];
    vc_dev_config_read(r.d, 0, own, 6);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_5);
    VC_CHECK_EQ(ctrl(&r, 0, 0, &off, 1), 0);
    VC_CHECK_EQ(ctrl(&r, 0, 1, &on, 1), 0); /* all-multicast */
    VC_CHECK_EQ(ctrl(&r, 0, 2, &on, 1), 0); /* all-unicast */
    VC_CHECK_EQ(ctrl(&r, 0, 6, &on, 1), 1); /* no such mode */
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_6);
    xmit(&r, 0, other, -1, 10);
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_frames, 1);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_11); /* no-unicast over all-unicast */
    VC_CHECK_EQ(ctrl(&r, 0, 4, &on, 1), 0);
    xmit(&r, 0, other, -1, 10);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_10);
    xmit(&r, 0, own, -1, 10);
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_filtered, 2);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_3); /* promiscuous over no-unicast */
    VC_CHECK_EQ(ctrl(&r, 0, 0, &on, 1), 0);
    xmit(&r, 0, other, -1, 10);
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_frames, 2);
    VC_CHECK_EQ(ctrl(&r, 0, 0, &off, 1), 0);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_8); /* no-multicast over all-multicast */
    VC_CHECK_EQ(ctrl(&r, 0, 3, &on, 1), 0);
    xmit(&r, 0, mcast, -1, 10);
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_filtered, 3);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_9); /* broadcast is not multicast to it */
    xmit(&r, 0, bcast, -1, 10);
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_frames, 3);
    VC_CONFORMS(REQ_DEV_NET_CTRL_RX_13); /* no-broadcast over all-multicast */
    VC_CHECK_EQ(ctrl(&r, 0, 3, &off, 1), 0);
    VC_CHECK_EQ(ctrl(&r, 0, 5, &on, 1), 0);
    xmit(&r, 0, bcast, -1, 10);
    VC_CHECK_EQ(vc_net_get_stats(r.d).rx_filtered, 4);
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
    /* without CTRL_RX_EXTRA the extra modes are refused */
    rig_init(&r, F_ALL);
    VC_CHECK_EQ(ctrl(&r, 0, 2, &on, 1), 1);
    rig_free(&r);
}

VC_TEST(speed_and_duplex)
{
    rig r;
    rig_init(&r, F_ALL | 1ull << VIRTIO_NET_F_SPEED_DUPLEX_BIT);
    uint32_t speed = 0;
    uint8_t duplex = 0x55;
    vc_dev_config_read(r.d, 12, &speed, 4);
    vc_dev_config_read(r.d, 16, &duplex, 1);
    VC_CONFORMS(REQ_DEV_NET_CFG_10);
    VC_CHECK(speed <= 0x7fffffffu || speed == 0xffffffffu);
    VC_CONFORMS(REQ_DEV_NET_CFG_11);
    VC_CHECK(duplex <= 1 || duplex == 0xff);
    VC_CONFORMS(NULL);
    rig_free(&r);
}

/* A host-side announcement sets ANNOUNCE; the ACK clears it before it
 * completes (dev.net_ctrl_announce.1). */
VC_TEST(guest_announce)
{
    rig r;
    rig_init(&r, F_ALL | 1ull << VIRTIO_NET_F_GUEST_ANNOUNCE_BIT);
    uint32_t gen = r.d->config_generation;
    VC_CHECK(vc_net_announce(r.d));
    VC_CHECK(r.d->config_generation != gen);
    uint16_t st = 0;
    vc_dev_config_read(r.d, 6, &st, 2);
    VC_CHECK_EQ(st, 3); /* link up, announce */
    VC_CONFORMS(REQ_DEV_NET_CTRL_ANNOUNCE_1);
    VC_CHECK_EQ(ctrl(&r, 3, 0, NULL, 0), 0);
    vc_dev_config_read(r.d, 6, &st, 2);
    VC_CHECK_EQ(st, 1);
    VC_CONFORMS(NULL);
    rig_free(&r);
    /* not negotiated: nothing to announce, the command refused */
    rig_init(&r, F_ALL);
    VC_CHECK(!vc_net_announce(r.d));
    VC_CHECK_EQ(ctrl(&r, 3, 0, NULL, 0), 1);
    rig_free(&r);
}

/* Frames from the wire: over mtu plus the Ethernet header dropped with MTU
 * negotiated (dev.net_cfg.5), taken without it. */
VC_TEST(receive_over_mtu)
{
    uint8_t f[1514];
    memset(f, 0xff, 6);
    memset(f + 6, 0x02, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    uint16_t mtu = 0;
    for (int with = 1; with >= 0; with--) {
        rig r;
        rig_init(&r, with ? F_ALL : F_ALL & ~F_MTU);
        post_rx(&r, 0, 4, 1536);
        vc_dev_config_read(r.d, 10, &mtu, 2);
        VC_CHECK(mtu + 14u < sizeof f);
        VC_CONFORMS(with ? REQ_DEV_NET_CFG_5 : NULL);
        VC_CHECK_EQ(vc_net_receive(r.d, f, sizeof f), !with);
        VC_CONFORMS(REQ_DEV_NET_CFG_6); /* a full-size one still passes */
        VC_CHECK(vc_net_receive(r.d, f, mtu + 14u));
        VC_CONFORMS(NULL);
        uint32_t tok, len;
        VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
        VC_CHECK_EQ(len, 12 + (with ? mtu + 14u : sizeof f));
        rig_free(&r);
    }
}

/* UDP-tunnel GSO headers the device must not accept: both tunnel bits
 * (dev.net_tx.8), a tunnel bit without NEEDS_CSUM (dev.net_tx.10). */
VC_TEST(tunnel_gso_refused)
{
    rig r;
    rig_init(&r, F_ALL);
    post_rx(&r, 0, 4, 1526);
    static const uint8_t gso[2] = { 0x61, 0x21 }, flags[2] = { 1, 0 };
    for (unsigned k = 0; k < 2; k++) {
        uint8_t f[12 + 60] = { 0 };
        f[0] = flags[k];
        f[1] = gso[k];
        memcpy(f + 12, bcast, 6);
        f[24] = 0x88;
        f[25] = 0xb5;
        vc_gmem_write(&r.t.tm.mem, r.buf + 0x8000, f, sizeof f);
        vc_seg sg = { r.buf + 0x8000, sizeof f, false };
        VC_CONFORMS(k ? REQ_DEV_NET_TX_10 : REQ_DEV_NET_TX_8);
        VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, &sg, 1, 0, false), 0);
        VC_CHECK_EQ(vc_net_get_stats(r.d).rx_frames, 0);
        VC_CONFORMS(NULL);
    }
    VC_CHECK(vc_th_fault(&r.t, "NET_TX_GSO"));
    rig_free(&r);
}
