/* Network device helpers shared by the round-trip (dev_net.c) and the
 * semantics checks (dev_net_sem.c): a pool of receive buffers on one queue,
 * each reposted once the device has returned it. */
#ifndef VP_DEV_NET_H
#define VP_DEV_NET_H

#include "drv.h"

#define VP_NET_POOL_MAX 16u
#define VP_NET_HDR_ROOM 12u /* bytes kept for the header in split buffers */

typedef struct vp_net_pool {
    unsigned q;       /* receive queue */
    bool mrg;         /* one descriptor per buffer, header inline (MRG_RXBUF) */
    uint32_t hl;      /* header length the features call for */
    uint32_t bufsz;   /* writable bytes per buffer */
    uint64_t base;    /* buffer i at base + i * stride */
    uint32_t stride;
    unsigned n;
    uint32_t tok[VP_NET_POOL_MAX];
    unsigned taken;   /* buffers the device returned */
} vp_net_pool;

/* Allocates n buffers and makes them available. Without mrg each buffer is
 * the header (hl bytes) and the frame (bufsz bytes) in two descriptors, the
 * layout every device takes; with mrg one descriptor of bufsz bytes. False
 * after reporting the failure. */
bool vp_net_pool_init(vp_drv *v, vp_net_pool *p, unsigned q, unsigned n, uint32_t hl, uint32_t bufsz, bool mrg);
int vp_net_pool_find(const vp_net_pool *p, uint32_t token);
bool vp_net_pool_repost(vp_drv *v, vp_net_pool *p, unsigned i);
/* Where buffer i's header and frame bytes start. */
uint64_t vp_net_pool_hdr(const vp_net_pool *p, unsigned i);
uint64_t vp_net_pool_data(const vp_net_pool *p, unsigned i);

/* The semantics checks on a session set up by the round-trip: receive
 * buffers in rx0 (queue 0), the control queue at ctrl_q, pairs queue
 * pairs set up (1 or 2), mac the address in use. Resets the device once
 * and leaves it running with DRIVER_OK. */
/* The configuration fields the offered features bring (dev_net_cfg.c):
 * checked once the driver has negotiated, then read again when it is done. */
typedef struct vp_net_cfg {
    uint64_t offered;
    uint16_t mtu, status;
    uint32_t speed;
    uint8_t duplex;
} vp_net_cfg;
void vp_net_cfg_first(vp_drv *v, vp_net_cfg *c);
void vp_net_cfg_again(vp_drv *v, const vp_net_cfg *c);

/* GUEST_ANNOUNCE (dev_net_announce.c): an announcement asked of the host,
 * acknowledged over the control queue ctrl_q (buf: 4 bytes of DMA memory). */
void vp_net_announce(vp_drv *v, unsigned ctrl_q, uint64_t buf);

void vp_net_semantics(vp_drv *v, vp_net_pool *rx0, const uint8_t mac[6], unsigned ctrl_q, unsigned pairs);

#endif
