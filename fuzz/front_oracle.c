/* The control-plane oracle: device-side rules of the PCI transport checked
 * on every access the player makes, each finding naming its requirement.
 * A rule is judged only on accesses whose meaning the spec fixes (a field
 * at its own offset and width); after other accesses the oracle re-reads
 * what it needs instead of guessing what the device made of them. Its own
 * re-reads are of registers without side effects, so a conforming device
 * cannot tell them from a driver's. */
#include <string.h>

#include "front_play.h"
#include "refdev/features.h"
#include "vc/req_ids.h"
#include "vc/ring.h"

#define NOVEC 0xffffu

/* Width of the common configuration field at off (0: none starts there). */
static unsigned cc_width(unsigned off)
{
    static const uint8_t w[VC_CC_SIZE] = {
        [VC_CC_DFSELECT] = 4, [VC_CC_DF] = 4, [VC_CC_GFSELECT] = 4, [VC_CC_GF] = 4, [VC_CC_MSIX] = 2,
        [VC_CC_NUMQ] = 2, [VC_CC_STATUS] = 1, [VC_CC_GENERATION] = 1, [VC_CC_QSELECT] = 2,
        [VC_CC_QSIZE] = 2, [VC_CC_QMSIX] = 2, [VC_CC_QENABLE] = 2, [VC_CC_QNOTIFYOFF] = 2,
        [VC_CC_QDESC] = 4, [VC_CC_QDESC + 4] = 4, [VC_CC_QDRIVER] = 4, [VC_CC_QDRIVER + 4] = 4,
        [VC_CC_QDEVICE] = 4, [VC_CC_QDEVICE + 4] = 4, [VC_CC_QNOTIFDATA] = 2, [VC_CC_QRESET] = 2};
    return off < VC_CC_SIZE ? w[off] : 0;
}

static unsigned lg_width(front_play *p, unsigned off)
{
    static const uint8_t w[VC_LG_CFG_MSIX] = {
        [VC_LG_HOSTF] = 4, [VC_LG_GUESTF] = 4, [VC_LG_PFN] = 4, [VC_LG_QSIZE] = 2, [VC_LG_QSEL] = 2,
        [VC_LG_NOTIFY] = 2, [VC_LG_STATUS] = 1, [VC_LG_ISR] = 1, [VC_LG_CFGVEC] = 2, [VC_LG_QVEC] = 2};
    unsigned end = fp_msix_on(p) ? VC_LG_CFG_MSIX : VC_LG_CFG;
    return off < end ? w[off] : 0;
}

/* The common config field a natural access hits (-1: none). */
static int cc_field(front_play *p, const fp_access *a)
{
    if (p->legacy || !p->common.ok || a->bar != p->common.bar || a->off < p->common.off ||
        a->off - p->common.off >= VC_CC_SIZE)
        return -1;
    unsigned f = (unsigned)(a->off - p->common.off);
    return cc_width(f) == a->len ? (int)f : -1;
}

static int lg_field(front_play *p, const fp_access *a)
{
    if (!p->legacy || a->bar != 0 || a->off >= VC_LG_CFG_MSIX)
        return -1;
    return lg_width(p, (unsigned)a->off) == a->len ? (int)a->off : -1;
}

static bool is_isr_read(front_play *p, const fp_access *a)
{
    if (a->write)
        return false;
    if (p->legacy)
        return a->bar == 0 && a->off == VC_LG_ISR;
    return p->isr.ok && a->bar == p->isr.bar && a->off == p->isr.off;
}

static bool mixed(const front_play *p) { return p->sh.legacy_touched && p->sh.modern_touched; }

static uint8_t status(front_play *p)
{
    return (uint8_t)(p->legacy ? fp_lg_rd(p, VC_LG_STATUS, 1) : fp_cc_rd(p, VC_CC_STATUS, 1));
}

/* Driver features as the device has them (modern: both windows). */
static uint64_t accepted(front_play *p)
{
    if (p->legacy)
        return fp_lg_rd(p, VC_LG_GUESTF, 4);
    uint64_t sel = fp_cc_rd(p, VC_CC_GFSELECT, 4);
    fp_cc_wr(p, VC_CC_GFSELECT, 4, 0);
    uint64_t f = fp_cc_rd(p, VC_CC_GF, 4);
    fp_cc_wr(p, VC_CC_GFSELECT, 4, 1);
    f |= fp_cc_rd(p, VC_CC_GF, 4) << 32;
    fp_cc_wr(p, VC_CC_GFSELECT, 4, sel);
    return f;
}

static bool negotiated(front_play *p, unsigned bit)
{
    return (status(p) & VC_STATUS_FEATURES_OK) && (accepted(p) & p->sh.offered & (1ull << bit));
}

void fpo_start(front_play *p)
{
    fp_shadow *sh = &p->sh;
    memset(sh, 0, sizeof *sh);
    sh->numq = p->numq < VC_DEV_MAX_QUEUES ? p->numq : VC_DEV_MAX_QUEUES;
    sh->nvec = p->nvec;
    sh->gf_known = true;
    if (p->legacy) {
        sh->df[0] = (uint32_t)fp_lg_rd(p, VC_LG_HOSTF, 4);
        for (unsigned q = 0; q < sh->numq; q++) {
            fp_lg_wr(p, VC_LG_QSEL, 2, q);
            sh->qmax[q] = (uint16_t)fp_lg_rd(p, VC_LG_QSIZE, 2);
        }
        fp_lg_wr(p, VC_LG_QSEL, 2, 0);
    } else {
        for (unsigned s = 0; s < 2; s++) {
            fp_cc_wr(p, VC_CC_DFSELECT, 4, s);
            sh->df[s] = (uint32_t)fp_cc_rd(p, VC_CC_DF, 4);
        }
        fp_cc_wr(p, VC_CC_DFSELECT, 4, 0);
        for (unsigned q = 0; q < sh->numq; q++) {
            fp_cc_wr(p, VC_CC_QSELECT, 2, q);
            sh->qmax[q] = (uint16_t)fp_cc_rd(p, VC_CC_QSIZE, 2);
        }
        fp_cc_wr(p, VC_CC_QSELECT, 2, 0);
    }
    sh->offered = sh->df[0] | (uint64_t)sh->df[1] << 32;
    const vc_front_irqs *irq = vc_front_irq_stats(p->f);
    for (unsigned v = 0; v < VC_FRONT_NVECTORS; v++)
        sh->msix_seen += irq->msix[v];
    sh->prev_status = status(p);
    uint32_t m = p->notify_mult;
    if (p->notify.ok && m && (m & (m - 1) || m == 1))
        fp_find(p, "notify-multiplier", REQ_DEV_PCI_NOTIFY_CAP_3, "device",
                "notify_off_multiplier %u is neither 0 nor an even power of two", m);
}

/* ---- rules ---- */
/* After a reset: status 0, every queue disabled with its defaults, every
 * event unmapped. */
static void check_reset(front_play *p)
{
    fp_shadow *sh = &p->sh;
    uint8_t st = status(p);
    if (st != 0)
        fp_find(p, "reset-incomplete", p->legacy ? REQ_DEV_RESET_1 : REQ_DEV_PCI_COMMON_7, "device",
                "status reads 0x%02x after 0 was written", st);
    bool msix = fp_msix_on(p);
    if (p->legacy) {
        uint64_t sel = fp_lg_rd(p, VC_LG_QSEL, 2);
        for (unsigned q = 0; q < sh->numq; q++) {
            fp_lg_wr(p, VC_LG_QSEL, 2, q);
            uint64_t pfn = fp_lg_rd(p, VC_LG_PFN, 4);
            if (pfn)
                fp_find(p, "queue-after-reset", REQ_DEV_RESET_2, "device",
                        "queue %u still has page frame 0x%llx after a reset", q, (unsigned long long)pfn);
            if (msix && fp_lg_rd(p, VC_LG_QVEC, 2) != NOVEC)
                fp_find(p, "vector-after-reset", REQ_DEV_PCI_MSIX_7, "device", "queue %u keeps its vector", q);
        }
        if (msix && fp_lg_rd(p, VC_LG_CFGVEC, 2) != NOVEC)
            fp_find(p, "vector-after-reset", REQ_DEV_PCI_MSIX_7, "device", "config event keeps its vector");
        fp_lg_wr(p, VC_LG_QSEL, 2, sel);
    } else {
        uint64_t sel = fp_cc_rd(p, VC_CC_QSELECT, 2);
        for (unsigned q = 0; q < sh->numq; q++) {
            fp_cc_wr(p, VC_CC_QSELECT, 2, q);
            if (fp_cc_rd(p, VC_CC_QENABLE, 2))
                fp_find(p, "queue-enabled-after-reset", REQ_DEV_PCI_COMMON_8, "device",
                        "queue %u reads enabled after a reset", q);
            uint64_t size = fp_cc_rd(p, VC_CC_QSIZE, 2);
            if (size != sh->qmax[q])
                fp_find(p, "queue-size-after-reset", REQ_DEV_IMPLIED_RESET_QUEUE_SIZE, "device",
                        "queue %u size %llu after a reset, maximum %u", q, (unsigned long long)size, sh->qmax[q]);
            if (fp_cc_rd(p, VC_CC_QMSIX, 2) != NOVEC)
                fp_find(p, "vector-after-reset", REQ_DEV_PCI_MSIX_7, "device", "queue %u keeps its vector", q);
            if ((sh->offered >> VIRTIO_F_RING_RESET_BIT & 1) && fp_cc_rd(p, VC_CC_QRESET, 2))
                fp_find(p, "queue-reset-after-reset", REQ_DEV_PCI_COMMON_9, "device",
                        "queue %u queue_reset reads 1 after a reset", q);
        }
        if (fp_cc_rd(p, VC_CC_MSIX, 2) != NOVEC)
            fp_find(p, "vector-after-reset", REQ_DEV_PCI_MSIX_7, "device", "config event keeps its vector");
        fp_cc_wr(p, VC_CC_QSELECT, 2, sel);
    }
    sh->gf_known = true; /* nothing written since the reset */
    sh->gf[0] = sh->gf[1] = 0;
}

/* FEATURES_OK written: it must not stay set for a set the device cannot
 * take (not offered, or a dependency missing). */
static void check_features_ok(front_play *p, uint8_t old, uint8_t v)
{
    fp_shadow *sh = &p->sh;
    if (!sh->gf_known || mixed(p))
        return;
    uint64_t f = sh->gf[0] | (uint64_t)sh->gf[1] << 32;
    uint64_t extra = f & ~sh->offered;
    uint64_t deps = vc_features_missing_deps(vc_front_dev(p->f)->ops->device_id, f);
    bool kept = status(p) & VC_STATUS_FEATURES_OK;
    if (kept && extra)
        fp_find(p, "features-ok-kept", REQ_DEV_FEATURES_2, "device",
                "FEATURES_OK kept with features 0x%llx the device did not offer", (unsigned long long)extra);
    else if (kept && deps)
        fp_find(p, "features-ok-kept", REQ_DEV_FEATURES_2, "device",
                "FEATURES_OK kept with features 0x%llx lacking what they depend on", (unsigned long long)deps);
    /* only a refusal of the set itself counts: the write added FEATURES_OK
     * alone to ACKNOWLEDGE|DRIVER (another write breaks a driver rule) */
    bool orderly = old == (VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER) && v == (old | VC_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < sh->naccepted && !kept && orderly; i++)
        if (sh->accepted_sets[i] == f)
            fp_find(p, "features-ok-refused-again", REQ_DEV_FEATURES_4, "should",
                    "features 0x%llx accepted before a reset, refused after it", (unsigned long long)f);
    bool known = false;
    for (unsigned i = 0; i < sh->naccepted; i++)
        known = known || sh->accepted_sets[i] == f;
    if (kept && !known && sh->naccepted < 4)
        sh->accepted_sets[sh->naccepted++] = f;
}

/* A vector written to an event: read back as written or NO_VECTOR (a
 * refusal), and NO_VECTOR for one past the table. */
static void check_vector(front_play *p, uint64_t wrote, uint64_t got, const char *event)
{
    if (wrote >= p->sh.nvec && got != NOVEC)
        fp_find(p, wrote == NOVEC ? "vector-not-unmapped" : "vector-out-of-range-kept",
                wrote == NOVEC ? REQ_DEV_PCI_MSIX_5 : REQ_DEV_PCI_MSIX_9, "device",
                "%s vector 0x%llx written (table of %u) reads 0x%llx", event, (unsigned long long)wrote,
                p->sh.nvec, (unsigned long long)got);
    else if (wrote < p->sh.nvec && got != wrote && got != NOVEC)
        fp_find(p, "vector-readback", REQ_DEV_PCI_MSIX_6, "device", "%s vector %llu written, reads 0x%llx",
                event, (unsigned long long)wrote, (unsigned long long)got);
    else if (wrote < p->sh.nvec && got == NOVEC && fp_msix_on(p))
        fp_find(p, "vector-refused", REQ_DEV_PCI_MSIX_8, "should", "%s vector %llu of %u refused", event,
                (unsigned long long)wrote, p->sh.nvec);
}

static void check_queue_reset(front_play *p, unsigned q)
{
    if (fp_cc_rd(p, VC_CC_QRESET, 2))
        return; /* still in progress: allowed */
    if (fp_cc_rd(p, VC_CC_QENABLE, 2))
        fp_find(p, "queue-enabled-after-queue-reset", REQ_DEV_PCI_COMMON_13, "device",
                "queue %u reads enabled once its reset completed", q);
    uint64_t a = fp_cc_rd(p, VC_CC_QDESC, 4) | fp_cc_rd(p, VC_CC_QDRIVER, 4) | fp_cc_rd(p, VC_CC_QDEVICE, 4);
    uint64_t size = fp_cc_rd(p, VC_CC_QSIZE, 2), vec = fp_cc_rd(p, VC_CC_QMSIX, 2);
    if (a || size != p->sh.qmax[q] || vec != NOVEC)
        fp_find(p, "queue-state-after-queue-reset", REQ_DEV_VQ_RESET_2, "device",
                "queue %u after its reset: size %llu (max %u), vector 0x%llx, addresses %s", q,
                (unsigned long long)size, p->sh.qmax[q], (unsigned long long)vec, a ? "kept" : "0");
}

static void modern_rules(front_play *p, const fp_access *a, int f)
{
    fp_shadow *sh = &p->sh;
    unsigned q = (unsigned)fp_cc_rd(p, VC_CC_QSELECT, 2);
    bool qok = q < sh->numq;
    if (!a->write) {
        switch (f) {
        case VC_CC_DF: {
            uint64_t sel = fp_cc_rd(p, VC_CC_DFSELECT, 4);
            if (sel < 2 && !mixed(p) && a->val != sh->df[sel])
                fp_find(p, "device-features-changed", REQ_DEV_PCI_COMMON_3, "device",
                        "device_feature[%llu] reads 0x%llx, 0x%x before", (unsigned long long)sel,
                        (unsigned long long)a->val, sh->df[sel]);
            if (sel == 1 && !mixed(p) && !(a->val & (1ull << (VC_F_VERSION_1 - 32))))
                fp_find(p, "no-version-1", REQ_DEV_RESERVED_FEATURES_1, "device", "VERSION_1 not offered");
            break;
        }
        case VC_CC_GENERATION:
            if (sh->gen_read && sh->changed && a->val == sh->gen)
                fp_find(p, "generation-unchanged", REQ_DEV_PCI_COMMON_6, "device",
                        "config_generation still %u after a configuration change", sh->gen);
            sh->gen_read = true;
            sh->gen = (uint8_t)a->val;
            sh->changed = false;
            break;
        case VC_CC_QSIZE:
            if (!qok && a->val)
                fp_find(p, "queue-size-past-last", REQ_DEV_PCI_COMMON_14, "device",
                        "queue_size of queue %u reads %llu, num_queues %u", q, (unsigned long long)a->val,
                        sh->numq);
            else if (qok && a->val && !vc_is_pow2((uint32_t)a->val) && !negotiated(p, VC_F_RING_PACKED))
                fp_find(p, "queue-size-not-pow2", REQ_DEV_PCI_COMMON_15, "device",
                        "queue_size of queue %u reads %llu without RING_PACKED", q, (unsigned long long)a->val);
            break;
        case VC_CC_QNOTIFYOFF:
            if (qok && p->notify.ok && a->val * p->notify_mult + 2 > p->notify.len)
                fp_find(p, "notify-off-past-area", REQ_DEV_PCI_NOTIFY_CAP_5, "device",
                        "queue %u notifies at %llu x %u, the area is %u bytes", q, (unsigned long long)a->val,
                        p->notify_mult, p->notify.len);
            break;
        default: break;
        }
        return;
    }
    switch (f) {
    case VC_CC_STATUS: {
        uint8_t v = (uint8_t)a->val;
        if (v == 0)
            check_reset(p);
        else if ((v & VC_STATUS_FEATURES_OK) && !(sh->old_status & VC_STATUS_FEATURES_OK))
            check_features_ok(p, sh->old_status, v);
        break;
    }
    case VC_CC_GF: {
        uint64_t sel = fp_cc_rd(p, VC_CC_GFSELECT, 4);
        if (sel >= 2 || (status(p) & VC_STATUS_FEATURES_OK))
            break;
        sh->gf[sel] = (uint32_t)a->val;
        uint64_t got = fp_cc_rd(p, VC_CC_GF, 4), valid = sh->df[sel];
        if (!mixed(p) && (((got ^ a->val) & valid) || (got & ~a->val)))
            fp_find(p, "driver-features-readback", REQ_DEV_PCI_COMMON_4, "device",
                    "driver_feature[%llu] = 0x%llx written, reads 0x%llx (offered 0x%llx)", (unsigned long long)sel,
                    (unsigned long long)a->val, (unsigned long long)got, (unsigned long long)valid);
        break;
    }
    case VC_CC_MSIX: check_vector(p, a->val, fp_cc_rd(p, VC_CC_MSIX, 2), "config"); break;
    case VC_CC_QMSIX:
        if (qok)
            check_vector(p, a->val, fp_cc_rd(p, VC_CC_QMSIX, 2), "queue");
        break;
    case VC_CC_QRESET:
        if (qok && a->val == 1 && negotiated(p, VIRTIO_F_RING_RESET_BIT))
            check_queue_reset(p, q);
        break;
    default: break;
    }
}

static void legacy_rules(front_play *p, const fp_access *a, int f)
{
    fp_shadow *sh = &p->sh;
    unsigned q = (unsigned)fp_lg_rd(p, VC_LG_QSEL, 2);
    bool qok = q < sh->numq;
    if (!a->write) {
        if (f == VC_LG_QSIZE && ((!qok && a->val) || (qok && a->val != sh->qmax[q])))
            fp_find(p, "legacy-queue-size", REQ_DEV_IMPLIED_LEGACY_QUEUE, "device",
                    "queue %u size reads %llu, fixed at %u", q, (unsigned long long)a->val, qok ? sh->qmax[q] : 0);
        return;
    }
    switch (f) {
    case VC_LG_STATUS:
        if ((uint8_t)a->val == 0)
            check_reset(p);
        break;
    case VC_LG_QSIZE: {
        uint64_t got = fp_lg_rd(p, VC_LG_QSIZE, 2);
        if (qok && got != sh->qmax[q])
            fp_find(p, "legacy-queue-size", REQ_DEV_IMPLIED_LEGACY_QUEUE, "device",
                    "queue %u size %llu after a write, fixed at %u", q, (unsigned long long)got, sh->qmax[q]);
        break;
    }
    case VC_LG_PFN: {
        if (!qok)
            break;
        uint64_t got = fp_lg_rd(p, VC_LG_PFN, 4);
        if (got != (uint32_t)a->val)
            fp_find(p, "legacy-pfn-readback", REQ_DEV_IMPLIED_LEGACY_QUEUE, "device",
                    "queue %u page frame 0x%llx written, reads 0x%llx", q, (unsigned long long)a->val,
                    (unsigned long long)got);
        const vc_dev_queue *dq = &vc_front_dev(p->f)->q[q];
        uint64_t desc = (uint64_t)(uint32_t)a->val << 12;
        if (a->val && dq->enabled &&
            (dq->desc != desc || dq->driver != desc + vc_legacy_avail_off(sh->qmax[q]) ||
             dq->device != desc + vc_legacy_used_off(sh->qmax[q])))
            fp_find(p, "legacy-layout", REQ_DEV_IMPLIED_LEGACY_QUEUE, "device",
                    "queue %u at page 0x%llx uses rings at 0x%llx/0x%llx/0x%llx", q, (unsigned long long)a->val,
                    (unsigned long long)dq->desc, (unsigned long long)dq->driver, (unsigned long long)dq->device);
        break;
    }
    case VC_LG_CFGVEC: check_vector(p, a->val, fp_lg_rd(p, VC_LG_CFGVEC, 2), "config"); break;
    case VC_LG_QVEC:
        if (qok)
            check_vector(p, a->val, fp_lg_rd(p, VC_LG_QVEC, 2), "queue");
        break;
    default: break;
    }
}

/* ---- hooks ---- */
void fpo_before(front_play *p, const fp_access *a)
{
    fp_shadow *sh = &p->sh;
    if (a->bar == 0 && vc_front_legacy(p->f))
        sh->legacy_touched = true;
    else if (p->common.ok && a->bar == p->common.bar)
        sh->modern_touched = true;
    if (is_isr_read(p, a)) { /* the PCI status interrupt bit just before the read */
        uint32_t v = 0;
        vc_front_cfg_read(p->f, 6, 1, &v);
        sh->int_before = (v >> 3) & 1;
    }
    sh->old_status = status(p);
}

void fpo_after(front_play *p, const fp_access *a)
{
    fp_shadow *sh = &p->sh;
    if (is_isr_read(p, a)) {
        uint8_t v = (uint8_t)a->val;
        if (!fp_msix_on(p) && sh->int_before != (v != 0))
            fp_find(p, "intx-status-mismatch", REQ_DEV_PCI_ISR_4, "device",
                    "PCI status interrupt bit %u with ISR 0x%02x", sh->int_before, v);
        uint64_t again = p->legacy ? fp_lg_rd(p, VC_LG_ISR, 1) : fp_bar_rd(p, p->isr.bar, p->isr.off, 1);
        if (v && again)
            fp_find(p, "isr-not-cleared", REQ_DEV_PCI_ISR_5, "device", "ISR read 0x%02x, then 0x%02x at once", v,
                    (unsigned)again);
        return;
    }
    if (a->window && !a->write && !p->legacy && p->common.ok && a->bar == p->common.bar &&
        a->off >= p->common.off && a->off + a->len <= p->common.off + VC_CC_SIZE) {
        uint64_t direct = fp_cc_rd(p, (unsigned)(a->off - p->common.off), a->len);
        if (direct != a->val)
            fp_find(p, "window-read-differs", REQ_DEV_PCI_CFG_ACCESS_3, "device",
                    "pci_cfg_data read 0x%llx at bar %u+0x%llx, a direct read 0x%llx", (unsigned long long)a->val,
                    a->bar, (unsigned long long)a->off, (unsigned long long)direct);
    }
    int f = p->legacy ? lg_field(p, a) : cc_field(p, a);
    if (f >= 0) {
        if (p->legacy)
            legacy_rules(p, a, f);
        else
            modern_rules(p, a, f);
    } else if (!p->legacy && a->write && p->common.ok && a->bar == p->common.bar &&
               a->off < p->common.off + VC_CC_GF + 4 && a->off + a->len > p->common.off + VC_CC_GFSELECT) {
        sh->gf_known = false; /* driver features written some other way: no longer judged */
    }
}

void fpo_after_op(front_play *p)
{
    fp_shadow *sh = &p->sh;
    uint32_t msix = 0;
    const vc_front_irqs *irq = vc_front_irq_stats(p->f);
    for (unsigned v = 0; v < VC_FRONT_NVECTORS; v++)
        msix += irq->msix[v];
    uint8_t st = status(p);
    uint64_t own = sh->writes > (uint64_t)(msix - sh->msix_seen) ? sh->writes - (msix - sh->msix_seen) : 0;
    if (own && !(st & VC_STATUS_DRIVER_OK) && !(sh->prev_status & VC_STATUS_DRIVER_OK))
        fp_find(p, "write-before-driver-ok", REQ_DEV_STATUS_1, "device",
                "%llu writes into guest memory with DRIVER_OK clear (status 0x%02x)", (unsigned long long)own, st);
    sh->writes = 0;
    sh->msix_seen = msix;
    sh->prev_status = st;
}

void fpo_config_changed(front_play *p)
{
    p->sh.changed = true;
}
