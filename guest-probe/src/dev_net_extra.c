/* Net semantics beyond the basic filter (called from dev_net_sem.c in
 * session 1): the CTRL_RX_EXTRA modes and which setting wins, UDP-tunnel GSO
 * headers no device may accept, a full-size frame with MTU, and an
 * oversized frame from outside the VM. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "dev_net_sem.h"
#include "dev_note.h"
#include "judge_planted.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

static bool ctrl_mode(ns *s, const char *id, uint8_t cmd, uint8_t on)
{
    return ns_ctrl_ok(s, id, cmd < RX_ALLUNI ? REQ_DEV_NET_CTRL_RX_1 : REQ_DEV_NET_CTRL_RX_5, CL_RX, cmd, &on, 1);
}

/* Session 1 once the filter checks are done (all-multicast on, promiscuous
 * off, a MAC table): the CTRL_RX_EXTRA modes and which setting wins. While
 * broadcast may be dropped, each batch closes with a frame to our own
 * address instead. Leaves every extra mode off. */
void vp_ns_rx_extra(ns *s)
{
    bool came[BATCH_MAX];
    if (!ns_has(s->v, VIRTIO_NET_F_CTRL_RX_EXTRA_BIT)) {
        vp_check(s->r, "net.filter.rx_extra", "", VP_SKIP, NULL, NULL, "CTRL_RX_EXTRA not offered");
        return;
    }
    if (!ctrl_mode(s, "net.ctrl.alluni_on", RX_ALLUNI, 1))
        return;
    txf a[1] = {ns_frame("net.filter.alluni", REQ_DEV_NET_CTRL_RX_6, VP_NS_U2, 0, true)};
    if (!ns_run(s, a, 1, came) || !ctrl_mode(s, "net.ctrl.nouni_on", RX_NOUNI, 1))
        return;
    txf b[3] = {
        ns_frame("net.filter.nouni_over_alluni", REQ_DEV_NET_CTRL_RX_10 "," REQ_DEV_NET_CTRL_RX_11, VP_NS_U2, 0, false),
        ns_frame("net.filter.nouni_own", REQ_DEV_NET_CTRL_RX_10, s->mac, 0, false),
        ns_frame("net.filter.nouni_table", REQ_DEV_NET_CTRL_RX_10, VP_NS_U1, 0, false),
    };
    if (!ns_run(s, b, 3, came) || !ctrl_mode(s, "net.ctrl.promisc_on_nouni", RX_PROMISC, 1))
        return;
    txf c[1] = {ns_frame("net.filter.promisc_over_nouni", REQ_DEV_NET_CTRL_RX_3, VP_NS_U2, 0, true)};
    if (!ns_run(s, c, 1, came) || !ctrl_mode(s, "net.ctrl.promisc_off_nouni", RX_PROMISC, 0) ||
        !ctrl_mode(s, "net.ctrl.nouni_off", RX_NOUNI, 0) || !ctrl_mode(s, "net.ctrl.alluni_off", RX_ALLUNI, 0) ||
        !ctrl_mode(s, "net.ctrl.nomulti_on", RX_NOMULTI, 1))
        return;
    /* multicast suppressed, all-multicast still on: the batch closes to us */
    memcpy(s->marker, s->mac, 6);
    txf d[3] = {
        ns_frame("net.filter.nomulti_table", REQ_DEV_NET_CTRL_RX_7, VP_NS_M1, 0, false),
        ns_frame("net.filter.nomulti_over_allmulti", REQ_DEV_NET_CTRL_RX_7 "," REQ_DEV_NET_CTRL_RX_8, VP_NS_M2, 0, false),
        ns_frame("net.filter.nomulti_broadcast", REQ_DEV_NET_CTRL_RX_9, VP_NS_BCAST, 0, true),
    };
    if (!ns_run(s, d, 3, came) || !ctrl_mode(s, "net.ctrl.nomulti_off", RX_NOMULTI, 0) ||
        !ctrl_mode(s, "net.ctrl.nobcast_on", RX_NOBCAST, 1))
        return;
    txf e[1] = {ns_frame("net.filter.nobcast_over_allmulti", REQ_DEV_NET_CTRL_RX_12 "," REQ_DEV_NET_CTRL_RX_13, VP_NS_BCAST, 0,
                      false)};
    if (!ns_run(s, e, 1, came) || !ctrl_mode(s, "net.ctrl.promisc_on_nobcast", RX_PROMISC, 1))
        return;
    txf f[1] = {ns_frame("net.filter.promisc_over_nobcast", REQ_DEV_NET_CTRL_RX_3, VP_NS_BCAST, 0, true)};
    if (!ns_run(s, f, 1, came) || !ctrl_mode(s, "net.ctrl.nobcast_off", RX_NOBCAST, 0))
        return;
    memcpy(s->marker, VP_NS_BCAST, 6);
}

/* UDP-tunnel GSO headers the device must not accept, whatever it offers:
 * both tunnel bits at once (dev.net_tx.8), a tunnel bit without NEEDS_CSUM
 * (dev.net_tx.10). The driver breaks its own rules here (no GSO was
 * negotiated): the reference device's judge names them (judge_planted.h). */
void vp_ns_tunnel_gso(ns *s)
{
    static const char *const planted[] = {"NET_TX_GSO_UNNEGOTIATED", "NET_TX_TUNNEL_UNNEGOTIATED",
                                          "NET_TX_TUNNEL_BOTH", "NET_TX_GSO", "NET_TX_CSUM",
                                          "NET_TX_GSO_FIELDS"}; /* GSO without NEEDS_CSUM: drv.net_tx.20 */
    bool came[BATCH_MAX];
    txf t[2] = {
        ns_frame("net.tx.gso_both_tunnel_bits", REQ_DEV_NET_TX_8, s->mac, 0, false),
        ns_frame("net.tx.gso_tunnel_without_csum", REQ_DEV_NET_TX_10, s->mac, 0, false),
    };
    t[0].gso = GSO_TUNNEL_V4 | GSO_TUNNEL_V6 | GSO_TCPV4;
    t[0].flags = HF_NEEDS_CSUM;
    t[1].gso = GSO_TUNNEL_V4 | GSO_TCPV4;
    vp_judge_planted(s->v, NULL, 0); /* anything judged before is the probe's own fault */
    ns_run(s, t, 2, came);
    vp_judge_planted(s->v, planted, sizeof planted / sizeof planted[0]);
}

/* With MTU negotiated, a frame of mtu bytes plus the Ethernet header goes
 * out and comes back whole (session 1: one 1536-byte buffer per frame). */
void vp_ns_full_size(ns *s)
{
    vp_drv *v = s->v;
    if (!ns_has(v, VIRTIO_NET_F_MTU_BIT))
        return;
    unsigned mtu = (unsigned)vp_tp_cfg(v->t, C_MTU, 2);
    if (mtu < 68 || mtu + 14 > FRAME_MAX || mtu + 14 > s->rx[0].bufsz) {
        vp_check(s->r, "net.mtu.full_size", "", VP_SKIP, NULL, NULL, "mtu %u: a full frame does not fit %u bytes", mtu,
                 s->rx[0].bufsz);
        return;
    }
    bool came[BATCH_MAX];
    char ob[64];
    txf t = ns_frame(NULL, "", s->mac, 0, true);
    t.len = (uint16_t)(mtu + 14);
    if (!ns_batch(s, &t, 1, came))
        return;
    snprintf(ob, sizeof ob, "%s", !came[0] ? "dropped" : s->whole[0] ? "received whole" : "received changed");
    vp_expect(s->r, "net.mtu.full_size", REQ_DEV_NET_CFG_6, came[0] && s->whole[0], "received whole", ob,
              "a frame of mtu + 14 bytes, MTU negotiated");
}

/* With MTU negotiated, a frame from outside longer than mtu plus the
 * Ethernet header must not be delivered. The runner sends it into the
 * backend (qmp.py, net-inject-oversize: 1514 bytes, then a short frame
 * that closes the pair); the short one must come. */
void vp_ns_oversize(ns *s)
{
    vp_drv *v = s->v;
    char ob[64];
    uint8_t buf[FRAME_MAX];
    if (!ns_has(v, VIRTIO_NET_F_MTU_BIT))
        return;
    unsigned mtu = (unsigned)vp_tp_cfg(v->t, C_MTU, 2);
    if (mtu + 14 >= INJECT_LEN || INJECT_LEN > s->rx[0].bufsz) {
        vp_check(s->r, "net.mtu.oversize_dropped", "", VP_SKIP, NULL, NULL,
                 "mtu %u: the injected %u-byte frame is not over it, or does not fit a buffer", mtu, INJECT_LEN);
        return;
    }
    if (!vp_note_ask(v->c, v->d, "net-inject-oversize")) {
        vp_check(s->r, "net.mtu.oversize_dropped", "", VP_SKIP, NULL, NULL, "no runner to send frames from outside");
        return;
    }
    bool big = false, closed = false;
    for (unsigned guard = 0; guard < 4 * BATCH_MAX && !closed; guard++) {
        int len = ns_recv_frame(s, buf, v->c->opt.timeout_ms, true);
        if (len == -1) {
            s->broken = true;
            return;
        }
        if (len == -2)
            break;
        uint32_t nonce = ns_nonce_of(buf, (uint32_t)len);
        big |= nonce == INJECT_BIG;
        closed = nonce == INJECT_SMALL;
    }
    if (!closed) {
        vp_check(s->r, "net.mtu.oversize_dropped", "", VP_SKIP, NULL, NULL,
                 "the injected short frame did not come (no runner answering)%s", big ? ", the long one did" : "");
        return;
    }
    snprintf(ob, sizeof ob, "%s", big ? "the 1514-byte frame delivered" : "dropped");
    char ex[48];
    snprintf(ex, sizeof ex, "dropped (mtu %u)", mtu);
    vp_expect(s->r, "net.mtu.oversize_dropped", REQ_DEV_NET_CFG_5, !big, ex, ob,
              "MTU negotiated, frames sent into the backend from outside");
}
