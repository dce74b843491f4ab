/* Shared by the net semantics checks (dev_net_sem.c: the session, batches
 * of frames, the filter, pairs and reset checks; dev_net_extra.c: the
 * CTRL_RX_EXTRA modes, MTU-sized frames, tunnel GSO headers). */
#ifndef VP_DEV_NET_SEM_H
#define VP_DEV_NET_SEM_H

#include "dev_net.h"

enum { CL_RX = 0, CL_MAC = 1, CL_VLAN = 2, CL_MQ = 4 };
enum { RX_PROMISC = 0, RX_ALLMULTI = 1, RX_ALLUNI = 2, RX_NOMULTI = 3, RX_NOUNI = 4, RX_NOBCAST = 5 };
enum { MAC_TABLE_SET = 0, MAC_ADDR_SET = 1, VLAN_ADD = 0, VLAN_DEL = 1, MQ_PAIRS_SET = 0 };
#define BATCH_MAX 8u
#define FRAME_LEN 78u      /* 14-byte Ethernet header and 64 bytes */
#define LONG_LEN 200u      /* spans several small mergeable buffers */
#define FRAME_MAX 1536u    /* a full-size frame (mtu plus the Ethernet header) fits */
#define HF_UNKNOWN 0x80u   /* the one transmit header flag bit virtio 1.4 leaves undefined */
#define HF_NEEDS_CSUM 1u
#define GSO_TCPV4 1u
#define GSO_TUNNEL_V4 0x20u
#define GSO_TUNNEL_V6 0x40u
#define C_MTU 10u          /* config: mtu */
#define INJECT_LEN 1514u   /* the runner's injected frames (qmp.py, INJECT_*) */
#define INJECT_BIG 0x7e000001u
#define INJECT_SMALL 0x7e000002u
#define MRG_BUF 64u        /* small mergeable buffers: a frame takes 2 to 4 */
#define VID_IN 5u          /* VLAN ids the checks add and leave out */
#define VID_OUT 6u

typedef struct txf {
    const char *id;        /* check id; NULL: a control frame (must come) */
    const char *reqs;
    uint8_t dst[6];
    uint16_t vid;          /* 0: untagged */
    uint16_t len;
    bool pass;             /* what the filter must do with it */
    bool junk;             /* checksum and header-length fields set, NEEDS_CSUM clear */
    uint8_t flags;         /* transmit header flags */
    uint8_t gso;           /* transmit header gso_type (with gso_size, hdr_len, csum fields set) */
    unsigned txq;
} txf;

typedef struct ns {
    vp_drv *v;
    vp_report *r;
    uint8_t mac[6];
    unsigned ctrl_q, pairs;
    vp_net_pool rx[2];
    uint64_t tx, cb;
    uint32_t nonce;
    bool broken;           /* the loopback failed: later batches are pointless */
    /* findings over every frame received here */
    unsigned frames, merged;
    unsigned plain;        /* ours received without MRG_RXBUF */
    char hdr[96], intact[96], single[96], nb[96], fill[96], late[96];
    bool junk_seen, unknown_seen;
    uint8_t marker[6];     /* where each batch's closing frame goes (it must pass) */
    bool whole[BATCH_MAX]; /* frame i of the last batch came back as sent */
    bool rx1_used;         /* a buffer came back on the second receive queue */
} ns;

extern const uint8_t VP_NS_U1[6], VP_NS_U2[6], VP_NS_M1[6], VP_NS_M2[6], VP_NS_BCAST[6];

bool ns_has(const vp_drv *v, unsigned bit);
/* The nonce a received frame carries, or 0 when it is not one of ours. */
uint32_t ns_nonce_of(const uint8_t *f, uint32_t len);
/* A command the device must carry out: its ack must be OK. */
bool ns_ctrl_ok(ns *s, const char *id, const char *reqs, uint8_t cls, uint8_t cmd, const void *data, uint32_t len);
/* Receives one frame into f: its length, -1 after reporting a failed wait,
 * -2 (quiet, nothing reported) when nothing came. */
int ns_recv_frame(ns *s, uint8_t *f, unsigned timeout_ms, bool quiet);
/* Transmits n frames and the marker, receives until the marker is back:
 * came[i] whether frame i passed, s->whole[i] whether it came as sent. */
bool ns_batch(ns *s, const txf *t, unsigned n, bool *came);
/* A batch, then each frame with an id judged passed or dropped. */
bool ns_run(ns *s, const txf *t, unsigned n, bool *came);
txf ns_frame(const char *id, const char *reqs, const uint8_t dst[6], uint16_t vid, bool pass);

/* dev_net_extra.c, each in session 1 after the filter checks */
void vp_ns_rx_extra(ns *s);
void vp_ns_tunnel_gso(ns *s);
void vp_ns_full_size(ns *s);
void vp_ns_oversize(ns *s);

#endif
