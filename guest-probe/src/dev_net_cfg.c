/* Network device configuration: the fields the offered features bring
 * (mtu, speed and duplex, the RSS limits) within their ranges, and the
 * features that need the control queue offered only with it. The fields
 * are read when the driver starts and again when it is done, after the
 * semantics checks' reset and traffic: the mtu never moves, speed and
 * duplex stay put while the link is up. */
#include <stdio.h>

#include "checks.h"
#include "dev_net.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

/* config layout (virtio-net): status, mtu, speed, duplex, RSS limits */
enum { C_STATUS = 6, C_MTU = 10, C_SPEED = 12, C_DUPLEX = 16, C_RSS_KEY = 17, C_RSS_IND = 18 };
#define S_LINK_UP 1u
#define SPEED_UNKNOWN 0xffffffffu

static bool bit(uint64_t f, unsigned b) { return f >> b & 1; }

/* A feature that only works over the control queue, offered without it. */
static void needs_ctrl(vp_report *r, uint64_t off, unsigned b, const char *id, const char *req, const char *name)
{
    if (!bit(off, b))
        return;
    char ob[64];
    snprintf(ob, sizeof ob, "%s offered, CTRL_VQ %s", name, bit(off, VIRTIO_NET_F_CTRL_VQ_BIT) ? "too" : "not");
    vp_expect(r, id, req, bit(off, VIRTIO_NET_F_CTRL_VQ_BIT), "CTRL_VQ offered with it", ob, NULL);
}

/* Only the fields the offered features bring exist: reading past them can
 * leave the configuration region (a legacy I/O BAR ends there). */
static void snap(vp_drv *v, vp_net_cfg *c, uint64_t off)
{
    c->mtu = bit(off, VIRTIO_NET_F_MTU_BIT) ? (uint16_t)vp_tp_cfg(v->t, C_MTU, 2) : 0;
    bool sd = bit(off, VIRTIO_NET_F_SPEED_DUPLEX_BIT);
    c->speed = sd ? (uint32_t)vp_tp_cfg(v->t, C_SPEED, 4) : 0;
    c->duplex = sd ? (uint8_t)vp_tp_cfg(v->t, C_DUPLEX, 1) : 0;
    c->status = bit(off, VIRTIO_NET_F_STATUS_BIT) ? (uint16_t)vp_tp_cfg(v->t, C_STATUS, 2) : 0;
}

void vp_net_cfg_first(vp_drv *v, vp_net_cfg *c)
{
    vp_report *r = v->c->rep;
    char ob[96];
    uint64_t off = vp_tp_device_features(v->t);
    snap(v, c, off);
    c->offered = off;
    if (bit(off, VIRTIO_NET_F_MTU_BIT)) {
        snprintf(ob, sizeof ob, "%u", c->mtu);
        vp_expect(r, "net.cfg.mtu", REQ_DEV_NET_CFG_2, c->mtu >= 68, "68 to 65535", ob, "MTU offered");
        vp_expect(r, "net.cfg.mtu_ipv6", REQ_DEV_NET_CFG_3, c->mtu >= 1280, "1280 or more", ob, "MTU offered");
    }
    if (bit(off, VIRTIO_NET_F_RSS_BIT) || bit(off, VIRTIO_NET_F_HASH_REPORT_BIT)) {
        unsigned key = (unsigned)vp_tp_cfg(v->t, C_RSS_KEY, 1);
        snprintf(ob, sizeof ob, "%u bytes", key);
        vp_expect(r, "net.cfg.rss_key", REQ_DEV_NET_CFG_7, key >= 40, "40 or more", ob,
                  bit(off, VIRTIO_NET_F_RSS_BIT) ? "RSS offered" : "HASH_REPORT offered");
    }
    if (bit(off, VIRTIO_NET_F_RSS_BIT)) {
        unsigned ind = (unsigned)vp_tp_cfg(v->t, C_RSS_IND, 2);
        snprintf(ob, sizeof ob, "%u entries", ind);
        vp_expect(r, "net.cfg.rss_indirection", REQ_DEV_NET_CFG_8, ind >= 128, "128 or more", ob, "RSS offered");
    }
    if (bit(v->features, VIRTIO_NET_F_SPEED_DUPLEX_BIT)) {
        snprintf(ob, sizeof ob, "0x%x", c->speed);
        vp_expect(r, "net.cfg.speed", REQ_DEV_NET_CFG_10, c->speed <= 0x7fffffffu || c->speed == SPEED_UNKNOWN,
                  "0 to 0x7fffffff, or 0xffffffff", ob, "SPEED_DUPLEX negotiated");
        snprintf(ob, sizeof ob, "0x%x", c->duplex);
        vp_expect(r, "net.cfg.duplex", REQ_DEV_NET_CFG_11, c->duplex <= 1 || c->duplex == 0xff, "0, 1 or 0xff", ob,
                  "SPEED_DUPLEX negotiated");
    }
    needs_ctrl(r, off, VIRTIO_NET_F_HASH_REPORT_BIT, "net.cfg.hash_report_ctrl", REQ_DEV_NET_CFG_13, "HASH_REPORT");
    needs_ctrl(r, off, VIRTIO_NET_F_CTRL_RX_EXTRA_BIT, "net.cfg.rx_extra_ctrl", REQ_DEV_NET_CFG_14, "CTRL_RX_EXTRA");
}

void vp_net_cfg_again(vp_drv *v, const vp_net_cfg *c)
{
    vp_report *r = v->c->rep;
    char ex[64], ob[64];
    vp_net_cfg now;
    snap(v, &now, c->offered);
    if (bit(c->offered, VIRTIO_NET_F_MTU_BIT)) {
        snprintf(ex, sizeof ex, "%u", c->mtu);
        snprintf(ob, sizeof ob, "%u", now.mtu);
        vp_expect(r, "net.cfg.mtu_stable", REQ_DEV_NET_CFG_4, now.mtu == c->mtu, ex, ob,
                  "read at the start and after the driver's traffic (and the semantics checks' reset)");
    }
    bool up = bit(v->features, VIRTIO_NET_F_STATUS_BIT) && c->status & S_LINK_UP && now.status & S_LINK_UP;
    if (bit(v->features, VIRTIO_NET_F_SPEED_DUPLEX_BIT) && up) {
        snprintf(ex, sizeof ex, "speed 0x%x, duplex 0x%x", c->speed, c->duplex);
        snprintf(ob, sizeof ob, "speed 0x%x, duplex 0x%x", now.speed, now.duplex);
        vp_expect(r, "net.cfg.speed_stable", REQ_DEV_NET_CFG_12, now.speed == c->speed && now.duplex == c->duplex,
                  ex, ob, "link up at both reads");
    }
}
