/* A driver session for the interrupt and lifecycle checks: one queue of the
 * device set up, and the device's cheapest request on it (one the device
 * completes at once, whatever is behind it), repeated as often as a check
 * needs. */
#ifndef VP_IRQ_SESS_H
#define VP_IRQ_SESS_H

#include "irq.h"

typedef enum vp_is_kind { VP_IS_MODERN, VP_IS_PACKED, VP_IS_LEGACY } vp_is_kind;

typedef struct vp_isess {
    vp_drv v;
    vp_tp t;
    const char *who;  /* the driver name checks are reported under */
    unsigned q;       /* the queue the requests go to */
    uint64_t buf;     /* request memory */
    uint64_t pages;   /* balloon: pages to inflate, one per request */
    unsigned n;       /* requests made */
    uint16_t max;     /* the queue's size before the session set it */
    bool indirect;    /* INDIRECT_DESC asked for in extra and taken: one ring slot a request */
} vp_isess;

/* The queue a device type's cheap request goes to; -1 when the probe has none. */
int vp_isess_queue(const char *type);
/* Writes status 0 and waits (bounded) for it to read back 0. */
bool vp_isess_reset(vp_tp *t, unsigned ms);
/* Resets the device and sets the queue up (size qsize, 0: the probe's
 * usual 64), negotiating VERSION_1 (modern), RING_PACKED (packed) and
 * extra where offered; DRIVER_OK unless no_ok. False after reporting an
 * error under check id. */
bool vp_isess_open(vp_isess *s, vp_ctx *c, vp_dev *d, vp_is_kind kind, uint64_t extra, uint16_t qsize, bool no_ok,
                   const char *id);
/* Sets the session queue up again at a new size (after a queue reset). */
bool vp_isess_requeue(vp_isess *s, uint16_t qsize, char *err, size_t errlen);
/* Makes one request available and notifies: the token in *token. */
bool vp_isess_post(vp_isess *s, uint32_t *token, char *err, size_t errlen);
/* Posts one request and waits (bounded) for it to come back used. */
bool vp_isess_req(vp_isess *s, char *err, size_t errlen);
/* Maps the config and the session queue's MSI-X vectors (VP_NO_VECTOR to
 * unmap); *cfg_back and *q_back get what reads back. */
void vp_isess_vectors(vp_isess *s, uint16_t cfg, uint16_t qv, uint16_t *cfg_back, uint16_t *q_back);
void vp_isess_close(vp_isess *s);

#endif
