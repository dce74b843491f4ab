/* The control-plane player on the reference device's PCI front
 * (front_play.h). Every access it makes for the sequence goes through
 * access(), which shows it to the oracle before and after; the oracle's own
 * re-reads use fp_cc_rd and friends, which it does not see. */
#include "front_play.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vc/ring.h"

#define WINDOW_LEN 4u

/* The queue each type's known-good request goes to. */
static unsigned request_queue(const char *type)
{
    static const struct { const char *type; unsigned q; } rq[] = {
        {"console", 1}, {"net", 1}, {"scsi", 2}, {"input", 1}};
    for (unsigned i = 0; i < sizeof rq / sizeof rq[0]; i++)
        if (!strcmp(type, rq[i].type))
            return rq[i].q;
    return 0;
}

unsigned fp_queue_of(const front_play *p, const vc_ctl_op *o)
{
    return o->queue == VC_CTL_Q_TARGET ? request_queue(p->type) : o->queue;
}

uint64_t fp_value_of(const front_play *p, const vc_ctl_op *o)
{
    uint64_t v = o->value;
    if (o->flags & VC_CTL_OF_PLUS_TQ)
        v += request_queue(p->type);
    if (o->flags & VC_CTL_OF_PLUS_NQ)
        v += p->numq;
    if (o->flags & VC_CTL_OF_PLUS_NV)
        v += p->nvec;
    return v;
}

void fp_find(front_play *p, const char *kind, const char *req, const char *tier, const char *fmt, ...)
{
    for (unsigned i = 0; i < p->nfindings; i++) /* one per kind and requirement */
        if (!strcmp(p->finding[i].kind, kind) && !strcmp(p->finding[i].req, req))
            return;
    if (p->nfindings >= FP_MAX_FINDINGS)
        return;
    fp_finding *x = &p->finding[p->nfindings++];
    x->kind = kind;
    x->req = req && *req ? req : "-";
    x->tier = tier;
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(x->detail, sizeof x->detail, "op %u: ", p->opi);
    vsnprintf(x->detail + n, sizeof x->detail - (size_t)n, fmt, ap);
    va_end(ap);
}

size_t fp_format(const front_play *p, char *msg, size_t cap)
{
    size_t used = 0;
    if (cap)
        msg[0] = 0;
    for (unsigned i = 0; i < p->nfindings && used + 1 < cap; i++) {
        const fp_finding *x = &p->finding[i];
        const char *mode = p->mode == VC_CTL_M_LEGACY ? "legacy" : p->mode == VC_CTL_M_MODERN ? "modern"
                                                                                           : "transitional";
        int n = snprintf(msg + used, cap - used, "%s: %s [%s]: (%s) %s (%s, %s interface)\n", p->type, x->kind,
                         x->req, x->tier, x->detail, mode, p->legacy ? "legacy" : "modern");
        used += n > 0 ? (size_t)n : 0;
    }
    return used < cap ? used : (cap ? cap - 1 : 0);
}

/* ---- guest memory: the device's writes counted for the oracle ---- */
static void observe(void *opaque, uint64_t gpa, uint64_t len, bool is_write)
{
    front_play *p = opaque;
    if (is_write && !p->driver_side)
        p->sh.writes++;
    if (p->front_observer)
        p->front_observer(p->front_observer_opaque, gpa, len, is_write);
}

/* ---- raw access, unseen by the oracle ---- */
uint64_t fp_bar_rd(front_play *p, unsigned bar, uint64_t off, unsigned len)
{
    uint64_t v = 0;
    vc_front_bar_read(p->f, bar, off, len, &v);
    return v;
}

uint64_t fp_cc_rd(front_play *p, unsigned off, unsigned len)
{
    return p->common.ok ? fp_bar_rd(p, p->common.bar, p->common.off + off, len) : 0;
}
void fp_cc_wr(front_play *p, unsigned off, unsigned len, uint64_t val)
{
    if (p->common.ok)
        vc_front_bar_write(p->f, p->common.bar, p->common.off + off, len, val);
}
uint64_t fp_lg_rd(front_play *p, unsigned off, unsigned len) { return fp_bar_rd(p, 0, off, len); }
void fp_lg_wr(front_play *p, unsigned off, unsigned len, uint64_t val)
{
    vc_front_bar_write(p->f, 0, off, len, val);
}

bool fp_msix_on(front_play *p)
{
    uint32_t v = 0;
    return p->msix_cap && vc_front_cfg_read(p->f, p->msix_cap + 2, 2, &v) && (v & 0x8000);
}

/* ---- accesses the oracle sees ---- */
static uint64_t bits(unsigned len) { return len >= 8 ? ~0ull : (1ull << (8 * len)) - 1; }

static uint64_t access(front_play *p, unsigned bar, uint64_t off, unsigned len, bool write, uint64_t val)
{
    val &= bits(len); /* what an access of len bytes carries */
    fp_access a = {bar, off, len, write, false, write ? val : 0};
    if (p->oracle)
        fpo_before(p, &a);
    if (write) {
        vc_front_bar_write(p->f, bar, off, len, val);
    } else {
        a.val = 0;
        vc_front_bar_read(p->f, bar, off, len, &a.val);
    }
    if (p->oracle)
        fpo_after(p, &a);
    return a.val;
}

static uint32_t cfg_rd(front_play *p, unsigned off, unsigned len)
{
    uint32_t v = 0;
    vc_front_cfg_read(p->f, off, len, &v);
    return v;
}

/* A config space access; one that reaches pci_cfg_data is shown to the
 * oracle as the BAR access the window makes. */
static uint64_t cfg_access(front_play *p, unsigned off, unsigned len, bool write, uint64_t val)
{
    unsigned data = p->pcicfg + 16;
    bool window = p->pcicfg && off < data + 4 && off + len > data && len <= 4;
    fp_access a = {0};
    if (window) {
        a.bar = cfg_rd(p, p->pcicfg + 4, 1);
        a.off = cfg_rd(p, p->pcicfg + 8, 4);
        a.len = cfg_rd(p, p->pcicfg + 12, 4);
        a.write = write;
        a.window = true;
        a.val = write ? val & bits(len) & bits(a.len) : 0;
        window = a.len == 1 || a.len == 2 || a.len == 4;
    }
    if (window && p->oracle)
        fpo_before(p, &a);
    uint32_t v = 0;
    if (write)
        vc_front_cfg_write(p->f, off, len, (uint32_t)val);
    else
        vc_front_cfg_read(p->f, off, len, &v);
    if (window && p->oracle) {
        if (!write)
            a.val = a.len == 4 ? v : v & ((1u << (8 * a.len)) - 1);
        fpo_after(p, &a);
    }
    return v;
}

/* An access through the pci_cfg window: set bar, offset and length, then
 * the data (a 3-byte length is one the device need not honour). */
static uint64_t window_access(front_play *p, unsigned bar, uint64_t off, unsigned len, bool write, uint64_t val)
{
    if (!p->pcicfg)
        return 0;
    vc_front_cfg_write(p->f, p->pcicfg + 4, 1, bar);
    vc_front_cfg_write(p->f, p->pcicfg + 8, 4, (uint32_t)off);
    vc_front_cfg_write(p->f, p->pcicfg + 12, 4, len);
    return cfg_access(p, p->pcicfg + 16, WINDOW_LEN, write, val);
}

static uint64_t any_access(front_play *p, bool via_window, unsigned bar, uint64_t off, unsigned len, bool write,
                           uint64_t val)
{
    if (via_window) {
        if (len > 4) { /* the window moves at most 4 bytes: two halves */
            uint64_t lo = window_access(p, bar, off, 4, write, val);
            uint64_t hi = window_access(p, bar, off + 4, len - 4, write, val >> 32);
            return lo | hi << 32;
        }
        return window_access(p, bar, off, len, write, val);
    }
    return access(p, bar, off, len, write, val);
}

/* ---- named registers ---- */
static bool reg_where(front_play *p, unsigned reg, unsigned *bar, uint64_t *off, unsigned *width)
{
    const vc_ctl_reg_info *r = vc_ctl_reg_get(reg);
    if (!r)
        return false;
    if (p->legacy) {
        if (r->legacy_off < 0 || !vc_front_legacy(p->f))
            return false;
        *bar = 0, *off = (uint64_t)r->legacy_off, *width = r->legacy_width;
        return true;
    }
    if (reg == VC_CTL_R_isr) {
        if (!p->isr.ok)
            return false;
        *bar = p->isr.bar, *off = p->isr.off, *width = 1;
        return true;
    }
    if (r->modern_off < 0 || !p->common.ok)
        return false;
    *bar = p->common.bar, *off = p->common.off + (uint64_t)r->modern_off, *width = r->modern_width;
    return true;
}

static uint64_t ring_value(front_play *p, unsigned reg, uint64_t v)
{
    const vc_ctl_reg_info *r = vc_ctl_reg_get(reg);
    if (!r || !r->ring_address)
        return v;
    if (v == UINT64_MAX)
        return 0; /* ALL: no ring at all */
    if (v >= FP_RING_SIZE) { /* past the ring area: a written sequence does not apply, a fuzzed one wraps */
        if (p->honour)
            p->skipped = true;
        v %= FP_RING_SIZE;
    }
    return reg == VC_CTL_R_qpfn ? (FP_MEM_GPA + v) >> 12 : FP_MEM_GPA + v;
}

/* A ring address read back, as an offset into the ring area again. */
static uint64_t ring_offset(unsigned reg, uint64_t v)
{
    const vc_ctl_reg_info *r = vc_ctl_reg_get(reg);
    if (!r || !r->ring_address)
        return v;
    uint64_t gpa = reg == VC_CTL_R_qpfn ? v << 12 : v;
    return v && gpa >= FP_MEM_GPA ? gpa - FP_MEM_GPA : v;
}

static bool reg_rw(front_play *p, unsigned reg, bool write, uint64_t val, bool via_window, uint64_t *out)
{
    unsigned bar, width;
    uint64_t off;
    if (!reg_where(p, reg, &bar, &off, &width))
        return false;
    via_window = via_window && !p->legacy;
    if (width == 8) { /* 64-bit fields: two 32-bit halves, low first */
        uint64_t lo = any_access(p, via_window, bar, off, 4, write, val & 0xffffffffu);
        uint64_t hi = any_access(p, via_window, bar, off + 4, 4, write, val >> 32);
        if (out)
            *out = lo | hi << 32;
        return true;
    }
    uint64_t v = any_access(p, via_window, bar, off, width, write, val);
    if (out)
        *out = v;
    return true;
}

static uint64_t reg_rd(front_play *p, unsigned reg)
{
    uint64_t v = 0;
    reg_rw(p, reg, false, 0, false, &v);
    return v;
}
static void reg_wr(front_play *p, unsigned reg, uint64_t v) { reg_rw(p, reg, true, v, false, NULL); }

/* ---- raw spaces ---- */
static bool space_where(front_play *p, const vc_ctl_op *o, unsigned *bar, uint64_t *off)
{
    const fp_loc *l = NULL;
    switch (o->target) {
    case VC_CTL_S_common: l = &p->common; break;
    case VC_CTL_S_notify: l = &p->notify; break;
    case VC_CTL_S_isr: l = &p->isr; break;
    case VC_CTL_S_legacy: *bar = 0, *off = o->off; return vc_front_legacy(p->f);
    case VC_CTL_S_device:
        if (p->legacy) { /* the legacy interface's device config follows its registers */
            *bar = 0, *off = (fp_msix_on(p) ? VC_LG_CFG_MSIX : VC_LG_CFG) + (uint64_t)o->off;
            return vc_front_legacy(p->f);
        }
        l = &p->device;
        break;
    case VC_CTL_S_bar: *bar = o->aux, *off = o->off; return true;
    default: return false;
    }
    if (!l->ok)
        return false;
    *bar = l->bar, *off = (uint64_t)l->off + o->off;
    return true;
}

/* Guest memory the sequence addresses itself: the ring area, or the device
 * area of a queue QSETUP made. */
static bool mem_where(front_play *p, const vc_ctl_op *o, uint64_t *gpa)
{
    uint64_t base, size;
    if (o->target == VC_CTL_S_used) {
        const fp_queue *q = &p->q[fp_queue_of(p, o) % FP_QSLOTS];
        if (!q->set)
            return false;
        base = q->device, size = FP_SLOT_SIZE - (q->device - q->desc);
    } else if (o->target == VC_CTL_S_ring) {
        base = FP_MEM_GPA, size = FP_RING_SIZE;
    } else {
        return false;
    }
    if (o->off >= size || o->width > size - o->off)
        return false;
    *gpa = base + o->off;
    return true;
}

static uint64_t raw(front_play *p, const vc_ctl_op *o, bool write)
{
    unsigned w = o->width ? o->width : 1, bar;
    uint64_t off, gpa, v = 0, val = fp_value_of(p, o);
    if (o->target == VC_CTL_S_pci) {
        if (w > 4)
            return 0;
        return cfg_access(p, o->off, w, write, fp_value_of(p, o));
    }
    if (space_where(p, o, &bar, &off))
        return any_access(p, (o->flags & VC_CTL_OF_WINDOW) && !p->legacy, bar, off, w, write, fp_value_of(p, o));
    if (mem_where(p, o, &gpa)) {
        p->driver_side = true;
        for (unsigned i = 0; i < w; i++) {
            uint8_t b = (uint8_t)(val >> (8 * i));
            if (write)
                vc_gmem_write(&p->mem.gmem, gpa + i, &b, 1);
            else if (vc_gmem_read(&p->mem.gmem, gpa + i, &b, 1))
                v |= (uint64_t)b << (8 * i);
        }
        p->driver_side = false;
    }
    return v;
}

/* ---- composite operations ---- */
static uint8_t status_rd(front_play *p) { return (uint8_t)reg_rd(p, VC_CTL_R_status); }

static bool do_reset(front_play *p)
{
    reg_wr(p, VC_CTL_R_status, 0);
    for (unsigned i = 0; i < 4; i++) /* the device is synchronous: a few reads are plenty */
        if (status_rd(p) == 0)
            return true;
    return false;
}

/* A 64-bit feature field through its select register (legacy: 32 bits). */
static uint64_t features64(front_play *p, unsigned sel, unsigned reg)
{
    if (p->legacy)
        return reg_rd(p, reg);
    reg_wr(p, sel, 0);
    uint64_t lo = reg_rd(p, reg);
    reg_wr(p, sel, 1);
    return lo | reg_rd(p, reg) << 32;
}

static uint64_t offered(front_play *p)
{
    return features64(p, VC_CTL_R_dfselect, VC_CTL_R_df);
}

static void write_features(front_play *p, uint64_t f)
{
    if (p->legacy) {
        reg_wr(p, VC_CTL_R_gf, (uint32_t)f);
        return;
    }
    reg_wr(p, VC_CTL_R_gfselect, 0);
    reg_wr(p, VC_CTL_R_gf, (uint32_t)f);
    reg_wr(p, VC_CTL_R_gfselect, 1);
    reg_wr(p, VC_CTL_R_gf, f >> 32);
}

/* INIT: true when FEATURES_OK stuck (legacy: always). */
static bool do_init(front_play *p, uint64_t want, uint64_t *features)
{
    do_reset(p);
    reg_wr(p, VC_CTL_R_status, VC_STATUS_ACKNOWLEDGE);
    reg_wr(p, VC_CTL_R_status, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER);
    uint64_t f = offered(p) & want;
    uint64_t v1 = 1ull << VC_F_VERSION_1;
    f = p->legacy ? f & ~v1 : f | v1;
    write_features(p, f);
    *features = f;
    if (p->legacy)
        return true;
    reg_wr(p, VC_CTL_R_status, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK);
    return status_rd(p) & VC_STATUS_FEATURES_OK;
}

static uint64_t driver_features(front_play *p)
{
    return features64(p, VC_CTL_R_gfselect, VC_CTL_R_gf);
}

static bool do_qsetup(front_play *p, unsigned q, unsigned want)
{
    fp_queue *fq = &p->q[q % FP_QSLOTS];
    if (q >= FP_QSLOTS)
        return false;
    reg_wr(p, VC_CTL_R_qselect, q);
    unsigned max = (unsigned)reg_rd(p, VC_CTL_R_qsize);
    unsigned size = p->legacy || !want ? max : want;
    if (!size || size > 1024)
        return false;
    uint64_t feat = driver_features(p);
    bool packed = !p->legacy && (feat & (1ull << VC_F_RING_PACKED));
    uint64_t desc = FP_MEM_GPA + (uint64_t)q * FP_SLOT_SIZE, driver, device;
    if (packed) {
        driver = desc + 16ull * size;
        device = driver + 4;
    } else {
        driver = desc + vc_legacy_avail_off(size);
        device = desc + vc_legacy_used_off(size);
    }
    p->driver_side = true;
    vc_vq_drv_free(&fq->drv);
    vc_drv_status st = vc_vq_drv_init(&fq->drv, &p->mem.gmem, feat & ~(1ull << VC_F_EVENT_IDX), (uint16_t)size,
                                      desc, driver, device, 0, 0);
    p->driver_side = false;
    if (st != VC_DRV_OK)
        return false;
    fq->set = true;
    fq->size = (uint16_t)size, fq->desc = desc, fq->driver = driver, fq->device = device;
    if (p->legacy) {
        reg_wr(p, VC_CTL_R_qpfn, (uint32_t)(desc >> 12));
        return true;
    }
    reg_wr(p, VC_CTL_R_qsize, size);
    reg_wr(p, VC_CTL_R_qdesc, desc);
    reg_wr(p, VC_CTL_R_qdriver, driver);
    reg_wr(p, VC_CTL_R_qdevice, device);
    reg_wr(p, VC_CTL_R_qenable, 1);
    return true;
}

static void do_notify(front_play *p, unsigned q, uint64_t value, bool given)
{
    uint64_t data = given ? value : q;
    if (p->legacy) {
        access(p, 0, VC_LG_NOTIFY, 2, true, data);
        return;
    }
    if (!p->notify.ok)
        return;
    uint64_t sel = reg_rd(p, VC_CTL_R_qselect);
    reg_wr(p, VC_CTL_R_qselect, q);
    uint64_t noff = reg_rd(p, VC_CTL_R_qnotifyoff);
    reg_wr(p, VC_CTL_R_qselect, sel);
    access(p, p->notify.bar, p->notify.off + noff * p->notify_mult, 2, true, data);
}

/* The known-good request of each type: the queue it goes to, device-readable
 * bytes and device-writable room. */
typedef struct fp_req {
    unsigned queue;
    uint8_t out[96];
    unsigned nout, nin;
} fp_req;

static uint64_t devcfg_rd(front_play *p, unsigned off)
{
    if (p->legacy)
        return fp_lg_rd(p, (fp_msix_on(p) ? VC_LG_CFG_MSIX : VC_LG_CFG) + off, 4);
    return p->device.ok ? fp_bar_rd(p, p->device.bar, p->device.off + off, 4) : 0;
}

static bool request_for(front_play *p, fp_req *r)
{
    memset(r, 0, sizeof *r);
    const char *t = p->type;
    r->queue = request_queue(t);
    if (!strcmp(t, "rng")) {
        r->nin = 64;
    } else if (!strcmp(t, "blk")) {
        r->nout = 16; /* VIRTIO_BLK_T_IN of sector 0 */
        r->nin = 513;
    } else if (!strcmp(t, "console")) {
        memcpy(r->out, "vconform", 8);
        r->nout = 8;
    } else if (!strcmp(t, "net")) {
        bool v1 = driver_features(p) & (1ull << VC_F_VERSION_1);
        r->nout = (v1 ? 12 : 10) + 60;
        memset(r->out + r->nout - 60, 0xff, 6); /* broadcast */
        r->out[r->nout - 60 + 6] = 2;           /* a local source MAC */
    } else if (!strcmp(t, "balloon")) {
        uint32_t pfn = (uint32_t)((FP_MEM_GPA + FP_DATA_OFF + 0x1000) >> 12); /* a page of our own */
        memcpy(r->out, &pfn, 4);
        r->nout = 4;
    } else if (!strcmp(t, "scsi")) {
        uint64_t cdb = devcfg_rd(p, 24), sense = devcfg_rd(p, 20);
        if (cdb > 32 || sense > 96)
            return false;
        r->out[0] = 1;    /* lun: target 0, LUN 0 */
        r->out[2] = 0x40;
        r->nout = 19 + (unsigned)cdb; /* TEST UNIT READY: an all-zero CDB */
        r->nin = 12 + (unsigned)sense;
    } else if (!strcmp(t, "input")) {
        r->out[0] = 0x11; /* EV_LED, code 0, value 1 */
        r->out[4] = 1;
        r->nout = 8;
    } else {
        return false;
    }
    return true;
}

/* REQUEST: true when the device used it. */
static bool do_request(front_play *p, unsigned q_hint, bool any_queue)
{
    fp_req r;
    if (!request_for(p, &r))
        return false;
    unsigned q = any_queue ? r.queue : q_hint;
    fp_queue *fq = &p->q[q % FP_QSLOTS];
    if (q >= FP_QSLOTS || !fq->set)
        return false;
    uint64_t out_gpa = FP_MEM_GPA + FP_DATA_OFF, in_gpa = out_gpa + 0x2000;
    vc_seg sg[2];
    unsigned n = 0;
    p->driver_side = true;
    vc_gmem_write(&p->mem.gmem, out_gpa, r.out, r.nout);
    vc_gmem_fill(&p->mem.gmem, in_gpa, 0, r.nin);
    if (r.nout)
        sg[n++] = (vc_seg){out_gpa, r.nout, false};
    if (r.nin)
        sg[n++] = (vc_seg){in_gpa, r.nin, true};
    uint32_t token = ++fq->tokens;
    vc_drv_status st = vc_vq_drv_add(&fq->drv, sg, r.nout ? 1 : 0, r.nin ? 1 : 0, token, false);
    p->driver_side = false;
    if (st != VC_DRV_OK)
        return false;
    do_notify(p, q, 0, false);
    uint32_t got, len;
    p->driver_side = true;
    st = vc_vq_drv_get_used(&fq->drv, &got, &len);
    p->driver_side = false;
    return st == VC_DRV_OK && got == token;
}

static void do_msix(front_play *p, bool on)
{
    if (!p->msix_cap)
        return;
    cfg_access(p, p->msix_cap + 2, 2, true, on ? 0xc000 | (cfg_rd(p, p->msix_cap + 2, 2) & 0x7ff) : 0);
}

/* ---- the sequence's expectations ---- */
static void expect(front_play *p, const vc_ctl_op *o, uint64_t v)
{
    unsigned slot = (unsigned)(o->op * 31u + o->target * 7u + o->off) % 8;
    uint64_t m = vc_ctl_op_mask(o), want = fp_value_of(p, o);
    bool ok = true;
    switch (o->expect) {
    case VC_CTL_E_eq: ok = (v & m) == (want & m); break;
    case VC_CTL_E_ne: ok = (v & m) != (want & m); break;
    case VC_CTL_E_oneof:
        ok = (v & m) == (want & m);
        for (unsigned i = p->opi + 1; i < p->seq->nops && p->seq->ops[i].op == VC_CTL_ALSO; i++)
            ok = ok || (v & m) == (fp_value_of(p, &p->seq->ops[i]) & m);
        break;
    case VC_CTL_E_unchanged: ok = !p->last_read_ok[slot] || p->last_read[slot] == v; break;
    default: break;
    }
    p->last_read[slot] = v;
    p->last_read_ok[slot] = true;
    if (p->honour && !ok)
        fp_find(p, "expectation", vc_ctl_op_req(p->seq, o), "device", "%s %s read 0x%llx (want %s 0x%llx mask 0x%llx)",
                vc_ctl_op_name(o->op), vc_ctl_op_named(o->op) ? vc_ctl_reg_get(o->target)->name
                                                               : vc_ctl_space_name(o->target),
                (unsigned long long)v, vc_ctl_expect_name(o->expect), (unsigned long long)want,
                (unsigned long long)m);
}

static void judge_bool(front_play *p, const vc_ctl_op *o, bool happened, const char *what)
{
    if (!p->honour || (o->expect != VC_CTL_E_eq && o->expect != VC_CTL_E_ne))
        return;
    if (happened != (o->expect == VC_CTL_E_eq))
        fp_find(p, "expectation", vc_ctl_op_req(p->seq, o), "device", "%s %s", what,
                happened ? "happened, the spec wants it not to" : "did not happen");
}

static void host_change(front_play *p)
{
    static const char *const what[] = {"blk-resize", "net-link-down", "net-link-up"};
    vc_dev *d = vc_front_dev(p->f);
    uint8_t before[VC_DEV_CONFIG_MAX];
    memcpy(before, d->config, sizeof before);
    for (unsigned i = 0; i < 3; i++)
        if (vc_front_config_change(p->f, what[i])) {
            if (memcmp(before, d->config, sizeof before)) /* only a change the driver could read */
                fpo_config_changed(p);
            return;
        }
}

static void play_op(front_play *p, const vc_ctl_op *o)
{
    uint64_t v = 0, feat;
    switch (o->op) {
    case VC_CTL_RD:
        if (reg_rw(p, o->target, false, 0, o->flags & VC_CTL_OF_WINDOW, &v))
            expect(p, o, ring_offset(o->target, v));
        break;
    case VC_CTL_WR: {
        uint64_t w = ring_value(p, o->target, fp_value_of(p, o));
        if (!p->skipped)
            reg_rw(p, o->target, true, w, o->flags & VC_CTL_OF_WINDOW, NULL);
        break;
    }
    case VC_CTL_READ: expect(p, o, raw(p, o, false)); break;
    case VC_CTL_WRITE: raw(p, o, true); break;
    case VC_CTL_WAIT: {
        bool met = false;
        uint64_t m = vc_ctl_op_mask(o);
        for (unsigned i = 0; i <= (o->aux < 8 ? o->aux : 8) && !met; i++)
            met = reg_rw(p, o->target, false, 0, false, &v) && (v & m) == (fp_value_of(p, o) & m);
        if (p->honour && !met && !(o->flags & VC_CTL_OF_SOFT))
            fp_find(p, "wait-timeout", vc_ctl_op_req(p->seq, o), "device", "%s never read 0x%llx",
                    vc_ctl_reg_get(o->target) ? vc_ctl_reg_get(o->target)->name : "?",
                    (unsigned long long)fp_value_of(p, o));
        break;
    }
    case VC_CTL_SLEEP:
        if (p->host_changes)
            host_change(p);
        break;
    case VC_CTL_RESET:
        if (!do_reset(p) && p->honour)
            fp_find(p, "reset-timeout", vc_ctl_op_req(p->seq, o), "device", "status never read 0");
        break;
    case VC_CTL_INIT: judge_bool(p, o, do_init(p, fp_value_of(p, o), &feat), "FEATURES_OK"); break;
    case VC_CTL_QSETUP: do_qsetup(p, fp_queue_of(p, o), (unsigned)fp_value_of(p, o)); break;
    case VC_CTL_NOTIFY: do_notify(p, fp_queue_of(p, o), fp_value_of(p, o), o->flags != 0); break;
    case VC_CTL_REQUEST: judge_bool(p, o, do_request(p, fp_queue_of(p, o), false), "the request's completion"); break;
    case VC_CTL_MSIX:
        if (!p->msix_cap && (fp_value_of(p, o) & 1))
            p->skipped = true; /* a device without MSI-X: the sequence does not apply */
        do_msix(p, fp_value_of(p, o) & 1);
        break;
    case VC_CTL_FEATURES: write_features(p, fp_value_of(p, o)); break;
    default: break;
    }
}

/* ---- set-up ---- */
static void find_caps(front_play *p)
{
    unsigned pos = cfg_rd(p, 0x34, 1) & 0xfc;
    for (unsigned hops = 0; pos >= 0x40 && hops < 48; hops++) {
        unsigned id = cfg_rd(p, pos, 1), next = cfg_rd(p, pos + 1, 1) & 0xfc;
        if (id == 0x11 && !p->msix_cap)
            p->msix_cap = pos;
        if (id == 0x09) {
            unsigned type = cfg_rd(p, pos + 3, 1);
            fp_loc l = {true, cfg_rd(p, pos + 4, 1), cfg_rd(p, pos + 8, 4), cfg_rd(p, pos + 12, 4)};
            fp_loc *to = type == VC_CAP_COMMON ? &p->common : type == VC_CAP_NOTIFY ? &p->notify
                       : type == VC_CAP_ISR ? &p->isr : type == VC_CAP_DEVICE ? &p->device : NULL;
            if (to && !to->ok && l.bar < VC_FRONT_NBARS && vc_front_bars(p->f)[l.bar].present &&
                !vc_front_bars(p->f)[l.bar].io) {
                *to = l;
                if (type == VC_CAP_NOTIFY)
                    p->notify_mult = cfg_rd(p, pos + 16, 4);
            }
            if (type == VC_CAP_PCI_CFG && !p->pcicfg)
                p->pcicfg = pos;
        }
        pos = next;
    }
}

bool fp_open(front_play *p, const char *type, unsigned mode, unsigned faults, char *err, size_t errlen)
{
    /* the arena stays from one sequence to the next, emptied (the front's
     * own observer of it chained behind ours) */
    vc_front_mem mem = p->mem;
    vc_gmem_observer fo = p->front_observer;
    void *fo_opaque = p->front_observer_opaque;
    memset(p, 0, sizeof *p);
    if (mem.arena) {
        memset(mem.arena, 0, mem.size);
        p->mem = mem;
        p->front_observer = fo;
        p->front_observer_opaque = fo_opaque;
    } else if (vc_front_mem_init(&p->mem, FP_MEM_GPA, FP_MEM_SIZE)) {
        p->front_observer = p->mem.gmem.observer;
        p->front_observer_opaque = p->mem.gmem.observer_opaque;
    } else {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    p->mem.gmem.observer = observe;
    p->mem.gmem.observer_opaque = p;
    vc_front_opts o = {.type = type, .faults = faults, .seed = 1, .serial = "vconform-ctl", .disk_sectors = 64};
    o.mode = mode == VC_CTL_M_LEGACY ? VC_FRONT_LEGACY : mode == VC_CTL_M_MODERN ? VC_FRONT_MODERN
                                                                                : VC_FRONT_TRANSITIONAL;
    p->f = vc_front_create(&p->mem, &o, err, errlen);
    if (!p->f) {
        vc_front_mem_free(&p->mem);
        return false;
    }
    p->type = type;
    p->mode = mode;
    vc_front_enable(p->f);
    find_caps(p);
    return true;
}

void fp_close(front_play *p)
{
    for (unsigned i = 0; i < FP_QSLOTS; i++)
        vc_vq_drv_free(&p->q[i].drv);
    vc_front_free(p->f);
    p->f = NULL; /* the arena is kept for the next sequence */
}

unsigned fp_play(front_play *p, const vc_ctl_seq *s)
{
    p->seq = s;
    bool legacy = false;
    if (!vc_ctl_plays_in(s, p->mode, &legacy))
        legacy = p->mode == VC_CTL_M_LEGACY;
    p->legacy = legacy || !vc_front_modern(p->f);
    p->nvec = p->msix_cap ? (cfg_rd(p, p->msix_cap + 2, 2) & 0x7ff) + 1 : 0;
    p->numq = 0;
    if (!p->legacy) {
        p->numq = (unsigned)fp_cc_rd(p, VC_CC_NUMQ, 2);
    } else {
        for (; p->numq < VC_DEV_MAX_QUEUES; p->numq++) {
            fp_lg_wr(p, VC_LG_QSEL, 2, p->numq);
            if (!fp_lg_rd(p, VC_LG_QSIZE, 2))
                break;
        }
        fp_lg_wr(p, VC_LG_QSEL, 2, 0);
    }
    if (p->oracle)
        fpo_start(p);
    for (p->opi = 0; p->opi < s->nops && p->nfindings < FP_MAX_FINDINGS && !p->skipped; p->opi++) {
        play_op(p, &s->ops[p->opi]);
        if (p->oracle)
            fpo_after_op(p);
        /* now and then a known-good request, whatever the state: it must not break the device */
        if (p->host_changes && p->opi % 16 == 15)
            do_request(p, 0, true);
    }
    if (p->skipped) {
        p->nfindings = 0;
        return 0;
    }
    /* liveness: a reset and a fresh start must give a working device */
    uint64_t feat;
    fp_req r;
    bool alive = do_init(p, 0, &feat) && request_for(p, &r) && do_qsetup(p, r.queue, 0);
    reg_wr(p, VC_CTL_R_status, status_rd(p) | VC_STATUS_DRIVER | VC_STATUS_DRIVER_OK);
    alive = alive && do_request(p, 0, true);
    if (p->oracle)
        fpo_after_op(p);
    if (!alive)
        fp_find(p, "wedged", "-", "liveness", "after the sequence, reset and set-up, a %s request was not served",
                p->type);
    return p->nfindings;
}

