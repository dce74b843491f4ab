/* Interface-level checks before any queue runs: reset, feature windows and
 * negotiation (valid, empty and dependency-breaking sets, writes after
 * FEATURES_OK), common configuration semantics and MSI-X vector fields. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "refdev/device.h"
#include "refdev/features.h"
#include "vc/req_ids.h"

#define FOK VC_STATUS_FEATURES_OK
#define AD (VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER)

static void hex64(char *b, size_t n, uint64_t v)
{
    snprintf(b, n, "0x%llx", (unsigned long long)v);
}

/* Negotiates `set` on a freshly reset device; returns the status read back
 * after FEATURES_OK and the driver features read back. */
static uint8_t try_set(vp_drv *v, uint64_t set, uint64_t *readback)
{
    vp_tp *t = v->t;
    vp_drv_reset(v, v->c, v->d, t, v->who);
    vp_tp_set_status(t, VC_STATUS_ACKNOWLEDGE);
    vp_tp_set_status(t, AD);
    vp_tp_set_driver_features(t, set);
    *readback = vp_tp_driver_features(t);
    if (t->legacy)
        return vp_tp_status(t);
    vp_tp_set_status(t, AD | FOK);
    return vp_tp_status(t);
}

void vp_checks_negotiation(vp_drv *v)
{
    vp_report *r = v->c->rep;
    vp_tp *t = v->t;
    vp_dev *d = v->d;
    char ex[96], ob[96];
    uint16_t id = d->virtio_id;

    vp_tp_set_status(t, VC_STATUS_ACKNOWLEDGE);
    vp_tp_set_status(t, AD);
    uint64_t off = vp_tp_device_features(t), again = vp_tp_device_features(t);
    hex64(ob, sizeof ob, off);
    vp_check(r, "features.offered", "", VP_INFO, NULL, ob, NULL);
    hex64(ex, sizeof ex, off);
    hex64(ob, sizeof ob, again);
    vp_expect(r, "features.stable", REQ_DEV_PCI_COMMON_3, off == again, ex, ob,
              "two reads of the offered features");
    uint64_t missing = vc_features_missing_deps(id, off);
    hex64(ob, sizeof ob, missing);
    vp_expect(r, "features.offered_deps", REQ_DEV_FEATURES_1, missing == 0, "0x0", ob,
              "offered bits whose required bits are not offered");
    if (t->legacy) {
        /* Legacy sees 32 bits only; VERSION_1 cannot appear there. */
        hex64(ob, sizeof ob, off >> 32);
        vp_expect(r, "legacy.features.width", REQ_DEV_IMPLIED_LEGACY_IO_LAYOUT, off >> 32 == 0, "0x0", ob,
                  "host features register is 32 bits wide");
    } else {
        vp_expect(r, "features.version_1", REQ_DEV_RESERVED_FEATURES_1, (off >> VC_F_VERSION_1) & 1,
                  "offered", (off >> VC_F_VERSION_1) & 1 ? "offered" : "not offered", NULL);
        vp_tp_wr(t, &t->common, VC_CC_DFSELECT, 4, 2);
        uint64_t hi = vp_tp_rd(t, &t->common, VC_CC_DF, 4);
        hex64(ob, sizeof ob, hi);
        /* no requirement: a device may offer bits defined after this spec */
        vp_check(r, "features.window_2", "", hi == 0 ? VP_PASS : VP_INFO, "0x0", ob,
                 "window 2 (bits 64-95): no such bits are defined");
    }
    uint64_t usable = off & ~vc_features_legacy_only(id);
    if (t->legacy) /* bit 30 (legacy BAD_FEATURE) exists to catch drivers that ack everything */
        usable = off & ~(1ull << 30);

    struct { const char *cid; uint64_t set; bool must; const char *why; } sets[4];
    unsigned n = 0;
    uint64_t v1 = t->legacy ? 0 : (off & (1ull << VC_F_VERSION_1));
    sets[n++] = (typeof(sets[0])){"negotiate.empty", 0, t->legacy, "no features at all"};
    if (v1)
        sets[n++] = (typeof(sets[0])){"negotiate.version_1", v1, true, "VERSION_1 alone"};
    sets[n++] = (typeof(sets[0])){"negotiate.all", usable, true, "every offered bit"};
    /* A set that breaks a dependency: an offered bit with requirements, without them. */
    for (unsigned b = 0; b < 64; b++) {
        uint64_t bit = 1ull << b;
        if (!(usable & bit))
            continue;
        uint64_t s = v1 | bit;
        if (vc_features_missing_deps(id, s)) {
            sets[n++] = (typeof(sets[0])){"negotiate.broken_deps", s, false,
                                          "a bit without the bits it requires"};
            break;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t rb = 0;
        uint8_t st = try_set(v, sets[i].set, &rb);
        char id2[64];
        if (t->io_err)
            break;
        snprintf(id2, sizeof id2, "%s.readback", sets[i].cid);
        hex64(ex, sizeof ex, sets[i].set);
        hex64(ob, sizeof ob, rb);
        vp_expect(r, id2, t->legacy ? REQ_DEV_IMPLIED_LEGACY_IO_LAYOUT : REQ_DEV_PCI_COMMON_4,
                  (rb & off) == (sets[i].set & off), ex, ob, "driver features read back");
        if (t->legacy)
            continue; /* no FEATURES_OK handshake in 0.9.5 */
        bool ok = (st & FOK) != 0;
        snprintf(ob, sizeof ob, "status 0x%02x (%s)", st, ok ? "FEATURES_OK kept" : "FEATURES_OK refused");
        /* refusing its own full offer shows a bit offered that the device cannot honour */
        bool all = !strcmp(sets[i].cid, "negotiate.all");
        if (sets[i].must)
            vp_expect(r, sets[i].cid, all ? REQ_DEV_FEATURES_2 "," REQ_DEV_FEATURES_3 : REQ_DEV_FEATURES_2, ok,
                      "FEATURES_OK kept", ob, sets[i].why);
        else /* either answer conforms: noted, no requirement named */
            vp_check(r, sets[i].cid, "", VP_INFO, "either", ob, "%s: the device may refuse", sets[i].why);
        if (all && ok) {
            /* Features written after FEATURES_OK: report what the device does. */
            vp_tp_set_driver_features(t, v1);
            uint64_t after = vp_tp_driver_features(t);
            uint8_t st2 = vp_tp_status(t);
            snprintf(ob, sizeof ob, "driver_feature reads 0x%llx, status 0x%02x",
                     (unsigned long long)after, st2);
            vp_check(r, "negotiate.write_after_features_ok", "", VP_INFO, NULL, ob,
                     "the driver broke the rule on purpose; what the device did");
        }
    }
    vp_drv_reset(v, v->c, v->d, t, v->who);
}

void vp_checks_common(vp_drv *v)
{
    vp_report *r = v->c->rep;
    vp_tp *t = v->t;
    vp_dev *d = v->d;
    char ex[64], ob[96];
    if (t->legacy)
        return;
    vp_loc *cc = &t->common;
    unsigned nq = (unsigned)vp_tp_rd(t, cc, VC_CC_NUMQ, 2);
    snprintf(ob, sizeof ob, "%u", nq);
    vp_check(r, "common.num_queues", "", nq ? VP_INFO : VP_FAIL, ">= 1", ob, NULL);
    vp_tp_wr(t, cc, VC_CC_QSELECT, 2, nq);
    unsigned past = (unsigned)vp_tp_rd(t, cc, VC_CC_QSIZE, 2);
    snprintf(ob, sizeof ob, "%u", past);
    vp_expect(r, "common.queue_select_past_end", REQ_DEV_PCI_COMMON_14, past == 0, "0", ob,
              "queue_size of queue index num_queues");
    bool packed = (vp_tp_device_features(t) >> VC_F_RING_PACKED) & 1;
    unsigned bad = 0, enabled = 0, first_bad = 0;
    for (unsigned q = 0; q < nq && q < VP_MAX_QUEUES; q++) {
        vp_tp_wr(t, cc, VC_CC_QSELECT, 2, q);
        unsigned s = (unsigned)vp_tp_rd(t, cc, VC_CC_QSIZE, 2);
        if (s & (s - 1)) {
            if (!bad++)
                first_bad = q;
        }
        if (vp_tp_rd(t, cc, VC_CC_QENABLE, 2))
            enabled++;
        /* every queue's notify address must fall inside the notify region */
        uint64_t noff = vp_tp_rd(t, cc, VC_CC_QNOTIFYOFF, 2) * (uint64_t)t->notify_mult;
        if (noff + 2 > t->notify.len) {
            char id[48];
            snprintf(id, sizeof id, "common.queue%u.notify_in_region", q);
            snprintf(ob, sizeof ob, "offset %llu, region %llu bytes", (unsigned long long)noff,
                     (unsigned long long)t->notify.len);
            vp_check(r, id, REQ_DEV_PCI_NOTIFY_CAP_5, VP_FAIL, "offset + 2 <= region length", ob, NULL);
        }
    }
    snprintf(ob, sizeof ob, bad ? "queue %u has size not a power of 2" : "all 0 or powers of 2", first_bad);
    vp_check(r, "common.queue_size_pow2", REQ_DEV_PCI_COMMON_15,
             bad == 0 ? VP_PASS : packed ? VP_INFO : VP_FAIL, "0 or a power of 2", ob,
             packed ? "RING_PACKED offered: other sizes allowed" : NULL);
    snprintf(ob, sizeof ob, "%u queue(s) enabled", enabled);
    vp_expect(r, "common.queue_enable_after_reset", REQ_DEV_PCI_COMMON_8, enabled == 0, "0 enabled", ob, NULL);
    vp_tp_wr(t, cc, VC_CC_QSELECT, 2, 0);
    if (nq && t->notify.len) {
        uint64_t noff = vp_tp_rd(t, cc, VC_CC_QNOTIFYOFF, 2) * (uint64_t)t->notify_mult;
        snprintf(ex, sizeof ex, "<= %llu", (unsigned long long)t->notify.len);
        snprintf(ob, sizeof ob, "%llu", (unsigned long long)noff + 2);
        vp_expect(r, "common.notify_in_region", REQ_DEV_PCI_NOTIFY_CAP_5, noff + 2 <= t->notify.len, ex, ob,
                  "queue 0's notify address + 2 inside the notify region");
    }
    uint8_t g1 = vp_tp_generation(t);
    (void)vp_tp_cfg(t, 0, 1);
    uint8_t g2 = vp_tp_generation(t);
    snprintf(ex, sizeof ex, "%u", g1);
    snprintf(ob, sizeof ob, "%u", g2);
    /* no requirement: the spec says when the generation must change, not that it must not */
    vp_check(r, "common.config_generation_stable", "", g1 == g2 ? VP_PASS : VP_INFO, ex, ob,
             "nothing changed between two reads");

    if (d->msix_pos < 0)
        return;
    /* Vector fields: map, unmap, read back; a reset unmaps everything. */
    vp_tp_wr(t, cc, VC_CC_MSIX, 2, 0);
    unsigned got = (unsigned)vp_tp_rd(t, cc, VC_CC_MSIX, 2);
    snprintf(ob, sizeof ob, "0x%x", got);
    vp_expect(r, "msix.config_vector.map", REQ_DEV_PCI_MSIX_6 "," REQ_DEV_PCI_MSIX_9,
              got == 0 || got == VP_NO_VECTOR, "0 or NO_VECTOR", ob, NULL);
    vp_tp_wr(t, cc, VC_CC_QSELECT, 2, 0);
    vp_tp_wr(t, cc, VC_CC_QMSIX, 2, d->msix_size > 1 ? 1 : 0);
    unsigned qgot = (unsigned)vp_tp_rd(t, cc, VC_CC_QMSIX, 2);
    snprintf(ex, sizeof ex, "%u or NO_VECTOR", d->msix_size > 1 ? 1 : 0);
    snprintf(ob, sizeof ob, "0x%x", qgot);
    vp_expect(r, "msix.queue_vector.map", REQ_DEV_PCI_MSIX_4 "," REQ_DEV_PCI_MSIX_9,
              qgot == (d->msix_size > 1 ? 1u : 0u) || qgot == VP_NO_VECTOR, ex, ob, NULL);
    vp_tp_wr(t, cc, VC_CC_MSIX, 2, VP_NO_VECTOR);
    got = (unsigned)vp_tp_rd(t, cc, VC_CC_MSIX, 2);
    snprintf(ob, sizeof ob, "0x%x", got);
    vp_expect(r, "msix.config_vector.unmap", REQ_DEV_PCI_MSIX_5, got == VP_NO_VECTOR, "0xffff", ob, NULL);
    vp_tp_wr(t, cc, VC_CC_MSIX, 2, 0);
    vp_drv_reset(v, v->c, v->d, t, v->who);
    got = (unsigned)vp_tp_rd(t, cc, VC_CC_MSIX, 2);
    vp_tp_wr(t, cc, VC_CC_QSELECT, 2, 0);
    qgot = (unsigned)vp_tp_rd(t, cc, VC_CC_QMSIX, 2);
    snprintf(ob, sizeof ob, "config 0x%x, queue0 0x%x", got, qgot);
    vp_expect(r, "msix.reset_unmaps", REQ_DEV_PCI_MSIX_7, got == VP_NO_VECTOR && qgot == VP_NO_VECTOR,
              "both 0xffff", ob, NULL);
}
