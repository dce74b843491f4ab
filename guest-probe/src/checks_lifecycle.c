/* The device across its states, in one session. A request notified before
 * DRIVER_OK must wait for it (modern). With RING_RESET the request
 * queue is reset on its own (read back, silent afterwards although a
 * request and a notification come) and re-enabled at another size, used
 * past its wrap. Then buffers are left with the device (receive and event
 * queues) and requests made available, and the device is reset: the
 * session's memory, filled with a canary once the reset is done, must stay
 * untouched with no interrupt, and (modern) the queue and vector fields
 * read their defaults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks_irq.h"
#include "refdev/device.h"
#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vc/spec_features.h"

#define CANARY 0xa5u
#define HELD_BUF 2048u
#define NHELD 4u
#define FIRST_SIZE 8u
#define NEW_SIZE 4u
#define ASYNC_WAIT_MS 20u /* a request taken too early comes back within it */

/* Queues where a device keeps buffers until something arrives. */
static int held_queue(const char *type)
{
    static const struct { const char *type; int q; } H[] = {{"net", 0}, {"console", 0}, {"scsi", 1}, {"input", 0}};
    for (unsigned i = 0; i < sizeof H / sizeof H[0]; i++)
        if (!strcmp(H[i].type, type))
            return H[i].q;
    return -1;
}

static void reg(vp_tp *t, unsigned q, uint16_t *en, uint16_t *size, uint16_t *vec, uint16_t *rst)
{
    vp_tp_wr(t, &t->common, VC_CC_QSELECT, 2, q);
    *en = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_QENABLE, 2);
    *size = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_QSIZE, 2);
    *vec = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_QMSIX, 2);
    *rst = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_QRESET, 2);
}

static uint16_t map(vp_isess *s, vp_irq *q)
{
    uint16_t cb, qb = VP_NO_VECTOR;
    if (q)
        vp_isess_vectors(s, 0, q->nvec > 1 ? 1 : 0, &cb, &qb);
    return qb;
}

/* First byte of [0, n) of the arena that differs from snap (or from the
 * canary when snap is NULL), -1 when none. */
static long changed(const uint8_t *mem, const uint8_t *snap, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mem[i] != (snap ? snap[i] : CANARY))
            return (long)i;
    return -1;
}

/* A request made available and notified before DRIVER_OK: nothing may
 * happen to it until then; once DRIVER_OK is set and the queue notified
 * again it is served. False when the session cannot go on. */
static bool before_driver_ok(vp_isess *s, vp_irq *q)
{
    vp_report *r = s->v.c->rep;
    char err[128], ob[96], one[48];
    vc_vq_drv *vq = &s->v.q[s->q];
    uint32_t tok, got = 0, len;
    if (q)
        vp_irq_clear(q);
    if (!vp_isess_post(s, &tok, err, sizeof err)) {
        vp_check(r, "life.before_driver_ok", "", VP_ERROR, NULL, NULL, "request: %s", err);
        return false;
    }
    vp_tp_notify(&s->t, s->q);
    /* a device that takes the request completes it later (a disk read):
     * no register read orders that, so the used index is watched a while */
    uint16_t used = 0;
    struct timespec t0, now, nap = {0, 200000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        vc_gmem_ld16(&s->v.c->dma.mem, vq->device + VC_SPLIT_USED_IDX, &used);
        if (used)
            break;
        nanosleep(&nap, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < ASYNC_WAIT_MS);
    uint32_t seen = q ? vp_irq_settle(q, &s->t) : 0;
    snprintf(ob, sizeof ob, "used index %u, %s", used, q ? vp_irq_describe(seen, one, sizeof one) : "MSI-X not seen");
    vp_expect(r, "life.before_driver_ok", REQ_DEV_STATUS_1, used == 0 && !seen, "used index 0, nothing raised", ob,
              "FEATURES_OK set, a request made available and notified (against drv.init.6, on purpose), "
              "DRIVER_OK not yet");
    vp_drv_driver_ok(&s->v);
    vp_tp_notify(&s->t, s->q);
    vp_rt rt = vp_drv_wait(&s->v, s->q, s->v.c->opt.timeout_ms, &got, &len, err, sizeof err);
    if (rt != VP_RT_OK || got != tok) {
        vp_check(r, "life.before_driver_ok.served", "", VP_ERROR, "served after DRIVER_OK", vp_rt_name(rt), "%s", err);
        return false;
    }
    return true;
}

/* Queue reset of the request queue; false when the session cannot go on. */
static bool queue_reset(vp_isess *s, vp_irq *q)
{
    vp_report *r = s->v.c->rep;
    vp_tp *t = &s->t;
    char err[128], ob[160], one[48];
    uint16_t en, size, vec, rst;
    reg(t, s->q, &en, &size, &vec, &rst);
    snprintf(ob, sizeof ob, "%u", rst);
    vp_expect(r, "life.queue_reset.enabled_reads_0", REQ_DEV_PCI_COMMON_10, rst == 0, "0", ob,
              "queue enabled and used");
    vp_tp_wr(t, &t->common, VC_CC_QRESET, 2, 1);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do { /* 1 while the reset is under way */
        rst = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_QRESET, 2);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (rst && (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < s->v.c->opt.timeout_ms);
    reg(t, s->q, &en, &size, &vec, &rst);
    snprintf(ob, sizeof ob, "queue_reset %u, queue_enable %u", rst, en);
    /* queue_reset read 0 (or the wait ran out): the reset must be over by
     * then, the queue disabled (dev.pci_common.12: 1 until it is) */
    if (!vp_expect(r, "life.queue_reset.done", REQ_DEV_PCI_COMMON_11 "," REQ_DEV_PCI_COMMON_12 "," REQ_DEV_PCI_COMMON_13,
                   !rst && !en, "both 0", ob, "1 written to queue_reset"))
        return false;
    snprintf(ob, sizeof ob, "size %u (max %u), vector 0x%x", size, s->max, vec);
    vp_expect(r, "life.queue_reset.defaults", REQ_DEV_VQ_RESET_2, size == s->max && vec == VP_NO_VECTOR,
              "size back to the maximum, vector NO_VECTOR", ob, "the queue's configuration after its reset");
    /* a request on the old ring and a notification: the device must leave it alone */
    uint32_t tok;
    vp_isess_post(s, &tok, err, sizeof err);
    size_t n = (size_t)s->v.next;
    uint8_t *snap = malloc(n);
    if (!snap)
        return false;
    memcpy(snap, s->v.c->dma.host, n);
    if (q)
        vp_irq_clear(q);
    vp_tp_notify(t, s->q);
    uint32_t seen = q ? vp_irq_settle(q, t) : 0;
    long at = changed(s->v.c->dma.host, snap, n);
    free(snap);
    if (at >= 0)
        snprintf(ob, sizeof ob, "byte %ld of the session's memory written", at);
    else
        snprintf(ob, sizeof ob, "untouched, %s", q ? vp_irq_describe(seen, one, sizeof one) : "MSI-X not seen");
    vp_expect(r, "life.queue_reset.silent", REQ_DEV_VQ_RESET_1, at < 0 && !seen, "memory untouched, nothing raised",
              ob, "a request made available on the reset queue, and a notification");
    /* re-enabled at another size on a fresh ring, from index 0, used past the wrap */
    unsigned ok = 0, want = NEW_SIZE + 1; /* once past the wrap */
    if (!vp_isess_requeue(s, NEW_SIZE, err, sizeof err)) {
        vp_check(r, "life.queue_reset.reenable", "", VP_ERROR, NULL, NULL, "%s", err);
        return false;
    }
    map(s, q);
    while (ok < want && vp_isess_req(s, err, sizeof err))
        ok++;
    snprintf(ob, sizeof ob, "%u of %u came back%s%s", ok, want, ok < want ? ": " : "", ok < want ? err : "");
    vp_expect(r, "life.queue_reset.reenable", REQ_DEV_VQ_REENABLE_1 "," REQ_DEV_VQ_RESET_2, ok == want,
              "all, in order", ob, "re-enabled at size 4 on a fresh ring");
    return ok == want;
}

/* After the reset of a running device: every field at its default. */
static void defaults(vp_isess *s, uint16_t size_before, bool mapped, bool rr)
{
    vp_report *r = s->v.c->rep;
    vp_tp *t = &s->t;
    char ex[32], ob[96];
    uint16_t en, size, vec, rst;
    unsigned nq = vp_tp_num_queues(t), enabled = 0, resets = 0;
    for (unsigned i = 0; i < nq && i < VP_MAX_QUEUES; i++) {
        reg(t, i, &en, &size, &vec, &rst);
        enabled += en != 0;
        resets += rst != 0;
    }
    reg(t, s->q, &en, &size, &vec, &rst);
    snprintf(ob, sizeof ob, "%u of %u queue(s) enabled", enabled, nq);
    vp_expect(r, "life.defaults.queue_enable", REQ_DEV_PCI_COMMON_8, enabled == 0, "none enabled", ob,
              "after a reset of a running device");
    char why[48];
    snprintf(ex, sizeof ex, "%u", s->max);
    snprintf(ob, sizeof ob, "%u", size);
    snprintf(why, sizeof why, "the queue had been set to %u", size_before);
    if (size_before != s->max)
        vp_expect(r, "life.defaults.queue_size", REQ_DEV_IMPLIED_RESET_QUEUE_SIZE, size == s->max, ex, ob, why);
    if (mapped) {
        uint16_t cfgv = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_MSIX, 2);
        snprintf(ob, sizeof ob, "config 0x%x, queue 0x%x", cfgv, vec);
        vp_expect(r, "life.defaults.msix", REQ_DEV_PCI_MSIX_7, cfgv == VP_NO_VECTOR && vec == VP_NO_VECTOR,
                  "both NO_VECTOR", ob, "vectors mapped and used before the reset");
    }
    if (rr) {
        snprintf(ob, sizeof ob, "%u queue(s) read non-zero", resets);
        vp_expect(r, "life.defaults.queue_reset", REQ_DEV_PCI_COMMON_9, resets == 0, "all 0", ob,
                  "RING_RESET was negotiated before the reset");
    }
}

void vp_checks_lifecycle(vp_ctx *c, vp_dev *d, vp_is_kind kind, vp_irq *q)
{
    vp_report *r = c->rep;
    vp_isess s;
    char err[128], ob[128], one[48];
    uint64_t rr_bit = kind == VP_IS_MODERN ? 1ull << VIRTIO_F_RING_RESET_BIT : 0;
    if (!vp_isess_open(&s, c, d, kind, rr_bit, FIRST_SIZE, true, "life"))
        return;
    int hq = held_queue(d->type);
    uint64_t hb = hq >= 0 ? vp_drv_alloc(&s.v, (uint64_t)HELD_BUF * NHELD, 64) : 0;
    if (hq >= 0 && (!hb || !vp_drv_queue(&s.v, (unsigned)hq, 64, err, sizeof err)))
        hq = -1;
    uint16_t qb = map(&s, q);
    if (kind == VP_IS_MODERN && !before_driver_ok(&s, q))
        goto out;
    vp_drv_driver_ok(&s.v);
    bool rr = s.v.features & rr_bit;
    if (!vp_isess_req(&s, err, sizeof err)) {
        vp_check(r, "life", "", VP_ERROR, NULL, NULL, "request: %s", err);
        goto out;
    }
    if (kind == VP_IS_MODERN && !rr)
        vp_check(r, "life.queue_reset", "", VP_SKIP, NULL, NULL, "RING_RESET not offered");
    if (rr && !queue_reset(&s, q))
        goto out;
    uint16_t size_before = s.v.q[s.q].size;
    unsigned held = 0;
    for (unsigned i = 0; hq >= 0 && i < NHELD; i++) {
        vc_seg sg = {hb + (uint64_t)i * HELD_BUF, HELD_BUF, true};
        uint32_t tok;
        held += vp_drv_post(&s.v, (unsigned)hq, &sg, 0, 1, false, &tok, err, sizeof err) == VP_RT_OK;
    }
    for (unsigned i = 0; i < 2; i++) {
        uint32_t tok;
        vp_isess_post(&s, &tok, err, sizeof err);
    }
    if (!vp_isess_reset(&s.t, c->opt.timeout_ms)) {
        vp_check(r, "life.reset.untouched", REQ_DEV_RESET_1, VP_FAIL, "status 0", "not 0",
                 "reset with requests in flight");
        goto out;
    }
    size_t n = (size_t)s.v.next;
    memset(c->dma.host, CANARY, n);
    if (q)
        vp_irq_clear(q);
    (void)vp_tp_isr(&s.t);
    uint32_t seen = q ? vp_irq_settle(q, &s.t) : 0;
    if (!q) {
        struct timespec nap = {0, (long)c->opt.quiet_ms * 1000000};
        nanosleep(&nap, NULL);
    }
    uint8_t isr = vp_tp_isr(&s.t);
    long at = changed(c->dma.host, NULL, n);
    if (at >= 0)
        snprintf(ob, sizeof ob, "byte %ld of %zu written", at, n);
    else
        snprintf(ob, sizeof ob, "untouched, ISR 0x%02x, %s", isr,
                 q ? vp_irq_describe(seen, one, sizeof one) : "MSI-X not seen");
    vp_expect(r, "life.reset.untouched", REQ_DEV_RESET_2, at < 0 && !isr && !seen, "memory untouched, nothing raised",
              ob, held ? "reset with requests in flight and buffers held" : "reset with requests in flight");
    if (kind == VP_IS_MODERN)
        defaults(&s, size_before, qb != VP_NO_VECTOR, rr);
out:
    vp_isess_close(&s);
}
