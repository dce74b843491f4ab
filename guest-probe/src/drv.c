/* Driver session: arena, init sequence, queues, bounded round-trips. */
#include "clock.h"
#include "drv.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "refdev/device.h" /* status bits */
#include "report.h"
#include "vc/req_ids.h"
#include "vc/ring.h"

const char *vp_rt_name(vp_rt r)
{
    static const char *const n[] = {"ok", "timeout", "device-bad-answer", "driver-error", "io-error"};
    return r <= VP_RT_IO ? n[r] : "?";
}

static void sleep_us(unsigned us)
{
    struct timespec ts = {0, (long)us * 1000};
    nanosleep(&ts, NULL);
}

/* Writes status 0 and waits (bounded) for the device to read back 0. */
static bool reset_device(vp_tp *t, unsigned timeout_ms)
{
    vp_tp_set_status(t, 0);
    double end = vp_now_ms() + timeout_ms;
    uint8_t s;
    while ((s = vp_tp_status(t)) != 0 && !t->io_err && vp_now_ms() < end)
        sleep_us(100);
    return s == 0 && !t->io_err;
}

bool vp_drv_reset(vp_drv *v, vp_ctx *c, vp_dev *d, vp_tp *t, const char *who)
{
    memset(v, 0, sizeof *v);
    v->c = c;
    v->d = d;
    v->t = t;
    v->who = who;
    bool ok = reset_device(t, c->opt.timeout_ms);
    if (c->have_dma)
        memset(c->dma.host, 0, c->dma.size);
    return ok;
}

uint64_t vp_drv_alloc(vp_drv *v, uint64_t size, uint64_t align)
{
    vp_dma *m = &v->c->dma;
    uint64_t gpa = (m->gpa + v->next + align - 1) & ~(align - 1);
    if (gpa + size > m->gpa + m->size)
        return 0;
    v->next = gpa + size - m->gpa;
    return gpa;
}

void *vp_drv_host(vp_drv *v, uint64_t gpa, uint64_t len)
{
    return vc_gmem_host_ptr(&v->c->dma.mem, gpa, len);
}

uint8_t vp_drv_negotiate(vp_drv *v, uint64_t want)
{
    vp_tp *t = v->t;
    vp_tp_set_status(t, VC_STATUS_ACKNOWLEDGE);
    vp_tp_set_status(t, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER);
    v->offered = vp_tp_device_features(t);
    v->features = want & v->offered;
    if (t->legacy)
        v->features &= 0xffffffffull;
    vp_tp_set_driver_features(t, v->features);
    if (t->legacy)
        return vp_tp_status(t);
    vp_tp_set_status(t, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK);
    return vp_tp_status(t);
}

bool vp_drv_queue(vp_drv *v, unsigned qi, uint16_t size, char *err, size_t errlen)
{
    vp_tp *t = v->t;
    if (qi >= VP_DRV_QUEUES) {
        snprintf(err, errlen, "queue %u beyond the probe's %u", qi, VP_DRV_QUEUES);
        return false;
    }
    uint16_t max = vp_tp_queue_max(t, qi);
    if (max == 0) {
        snprintf(err, errlen, "queue %u does not exist (size 0)", qi);
        return false;
    }
    bool packed = (v->features >> VC_F_RING_PACKED) & 1;
    if (t->legacy) {
        size = max; /* fixed by the device */
    } else {
        if (size > max)
            size = max;
        if (!packed) /* split rings need a power of two: take the largest that fits */
            while (size & (size - 1))
                size &= (uint16_t)(size - 1);
    }
    uint64_t desc, drv, dev;
    if (packed) {
        desc = vp_drv_alloc(v, 16ull * size, 4096);
        drv = vp_drv_alloc(v, 4, 4);
        dev = vp_drv_alloc(v, 4, 4);
    } else {
        /* The legacy contiguous layout also satisfies modern alignment. */
        desc = vp_drv_alloc(v, vc_legacy_ring_bytes(size), VC_LEGACY_VRING_ALIGN);
        drv = desc + vc_legacy_avail_off(size);
        dev = desc + vc_legacy_used_off(size);
    }
    uint16_t ind_max = (v->features >> VC_F_INDIRECT_DESC) & 1 ? 8 : 0;
    uint64_t ind = ind_max ? vp_drv_alloc(v, (uint64_t)size * ind_max * 16, 16) : 0;
    if (!desc || !dev || (ind_max && !ind)) {
        snprintf(err, errlen, "DMA arena exhausted (queue %u, size %u)", qi, size);
        return false;
    }
    vc_drv_status st = vc_vq_drv_init(&v->q[qi], &v->c->dma.mem, v->features, size, desc, drv, dev,
                                      ind, ind_max);
    if (st != VC_DRV_OK) {
        snprintf(err, errlen, "ring set-up: %s", vc_drv_status_name(st));
        return false;
    }
    if (!vp_tp_queue_setup(t, qi, size, desc, drv, dev)) {
        vc_vq_drv_free(&v->q[qi]);
        snprintf(err, errlen, "queue %u registers could not be programmed%s", qi,
                 t->io_err ? " (BAR access failed)" : "");
        return false;
    }
    v->q_live[qi] = true;
    if (qi + 1 > v->nq)
        v->nq = qi + 1;
    return true;
}

bool vp_drv_queues(vp_drv *v, unsigned first, unsigned last, const char *check_id)
{
    char err[128];
    for (unsigned q = first; q <= last; q++)
        if (!vp_drv_queue(v, q, 64, err, sizeof err)) {
            vp_check(v->c->rep, check_id, "", VP_ERROR, NULL, NULL, "%s", err);
            return false;
        }
    return true;
}

void vp_drv_driver_ok(vp_drv *v)
{
    uint8_t s = VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_DRIVER_OK;
    if (!v->t->legacy)
        s |= VC_STATUS_FEATURES_OK;
    vp_tp_set_status(v->t, s);
}

vp_rt vp_drv_post(vp_drv *v, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in, bool indirect,
                  uint32_t *token, char *err, size_t errlen)
{
    if (qi >= VP_DRV_QUEUES || !v->q_live[qi]) {
        snprintf(err, errlen, "queue %u is not set up", qi);
        return VP_RT_DRIVER;
    }
    vc_vq_drv *q = &v->q[qi];
    *token = 0x5600u + v->roundtrips++;
    vc_drv_status st = vc_vq_drv_add(q, sg, n_out, n_in, *token, indirect && q->indirect);
    if (st != VC_DRV_OK) {
        snprintf(err, errlen, "add buffer: %s", vc_drv_status_name(st));
        return VP_RT_DRIVER;
    }
    if (v->c->opt.drv_fault_avail_jump && !v->fault_planted && !q->packed) {
        /* planted: the available index runs more than a queue ahead of the
         * device (drv.vq_avail.1); the device's judge must name it */
        uint16_t idx = (uint16_t)(q->avail_idx + q->size + 1);
        vc_gmem_st16_release(q->mem, q->driver + VC_SPLIT_AVAIL_IDX, idx);
        v->fault_planted = true;
        vp_tp_notify(v->t, qi);
        return VP_RT_OK;
    }
    if (vc_vq_drv_kick_needed(q))
        vp_tp_notify(v->t, qi);
    return VP_RT_OK;
}

vp_rt vp_drv_wait(vp_drv *v, unsigned qi, unsigned timeout_ms, uint32_t *token, uint32_t *len, char *err,
                  size_t errlen)
{
    if (qi >= VP_DRV_QUEUES || !v->q_live[qi]) {
        snprintf(err, errlen, "queue %u is not set up", qi);
        return VP_RT_DRIVER;
    }
    vc_vq_drv *q = &v->q[qi];
    double end = vp_now_ms() + timeout_ms;
    unsigned backoff = 10;
    vc_drv_status st;
    for (;;) {
        st = vc_vq_drv_get_used(q, token, len);
        if (st != VC_DRV_EMPTY)
            break;
        if (v->t->io_err) {
            snprintf(err, errlen, "BAR access failed while waiting");
            return VP_RT_IO;
        }
        if (vp_now_ms() > end) {
            snprintf(err, errlen, "no used buffer within %u ms", timeout_ms);
            return VP_RT_TIMEOUT;
        }
        sleep_us(backoff);
        if (backoff < 1000)
            backoff *= 2;
    }
    if (st == VC_DRV_DEV_BAD_LEN) {
        /* the buffer came back, with a length beyond its writable part: a
         * violation to report (once per queue), not a reason to stop */
        if (!v->bad_len[qi]) {
            char ob[48];
            snprintf(ob, sizeof ob, "used length %u", *len);
            vp_check(v->c->rep, "vq.used_len", REQ_DEV_VQ_USED_2, VP_FAIL, "at most the writable bytes", ob,
                     "queue %u", qi);
        }
        v->bad_len[qi] = true;
    } else if (st != VC_DRV_OK) {
        snprintf(err, errlen, "device answer rejected: %s", vc_drv_status_name(st));
        return VP_RT_DEVICE_BAD;
    }
    v->completed++;
    return VP_RT_OK;
}

vp_rt vp_drv_roundtrip(vp_drv *v, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in,
                       bool indirect, uint32_t *len, char *err, size_t errlen)
{
    uint32_t token, got = 0;
    vp_rt rt = vp_drv_post(v, qi, sg, n_out, n_in, indirect, &token, err, errlen);
    if (rt == VP_RT_OK)
        rt = vp_drv_wait(v, qi, v->c->opt.timeout_ms, &got, len, err, errlen);
    if (rt == VP_RT_OK && got != token) {
        snprintf(err, errlen, "used token 0x%x, expected 0x%x", got, token);
        return VP_RT_DEVICE_BAD;
    }
    return rt;
}

void vp_drv_done(vp_drv *v)
{
    reset_device(v->t, v->c->opt.timeout_ms); /* before the rings are freed */
    for (unsigned i = 0; i < VP_DRV_QUEUES; i++)
        if (v->q_live[i])
            vc_vq_drv_free(&v->q[i]);
    memset(v->q_live, 0, sizeof v->q_live);
}
