/* Network device: a control command acknowledged, a broadcast frame
 * transmitted and, over a loopback backend (the runner's, the reference
 * device's), received back byte for byte with a well-formed receive header.
 * Header and frame sit in separate descriptors, the layout every device
 * must take (legacy devices without ANY_LAYOUT included). Without
 * --net-loopback a frame that never returns is a skip, and once one driver
 * personality has waited for it in vain, the next ones wait only briefly. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define NET_RXBUF 1536u
#define NET_NRX 8u
#define NET_PAYLOAD 64u
#define NET_FRAME (14u + NET_PAYLOAD)
enum { Q_RX = 0, Q_TX = 1, Q_CTRL = 2 }; /* one queue pair, no MQ */

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
    vp_rt rt = vp_drv_roundtrip(v, Q_CTRL, sg, 2, 1, false, &used, err, sizeof err);
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

void vp_devtest_net(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[128];
    bool ctrl = v->features >> VIRTIO_NET_F_CTRL_VQ_BIT & 1;
    if (!vp_drv_queues(v, Q_RX, (ctrl ? Q_CTRL : Q_TX), "net.queue"))
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
    uint64_t rx = vp_drv_alloc(v, (uint64_t)NET_NRX * (12 + NET_RXBUF), 64);
    uint64_t tx = vp_drv_alloc(v, 12 + NET_FRAME, 64);
    uint64_t cb = vp_drv_alloc(v, 4, 4);
    if (!rx || !tx || !cb) {
        vp_check(r, "net.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    seen->ran = true;
    for (unsigned i = 0; i < 6; i++) /* both interfaces of a transitional device show one MAC */
        seen->value = seen->value << 8 | mac[i];
    /* receive buffers first, so the looped-back frame has somewhere to go */
    uint32_t tok[NET_NRX];
    for (unsigned i = 0; i < NET_NRX; i++) {
        uint64_t b = rx + i * (12 + NET_RXBUF);
        vc_seg sg[2] = {{b, hl, true}, {b + 12, NET_RXBUF, true}};
        vp_rt rt = vp_drv_post(v, Q_RX, sg, 0, 2, false, &tok[i], err, sizeof err);
        if (!vp_report_rt(v, "net.rx.post", REQ_DRV_NET_RXBUF_3, rt, err))
            return;
    }
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
        unsigned i = 0;
        while (i < NET_NRX && tok[i] != t)
            i++;
        if (i == NET_NRX) {
            snprintf(ob, sizeof ob, "token 0x%x", t);
            vp_check(r, "net.rx.token", REQ_DEV_VQ_USED_2, VP_FAIL, "a posted buffer", ob, NULL);
            return;
        }
        uint64_t b = rx + i * (12 + NET_RXBUF);
        const uint8_t *h = vp_drv_host(v, b, 12), *f = vp_drv_host(v, b + 12, NET_FRAME);
        if (len != hl + NET_FRAME || memcmp(f, want, NET_FRAME) != 0)
            continue; /* someone else's frame */
        snprintf(ob, sizeof ob, "%u bytes, identical", len);
        vp_check(r, "net.loopback", "", VP_PASS, "the frame back", ob, NULL);
        snprintf(ob, sizeof ob, "flags 0x%x, gso_type 0x%x", h[0], h[1]);
        vp_expect(r, "net.rx.hdr.no_offload", REQ_DEV_NET_RX_5 "," REQ_DEV_NET_RX_18, h[0] == 0 && h[1] == 0,
                  "flags 0, gso_type 0", ob, "no guest offloads negotiated");
        if (hl == 12) {
            unsigned nb = h[10] | h[11] << 8;
            snprintf(ob, sizeof ob, "%u", nb);
            vp_expect(r, "net.rx.hdr.num_buffers", REQ_DEV_NET_RX_1, nb == 1, "1", ob, "without MRG_RXBUF");
        }
        return;
    }
    vp_check(r, "net.loopback", "", v->c->opt.net_loopback ? VP_FAIL : VP_SKIP, "the frame back",
             "only other frames", NULL);
    seen->ok = !v->c->opt.net_loopback;
}
