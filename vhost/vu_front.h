/* vhost-user front-end: connects to a back-end's unix socket, negotiates,
 * hands over guest memory and rings, kicks, and watches the call and error
 * eventfds. Every wait is bounded by timeout_ms; a back-end that hangs or
 * closes the connection shows up as a vu_err, with the reason in why. */
#ifndef VU_FRONT_H
#define VU_FRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "vu_mem.h"
#include "vu_msg.h"

#define VU_FRONT_MAX_QUEUES 8

typedef struct vu_front_vq {
    int kick, call, err; /* our eventfds, -1 until the queue is first started */
    bool started;
    bool err_set; /* SET_VRING_ERR went out on this connection (once is enough) */
} vu_front_vq;

#define VU_FRONT_RBUF 2048 /* replies read ahead */

typedef struct vu_front {
    int sock;
    int timeout_ms;
    uint64_t dev_features;  /* offered by GET_FEATURES */
    uint64_t proto_offered; /* offered by GET_PROTOCOL_FEATURES (0 without bit 30) */
    uint64_t proto;         /* the protocol features we acknowledged */
    uint64_t features;      /* the last SET_FEATURES (bit 30 included when offered) */
    uint32_t max_queues;    /* GET_QUEUE_NUM, 0 when the back-end has no MQ */
    int peer_pid;           /* the process listening on the socket (SO_PEERCRED), 0 unknown */
    vu_front_vq vq[VU_FRONT_MAX_QUEUES];
    char why[256]; /* the last failure, for people */
    /* replies carry no fds: they are read in bulk and taken out one by one */
    unsigned rlen;
    uint8_t rbuf[VU_FRONT_RBUF];
} vu_front;

/* Protocol features the front-end uses when offered. */
#define VU_FRONT_PROTO ((1ull << VU_PF_MQ) | (1ull << VU_PF_REPLY_ACK) | (1ull << VU_PF_CONFIG))

void vu_front_init(vu_front *f, int timeout_ms);
/* Connects, retrying while the socket is missing or refuses (a back-end
 * still starting) until timeout_ms has passed. */
vu_err vu_front_connect(vu_front *f, const char *path, int timeout_ms);
/* GET_FEATURES, protocol features, SET_OWNER, GET_QUEUE_NUM (with MQ). */
vu_err vu_front_hello(vu_front *f);
/* SET_FEATURES: device and ring bits, all offered (else VU_E_VALUE). */
vu_err vu_front_set_features(vu_front *f, uint64_t features);
vu_err vu_front_set_mem(vu_front *f, const vu_guest_mem *m);
/* One queue's geometry; addresses are user addresses (vu_mem_uva). */
typedef struct vu_ring {
    unsigned q;
    uint16_t size;
    uint64_t desc, avail, used; /* packed: descriptor ring, driver and device event areas */
    bool packed; /* the base then carries the wrap counter (bit 15), 1 at the start */
} vu_ring;
/* SET_VRING_NUM, BASE 0, ADDR, KICK, CALL, ERR and ENABLE, then waits until
 * the back-end has taken them all in. */
vu_err vu_front_vring_start(vu_front *f, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
                            uint64_t used);
/* GET_VRING_BASE: stops the ring, gives the back-end's next avail index. */
vu_err vu_front_vring_stop(vu_front *f, unsigned q, uint32_t *base);

/* The same for any ring (split or packed). */
vu_err vu_front_ring_start(vu_front *f, const vu_ring *r);

/* The same in one round trip each: the requests go out together and their
 * replies are read after (back-ends handle messages in order). */
/* Stops the ring (its base in *base) and starts it again as r describes. */
vu_err vu_front_vring_restart(vu_front *f, const vu_ring *r, uint32_t *base);
/* Connects again to a back-end that made the offers 'known' recorded
 * (vu_front_hello), negotiates features, hands over the memory and, when r
 * is given, starts that ring. VU_E_MISMATCH: the offers changed. The offers
 * are asked for again only when another process listens now (a process
 * does not change what it offers; asking costs libvhost-user a userfaultfd
 * probe per connection). */
vu_err vu_front_reopen(vu_front *f, const char *path, int timeout_ms, const vu_front *known, uint64_t features,
                       const vu_guest_mem *m, const vu_ring *r);

/* A request whose reply is read later (a fence: the back-end has handled
 * everything sent before it when the reply comes), and that reply. */
vu_err vu_front_send_only(vu_front *f, vu_msg *m);
vu_err vu_front_recv_reply(vu_front *f, uint32_t request, vu_msg *reply);
/* GET_CONFIG of len bytes at off (needs the CONFIG protocol feature). */
vu_err vu_front_get_config(vu_front *f, uint32_t off, uint32_t len, uint8_t *out);
/* Sends one request and, when it has a reply, receives and checks it. */
vu_err vu_front_request(vu_front *f, vu_msg *m, vu_msg *reply);
void vu_front_kick(vu_front *f, unsigned q);
/* Signals on the queue's call (or error) eventfd since the last look. */
uint64_t vu_front_calls(vu_front *f, unsigned q);
uint64_t vu_front_errors(vu_front *f, unsigned q);
/* True when the back-end has closed its end (or the socket failed). */
bool vu_front_hung_up(vu_front *f);
void vu_front_close(vu_front *f);
/* Closes the connection but keeps the eventfds for the next one (on a new
 * connection they are handed over afresh; whatever they hold is drained
 * when a ring starts). */
void vu_front_hang_up(vu_front *f);

#endif
