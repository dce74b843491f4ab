/* Net driver rules judged on the header of each transmitted packet and on
 * receive buffer sizes (refdev/src/drvrules_net.c): each breaks with its
 * exact requirement; a conforming driver's packets and buffers are reported
 * kept with no fault. */
#include <string.h>

#include "devharness.h"
#include "drvrules_obs.h"
#include "refdev/models.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_MRG (1ull << VIRTIO_NET_F_MRG_RXBUF_BIT)

typedef struct rig {
    vc_th t;
    vc_dev *d;
    obs o;
    uint64_t buf;
} rig;

static void rig_init(rig *r, uint64_t f, bool legacy)
{
    vc_th_mem(&r->t);
    r->d = vc_net_create(&r->t.tm.mem, NULL);
    r->d->legacy = legacy;
    bool ok = vc_th_start(&r->t, r->d, f, 2, 16); /* legacy: no FEATURES_OK to read back */
    VC_CHECK(ok != legacy);
    obs_attach(&r->o, r->d);
    r->buf = vc_testmem_alloc(&r->t.tm, 1 << 16, 4096);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
}

/* Transmits a broadcast frame behind a header with these flags and gso_type. */
static void xmit(rig *r, uint8_t flags, uint8_t gso)
{
    uint8_t p[12 + 60] = { flags, gso };
    memset(p + 12, 0xff, 6);
    p[12 + 12] = 0x88;
    p[12 + 13] = 0xb5;
    vc_gmem_write(&r->t.tm.mem, r->buf, p, sizeof(p));
    vc_seg sg = { r->buf, sizeof(p), false };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, 1, &sg, 1, 0, false), 0);
}

static const char *const TX_RULES[] = {
    REQ_DRV_NET_TX_5, REQ_DRV_NET_TX_6, REQ_DRV_NET_TX_7, REQ_DRV_NET_TX_8, REQ_DRV_NET_TX_12,
    REQ_DRV_NET_TX_13, REQ_DRV_NET_TX_14, REQ_DRV_NET_TX_15, REQ_DRV_NET_TX_16, REQ_DRV_NET_TX_27,
    REQ_DRV_NET_TX_28, REQ_DRV_NET_TX_31,
};
#define N_TX (sizeof(TX_RULES) / sizeof(TX_RULES[0]))

VC_TEST(conforming_tx_kept)
{
    rig r;
    rig_init(&r, F_V1 | F_MRG, false);
    xmit(&r, 0, 0);
    xmit(&r, 0, 0);
    for (unsigned i = 0; i < N_TX; i++) {
        VC_CHECK_EQ(obs_kept(&r.o, TX_RULES[i]), 2);
        VC_CHECK_EQ(faults_of(r.d, TX_RULES[i]), 0);
    }
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

/* Each header breaks exactly the rules listed (besides the model's own
 * drv.net_tx.19 / .30 for a gso_type or flag it does not offer). */
static void breaks(uint8_t flags, uint8_t gso, const char *const *want, unsigned nwant)
{
    rig r;
    rig_init(&r, F_V1 | F_MRG, false);
    xmit(&r, flags, gso);
    for (unsigned i = 0; i < N_TX; i++) {
        unsigned expect = 0;
        for (unsigned k = 0; k < nwant; k++)
            expect |= !strcmp(want[k], TX_RULES[i]);
        if (faults_of(r.d, TX_RULES[i]) != expect)
            fprintf(stderr, "  flags 0x%02x gso 0x%02x: %s %s\n", flags, gso, TX_RULES[i],
                    expect ? "not reported" : "reported");
        VC_CHECK_EQ(faults_of(r.d, TX_RULES[i]), expect);
        VC_CHECK_EQ(obs_kept(&r.o, TX_RULES[i]), !expect);
    }
    rig_free(&r);
}

#define BREAKS(flags, gso, ...)                                                        \
    do {                                                                              \
        static const char *const w[] = { __VA_ARGS__ };                                \
        breaks(flags, gso, w, sizeof(w) / sizeof(w[0]));                               \
    } while (0)

VC_TEST(gso_without_offload)
{
    BREAKS(1, 1, REQ_DRV_NET_TX_5);
    BREAKS(1, 4, REQ_DRV_NET_TX_6);
    BREAKS(1, 3, REQ_DRV_NET_TX_7);
    BREAKS(1, 5, REQ_DRV_NET_TX_8);
    BREAKS(1, 0x81, REQ_DRV_NET_TX_5); /* the ECN bit does not hide the type */
}

VC_TEST(tunnel_bits)
{
    BREAKS(1, 0x21, REQ_DRV_NET_TX_5, REQ_DRV_NET_TX_27);
    BREAKS(1, 0x61, REQ_DRV_NET_TX_5, REQ_DRV_NET_TX_27, REQ_DRV_NET_TX_15);
    BREAKS(1, 0x23, REQ_DRV_NET_TX_7, REQ_DRV_NET_TX_27, REQ_DRV_NET_TX_14);
    BREAKS(8, 0, REQ_DRV_NET_TX_13, REQ_DRV_NET_TX_28, REQ_DRV_NET_TX_16);
    BREAKS(9, 0x44, REQ_DRV_NET_TX_6, REQ_DRV_NET_TX_27, REQ_DRV_NET_TX_12,
           REQ_DRV_NET_TX_13, REQ_DRV_NET_TX_28);
    BREAKS(2, 0x21, REQ_DRV_NET_TX_5, REQ_DRV_NET_TX_27, REQ_DRV_NET_TX_31);
}

/* Receive buffers without MRG_RXBUF: n writable bytes on queue 0. */
static void post_rx(rig *r, uint32_t n)
{
    vc_seg sg = { r->buf + 0x4000, n, true };
    VC_CHECK(vc_th_post(&r->t, 0, &sg, 0, 1, 1));
}

VC_TEST(rx_buffer_sizes)
{
    rig r;
    rig_init(&r, F_V1, false);
    post_rx(&r, 1526); /* a full frame behind a 12-byte header */
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_RXBUF_4), 1);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_RXBUF_2), 1);
    VC_CHECK_EQ(r.d->nfaults, 0);
    post_rx(&r, 1525);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_RXBUF_2), 1);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_RXBUF_4), 0);
    post_rx(&r, 11); /* shorter than the header */
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_RXBUF_4), 1);
    rig_free(&r);
}

/* Legacy without ANY_LAYOUT: the header in a descriptor of its own, of
 * the receive header's size (12 with MRG_RXBUF) or not. */
static void tx_split(uint64_t f, uint32_t hdr, unsigned want_kept, unsigned want_faults)
{
    rig r;
    rig_init(&r, f, !(f & F_V1));
    uint8_t p[12 + 60] = { 0 };
    memset(p + 12, 0xff, 6);
    vc_gmem_write(&r.t.tm.mem, r.buf, p, sizeof(p));
    vc_seg sg[2] = { { r.buf, hdr, false }, { r.buf + 12, 60, false } };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, sg, 2, 0, false), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_TX_1), want_kept);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_TX_1), want_faults);
    rig_free(&r);
}

VC_TEST(tx_legacy_header_descriptor_size)
{
    tx_split(F_MRG, 12, 1, 0);
    tx_split(0, 10, 1, 0);
    tx_split(F_MRG, 10, 0, 1); /* a 10-byte header where receive ones are 12 */
    tx_split(0, 12, 0, 1);
    tx_split(F_V1 | F_MRG, 10, 0, 0); /* modern: any layout, the split is not visible */
}

VC_TEST(rx_legacy_header_is_10_bytes)
{
    rig r;
    rig_init(&r, 0, true);
    post_rx(&r, 1524);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_RXBUF_2), 1);
    post_rx(&r, 10);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_RXBUF_4), 2);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_RXBUF_4), 0);
    rig_free(&r);
}

VC_TEST(rx_mergeable_left_to_rxbuf_3)
{
    rig r;
    rig_init(&r, F_V1 | F_MRG, false);
    post_rx(&r, 100);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_RXBUF_2), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_RXBUF_4), 0);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(rx_mtu_buffer_held)
{
    rig r;
    rig_init(&r, F_V1 | 1ull << VIRTIO_NET_F_MTU_BIT, false);
    post_rx(&r, 1526); /* header, Ethernet header and the model's 1400-byte mtu, with room */
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_CFG_7), 1);
    post_rx(&r, 200); /* small, but the first one is still held */
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_CFG_7), 2);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_CFG_7), 0);
    xmit(&r, 0, 0); /* takes the big buffer */
    uint32_t tok, len;
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    xmit(&r, 0, 0); /* and the small one */
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    post_rx(&r, 200); /* nothing held takes an mtu-sized packet */
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_CFG_7), 1);
    rig_free(&r);
}

VC_TEST(rx_mtu_small_only_breaks_cfg7)
{
    rig r;
    rig_init(&r, F_V1 | 1ull << VIRTIO_NET_F_MTU_BIT, false);
    post_rx(&r, 12 + 14 + 1400 - 1); /* one byte short of the model's mtu (1400) */
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_CFG_7), 1);
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
