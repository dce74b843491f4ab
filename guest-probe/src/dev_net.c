/* Network device: a control command acknowledged, a broadcast frame
 * transmitted and, over a loopback backend (the runner's, the reference
 * device's), received back byte for byte with a well-formed receive header.
 * Header and frame sit in separate descriptors, the layout every device
 * must take (legacy devices without ANY_LAYOUT included). Without
 * --net-loopback a frame that never returns is a skip, and once one driver
 * personality has waited for it in vain, the next ones wait only briefly.
 * When the frame came back, the first split-ring personality of each
 * interface goes on with the semantics checks (dev_net_sem.c). */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "dev_net.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define NET_RXBUF 1536u
#define NET_NRX 8u
#define NET_PAYLOAD 64u
#define NET_FRAME (14u + NET_PAYLOAD)
enum { Q_RX = 0, Q_TX = 1 }; /* the control queue follows the last pair (ctrl_queue) */
#define MAX_PAIRS_OFF 8u    /* config: max_virtqueue_pairs */

bool vp_net_pool_init(vp_drv *v, vp_net_pool *p, unsigned q, unsigned n, uint32_t hl, uint32_t bufsz, bool mrg)
{
    memset(p, 0, sizeof *p);
    p->q = q;
    p->mrg = mrg;
    p->hl = hl;
    p->bufsz = bufsz;
    p->n = n > VP_NET_POOL_MAX ? VP_NET_POOL_MAX : n;
    p->stride = (mrg ? bufsz : VP_NET_HDR_ROOM + bufsz + 63) & ~63u;
    p->base = vp_drv_alloc(v, (uint64_t)p->n * p->stride, 64);
    if (!p->base) {
        vp_check(v->c->rep, "net.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return false;
    }
    for (unsigned i = 0; i < p->n; i++)
        if (!vp_net_pool_repost(v, p, i))
            return false;
    return true;
}

int vp_net_pool_find(const vp_net_pool *p, uint32_t token)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->tok[i] == token)
            return (int)i;
    return -1;
}

uint64_t vp_net_pool_hdr(const vp_net_pool *p, unsigned i) { return p->base + (uint64_t)i * p->stride; }

uint64_t vp_net_pool_data(const vp_net_pool *p, unsigned i)
{
    return vp_net_pool_hdr(p, i) + (p->mrg ? p->hl : VP_NET_HDR_ROOM);
}

bool vp_net_pool_repost(vp_drv *v, vp_net_pool *p, unsigned i)
{
    char err[128];
    uint64_t b = vp_net_pool_hdr(p, i);
    vc_seg sg[2] = {{b, p->mrg ? p->bufsz : p->hl, true}, {b + VP_NET_HDR_ROOM, p->bufsz, true}};
    vp_rt rt = vp_drv_post(v, p->q, sg, 0, p->mrg ? 1 : 2, false, &p->tok[i], err, sizeof err);
    return vp_report_rt(v, "net.rx.post", REQ_DRV_NET_RXBUF_3, rt, err);
}

/* The control queue's index: after the last queue pair with MQ. */
static unsigned ctrl_queue(vp_drv *v, unsigned *max_pairs)
{
    *max_pairs = 1;
    if (v->features >> VIRTIO_NET_F_MQ_BIT & 1)
        *max_pairs = (unsigned)vp_tp_cfg(v->t, MAX_PAIRS_OFF, 2);
    return 2 * *max_pairs;
}

/* The header: 12 bytes with VERSION_1 or MRG_RXBUF, else the legacy 10. */
static uint32_t hdr_len(const vp_drv *v)
{
    return v->features >> VC_F_VERSION_1 & 1 || v->features >> VIRTIO_NET_F_MRG_RXBUF_BIT & 1 ? 12 : 10;
}

/* Sends one control command (class, command, one data byte); returns the
 * ack byte or -1 after reporting a failed round-trip. */
static int ctrl_cmd(vp_drv *v, uint64_t buf, uint8_t cls, uint8_t cmd, uint8_t data)
{
    char err[128];
    uint8_t *h = vp_drv_host(v, buf, 4);
    h[0] = cls;
    h[1] = cmd;
    h[2] = data;
    h[3] = 0xee; /* the ack, written by the device */
    vc_seg sg[3] = {{buf, 2, false}, {buf + 2, 1, false}, {buf + 3, 1, true}};
    uint32_t used;
    unsigned max_pairs;
    vp_rt rt = vp_drv_roundtrip(v, ctrl_queue(v, &max_pairs), sg, 2, 1, false, &used, err, sizeof err);
    if (!vp_report_rt(v, "net.ctrl", REQ_DRV_IMPLIED_NET_CTRL_LAYOUT, rt, err))
        return -1;
    return h[3];
}

static void build_frame(uint8_t *f, const uint8_t mac[6], uint32_t nonce)
{
    memset(f, 0xff, 6); /* broadcast: passes every receive filter */
    memcpy(f + 6, mac, 6);
    f[12] = 0x88; /* local experimental ethertype */
    f[13] = 0xb5;
    memcpy(f + 14, "vconform", 8);
    for (unsigned i = 0; i < 4; i++)
        f[22 + i] = (uint8_t)(nonce >> (8 * i));
    for (unsigned i = 26; i < NET_FRAME; i++)
        f[i] = (uint8_t)(i * 7 + nonce);
}

static void run(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[128];
    bool ctrl = v->features >> VIRTIO_NET_F_CTRL_VQ_BIT & 1;
    unsigned max_pairs, q_ctrl = ctrl_queue(v, &max_pairs);
    if (v->features >> VIRTIO_NET_F_MQ_BIT & 1) {
        snprintf(ob, sizeof ob, "%u", max_pairs);
        vp_expect(r, "net.cfg.max_pairs", REQ_DEV_NET_CFG_1, max_pairs >= 1 && max_pairs <= 0x8000, "1 to 0x8000",
                  ob, "max_virtqueue_pairs with MQ");
        if (max_pairs < 1)
            ctrl = false; /* no place for the control queue that is not a receive queue */
    }
    /* two pairs where there are two, so the semantics checks can steer */
    unsigned pairs = max_pairs >= 2 && q_ctrl < VP_DRV_QUEUES ? 2 : 1;
    if (ctrl && q_ctrl >= VP_DRV_QUEUES) {
        vp_check(r, "net.ctrl", "", VP_SKIP, NULL, NULL, "control queue %u beyond the probe's %u queues", q_ctrl,
                 VP_DRV_QUEUES);
        ctrl = false;
    }
    if (!vp_drv_queues(v, Q_RX, 2 * pairs - 1, "net.queue") || (ctrl && !vp_drv_queues(v, q_ctrl, q_ctrl, "net.queue")))
        return;
    uint8_t mac[6] = {0x02, 0x56, 0x43, 0, 0, 1}; /* locally administered */
    if (v->features >> VIRTIO_NET_F_MAC_BIT & 1)
        for (unsigned i = 0; i < 6; i++)
            mac[i] = (uint8_t)vp_tp_cfg(v->t, i, 1);
    if (v->features >> VIRTIO_NET_F_STATUS_BIT & 1) {
        unsigned st = (unsigned)vp_tp_cfg(v->t, 6, 2);
        snprintf(ob, sizeof ob, "status 0x%x", st);
        vp_check(r, "net.link", "", VP_INFO, NULL, ob, st & 1 ? "link up" : "link down");
    }
    vp_drv_driver_ok(v);
    uint32_t hl = hdr_len(v);
    uint64_t tx = vp_drv_alloc(v, 12 + NET_FRAME, 64);
    uint64_t cb = vp_drv_alloc(v, 4, 4);
    if (!tx || !cb) {
        vp_check(r, "net.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    seen->ran = true;
    for (unsigned i = 0; i < 6; i++) /* both interfaces of a transitional device show one MAC */
        seen->value = seen->value << 8 | mac[i];
    /* receive buffers first, so the looped-back frame has somewhere to go */
    vp_net_pool pool;
    if (!vp_net_pool_init(v, &pool, Q_RX, NET_NRX, hl, NET_RXBUF, false))
        return;
    if (ctrl && v->features >> VIRTIO_NET_F_CTRL_RX_BIT & 1) {
        int ack = ctrl_cmd(v, cb, 0, 0, 1); /* RX_PROMISC on */
        if (ack < 0)
            return;
        snprintf(ob, sizeof ob, "ack %d", ack);
        vp_expect(r, "net.ctrl.promisc", REQ_DEV_NET_CTRL_RX_1, ack == 0, "ack 0 (OK)", ob, NULL);
    }
    /* transmit: header all zero (no offloads), then the frame */
    uint8_t *th = vp_drv_host(v, tx, 12 + NET_FRAME);
    uint32_t nonce = 0x5a000000u ^ (uint32_t)v->roundtrips ^ (uint32_t)(v->t->legacy ? 0x1000 : 0);
    memset(th, 0, 12);
    build_frame(th + 12, mac, nonce);
    vc_seg ts[2] = {{tx, hl, false}, {tx + 12, NET_FRAME, false}};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(v, Q_TX, ts, 2, 0, false, &used, err, sizeof err);
    if (!vp_report_rt(v, "net.tx", REQ_DRV_IMPLIED_NET_HDR_LAYOUT, rt, err))
        return;
    seen->ok = true;
    /* receive: the frame comes back (other traffic is skipped) */
    uint8_t want[NET_FRAME];
    build_frame(want, mac, nonce);
    bool loop = v->c->opt.net_loopback, quick = !loop && v->d->net_silent;
    unsigned wait_ms = quick && v->c->opt.timeout_ms > VP_QUICK_WAIT_MS ? VP_QUICK_WAIT_MS : v->c->opt.timeout_ms;
    for (unsigned n = 0; n < NET_NRX; n++) {
        uint32_t t, len;
        rt = vp_drv_wait(v, Q_RX, wait_ms, &t, &len, err, sizeof err);
        if (rt == VP_RT_TIMEOUT) {
            vp_check(r, "net.loopback", "", loop ? VP_FAIL : VP_SKIP, "the frame back", "nothing", "%s%s", err,
                     loop    ? ""
                     : quick ? " (nor for an earlier driver personality: the backend does not return frames)"
                             : " (no --net-loopback: the backend may not return frames)");
            v->d->net_silent = true;
            seen->ok = !loop;
            return;
        }
        if (!vp_report_rt(v, "net.rx", "", rt, err))
            return;
        int i = vp_net_pool_find(&pool, t);
        if (i < 0) {
            snprintf(ob, sizeof ob, "token 0x%x", t);
            vp_check(r, "net.rx.token", REQ_DEV_VQ_USED_2, VP_FAIL, "a posted buffer", ob, NULL);
            return;
        }
        const uint8_t *h = vp_drv_host(v, vp_net_pool_hdr(&pool, (unsigned)i), 12);
        const uint8_t *f = vp_drv_host(v, vp_net_pool_data(&pool, (unsigned)i), NET_FRAME);
        bool ours = len == hl + NET_FRAME && memcmp(f, want, NET_FRAME) == 0;
        uint8_t flags = h[0], gso = h[1];
        unsigned nb = h[10] | h[11] << 8;
        if (!vp_net_pool_repost(v, &pool, (unsigned)i))
            return;
        if (!ours)
            continue; /* someone else's frame */
        snprintf(ob, sizeof ob, "%u bytes, identical", len);
        vp_check(r, "net.loopback", "", VP_PASS, "the frame back", ob, NULL);
        snprintf(ob, sizeof ob, "flags 0x%x, gso_type 0x%x", flags, gso);
        vp_expect(r, "net.rx.hdr.no_offload", REQ_DEV_NET_RX_5 "," REQ_DEV_NET_RX_18, flags == 0 && gso == 0,
                  "flags 0, gso_type 0", ob, "no guest offloads negotiated");
        if (hl == 12) {
            snprintf(ob, sizeof ob, "%u", nb);
            vp_expect(r, "net.rx.hdr.num_buffers", REQ_DEV_NET_RX_1, nb == 1, "1", ob, "without MRG_RXBUF");
        }
        /* device semantics once per interface: the split ring of each */
        if (ctrl && v->c->opt.semantics && (!strcmp(v->who, "modern") || !strcmp(v->who, "legacy")))
            vp_net_semantics(v, &pool, mac, q_ctrl, pairs);
        return;
    }
    vp_check(r, "net.loopback", "", v->c->opt.net_loopback ? VP_FAIL : VP_SKIP, "the frame back",
             "only other frames", NULL);
    seen->ok = !v->c->opt.net_loopback;
}

/* The configuration checks on the split-ring personality of each
 * interface, around the round-trip and the semantics checks. */
void vp_devtest_net(vp_drv *v, vp_seen *seen)
{
    bool cfg = !strcmp(v->who, "modern") || !strcmp(v->who, "legacy");
    vp_net_cfg c;
    if (cfg)
        vp_net_cfg_first(v, &c);
    run(v, seen);
    if (cfg)
        vp_net_cfg_again(v, &c);
}
