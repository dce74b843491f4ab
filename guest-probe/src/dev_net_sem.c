/* Network device semantics over the loopback backend: the receive filter
 * as the control commands set it (receive modes, MAC table, MAC address,
 * VLAN table), the MAC table a reset empties, queue pair selection, the
 * receive header's offload fields and mergeable buffers.
 *
 * Nothing here waits for a frame that must not come: every batch ends with
 * a broadcast marker, and the loopback keeps order (the runner's datagram
 * socket, the reference device's queue), so once the marker is back every
 * earlier frame of the batch that passed the filter is back too. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checks.h"
#include "clock.h"
#include "dev_net_sem.h"
#include "refdev/device.h" /* status bits */
#include "vc/req_ids.h"
#include "vc/spec_features.h"

const uint8_t VP_NS_U1[6] = {0x02, 0x76, 0x63, 0x00, 0x01, 0x01}; /* put in the MAC table */
const uint8_t VP_NS_U2[6] = {0x02, 0x76, 0x63, 0x00, 0x01, 0x02}; /* never in it */
const uint8_t VP_NS_M1[6] = {0x03, 0x76, 0x63, 0x00, 0x01, 0x01}; /* multicast, in the table */
const uint8_t VP_NS_M2[6] = {0x03, 0x76, 0x63, 0x00, 0x01, 0x02}; /* multicast, never in it */
const uint8_t VP_NS_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t A1[6] = {0x02, 0x76, 0x63, 0x00, 0x01, 0x0a}; /* the address ADDR_SET gives */

bool ns_has(const vp_drv *v, unsigned bit) { return v->features >> bit & 1; }

static void note(char *slot, size_t n, const char *fmt, unsigned a, unsigned b)
{
    if (!slot[0])
        snprintf(slot, n, fmt, a, b);
}

static void build(const ns *s, uint8_t *f, const txf *t, uint32_t nonce)
{
    memcpy(f, t->dst, 6);
    memcpy(f + 6, s->mac, 6);
    unsigned o = 12;
    if (t->vid) {
        f[12] = 0x81; /* 802.1Q tag */
        f[13] = 0x00;
        f[14] = (uint8_t)(t->vid >> 8 & 0x0f);
        f[15] = (uint8_t)t->vid;
        o = 16;
    }
    f[o] = 0x88; /* local experimental ethertype */
    f[o + 1] = 0xb5;
    memcpy(f + o + 2, "vconform", 8);
    for (unsigned i = 0; i < 4; i++)
        f[o + 10 + i] = (uint8_t)(nonce >> (8 * i));
    for (unsigned i = o + 14; i < t->len; i++)
        f[i] = (uint8_t)(i * 13 + nonce);
}

/* The nonce a received frame carries, or 0 when it is not one of ours. */
uint32_t ns_nonce_of(const uint8_t *f, uint32_t len)
{
    unsigned o = len >= 16 && f[12] == 0x81 && f[13] == 0x00 ? 16 : 12;
    if (len < o + 14 || f[o] != 0x88 || f[o + 1] != 0xb5 || memcmp(f + o + 2, "vconform", 8))
        return 0;
    return f[o + 10] | f[o + 11] << 8 | f[o + 12] << 16 | (uint32_t)f[o + 13] << 24;
}

/* One control command; the ack byte, or -1 after reporting the round-trip. */
static int ctrl(ns *s, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
    char err[128];
    uint8_t *h = vp_drv_host(s->v, s->cb, 256);
    h[0] = cls;
    h[1] = cmd;
    memcpy(h + 8, data, len);
    h[255] = 0xee;
    vc_seg sg[3] = {{s->cb, 2, false}, {s->cb + 8, len, false}, {s->cb + 255, 1, true}};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(s->v, s->ctrl_q, sg, 2, 1, false, &used, err, sizeof err);
    if (!vp_report_rt(s->v, "net.ctrl", REQ_DRV_IMPLIED_NET_CTRL_LAYOUT, rt, err))
        return -1;
    return h[255];
}

/* A command the device must carry out: its ack must be OK. */
bool ns_ctrl_ok(ns *s, const char *id, const char *reqs, uint8_t cls, uint8_t cmd, const void *data, uint32_t len)
{
    int ack = ctrl(s, cls, cmd, data, len);
    if (ack < 0)
        return false;
    char ob[32];
    snprintf(ob, sizeof ob, "ack %d", ack);
    return vp_expect(s->r, id, reqs, ack == 0, "ack 0 (OK)", ob, NULL);
}

static bool ctrl_byte(ns *s, const char *id, uint8_t cmd, uint8_t on)
{
    return ns_ctrl_ok(s, id, REQ_DEV_NET_CTRL_RX_1, CL_RX, cmd, &on, 1);
}

static bool ctrl_vlan(ns *s, const char *id, uint8_t cmd, uint16_t vid)
{
    uint8_t d[2] = {(uint8_t)vid, (uint8_t)(vid >> 8)};
    return ns_ctrl_ok(s, id, REQ_DEV_NET_CTRL_VLAN_2, CL_VLAN, cmd, d, 2);
}

/* The next used buffer of any pool in use, within timeout_ms. */
static vp_rt take_any(ns *s, unsigned timeout_ms, vp_net_pool **pp, uint32_t *tok, uint32_t *len, char *err,
                      size_t errlen)
{
    double end = vp_now_ms() + timeout_ms;
    for (;;) {
        for (unsigned k = 0; k < s->pairs; k++) {
            vp_rt rt = vp_drv_wait(s->v, s->rx[k].q, 0, tok, len, err, errlen);
            if (rt != VP_RT_TIMEOUT) {
                *pp = &s->rx[k];
                if (k == 1)
                    s->rx1_used = true;
                return rt;
            }
        }
        if (vp_now_ms() > end) {
            snprintf(err, errlen, "no receive buffer used within %u ms", timeout_ms);
            return VP_RT_TIMEOUT;
        }
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
}

/* Receives one frame (all its buffers with MRG_RXBUF) into f; returns its
 * length, or -1 after reporting a failed wait (quiet: -2 and no report when
 * nothing came). */
int ns_recv_frame(ns *s, uint8_t *f, unsigned timeout_ms, bool quiet)
{
    vp_drv *v = s->v;
    char err[128], ob[64];
    vp_net_pool *p;
    uint32_t tok, len;
    vp_rt rt = take_any(s, timeout_ms, &p, &tok, &len, err, sizeof err);
    if (rt == VP_RT_TIMEOUT && quiet)
        return -2;
    if (rt == VP_RT_TIMEOUT) {
        vp_check(s->r, "net.sem.loopback", "", v->c->opt.net_loopback ? VP_FAIL : VP_SKIP, "the batch's marker frame",
                 "nothing", "%s", err);
        return -1;
    }
    if (!vp_report_rt(v, "net.sem.rx", "", rt, err))
        return -1;
    int i = vp_net_pool_find(p, tok);
    if (i < 0) {
        snprintf(ob, sizeof ob, "token 0x%x", tok);
        vp_check(s->r, "net.rx.token", REQ_DEV_VQ_USED_2, VP_FAIL, "a posted buffer", ob, NULL);
        return -1;
    }
    uint8_t h[12];
    memcpy(h, vp_drv_host(v, vp_net_pool_hdr(p, (unsigned)i), 12), 12);
    uint32_t got = 0, room = p->mrg ? p->bufsz - p->hl : p->bufsz;
    uint32_t n = len > p->hl ? len - p->hl : 0;
    if (n > room)
        n = room;
    if (n > FRAME_MAX) /* someone else's long frame: its start is enough */
        n = FRAME_MAX;
    memcpy(f, vp_drv_host(v, vp_net_pool_data(p, (unsigned)i), n), n);
    got = n;
    if (!vp_net_pool_repost(v, p, (unsigned)i))
        return -1;
    s->frames++;
    if (h[0] != 0 || h[1] != 0)
        note(s->hdr, sizeof s->hdr, "flags 0x%x, gso_type 0x%x", h[0], h[1]);
    if (!p->mrg)
        return (int)got;
    unsigned nb = h[10] | h[11] << 8, prev_len = len;
    if (nb == 0 || nb > p->n) {
        note(s->nb, sizeof s->nb, "num_buffers %u (pool of %u)", nb, p->n);
        return (int)got;
    }
    if (nb > 1)
        s->merged++;
    for (unsigned k = 1; k < nb; k++) {
        /* every buffer of the frame was published with the first (dev.net_rx.4) */
        rt = vp_drv_wait(v, p->q, 0, &tok, &len, err, sizeof err);
        if (rt == VP_RT_TIMEOUT) {
            note(s->late, sizeof s->late, "buffer %u of %u not yet used", k + 1, nb);
            rt = vp_drv_wait(v, p->q, v->c->opt.timeout_ms, &tok, &len, err, sizeof err);
        }
        if (rt == VP_RT_TIMEOUT) {
            vp_check(s->r, "net.mrg.together", REQ_DEV_NET_RX_4, VP_FAIL, "every buffer num_buffers names",
                     "a buffer missing", "%s", err);
            return -1;
        }
        if (!vp_report_rt(v, "net.sem.rx", "", rt, err))
            return -1;
        if ((i = vp_net_pool_find(p, tok)) < 0) {
            snprintf(ob, sizeof ob, "token 0x%x", tok);
            vp_check(s->r, "net.rx.token", REQ_DEV_VQ_USED_2, VP_FAIL, "a posted buffer", ob, NULL);
            return -1;
        }
        /* every buffer but the last is filled (dev.net_rx.3) */
        if (prev_len != p->bufsz)
            note(s->fill, sizeof s->fill, "buffer %u of %u not full", k, nb);
        n = len > p->bufsz ? p->bufsz : len;
        if (got + n > FRAME_MAX)
            n = FRAME_MAX - got;
        memcpy(f + got, vp_drv_host(v, vp_net_pool_hdr(p, (unsigned)i), n), n);
        got += n;
        prev_len = len;
        if (!vp_net_pool_repost(v, p, (unsigned)i))
            return -1;
    }
    /* num_buffers names exactly the buffers the frame needed (dev.net_rxbuf.1, dev.net_rx.2) */
    uint32_t total = p->hl + got, need = (total + p->bufsz - 1) / p->bufsz;
    if (need != nb)
        note(s->nb, sizeof s->nb, "num_buffers %u for a frame that fills %u buffers", nb, need);
    return (int)got;
}

/* Transmits the batch and a broadcast marker, then receives until the
 * marker is back: came[i] says whether frame i passed. False when the
 * batch could not be run (reported). */
bool ns_batch(ns *s, const txf *t, unsigned n, bool *came)
{
    vp_drv *v = s->v;
    char err[128];
    uint8_t buf[FRAME_MAX], want[FRAME_MAX];
    if (s->broken || n + 1 > BATCH_MAX)
        return false;
    txf all[BATCH_MAX];
    memcpy(all, t, n * sizeof *t);
    all[n] = (txf){.len = FRAME_LEN, .pass = true, .txq = t[0].txq};
    memcpy(all[n].dst, s->marker, 6);
    uint32_t base = s->nonce;
    s->nonce += 16;
    unsigned txq = 0;
    for (unsigned i = 0; i <= n; i++) {
        uint64_t b = s->tx + (uint64_t)i * (12 + FRAME_MAX);
        uint8_t *h = vp_drv_host(v, b, 12 + FRAME_MAX);
        memset(h, 0, 12);
        if (all[i].junk) {
            /* csum_start and csum_offset into the payload, a wrong hdr_len:
             * without NEEDS_CSUM and GSO none of it may be used */
            h[2] = 40; /* hdr_len */
            h[6] = 16; /* csum_start */
            h[8] = 2;  /* csum_offset */
            s->junk_seen = true;
        }
        h[0] = all[i].flags;
        if (all[i].gso) {
            h[1] = all[i].gso;
            h[2] = 54;       /* hdr_len: Ethernet, IPv4, TCP */
            h[4] = 1000 & 0xff; /* gso_size */
            h[5] = 1000 >> 8;
            h[6] = 34;       /* csum_start, csum_offset: the TCP checksum */
            h[8] = 16;
        }
        s->unknown_seen |= (all[i].flags & HF_UNKNOWN) != 0;
        build(s, h + 12, &all[i], base + i);
        /* header and frame in separate descriptors, as the round-trip does */
        vc_seg sg[2] = {{b, s->rx[0].hl, false}, {b + 12, all[i].len, false}};
        uint32_t tok;
        txq = 2 * all[i].txq + 1;
        vp_rt rt = vp_drv_post(v, txq, sg, 2, 0, false, &tok, err, sizeof err);
        if (!vp_report_rt(v, "net.sem.tx", REQ_DRV_IMPLIED_NET_HDR_LAYOUT, rt, err))
            return s->broken = true, false;
    }
    for (unsigned i = 0; i <= n; i++) {
        uint32_t tok, len;
        vp_rt rt = vp_drv_wait(v, txq, v->c->opt.timeout_ms, &tok, &len, err, sizeof err);
        if (!vp_report_rt(v, "net.sem.tx", "", rt, err))
            return s->broken = true, false;
    }
    memset(came, 0, (n + 1) * sizeof *came);
    memset(s->whole, 0, sizeof s->whole);
    for (unsigned guard = 0; guard < 4 * BATCH_MAX && !came[n]; guard++) {
        int len = ns_recv_frame(s, buf, v->c->opt.timeout_ms, false);
        if (len < 0)
            return s->broken = true, false;
        uint32_t nonce = ns_nonce_of(buf, (uint32_t)len);
        if (nonce - base > n)
            continue; /* someone else's frame, or an earlier batch's */
        unsigned i = nonce - base;
        came[i] = true;
        build(s, want, &all[i], nonce);
        s->whole[i] = (uint32_t)len == all[i].len && !memcmp(want, buf, all[i].len);
        if (!s->whole[i]) {
            note(s->intact, sizeof s->intact, "frame of %u bytes came back as %u bytes, or changed", all[i].len,
                 (unsigned)len);
            if (!s->rx[0].mrg)
                note(s->single, sizeof s->single, "frame of %u bytes came back as %u bytes, or changed",
                     all[i].len, (unsigned)len);
        }
        if (!s->rx[0].mrg)
            s->plain++;
    }
    if (!came[n]) {
        vp_check(s->r, "net.sem.loopback", "", VP_FAIL, "the batch's marker frame", "other frames only", NULL);
        return s->broken = true, false;
    }
    return true;
}

/* Judges each frame of a batch that ran: passed or dropped as it must. */
static void judge(ns *s, const txf *t, unsigned n, const bool *came)
{
    for (unsigned i = 0; i < n; i++)
        if (t[i].id)
            vp_expect(s->r, t[i].id, t[i].reqs, came[i] == t[i].pass, t[i].pass ? "received" : "dropped",
                      came[i] ? "received" : "dropped", NULL);
}

bool ns_run(ns *s, const txf *t, unsigned n, bool *came)
{
    if (!ns_batch(s, t, n, came))
        return false;
    judge(s, t, n, came);
    return true;
}

txf ns_frame(const char *id, const char *reqs, const uint8_t dst[6], uint16_t vid, bool pass)
{
    txf t = {.id = id, .reqs = reqs, .vid = vid, .len = FRAME_LEN + (vid ? 4 : 0), .pass = pass};
    memcpy(t.dst, dst, 6);
    return t;
}

/* Session 1, as the round-trip left it (promiscuous on): the filter in
 * three states, one batch each. Returns whether the device filters by the
 * MAC table at all (the reset check after it means nothing otherwise). */
static bool filters(ns *s)
{
    vp_drv *v = s->v;
    bool vlan = ns_has(v, VIRTIO_NET_F_CTRL_VLAN_BIT), addr = ns_has(v, VIRTIO_NET_F_CTRL_MAC_ADDR_BIT);
    bool came[BATCH_MAX];
    /* promiscuous: an address nobody has passes */
    txf a[1] = {ns_frame("net.filter.promisc", REQ_DEV_NET_CTRL_RX_2, VP_NS_U2, 0, true)};
    if (!ns_run(s, a, 1, came))
        return false;
    /* a MAC table of one unicast and one multicast address, VLAN id 5 added */
    if (!ctrl_byte(s, "net.ctrl.promisc_off", RX_PROMISC, 0) || !ctrl_byte(s, "net.ctrl.allmulti_off", RX_ALLMULTI, 0))
        return false;
    uint8_t tbl[8 + 12];
    memset(tbl, 0, sizeof tbl);
    tbl[0] = 1; /* le32 count, then the unicast entries, then the multicast ones */
    memcpy(tbl + 4, VP_NS_U1, 6);
    tbl[10] = 1;
    memcpy(tbl + 14, VP_NS_M1, 6);
    if (!ns_ctrl_ok(s, "net.ctrl.mac_table_set", REQ_DEV_NET_CTRL_MAC_2, CL_MAC, MAC_TABLE_SET, tbl, sizeof tbl) ||
        (vlan && !ctrl_vlan(s, "net.ctrl.vlan_add", VLAN_ADD, VID_IN)))
        return false;
    txf b[7] = {
        ns_frame("net.filter.table_unicast", REQ_DEV_NET_CTRL_MAC_2, VP_NS_U1, 0, true),
        ns_frame("net.filter.foreign_unicast", REQ_DEV_NET_CTRL_MAC_4, VP_NS_U2, 0, false),
        ns_frame("net.filter.table_multicast", REQ_DEV_NET_CTRL_MAC_2, VP_NS_M1, 0, true),
        ns_frame("net.filter.foreign_multicast", REQ_DEV_NET_CTRL_MAC_4, VP_NS_M2, 0, false),
        ns_frame("net.filter.own_mac", "", s->mac, 0, true),
        ns_frame("net.vlan.added", REQ_DEV_NET_CTRL_VLAN_2, s->mac, VID_IN, true),
        ns_frame("net.vlan.other", REQ_DEV_NET_CTRL_VLAN_2, s->mac, VID_OUT, false),
    };
    b[4].junk = true; /* and it must come back as sent (dev.net_tx.2, dev.net_tx.7) */
    if (!ns_run(s, b, vlan ? 7 : 5, came))
        return false;
    bool filtering = came[0] && !came[1];
    /* all-multicast on, the id deleted, the default address moved */
    if (!ctrl_byte(s, "net.ctrl.allmulti_on", RX_ALLMULTI, 1) ||
        (vlan && !ctrl_vlan(s, "net.ctrl.vlan_del", VLAN_DEL, VID_IN)))
        return filtering;
    uint8_t old[6];
    memcpy(old, s->mac, 6);
    bool moved = addr && ns_has(v, VIRTIO_NET_F_MAC_BIT);
    if (moved) {
        if (!ns_ctrl_ok(s, "net.ctrl.mac_addr_set", REQ_DEV_NET_CTRL_MAC_3, CL_MAC, MAC_ADDR_SET, A1, 6))
            return filtering;
        uint8_t cfg[6];
        char ex[32], ob[32];
        for (unsigned i = 0; i < 6; i++)
            cfg[i] = (uint8_t)vp_tp_cfg(v->t, i, 1);
        snprintf(ex, sizeof ex, "%02x:%02x:%02x:%02x:%02x:%02x", A1[0], A1[1], A1[2], A1[3], A1[4], A1[5]);
        snprintf(ob, sizeof ob, "%02x:%02x:%02x:%02x:%02x:%02x", cfg[0], cfg[1], cfg[2], cfg[3], cfg[4], cfg[5]);
        vp_expect(s->r, "net.mac_addr_set.config", REQ_DEV_NET_CTRL_MAC_3, !memcmp(cfg, A1, 6), ex, ob,
                  "config mac once ADDR_SET completed");
        memcpy(s->mac, A1, 6);
    }
    txf c[5];
    unsigned n = 0;
    c[n++] = ns_frame("net.filter.allmulti", REQ_DEV_NET_CTRL_RX_4, VP_NS_M2, 0, true);
    /* a header flag bit nobody defined: ignored, the frame goes out as sent */
    c[n] = ns_frame("net.tx.unknown_flag", REQ_DEV_NET_TX_1, s->mac, 0, true);
    c[n++].flags = HF_UNKNOWN;
    if (moved) {
        c[n++] = ns_frame("net.filter.new_mac", "", A1, 0, true);
        c[n++] = ns_frame("net.filter.old_mac", REQ_DEV_NET_CTRL_MAC_4, old, 0, false);
    }
    if (vlan)
        c[n++] = ns_frame("net.vlan.deleted", REQ_DEV_NET_CTRL_VLAN_2, s->mac, VID_IN, false);
    ns_run(s, c, n, came);
    return filtering;
}

/* Queue pairs (MQ with two set up): before any VQ_PAIRS_SET only the first
 * receive queue takes frames; two pairs steer the second pair's frames
 * anywhere; back to one pair, the second receive queue stays idle. */
static void pairs(ns *s, const char *phase)
{
    char ob[64];
    bool came[BATCH_MAX];
    if (s->pairs < 2)
        return;
    snprintf(ob, sizeof ob, "%s", s->rx1_used ? "frames on receive queue 1" : "receive queue 0 only");
    vp_expect(s->r, "net.mq.after_reset", REQ_DEV_NET_CTRL_MQ_1, !s->rx1_used, "receive queue 0 only", ob, phase);
    if (strcmp(phase, "session 1"))
        return;
    uint8_t two[2] = {2, 0}, one[2] = {1, 0};
    if (!ns_ctrl_ok(s, "net.ctrl.vq_pairs_set", REQ_DEV_NET_CTRL_MQ_2, CL_MQ, MQ_PAIRS_SET, two, 2))
        return;
    txf t = ns_frame(NULL, "", s->mac, 0, true);
    t.txq = 1;
    if (!ns_batch(s, &t, 1, came) || !ns_ctrl_ok(s, "net.ctrl.vq_pairs_set_1", REQ_DEV_NET_CTRL_MQ_2, CL_MQ, MQ_PAIRS_SET,
                                           one, 2))
        return;
    s->rx1_used = false;
    txf u = ns_frame(NULL, "", s->mac, 0, true);
    if (!ns_batch(s, &u, 1, came))
        return;
    vp_expect(s->r, "net.mq.pairs_set_1", REQ_DEV_NET_CTRL_MQ_2, !s->rx1_used, "receive queue 0 only",
              s->rx1_used ? "a frame on receive queue 1" : "receive queue 0 only", "after VQ_PAIRS_SET 1");
}

/* Session 2: a reset, then mergeable buffers where offered and no VLAN
 * filtering. The unicast address the table held must now be dropped. */
static void after_reset(ns *s, bool filtering)
{
    vp_drv *v = s->v;
    char err[128];
    uint64_t want = v->features & ~(1ull << VIRTIO_NET_F_CTRL_VLAN_BIT | 1ull << VIRTIO_NET_F_CTRL_MAC_ADDR_BIT);
    want |= 1ull << VIRTIO_NET_F_MRG_RXBUF_BIT;
    vp_drv_done(v);
    uint8_t st = vp_drv_negotiate(v, want);
    if (!v->t->legacy && !(st & VC_STATUS_FEATURES_OK)) {
        vp_check(s->r, "net.sem.reset", "", VP_ERROR, "FEATURES_OK", "refused", "renegotiation after reset");
        return;
    }
    bool mrg = ns_has(v, VIRTIO_NET_F_MRG_RXBUF_BIT);
    uint32_t hl = v->features >> VC_F_VERSION_1 & 1 || mrg ? 12 : 10;
    for (unsigned k = 0; k < s->pairs; k++)
        if (!vp_drv_queue(v, 2 * k, 64, err, sizeof err) || !vp_drv_queue(v, 2 * k + 1, 64, err, sizeof err)) {
            vp_check(s->r, "net.queue", "", VP_ERROR, NULL, NULL, "%s", err);
            return;
        }
    if (!vp_drv_queue(v, s->ctrl_q, 64, err, sizeof err)) {
        vp_check(s->r, "net.queue", "", VP_ERROR, NULL, NULL, "%s", err);
        return;
    }
    vp_drv_driver_ok(v);
    for (unsigned k = 0; k < s->pairs; k++)
        if (!vp_net_pool_init(v, &s->rx[k], 2 * k, mrg ? VP_NET_POOL_MAX : 4, hl, mrg ? MRG_BUF : 1536, mrg))
            return;
    for (unsigned i = 0; i < 6; i++) /* the address a reset gave back */
        s->mac[i] = (uint8_t)vp_tp_cfg(v->t, i, 1);
    s->rx1_used = false;
    if (!ctrl_byte(s, "net.ctrl.promisc_off_after_reset", RX_PROMISC, 0))
        return;
    txf t[3] = {
        ns_frame("net.filter.table_empty_after_reset", REQ_DEV_NET_CTRL_MAC_1, VP_NS_U1, 0, false),
        ns_frame("net.vlan.not_negotiated", REQ_DEV_NET_CTRL_VLAN_1, s->mac, VID_IN, true),
        ns_frame(NULL, "", s->mac, 0, true),
    };
    t[2].len = LONG_LEN;
    bool came[BATCH_MAX];
    if (!ns_batch(s, t, 3, came))
        return;
    if (filtering)
        judge(s, t, 1, came);
    else
        vp_check(s->r, "net.filter.table_empty_after_reset", "", VP_SKIP, NULL, NULL,
                 "the device did not filter by its MAC table before the reset");
    judge(s, t + 1, 1, came + 1);
    pairs(s, "session 2");
    if (!mrg) {
        vp_check(s->r, "net.mrg", "", VP_SKIP, NULL, NULL, "MRG_RXBUF not offered");
        return;
    }
    if (!s->merged) {
        vp_check(s->r, "net.mrg.num_buffers", "", VP_SKIP, NULL, NULL, "no frame spanned two buffers");
        return;
    }
    char ob[64];
    snprintf(ob, sizeof ob, "%u frames in %u-byte buffers, %u merged", s->frames, MRG_BUF, s->merged);
    vp_expect(s->r, "net.mrg.num_buffers", REQ_DEV_NET_RXBUF_1 "," REQ_DEV_NET_RX_2, !s->nb[0], "buffers counted",
              s->nb[0] ? s->nb : ob, NULL);
    vp_expect(s->r, "net.mrg.fill", REQ_DEV_NET_RX_3, !s->fill[0], "all but the last buffer full",
              s->fill[0] ? s->fill : ob, NULL);
    vp_expect(s->r, "net.mrg.together", REQ_DEV_NET_RX_4, !s->late[0], "every buffer used at once",
              s->late[0] ? s->late : ob, NULL);
}

void vp_net_semantics(vp_drv *v, vp_net_pool *rx0, const uint8_t mac[6], unsigned ctrl_q, unsigned npairs)
{
    ns s = {.v = v, .r = v->c->rep, .ctrl_q = ctrl_q, .pairs = npairs, .rx = {*rx0}};
    memcpy(s.mac, mac, 6);
    memcpy(s.marker, VP_NS_BCAST, 6);
    s.nonce = 0x6e000000u ^ (uint32_t)v->roundtrips << 8 ^ (v->t->legacy ? 0x00100000u : 0);
    s.tx = vp_drv_alloc(v, (uint64_t)BATCH_MAX * (12 + FRAME_MAX), 64);
    s.cb = vp_drv_alloc(v, 256, 64);
    if (!s.tx || !s.cb) {
        vp_check(s.r, "net.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    if (!ns_has(v, VIRTIO_NET_F_CTRL_RX_BIT)) {
        vp_check(s.r, "net.filter", "", VP_SKIP, NULL, NULL, "CTRL_RX not offered");
        return;
    }
    if (npairs > 1 && !vp_net_pool_init(v, &s.rx[1], 2, 4, rx0->hl, 1536, false))
        return;
    bool filtering = filters(&s);
    if (!s.broken)
        pairs(&s, "session 1");
    if (!s.broken)
        vp_ns_rx_extra(&s);
    if (!s.broken)
        vp_ns_full_size(&s);
    if (!s.broken)
        vp_ns_tunnel_gso(&s);
    /* the host acts once per device (the runner answers a bounded number
     * of notes per VM): on the modern interface, or the only one */
    bool once = !strcmp(v->who, "modern") || !strcmp(v->d->mode, "legacy");
    if (!s.broken && once)
        vp_ns_oversize(&s);
    if (!s.broken && once)
        vp_net_announce(v, ctrl_q, s.cb);
    char ob[96];
    if (!s.broken)
        after_reset(&s, filtering);
    *rx0 = s.rx[0];
    if (!s.frames)
        return;
    /* no guest offload is ever negotiated here: every header is plain */
    snprintf(ob, sizeof ob, "%u frames, flags 0 and gso_type 0", s.frames);
    vp_expect(s.r, "net.sem.rx.hdr", REQ_DEV_NET_RX_5 "," REQ_DEV_NET_RX_18 "," REQ_DEV_NET_RX_6 "," REQ_DEV_NET_RX_7
              "," REQ_DEV_NET_RX_8 "," REQ_DEV_NET_RX_9 "," REQ_DEV_NET_RX_21
              /* no tunnel GSO bits or tunnel checksum flag, so no tunnel GSO packet; no IPsec flags */
              "," REQ_DEV_NET_RX_10 "," REQ_DEV_NET_RX_11 "," REQ_DEV_NET_RX_16 "," REQ_DEV_NET_RX_17
              "," REQ_DEV_NET_RX_24 "," REQ_DEV_NET_RX_28 "," REQ_DEV_NET_RX_31, !s.hdr[0], "flags 0, gso_type 0",
              s.hdr[0] ? s.hdr : ob, "GUEST_CSUM, guest GSO, tunnel offloads and RSC_EXT not negotiated, no IPsec");
    snprintf(ob, sizeof ob, "%u frames as sent", s.frames);
    vp_expect(s.r, "net.sem.frames_intact", s.junk_seen ? REQ_DEV_NET_TX_2 "," REQ_DEV_NET_TX_7 : "", !s.intact[0],
              "every frame back as sent", s.intact[0] ? s.intact : ob,
              "one sent with csum_start, csum_offset and hdr_len set, NEEDS_CSUM clear");
    if (s.unknown_seen)
        vp_expect(s.r, "net.sem.unknown_flag_intact", REQ_DEV_NET_TX_1, !s.intact[0], "every frame back as sent",
                  s.intact[0] ? s.intact : ob, "one sent with the undefined header flag bit 0x80");
    if (s.plain) {
        snprintf(ob, sizeof ob, "%u frames, each whole in one buffer", s.plain);
        vp_expect(s.r, "net.rxbuf.single", REQ_DEV_NET_RXBUF_2, !s.single[0], "each frame whole in one buffer",
                  s.single[0] ? s.single : ob, "MRG_RXBUF not negotiated");
    }
}
