/* Runs the modern and the legacy driver personality over one device, as its
 * mode calls for, and compares what the two interfaces of a transitional
 * device show. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checks.h"
#include "checks_irq.h"
#include "refdev/device.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

static const vp_devtest devtests[] = {
    {"rng", 0, vp_devtest_rng},
    {"blk", 1ull << VIRTIO_BLK_F_FLUSH_BIT | 1ull << VIRTIO_BLK_F_BLK_SIZE_BIT |
                1ull << VIRTIO_BLK_F_SEG_MAX_BIT | 1ull << VIRTIO_BLK_F_RO_BIT | 1ull << VIRTIO_BLK_F_DISCARD_BIT |
                1ull << VIRTIO_BLK_F_WRITE_ZEROES_BIT,
     vp_devtest_blk},
    {"net", 1ull << VIRTIO_NET_F_MAC_BIT | 1ull << VIRTIO_NET_F_STATUS_BIT | 1ull << VIRTIO_NET_F_CTRL_VQ_BIT |
                1ull << VIRTIO_NET_F_CTRL_RX_BIT | 1ull << VIRTIO_NET_F_CTRL_VLAN_BIT |
                1ull << VIRTIO_NET_F_CTRL_MAC_ADDR_BIT | 1ull << VIRTIO_NET_F_MQ_BIT |
                1ull << VIRTIO_NET_F_MTU_BIT | 1ull << VIRTIO_NET_F_SPEED_DUPLEX_BIT |
                1ull << VIRTIO_NET_F_CTRL_RX_EXTRA_BIT | 1ull << VIRTIO_NET_F_GUEST_ANNOUNCE_BIT,
     vp_devtest_net},
    {"console", 1ull << VIRTIO_CONSOLE_F_MULTIPORT_BIT, vp_devtest_console},
    {"balloon", 1ull << VIRTIO_BALLOON_F_MUST_TELL_HOST_BIT | 1ull << VIRTIO_BALLOON_F_STATS_VQ_BIT,
     vp_devtest_balloon},
    {"scsi", 0, vp_devtest_scsi},
    {"input", 0, vp_devtest_input},
};

const vp_devtest *vp_devtest_find(const char *type)
{
    for (unsigned i = 0; i < sizeof devtests / sizeof devtests[0]; i++)
        if (!strcmp(devtests[i].type, type))
            return &devtests[i];
    return NULL;
}

uint32_t vp_fnv1a(const void *p, size_t n, uint32_t h)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

bool vp_report_rt(vp_drv *v, const char *id, const char *reqs, vp_rt rt, const char *err)
{
    if (rt == VP_RT_OK)
        return true;
    /* reqs name what the request rests on: a driver-side error breaks it,
     * a device that does not answer or answers wrongly does not */
    if (rt != VP_RT_DRIVER)
        reqs = "";
    vp_check(v->c->rep, id, reqs, rt == VP_RT_DRIVER || rt == VP_RT_IO ? VP_ERROR : VP_FAIL, "used buffer",
             vp_rt_name(rt), "%s", err);
    return false;
}

void vp_devtest_generic(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[64];
    unsigned nq = vp_tp_num_queues(v->t), set = 0;
    for (unsigned q = 0; q < nq && q < VP_DRV_QUEUES; q++) {
        if (!vp_drv_queue(v, q, 64, err, sizeof err)) {
            vp_check(r, "queues.setup", "", VP_FAIL, "queue set up", "refused", "%s", err);
            return;
        }
        set++;
    }
    vp_drv_driver_ok(v);
    snprintf(ob, sizeof ob, "%u of %u queue(s) set up", set, nq);
    vp_check(r, "queues.setup", "", VP_INFO, NULL, ob, NULL);
    seen->ran = true;
    vp_check(r, "roundtrip", "", VP_SKIP, NULL, NULL,
             "the probe has no request round-trip for device type '%s' yet", v->d->type);
}

/* ISR: a completed request sets the queue bit (INTx in use: MSI-X is off
 * while the probe drives the device), and reading clears it. */
static void check_isr(vp_drv *v)
{
    vp_report *r = v->c->rep;
    if (v->d->msix_enabled || !v->completed)
        return;
    /* a device in another process (vhost-user) raises the interrupt a
     * little after its used index shows: wait up to 100 ms for the bit */
    uint8_t isr = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned i = 0; !(isr & 1) && !v->t->io_err; i++) {
        isr |= vp_tp_isr(v->t);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (i >= 200 && (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 100)
            break;
    }
    char ob[32];
    snprintf(ob, sizeof ob, "0x%02x", isr);
    /* With EVENT_IDX the driver's used_event may have suppressed later
     * interrupts, but the bit latched by the first one is still there. */
    vp_expect(r, "isr.queue_bit", REQ_DEV_PCI_ISR_3, isr & 1, "bit 0 set", ob, "after used buffers");
    uint8_t again = vp_tp_isr(v->t);
    snprintf(ob, sizeof ob, "0x%02x", again);
    vp_expect(r, "isr.read_clears", REQ_DEV_PCI_ISR_5, again == 0, "0x00", ob, "second read");
}

typedef struct judge_ctx {
    vp_report *r;
    unsigned faults;
} judge_ctx;

static void judged(void *ctx, const char *code, const char *req, int queue, const char *detail)
{
    judge_ctx *j = ctx;
    j->faults++;
    vp_check(j->r, "judge.driver", req, VP_FAIL, "no driver rule broken", code, "%s (queue %d)", detail, queue);
}

/* The driver's data path under the device's own judge, where the platform
 * has one (--sim): every rule it saw broken is a failure of the probe's
 * driver. r NULL: forget what it saw so far. */
static void judge(vp_ctx *c, vp_dev *d, vp_report *r)
{
    if (!c->plat->driver_faults)
        return;
    judge_ctx j = {r, 0};
    c->plat->driver_faults(c->plat, d->fn, r ? judged : NULL, &j);
    if (r && !j.faults)
        vp_check(r, "judge.driver", "", VP_PASS, "no driver rule broken", "none", "the reference device's judgement");
}

/* One driver personality: legacy, or modern with split ring, packed ring, or
 * split ring notified through the I/O BAR notify capability (pio). */
static void run_one(vp_ctx *c, vp_dev *d, bool legacy, bool packed, bool pio, vp_seen *seen)
{
    vp_report *r = c->rep;
    vp_tp t;
    vp_drv v;
    char err[160], ob[64];
    const char *who = legacy ? "legacy" : packed ? "modern-packed" : pio ? "modern-pio" : "modern";
    vp_report_set(r, d->fn->addr, who);
    bool have = legacy ? vp_tp_legacy(&t, d, err, sizeof err)
                : pio  ? vp_tp_modern_pio(&t, d, err, sizeof err)
                       : vp_tp_modern(&t, d, err, sizeof err);
    if (!have) {
        vp_check(r, "interface", "", VP_ERROR, "usable interface", "none", "%s", err);
        return;
    }
    if (!vp_drv_reset(&v, c, d, &t, who)) {
        snprintf(ob, sizeof ob, "0x%02x", vp_tp_status(&t));
        vp_check(r, "reset", REQ_DEV_RESET_1 "," REQ_DEV_PCI_COMMON_7, t.io_err ? VP_ERROR : VP_FAIL, "0x00", ob,
                 t.io_err ? "BAR access failed" : "status after writing 0");
        return;
    }
    vp_check(r, "reset", REQ_DEV_RESET_1 "," REQ_DEV_PCI_COMMON_7, VP_PASS, "0x00", "0x00", NULL);
    if (!packed && !pio) {
        vp_checks_common(&v);
        vp_checks_negotiation(&v);
    }
    const vp_devtest *dt = vp_devtest_find(d->type);
    uint64_t want = (dt ? dt->want : 0) | 1ull << VC_F_INDIRECT_DESC | 1ull << VC_F_EVENT_IDX;
    if (!legacy)
        want |= 1ull << VC_F_VERSION_1 | (packed ? 1ull << VC_F_RING_PACKED : 0);
    judge(c, d, NULL); /* the checks above break driver rules on purpose */
    uint8_t st = vp_drv_negotiate(&v, want);
    snprintf(ob, sizeof ob, "status 0x%02x, features 0x%llx", st, (unsigned long long)v.features);
    if (!legacy && !(st & VC_STATUS_FEATURES_OK)) {
        vp_check(r, "negotiate.datapath", REQ_DEV_FEATURES_2, VP_FAIL, "FEATURES_OK kept", ob, NULL);
        vp_drv_done(&v);
        return;
    }
    vp_check(r, "negotiate.datapath", "", VP_INFO, NULL, ob, NULL);
    (void)vp_tp_isr(&t); /* start from a clear ISR */
    if (dt)
        dt->run(&v, seen);
    else
        vp_devtest_generic(&v, seen);
    if (legacy && v.q_live[0]) {
        /* the page frame number must read back as programmed */
        vp_tp_wr(&t, &t.common, VC_LG_QSEL, 2, 0);
        uint64_t pfn = vp_tp_rd(&t, &t.common, VC_LG_PFN, 4);
        char ex[32];
        snprintf(ex, sizeof ex, "0x%llx", (unsigned long long)(v.q[0].desc >> 12));
        snprintf(ob, sizeof ob, "0x%llx", (unsigned long long)pfn);
        vp_expect(r, "legacy.queue_pfn.readback", REQ_DEV_IMPLIED_LEGACY_QUEUE, pfn == v.q[0].desc >> 12, ex, ob, NULL);
    }
    uint8_t after = vp_tp_status(&t);
    snprintf(ob, sizeof ob, "0x%02x", after);
    vp_expect(r, "status.after_run", REQ_DEV_STATUS_2, !(after & (VC_STATUS_NEEDS_RESET | VC_STATUS_FAILED)) &&
              (after & VC_STATUS_DRIVER_OK), "DRIVER_OK, no NEEDS_RESET", ob, NULL);
    check_isr(&v);
    judge(c, d, r);
    if (t.io_err)
        vp_check(r, "bar_access", "", VP_ERROR, NULL, NULL, "a BAR access failed during the run");
    vp_drv_done(&v);
}

void vp_run_drivers(vp_ctx *c, vp_dev *d)
{
    vp_report *r = c->rep;
    bool modern_ok = strcmp(d->mode, "modern") == 0 || strcmp(d->mode, "transitional") == 0;
    bool legacy_ok = strcmp(d->mode, "legacy") == 0 || strcmp(d->mode, "transitional") == 0;
    vp_seen sm = {0}, sl = {0};
    if (!c->have_dma) {
        vp_report_set(r, d->fn->addr, "pci");
        vp_check(r, "dma", "", VP_ERROR, "DMA memory", "none", "%s", c->dma_err);
        return;
    }
    if (c->opt.modern) {
        if (modern_ok) {
            vp_tp t;
            char err[64];
            bool packed = vp_tp_modern(&t, d, err, sizeof err) && (vp_tp_device_features(&t) >> VC_F_RING_PACKED & 1);
            bool split = !(packed && c->opt.prefer_packed); /* a split ring declines RING_PACKED */
            if (split)
                run_one(c, d, false, false, false, &sm);
            if (packed) {
                vp_seen sp = {0};
                run_one(c, d, false, true, false, &sp);
            }
            if (split && d->pio_notify >= 0) {
                vp_seen sp = {0};
                run_one(c, d, false, false, true, &sp);
            }
        } else {
            vp_report_set(r, d->fn->addr, "modern");
            vp_check(r, "interface", "", VP_INFO, "nothing to drive", "no virtio capabilities",
                     "%s device: a modern driver finds no interface", d->mode);
        }
    }
    if (c->opt.legacy) {
        if (legacy_ok) {
            run_one(c, d, true, false, false, &sl);
        } else {
            vp_report_set(r, d->fn->addr, "legacy");
            vp_check(r, "interface", "", VP_INFO, "nothing to drive", d->io_bar0 ? "I/O BAR0" : "no I/O BAR0",
                     "%s device: a legacy driver finds no interface", d->mode);
        }
    }
    if (c->opt.irq)
        vp_checks_irq(c, d);
    if (sm.ran && sl.ran && sm.ok && sl.ok) {
        char ex[64], ob[64];
        vp_report_set(r, d->fn->addr, "pci");
        snprintf(ex, sizeof ex, "value %llu, data %08x", (unsigned long long)sm.value, sm.digest);
        snprintf(ob, sizeof ob, "value %llu, data %08x", (unsigned long long)sl.value, sl.digest);
        bool same = sm.value == sl.value && sm.digest == sl.digest;
        if (!strcmp(d->type, "rng"))
            same = true, snprintf(ex, sizeof ex, "both answer"), snprintf(ob, sizeof ob, "both answer");
        vp_expect(r, "transitional.same_device", REQ_DEV_IMPLIED_SAME_DEVICE, same, ex, ob,
                  "modern interface (expected) against legacy interface (observed)");
    }
}
