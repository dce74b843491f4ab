/* Net transmit offloads (refdev/src/drvrules_net_offload.c, model_net.c
 * with the offload option): each checksum / GSO header rule is broken once
 * and kept once against a real TCP frame, and the model takes GSO packets
 * and fills in a requested checksum on the looped-back frame. */
#include <string.h>

#include "devharness.h"
#include "drvrules_obs.h"
#include "refdev/models.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"
#include "vc_test.h"

#define BIT(b) (1ull << (b))
#define F_BASE (BIT(VC_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF_BIT) | BIT(VIRTIO_NET_F_CSUM_BIT) | \
                BIT(VIRTIO_NET_F_HOST_TSO4_BIT) | BIT(VIRTIO_NET_F_HOST_TSO6_BIT))
#define F_ECN BIT(VIRTIO_NET_F_HOST_ECN_BIT)
#define F_HDRLEN BIT(VIRTIO_NET_F_GUEST_HDRLEN_BIT)
#define PAY 3000u

typedef struct rig {
    vc_th t;
    vc_dev *d;
    obs o;
    uint64_t buf;
} rig;

static void rig_init(rig *r, uint64_t f)
{
    vc_th_mem(&r->t);
    vc_model_opts o = { .offload = true };
    r->d = vc_net_create(&r->t.tm.mem, &o);
    r->d->offered |= F_HDRLEN; /* QEMU 7.2 never offers it: here only to reach drv.net_tx.21 */
    VC_CHECK(vc_th_start(&r->t, r->d, f, 2, 16));
    obs_attach(&r->o, r->d);
    r->buf = vc_testmem_alloc(&r->t.tm, 1 << 16, 4096);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

typedef struct hdr {
    uint8_t flags, gso;
    uint16_t hdr_len, gso_size, cstart, coff;
} hdr;

/* A 12-byte header and a TCPv4 (or v6) frame with payload bytes and the
 * TCP flags; the TCP checksum field holds the pseudo-header sum. */
static void xmit(rig *r, hdr h, bool v6, unsigned payload, uint8_t tcp_flags)
{
    static uint8_t p[12 + 74 + PAY];
    memset(p, 0, sizeof(p));
    p[0] = h.flags;
    p[1] = h.gso;
    put16(p + 2, h.hdr_len);
    put16(p + 4, h.gso_size);
    put16(p + 6, h.cstart);
    put16(p + 8, h.coff);
    uint8_t *f = p + 12;
    memset(f, 0xff, 6); /* broadcast: the filter takes it */
    f[6] = 2;
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xdd : 0x00;
    unsigned l4 = v6 ? 54 : 34, tcp_len = 20 + payload;
    uint32_t ps = 6 + tcp_len;
    if (v6) {
        f[14] = 0x60;
        f[18] = (uint8_t)(tcp_len >> 8);
        f[19] = (uint8_t)tcp_len;
        f[20] = 6;
    } else {
        f[14] = 0x45;
        f[16] = (uint8_t)((20 + tcp_len) >> 8);
        f[17] = (uint8_t)(20 + tcp_len);
        f[23] = 6;
        f[26] = 10;
        f[30] = 10;
        f[33] = 1;
        ps += (10u << 8) + (10u << 8) + 1; /* addresses 10.0.0.0 -> 10.0.0.1 */
    }
    f[l4 + 12] = 0x50;
    f[l4 + 13] = tcp_flags;
    while (ps >> 16)
        ps = (ps & 0xffff) + (ps >> 16);
    f[l4 + 16] = (uint8_t)(ps >> 8);
    f[l4 + 17] = (uint8_t)ps;
    for (unsigned i = 0; i < payload; i++)
        f[l4 + 20 + i] = (uint8_t)(i * 7);
    uint32_t n = 12 + l4 + tcp_len;
    vc_gmem_write(&r->t.tm.mem, r->buf, p, n);
    vc_seg sg = { r->buf, n, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, 1, &sg, 1, 0, false), 0);
}

static const hdr GSO4 = { 1, 1, 54, 1448, 34, 16 };

/* One header breaks want (one fault) and keeps the others it is judged on. */
static void one(uint64_t f, hdr h, bool v6, uint8_t tcp_flags, const char *want, const char *const *kept, unsigned nk)
{
    rig r;
    rig_init(&r, f);
    xmit(&r, h, v6, PAY, tcp_flags);
    if (want) {
        VC_CHECK_EQ(faults_of(r.d, want), 1);
        VC_CHECK_EQ(obs_kept(&r.o, want), 0);
    }
    VC_CHECK_EQ(r.d->nfaults, want ? 1u : 0u);
    for (unsigned i = 0; i < nk; i++) {
        if (obs_kept(&r.o, kept[i]) != 1)
            fprintf(stderr, "  %s not kept\n", kept[i]);
        VC_CHECK_EQ(obs_kept(&r.o, kept[i]), 1);
    }
    rig_free(&r);
}

#define ONE(f, h, v6, tf, want, ...)                                 \
    do {                                                             \
        static const char *const k[] = { __VA_ARGS__ };              \
        one(f, h, v6, tf, want, k, sizeof(k) / sizeof(k[0]));        \
    } while (0)

VC_TEST(gso_tcp_conforming)
{
    rig r;
    rig_init(&r, F_BASE);
    xmit(&r, GSO4, false, PAY, 0x18);
    hdr h6 = { 1, 4, 74, 1428, 54, 16 };
    xmit(&r, h6, true, PAY, 0x18);
    static const char *const k[] = { REQ_DRV_NET_TX_17, REQ_DRV_NET_TX_18, REQ_DRV_NET_TX_20, REQ_DRV_NET_TX_22,
                                     REQ_DRV_NET_TX_5, REQ_DRV_NET_TX_6 };
    for (unsigned i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        VC_CHECK_EQ(obs_kept(&r.o, k[i]), 2);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_TX_9), 0); /* no CWR, no ECN bit: nothing to judge */
    VC_CHECK_EQ(r.d->nfaults, 0);
    VC_CHECK_EQ(vc_net_get_stats(r.d).tx_gso, 2); /* taken, not refused as drv.net_tx.19 */
    rig_free(&r);
}

VC_TEST(gso_needs_csum_and_mss)
{
    hdr h = GSO4;
    h.flags = 0;
    ONE(F_BASE, h, false, 0x18, REQ_DRV_NET_TX_20, REQ_DRV_NET_TX_18, REQ_DRV_NET_TX_22);
    h = GSO4;
    h.gso_size = 0;
    ONE(F_BASE, h, false, 0x18, REQ_DRV_NET_TX_20, REQ_DRV_NET_TX_17, REQ_DRV_NET_TX_18);
}

VC_TEST(gso_csum_names_the_tcp_header)
{
    hdr h = GSO4;
    h.cstart = 14; /* the IP header */
    h.coff = 10;
    ONE(F_BASE, h, false, 0x18, REQ_DRV_NET_TX_18, REQ_DRV_NET_TX_17, REQ_DRV_NET_TX_20);
    h = GSO4;
    h.coff = 6; /* UDP's checksum place in a TCP packet */
    ONE(F_BASE, h, false, 0x18, REQ_DRV_NET_TX_18, REQ_DRV_NET_TX_17, REQ_DRV_NET_TX_20);
}

VC_TEST(csum_inside_the_packet)
{
    hdr h = { 1, 0, 54, 0, 34, 16 };
    ONE(F_BASE, h, false, 0x18, NULL, REQ_DRV_NET_TX_17, REQ_DRV_NET_TX_22);
    h.cstart = 34 + 20 + PAY - 17; /* the field's second byte past the end */
    ONE(F_BASE, h, false, 0x18, REQ_DRV_NET_TX_17, REQ_DRV_NET_TX_22);
}

VC_TEST(ecn)
{
    hdr h = GSO4;
    h.gso = 0x81;
    ONE(F_BASE | F_ECN, h, false, 0x98, NULL, REQ_DRV_NET_TX_9, REQ_DRV_NET_TX_18);
    h.gso = 1; /* CWR set, segmentation asked without the ECN bit */
    ONE(F_BASE | F_ECN, h, false, 0x98, REQ_DRV_NET_TX_9, REQ_DRV_NET_TX_18);
    ONE(F_BASE, h, false, 0x98, REQ_DRV_NET_TX_9, REQ_DRV_NET_TX_18); /* CWR without HOST_ECN */
    h.gso = 0x81; /* the ECN bit without HOST_ECN */
    ONE(F_BASE, h, false, 0x18, REQ_DRV_NET_TX_9, REQ_DRV_NET_TX_18);
}

VC_TEST(hdr_len)
{
    hdr h = GSO4;
    h.hdr_len = 40; /* short of the TCP header */
    ONE(F_BASE, h, false, 0x18, REQ_DRV_NET_TX_22, REQ_DRV_NET_TX_18, REQ_DRV_NET_TX_20);
    h.hdr_len = 200; /* more is allowed without GUEST_HDRLEN */
    ONE(F_BASE, h, false, 0x18, NULL, REQ_DRV_NET_TX_22);
    hdr c = { 1, 0, 0, 0, 34, 16 }; /* checksum only, hdr_len left 0 */
    ONE(F_BASE, c, false, 0x18, REQ_DRV_NET_TX_22, REQ_DRV_NET_TX_17);
    ONE(F_BASE | F_HDRLEN, h, false, 0x18, REQ_DRV_NET_TX_21, REQ_DRV_NET_TX_18); /* exact with GUEST_HDRLEN */
    ONE(F_BASE | F_HDRLEN, GSO4, false, 0x18, NULL, REQ_DRV_NET_TX_21);
}

VC_TEST(unparsable_frame_not_judged)
{
    rig r;
    rig_init(&r, F_BASE);
    uint8_t p[12 + 60] = { 1, 1 }; /* GSO on an experimental ethertype, no TCP header */
    put16(p + 4, 1448);
    put16(p + 6, 14);
    put16(p + 8, 0);
    p[12 + 12] = 0x88;
    p[12 + 13] = 0xb5;
    vc_gmem_write(&r.t.tm.mem, r.buf, p, sizeof(p));
    vc_seg sg = { r.buf, sizeof(p), false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, &sg, 1, 0, false), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_TX_18), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_TX_22), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_TX_20), 1);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

/* Headers that claim more than the frame holds (IPv4 options and a TCP
 * header past its end): nothing read beyond it, no transport verdict. */
VC_TEST(truncated_headers_not_judged)
{
    rig r;
    rig_init(&r, F_BASE);
    uint8_t p[12 + 14 + 60 + 30] = { 1, 1 };
    put16(p + 2, 54);
    put16(p + 4, 1448);
    put16(p + 6, 74);
    put16(p + 8, 16);
    uint8_t *f = p + 12;
    f[12] = 0x08;
    f[14] = 0x4f; /* 60-byte IPv4 header */
    f[23] = 6;
    f[74 + 12] = 0xf0; /* 60-byte TCP header: 30 bytes are there */
    vc_gmem_write(&r.t.tm.mem, r.buf, p, sizeof(p));
    vc_seg sg = { r.buf, sizeof(p), false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 1, &sg, 1, 0, false), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_TX_18), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_NET_TX_22), 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_NET_TX_18), 0);
    rig_free(&r);
}

/* The looped-back frame carries the checksum the driver asked for: the
 * TCP sum over pseudo-header and segment verifies. */
VC_TEST(model_fills_in_the_checksum)
{
    rig r;
    rig_init(&r, F_BASE);
    vc_seg rx = { r.buf + 0x8000, 2048, true };
    VC_CHECK(vc_th_post(&r.t, 0, &rx, 0, 1, 7));
    hdr h = { 1, 0, 54, 0, 34, 16 };
    xmit(&r, h, false, 100, 0x18);
    uint32_t tok, len;
    VC_CHECK(vc_th_used(&r.t, 0, &tok, &len));
    VC_CHECK_EQ(len, 12 + 34 + 20 + 100);
    uint8_t f[34 + 120];
    vc_gmem_read(&r.t.tm.mem, r.buf + 0x8000 + 12, f, sizeof(f));
    uint32_t s = 6 + 120 + (10u << 8) + (10u << 8) + 1;
    for (unsigned i = 34; i < sizeof(f); i += 2)
        s += (uint32_t)f[i] << 8 | f[i + 1];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    VC_CHECK_EQ(s, 0xffff);
    VC_CHECK_EQ(vc_net_get_stats(r.d).tx_csum, 1);
    rig_free(&r);
}

/* Without the offload option nothing changes: the flag is drv.net_tx.3. */
VC_TEST(no_offload_offered_by_default)
{
    vc_th t;
    vc_th_mem(&t);
    vc_dev *d = vc_net_create(&t.tm.mem, NULL);
    VC_CHECK(!(d->offered & BIT(VIRTIO_NET_F_CSUM_BIT)));
    VC_CHECK(!(d->offered & BIT(VIRTIO_NET_F_HOST_TSO4_BIT)));
    vc_model_free(d);
    vc_th_free(&t);
}

int main(void) { return vc_test_main(); }
