/* One driver session over one interface (modern or legacy): the DMA arena
 * carved per session, the init sequence, queue set-up through the shared
 * virtqueue library, and bounded request round-trips. */
#ifndef VP_DRV_H
#define VP_DRV_H

#include "probe.h"
#include "transport.h"
#include "vc/vq_drv.h"

#define VP_DRV_QUEUES 16 /* queues a session sets up at most */

typedef struct vp_drv {
    vp_ctx *c;
    vp_dev *d;
    vp_tp *t;
    const char *who;      /* "modern" or "legacy" */
    uint64_t offered, features;
    uint64_t next;        /* bump allocator offset into the DMA arena */
    unsigned nq;          /* queues set up */
    vc_vq_drv q[VP_DRV_QUEUES];
    bool q_live[VP_DRV_QUEUES];
    bool bad_len[VP_DRV_QUEUES]; /* a used length beyond the writable bytes was reported */
    bool isr_seen;        /* queue interrupt seen in ISR during this session */
    unsigned roundtrips;  /* requests made available */
    unsigned completed;   /* requests that came back used */
    bool fault_planted;   /* --drv-fault: done in this session */
} vp_drv;

typedef enum vp_rt { VP_RT_OK, VP_RT_TIMEOUT, VP_RT_DEVICE_BAD, VP_RT_DRIVER, VP_RT_IO } vp_rt;
const char *vp_rt_name(vp_rt r);

/* Resets the device and the arena; false (with a verdict already reported
 * under id_prefix) when the device does not read back status 0. */
bool vp_drv_reset(vp_drv *v, vp_ctx *c, vp_dev *d, vp_tp *t, const char *who);
/* Guest-physical memory from the arena (zeroed), 0 when exhausted. */
uint64_t vp_drv_alloc(vp_drv *v, uint64_t size, uint64_t align);
void *vp_drv_host(vp_drv *v, uint64_t gpa, uint64_t len);
/* ACKNOWLEDGE|DRIVER, accept want&offered (plus VERSION_1 on modern when
 * offered), FEATURES_OK (modern). Returns the status read back. */
uint8_t vp_drv_negotiate(vp_drv *v, uint64_t want);
/* Sets up queue qi with at most size entries (legacy: the device's size). */
bool vp_drv_queue(vp_drv *v, unsigned qi, uint16_t size, char *err, size_t errlen);
/* Sets up queues first..last (64 entries at most); on a refusal reports
 * check_id as an error and returns false. */
bool vp_drv_queues(vp_drv *v, unsigned first, unsigned last, const char *check_id);
void vp_drv_driver_ok(vp_drv *v);
/* Makes one buffer available, notifies, waits (bounded) for it to be used. */
vp_rt vp_drv_roundtrip(vp_drv *v, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in,
                       bool indirect, uint32_t *len, char *err, size_t errlen);
/* The two halves, for queues where the device answers later or out of
 * order (receive queues, events): post returns the buffer's token; wait
 * takes the next used buffer of queue qi within timeout_ms. */
vp_rt vp_drv_post(vp_drv *v, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in, bool indirect,
                  uint32_t *token, char *err, size_t errlen);
vp_rt vp_drv_wait(vp_drv *v, unsigned qi, unsigned timeout_ms, uint32_t *token, uint32_t *len, char *err,
                  size_t errlen);
void vp_drv_done(vp_drv *v); /* frees queues and resets the device */

#endif
