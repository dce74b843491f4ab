/* Control-plane sequence player (ctl_play.h). */
#include "ctl_play.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_seq.h"
#include "ctl_text.h"
#include "drv.h"
#include "refdev/device.h"
#include "replay_dev.h"
#include "vc/ring.h"

#define RING_AREA (64u << 10)   /* the player's ring area: ring address registers point into it */
#define MAX_WAIT_MS 1000u       /* any one wait of a sequence, whatever it asks */
#define MAX_SEEN 64             /* places remembered for 'unchanged' */
#define MAX_FILE (VC_CTL_HDR + VC_CTL_REQ_LEN * VC_CTL_MAX_REQS + VC_CTL_REC * VC_CTL_MAX_OPS)
#define MSIX_ENABLE 0x8000u
#define MSIX_FMASK 0x4000u

typedef struct seen {
    uint8_t op, target, width, flags, queue;
    uint32_t off, aux;
    uint64_t v;
} seen;

typedef struct cp {
    vp_ctx *c;
    vp_dev *d;
    vp_tp *t;              /* the interface the sequence plays through */
    vp_tp *tm;             /* modern structures (raw spaces, window), NULL when absent */
    const vc_ctl_seq *s;
    const char *name;
    const rp_target *tg;
    vp_drv v;
    uint64_t ring;         /* gpa of the ring area */
    bool qset[VP_DRV_QUEUES];
    unsigned tq, nq, nv;
    uint64_t offered;
    uint16_t msix_ctl0;    /* MSI-X control as found, restored after */
    bool msix_touched;
    seen seen[MAX_SEEN];
    unsigned nseen;
    const char *checked[VC_CTL_MAX_REQS];
    unsigned nchecked, evaluated;
    uint32_t at;           /* op being played */
    char skip[240], detail[300], wedged[340];
    char expected[96], observed[96];
    const char *vreq;      /* violated requirement, NULL none */
    bool stop;
} cp;

static __attribute__((format(printf, 2, 3))) void skip(cp *p, const char *fmt, ...)
{
    if (p->stop)
        return;
    int n = snprintf(p->skip, sizeof p->skip, "op %u (%s): ", p->at + 1, vc_ctl_op_name(p->s->ops[p->at].op));
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof p->skip)
        vsnprintf(p->skip + n, sizeof p->skip - (size_t)n, fmt, ap);
    va_end(ap);
    p->stop = true;
}

static void checked(cp *p, const char *req)
{
    p->evaluated++;
    if (!req || !*req || !strcmp(req, VC_CTL_REQ_NONE))
        return;
    for (unsigned i = 0; i < p->nchecked; i++)
        if (!strcmp(p->checked[i], req))
            return;
    if (p->nchecked < VC_CTL_MAX_REQS)
        p->checked[p->nchecked++] = req;
}

static __attribute__((format(printf, 5, 6))) void violate(cp *p, const vc_ctl_op *o, const char *expected,
                                                          const char *observed, const char *fmt, ...)
{
    const char *req = vc_ctl_op_req(p->s, o);
    p->vreq = *req && strcmp(req, VC_CTL_REQ_NONE) != 0 ? req : NULL;
    snprintf(p->expected, sizeof p->expected, "%s", expected);
    snprintf(p->observed, sizeof p->observed, "%s", observed);
    int n = snprintf(p->detail, sizeof p->detail, "op %u (%s", p->at + 1, vc_ctl_op_name(o->op));
    if (vc_ctl_op_named(o->op))
        n += snprintf(p->detail + n, sizeof p->detail - (size_t)n, " %s", vc_ctl_reg_get(o->target)->name);
    else if (o->op == VC_CTL_READ)
        n += snprintf(p->detail + n, sizeof p->detail - (size_t)n, " %s+0x%" PRIx32 "/%u%s",
                      vc_ctl_space_name(o->target), o->off, o->width,
                      o->flags & VC_CTL_OF_WINDOW ? " via window" : "");
    n += snprintf(p->detail + n, sizeof p->detail - (size_t)n, "): ");
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof p->detail)
        vsnprintf(p->detail + n, sizeof p->detail - (size_t)n, fmt, ap);
    va_end(ap);
    if (!p->vreq) /* no rule named: the device stopped doing its job */
        snprintf(p->wedged, sizeof p->wedged, "during the sequence: %s", p->detail);
    p->stop = true;
}

static unsigned bound_ms(const vc_ctl_op *o)
{
    return o->aux < MAX_WAIT_MS ? o->aux : MAX_WAIT_MS;
}

/* The op's value with what plus= makes it relative to. */
static uint64_t rel(const cp *p, const vc_ctl_op *o, uint64_t v)
{
    if (o->flags & VC_CTL_OF_PLUS_TQ)
        v += p->tq;
    if (o->flags & VC_CTL_OF_PLUS_NQ)
        v += p->nq;
    if (o->flags & VC_CTL_OF_PLUS_NV)
        v += p->nv;
    return v;
}

static unsigned queue_of(const cp *p, const vc_ctl_op *o)
{
    return o->queue == VC_CTL_Q_TARGET ? p->tq : o->queue;
}

/* ---- raw access ---- */

static bool arena_holds(const cp *p, uint64_t gpa, uint64_t len)
{
    const vp_dma *m = &p->c->dma;
    return gpa >= m->gpa && len <= m->size && gpa - m->gpa <= m->size - len;
}

static bool bar_ok(cp *p, unsigned bar, uint64_t off, unsigned w)
{
    const vp_bar *b = bar < VP_NBARS ? &p->d->fn->bar[bar] : NULL;
    if (!b || !b->present) {
        skip(p, "BAR %u is not implemented", bar);
        return false;
    }
    if (w == 3 || (w == 8 && b->io)) {
        skip(p, "no CPU access to %s BAR is %u bytes wide", b->io ? "an I/O" : "a memory", w);
        return false;
    }
    if (off + w > b->size) {
        skip(p, "0x%" PRIx64 "+%u is past the end of BAR %u (0x%" PRIx64 " bytes): the CPU cannot reach it",
             off, w, bar, b->size);
        return false;
    }
    return true;
}

static bool bar_rd(cp *p, unsigned bar, uint64_t off, unsigned w, uint64_t *v)
{
    *v = 0;
    if (!bar_ok(p, bar, off, w))
        return false;
    if (!p->d->fn->ops->bar_read(p->d->fn, bar, off, w, v)) {
        skip(p, "the read of BAR %u at 0x%" PRIx64 " failed", bar, off);
        return false;
    }
    return true;
}

static bool bar_wr(cp *p, unsigned bar, uint64_t off, unsigned w, uint64_t v)
{
    if (!bar_ok(p, bar, off, w))
        return false;
    if (!p->d->fn->ops->bar_write(p->d->fn, bar, off, w, v)) {
        skip(p, "the write of BAR %u at 0x%" PRIx64 " failed", bar, off);
        return false;
    }
    return true;
}

static bool overlaps(uint64_t a, unsigned alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Why a write of w bytes at BAR bar + off must not be made (NULL: it may):
 * it could point the device at memory outside the arena, or move MSI-X
 * messages, which is the probe breaking the guest, not a device bug. */
static const char *guarded(cp *p, unsigned bar, uint64_t off, unsigned w)
{
    vp_tp *m = p->tm;
    if (m && bar == m->common.bar && (overlaps(off, w, m->common.off + VP_CC_QENABLE, 2) ||
                                      overlaps(off, w, m->common.off + VP_CC_QDESC, 24)))
        return "a raw write to queue_enable or a ring address register (use WR with an offset into the ring area)";
    if (bar == 0 && p->d->fn->bar[0].io && p->d->mode && strcmp(p->d->mode, "modern") != 0 &&
        overlaps(off, w, VP_LG_PFN, 4))
        return "a raw write to the legacy queue PFN (use WR reg=qpfn with an offset into the ring area)";
    if (p->d->msix_pos >= 0) {
        uint32_t tbl = 0;
        vp_cfg32(p->d->fn, (unsigned)p->d->msix_pos + 4, &tbl);
        if (bar == (tbl & 7) && overlaps(off, w, tbl & ~7u, 16ull * p->d->msix_size))
            return "a raw write to the MSI-X table (messages could be aimed anywhere in the guest)";
    }
    return NULL;
}

static int window_cap(const cp *p)
{
    int i = p->d->first[VP_CAP_PCI_CFG];
    return i < 0 ? -1 : p->d->vcap[i].pos;
}

/* Through the pci_cfg capability: cap.bar, cap.offset, cap.length, then
 * pci_cfg_data (a 4-byte config access; the device moves cap.length bytes). */
static bool window(cp *p, bool write, unsigned bar, uint64_t off, unsigned w, uint64_t *v)
{
    int pos = window_cap(p);
    if (pos < 0) {
        skip(p, "the device has no PCI config access capability");
        return false;
    }
    vp_fn *f = p->d->fn;
    bool ok = f->ops->cfg_write(f, (unsigned)pos + 4, 1, bar) && f->ops->cfg_write(f, (unsigned)pos + 8, 4, (uint32_t)off) &&
              f->ops->cfg_write(f, (unsigned)pos + 12, 4, w);
    uint32_t x = 0;
    if (!ok) {
        skip(p, "the window's capability fields could not be written");
        return false;
    }
    /* the data access reaches the device whatever it makes of it: a write
     * it drops is its answer, not a failure of the probe */
    if (write)
        f->ops->cfg_write(f, (unsigned)pos + 16, 4, (uint32_t)*v);
    else if (!f->ops->cfg_read(f, (unsigned)pos + 16, 4, &x))
        x = UINT32_MAX;
    if (!write)
        *v = w < 4 ? x & ((1u << (8 * w)) - 1) : x;
    return true;
}

/* Where a raw op's space and offset land: a BAR and offset, config space
 * (*cfg), or guest memory (*gpa). */
static bool place(cp *p, const vc_ctl_op *o, unsigned *bar, uint64_t *off, bool *cfg, uint64_t *gpa)
{
    const vp_loc *l = NULL;
    vp_tp *m = p->tm;
    *cfg = false;
    *gpa = 0;
    switch (o->target) {
    case VC_CTL_S_common: l = m ? &m->common : NULL; break;
    case VC_CTL_S_notify: l = m ? &m->notify : NULL; break;
    case VC_CTL_S_isr: l = m ? &m->isr : NULL; break;
    case VC_CTL_S_device:
        l = p->t->legacy ? &p->t->device : m ? &m->device : NULL; /* legacy: after the registers */
        if (l && !l->len) {
            skip(p, "the device has no device-specific configuration");
            return false;
        }
        break;
    case VC_CTL_S_legacy:
        if (!p->d->fn->bar[0].present || !p->d->fn->bar[0].io || !strcmp(p->d->mode, "modern")) {
            skip(p, "the device has no legacy I/O BAR0");
            return false;
        }
        *bar = 0, *off = o->off;
        return true;
    case VC_CTL_S_pci:
        *cfg = true, *off = o->off;
        return true;
    case VC_CTL_S_bar: *bar = o->aux, *off = o->off; return true;
    case VC_CTL_S_ring:
        if ((uint64_t)o->off + o->width > RING_AREA) {
            skip(p, "ring+0x%" PRIx32 " is past the %u-byte ring area", o->off, RING_AREA);
            return false;
        }
        *gpa = p->ring + o->off;
        return true;
    default: { /* used */
        unsigned q = queue_of(p, o);
        if (q >= VP_DRV_QUEUES || !p->v.q_live[q]) {
            skip(p, "space used needs QSETUP of queue %u first", q);
            return false;
        }
        const vc_vq_drv *vq = &p->v.q[q];
        uint64_t len = vq->packed ? 4 : vc_split_used_bytes(vq->size);
        if ((uint64_t)o->off + o->width > len) {
            skip(p, "used+0x%" PRIx32 " is past queue %u's device area", o->off, q);
            return false;
        }
        *gpa = vq->device + o->off;
        return true;
    }
    }
    if (!l) {
        skip(p, "space %s needs the modern interface", vc_ctl_space_name(o->target));
        return false;
    }
    *bar = l->bar, *off = l->off + o->off;
    return true;
}

static bool raw(cp *p, const vc_ctl_op *o, bool write, uint64_t *v)
{
    unsigned bar = 0;
    uint64_t off = 0, gpa;
    bool cfg;
    if (!place(p, o, &bar, &off, &cfg, &gpa))
        return false;
    unsigned w = o->width;
    if (gpa) {
        uint8_t *h = vc_gmem_host_ptr(&p->c->dma.mem, gpa, w);
        if (!h) {
            skip(p, "guest memory at 0x%" PRIx64 " is not the arena's", gpa);
            return false;
        }
        if (write)
            for (unsigned i = 0; i < w; i++)
                h[i] = (uint8_t)(*v >> (8 * i));
        else
            for (unsigned i = *v = 0; i < w; i++)
                *v |= (uint64_t)h[i] << (8 * i);
        return true;
    }
    if (o->flags & VC_CTL_OF_WINDOW) {
        if (cfg) {
            skip(p, "config space is not reached through the window");
            return false;
        }
        const char *why = write ? guarded(p, bar, off, w) : NULL;
        if (why) {
            skip(p, "%s", why);
            return false;
        }
        return window(p, write, bar, off, w, v);
    }
    if (cfg) {
        vp_fn *f = p->d->fn;
        if (w != 1 && w != 2 && w != 4) {
            skip(p, "config space takes accesses of 1, 2 or 4 bytes");
            return false;
        }
        if (write) {
            /* only inside the virtio capabilities, and never pci_cfg_data
             * directly (it reaches whatever BAR offset the window holds) */
            bool inside = false;
            int wpos = window_cap(p);
            for (unsigned i = 0; i < p->d->nvcap; i++)
                inside |= off >= p->d->vcap[i].pos && off + w <= (uint64_t)p->d->vcap[i].pos + p->d->vcap[i].cap_len;
            if (!inside || (wpos >= 0 && overlaps(off, w, (unsigned)wpos + 16, 4))) {
                skip(p, "a config space write outside the virtio capabilities (or to pci_cfg_data) "
                        "would break the guest, not test the device");
                return false;
            }
            if (!f->ops->cfg_write(f, (unsigned)off, w, (uint32_t)*v)) {
                skip(p, "the config space write failed");
                return false;
            }
            return true;
        }
        uint32_t x = 0;
        if (!f->ops->cfg_read(f, (unsigned)off, w, &x)) {
            skip(p, "the config space read failed");
            return false;
        }
        *v = x;
        return true;
    }
    if (write) {
        const char *why = guarded(p, bar, off, w);
        if (why) {
            skip(p, "%s", why);
            return false;
        }
        return bar_wr(p, bar, off, w, *v);
    }
    return bar_rd(p, bar, off, w, v);
}

/* ---- named registers ---- */

static bool reg_loc(cp *p, unsigned r, unsigned *bar, uint64_t *off, unsigned *w)
{
    const vc_ctl_reg_info *ri = vc_ctl_reg_get(r);
    bool legacy = p->t->legacy;
    int o = legacy ? ri->legacy_off : ri->modern_off;
    if (o < 0) {
        skip(p, "register %s is not in the %s interface", ri->name, legacy ? "legacy" : "modern");
        return false;
    }
    *w = legacy ? ri->legacy_width : ri->modern_width;
    if (legacy) {
        bool msix_reg = r == VC_CTL_R_msix_config || r == VC_CTL_R_qvector;
        if (msix_reg && !p->d->msix_enabled) {
            skip(p, "legacy %s exists only with MSI-X on (MSIX value=1 first)", ri->name);
            return false;
        }
        *bar = 0, *off = (uint64_t)o;
    } else if (r == VC_CTL_R_isr) {
        *bar = p->t->isr.bar, *off = p->t->isr.off;
    } else {
        *bar = p->t->common.bar, *off = p->t->common.off + (uint64_t)o;
    }
    return true;
}

static bool reg_rd(cp *p, unsigned r, uint64_t *v)
{
    unsigned bar, w;
    uint64_t off, hi = 0;
    if (!reg_loc(p, r, &bar, &off, &w))
        return false;
    if (w == 8) { /* the two 32-bit halves, as a driver reads them */
        if (!bar_rd(p, bar, off, 4, v) || !bar_rd(p, bar, off + 4, 4, &hi))
            return false;
        *v |= hi << 32;
    } else if (!bar_rd(p, bar, off, w, v)) {
        return false;
    }
    if (vc_ctl_reg_get(r)->ring_address) { /* back to an offset into the ring area */
        uint64_t gpa = r == VC_CTL_R_qpfn ? *v << 12 : *v;
        if (gpa >= p->ring && gpa < p->ring + RING_AREA)
            *v = gpa - p->ring;
    }
    return true;
}

/* The rings the device holds for queue q lie in the arena (or the queue is
 * off with no rings): only then may it be enabled or notified. The
 * selector is put back as it was. */
static bool rings_safe(cp *p, unsigned q, bool enabling, char *why, size_t n)
{
    vp_tp *t = p->t;
    if (t->legacy) {
        uint64_t sel = vp_tp_rd(t, &t->common, VP_LG_QSEL, 2);
        vp_tp_wr(t, &t->common, VP_LG_QSEL, 2, q);
        uint64_t pfn = vp_tp_rd(t, &t->common, VP_LG_PFN, 4), size = vp_tp_rd(t, &t->common, VP_LG_QSIZE, 2);
        vp_tp_wr(t, &t->common, VP_LG_QSEL, 2, sel);
        if (t->io_err) {
            snprintf(why, n, "BAR0 access failed");
            return false;
        }
        if (!pfn || arena_holds(p, pfn << 12, vc_legacy_ring_bytes((uint32_t)size)))
            return true;
        snprintf(why, n, "queue %u's ring (PFN 0x%" PRIx64 ", %" PRIu64 " entries) is not inside the probe's arena", q,
                 pfn, size);
        return false;
    }
    uint64_t sel = vp_tp_rd(t, &t->common, VP_CC_QSELECT, 2);
    vp_tp_wr(t, &t->common, VP_CC_QSELECT, 2, q);
    uint64_t size = vp_tp_rd(t, &t->common, VP_CC_QSIZE, 2), en = vp_tp_rd(t, &t->common, VP_CC_QENABLE, 2);
    uint64_t a[3];
    for (unsigned i = 0; i < 3; i++)
        a[i] = vp_tp_rd(t, &t->common, VP_CC_QDESC + 8 * i, 4) |
               vp_tp_rd(t, &t->common, VP_CC_QDESC + 8 * i + 4, 4) << 32;
    vp_tp_wr(t, &t->common, VP_CC_QSELECT, 2, sel);
    if (t->io_err) {
        snprintf(why, n, "common configuration access failed");
        return false;
    }
    if ((!en && !enabling) || !size)
        return true; /* an idle queue (the device must leave it alone), or none at all */
    /* the larger of the split and packed extents */
    uint64_t len[3] = {16 * size, 6 + 2 * size, 6 + 8 * size};
    for (unsigned i = 0; i < 3; i++)
        if (!arena_holds(p, a[i], len[i])) {
            snprintf(why, n, "queue %u's %s area (0x%" PRIx64 ", %" PRIu64 " entries) is not inside the probe's arena",
                     q, i == 0 ? "descriptor" : i == 1 ? "driver" : "device", a[i], size);
            return false;
        }
    return true;
}

static void forget_queues(cp *p)
{
    for (unsigned i = 0; i < VP_DRV_QUEUES; i++)
        if (p->v.q_live[i])
            vc_vq_drv_free(&p->v.q[i]);
    memset(p->v.q_live, 0, sizeof p->v.q_live);
    memset(p->qset, 0, sizeof p->qset);
}

static bool reg_wr(cp *p, unsigned r, uint64_t v)
{
    unsigned bar, w;
    uint64_t off;
    if (!reg_loc(p, r, &bar, &off, &w))
        return false;
    char why[200];
    if (vc_ctl_reg_get(r)->ring_address) {
        if (v == UINT64_MAX) {
            v = 0; /* ALL: no ring at all */
        } else if (v >= RING_AREA) {
            skip(p, "ring offset 0x%" PRIx64 " is past the %u-byte ring area", v, RING_AREA);
            return false;
        } else {
            v += p->ring;
            if (r == VC_CTL_R_qpfn) {
                v >>= 12;
                uint64_t size = vp_tp_rd(p->t, &p->t->common, VP_LG_QSIZE, 2); /* the selected queue's */
                if (!arena_holds(p, v << 12, vc_legacy_ring_bytes((uint32_t)size))) {
                    skip(p, "a ring of %" PRIu64 " entries at that page runs past the arena", size);
                    return false;
                }
            }
        }
    }
    if (r == VC_CTL_R_qenable && v) {
        uint64_t q = 0;
        if (!bar_rd(p, bar, p->t->common.off + VP_CC_QSELECT, 2, &q))
            return false;
        if (!rings_safe(p, (unsigned)q, true, why, sizeof why)) {
            skip(p, "not enabled: %s", why);
            return false;
        }
    }
    if (r == VC_CTL_R_status && v == 0)
        memset(p->qset, 0, sizeof p->qset); /* the device forgot the rings; the player keeps their memory */
    if (w == 8)
        return bar_wr(p, bar, off, 4, (uint32_t)v) && bar_wr(p, bar, off + 4, 4, v >> 32);
    return bar_wr(p, bar, off, w, v);
}

/* ---- expectations ---- */

static seen *find_seen(cp *p, const vc_ctl_op *o)
{
    for (unsigned i = 0; i < p->nseen; i++) {
        seen *s = &p->seen[i];
        if (s->op == (vc_ctl_op_named(o->op) ? 1 : 2) && s->target == o->target && s->width == o->width &&
            s->off == o->off && s->aux == o->aux && s->queue == o->queue)
            /* a place, whichever way it is reached: direct or through the window */
            return s;
    }
    return NULL;
}

static void judge_read(cp *p, const vc_ctl_op *o, uint64_t v)
{
    seen *s = find_seen(p, o);
    uint64_t m = vc_ctl_op_mask(o), want = rel(p, o, o->value);
    unsigned rw = vc_ctl_op_named(o->op) ? vc_ctl_reg_width(o->target, p->t->legacy) : 8;
    if (rw < 8)
        m &= (1ull << (8 * rw)) - 1; /* a named register is as wide as it is */
    char ex[96], ob[96];
    snprintf(ob, sizeof ob, "0x%" PRIx64, v);
    switch (o->expect) {
    case VC_CTL_E_eq:
    case VC_CTL_E_ne:
        checked(p, vc_ctl_op_req(p->s, o));
        if (((v & m) == (want & m)) != (o->expect == VC_CTL_E_eq)) {
            snprintf(ex, sizeof ex, "%s0x%" PRIx64 " under mask 0x%" PRIx64, o->expect == VC_CTL_E_eq ? "" : "not ",
                     want & m, m);
            violate(p, o, ex, ob, "read 0x%" PRIx64 ", expected %s", v, ex);
        }
        break;
    case VC_CTL_E_oneof: {
        checked(p, vc_ctl_op_req(p->s, o));
        bool ok = (v & m) == (want & m);
        int n = snprintf(ex, sizeof ex, "one of 0x%" PRIx64, want & m);
        for (uint32_t i = p->at + 1; i < p->s->nops && p->s->ops[i].op == VC_CTL_ALSO; i++) {
            uint64_t a = rel(p, &p->s->ops[i], p->s->ops[i].value) & m;
            ok |= (v & m) == a;
            if (n > 0 && (size_t)n < sizeof ex)
                n += snprintf(ex + n, sizeof ex - (size_t)n, ", 0x%" PRIx64, a);
        }
        if (!ok)
            violate(p, o, ex, ob, "read 0x%" PRIx64 ", expected %s", v, ex);
        break;
    }
    case VC_CTL_E_unchanged:
        if (s) {
            checked(p, vc_ctl_op_req(p->s, o));
            if (s->v != v) {
                snprintf(ex, sizeof ex, "0x%" PRIx64 " (as read before)", s->v);
                violate(p, o, ex, ob, "read 0x%" PRIx64 ", earlier 0x%" PRIx64, v, s->v);
            }
        }
        break;
    default: break;
    }
    if (!s && p->nseen < MAX_SEEN)
        s = &p->seen[p->nseen++];
    if (s)
        *s = (seen){(uint8_t)(vc_ctl_op_named(o->op) ? 1 : 2), o->target, o->width, o->flags, o->queue, o->off,
                    o->aux, v};
}

/* ---- operations ---- */

static bool reset_wait(cp *p, unsigned ms, uint8_t *st)
{
    vp_tp *t = p->t;
    vp_tp_set_status(t, 0);
    double end = rp_now_ms() + ms;
    while ((*st = vp_tp_status(t)) != 0 && !t->io_err && rp_now_ms() < end)
        rp_sleep_us(100);
    memset(p->qset, 0, sizeof p->qset);
    return *st == 0 && !t->io_err;
}

/* A fresh driver session: the arena cleared, the ring area first in it. */
static bool session(cp *p)
{
    forget_queues(p);
    bool ok = vp_drv_reset(&p->v, p->c, p->d, p->t, p->t->legacy ? "legacy" : "modern");
    p->ring = vp_drv_alloc(&p->v, RING_AREA, 4096);
    return ok && p->ring;
}

static void op_init(cp *p, const vc_ctl_op *o)
{
    if (!session(p)) {
        checked(p, vc_ctl_op_req(p->s, o));
        violate(p, o, "status 0 after a reset", "non-zero", "the device did not reset");
        return;
    }
    uint64_t want = o->value & p->offered;
    if (p->t->legacy)
        want &= 0xffffffffull & ~(1ull << VC_F_VERSION_1);
    else
        want |= p->offered & 1ull << VC_F_VERSION_1;
    uint8_t st = vp_drv_negotiate(&p->v, want);
    if (p->t->io_err) {
        skip(p, "BAR access failed");
        return;
    }
    if (p->t->legacy || (o->expect != VC_CTL_E_eq && o->expect != VC_CTL_E_ne))
        return; /* no FEATURES_OK in legacy */
    checked(p, vc_ctl_op_req(p->s, o));
    bool kept = st & VC_STATUS_FEATURES_OK;
    if (kept != (o->expect == VC_CTL_E_eq)) {
        char ob[32];
        snprintf(ob, sizeof ob, "status 0x%02x", st);
        violate(p, o, kept ? "FEATURES_OK refused" : "FEATURES_OK kept", ob, "features 0x%" PRIx64 ": %s", want,
                kept ? "FEATURES_OK stayed set" : "the device refused FEATURES_OK");
    }
}

static void op_qsetup(cp *p, const vc_ctl_op *o)
{
    unsigned q = queue_of(p, o);
    char err[128];
    if (q >= VP_DRV_QUEUES) {
        skip(p, "queue %u is beyond the probe's %u", q, VP_DRV_QUEUES);
        return;
    }
    if (p->v.q_live[q]) {
        vc_vq_drv_free(&p->v.q[q]);
        p->v.q_live[q] = false;
    }
    uint64_t size = rel(p, o, o->value);
    if (!vp_drv_queue(&p->v, q, size && size < 0x10000 ? (uint16_t)size : 0xffff, err, sizeof err)) {
        skip(p, "QSETUP: %s", err);
        return;
    }
    p->qset[q] = true;
}

static void op_notify(cp *p, const vc_ctl_op *o)
{
    unsigned q = queue_of(p, o);
    char why[200];
    if (!rings_safe(p, q, false, why, sizeof why)) {
        skip(p, "not notified: %s", why);
        return;
    }
    uint64_t v = o->value ? rel(p, o, o->value) : q;
    vp_tp *t = p->t;
    if (t->legacy) {
        bar_wr(p, 0, VP_LG_NOTIFY, 2, v);
        return;
    }
    uint64_t sel = vp_tp_rd(t, &t->common, VP_CC_QSELECT, 2);
    vp_tp_wr(t, &t->common, VP_CC_QSELECT, 2, q);
    uint64_t noff = vp_tp_rd(t, &t->common, VP_CC_QNOTIFYOFF, 2);
    vp_tp_wr(t, &t->common, VP_CC_QSELECT, 2, sel);
    bar_wr(p, t->notify.bar, t->notify.off + noff * t->notify_mult, 2, v);
}

static void op_request(cp *p, const vc_ctl_op *o)
{
    unsigned q = queue_of(p, o);
    if (q != p->tq) {
        skip(p, "the known-good request goes to the %s (queue %u), not queue %u", p->tg->what, p->tq, q);
        return;
    }
    if (!p->v.q_live[q]) { /* the player's ring; whether the device still knows it is the test's business */
        skip(p, "REQUEST needs QSETUP of queue %u first", q);
        return;
    }
    kg k;
    uint64_t page = vp_drv_alloc(&p->v, 4096, 4096), buf = vp_drv_alloc(&p->v, 1024, 64);
    if (!page || !buf) {
        skip(p, "the DMA arena is exhausted");
        return;
    }
    rp_known_good(p->d->type, p->t->legacy, page, &k);
    vc_seg sg[3];
    unsigned ns = 0;
    if (k.nout) {
        memcpy(vp_drv_host(&p->v, buf, k.nout), k.out, k.nout);
        sg[ns++] = (vc_seg){buf, k.nout, false};
    }
    uint64_t at = buf + 128;
    for (unsigned i = 0; i < k.nin; at += k.in[i], i++)
        sg[ns++] = (vc_seg){at, k.in[i], true};
    char err[128] = "";
    uint32_t token, got = 0, len;
    p->v.bad_len[q] = true; /* lengths are not what a control-plane sequence judges */
    vp_rt rt = vp_drv_post(&p->v, q, sg, k.nout ? 1 : 0, k.nin, false, &token, err, sizeof err);
    if (rt == VP_RT_DRIVER) {
        skip(p, "REQUEST: %s", err);
        return;
    }
    if (o->expect != VC_CTL_E_eq && o->expect != VC_CTL_E_ne)
        return; /* sent, not waited for */
    if (rt == VP_RT_OK)
        rt = vp_drv_wait(&p->v, q, bound_ms(o), &got, &len, err, sizeof err);
    checked(p, vc_ctl_op_req(p->s, o));
    bool done = rt == VP_RT_OK || rt == VP_RT_DEVICE_BAD;
    if (o->expect == VC_CTL_E_eq && !done)
        violate(p, o, "the request completes", vp_rt_name(rt), "the known-good request on the %s did not complete "
                "within %u ms (%s)", p->tg->what, bound_ms(o), err);
    else if (o->expect == VC_CTL_E_ne && done)
        violate(p, o, "the request stays unused", "used", "the device served the known-good request on the %s",
                p->tg->what);
}

static void op_msix(cp *p, const vc_ctl_op *o)
{
    vp_dev *d = p->d;
    if (d->msix_pos < 0) {
        skip(p, "the device has no MSI-X capability");
        return;
    }
    uint16_t ctl = 0;
    vp_cfg16(d->fn, (unsigned)d->msix_pos + 2, &ctl);
    if (!p->msix_touched)
        p->msix_ctl0 = ctl, p->msix_touched = true;
    /* on with every vector masked: no message is ever sent */
    ctl = o->value ? (uint16_t)(ctl | MSIX_ENABLE | MSIX_FMASK) : (uint16_t)(ctl & ~(MSIX_ENABLE | MSIX_FMASK));
    if (!d->fn->ops->cfg_write(d->fn, (unsigned)d->msix_pos + 2, 2, ctl)) {
        skip(p, "the MSI-X control write failed");
        return;
    }
    d->msix_enabled = o->value != 0;
    if (p->t->legacy) { /* device configuration moves with MSI-X */
        p->t->legacy_cfg = d->msix_enabled ? VP_LG_CFG_MSIX : VP_LG_CFG;
        p->t->device.off = p->t->legacy_cfg;
        p->t->device.len = p->t->bar0_size > p->t->legacy_cfg ? p->t->bar0_size - p->t->legacy_cfg : 0;
    }
}

static void msix_restore(cp *p)
{
    if (!p->msix_touched)
        return;
    vp_dev *d = p->d;
    d->fn->ops->cfg_write(d->fn, (unsigned)d->msix_pos + 2, 2, p->msix_ctl0 & (MSIX_ENABLE | MSIX_FMASK));
    vc_ctl_op off = {.op = VC_CTL_MSIX, .value = (p->msix_ctl0 & MSIX_ENABLE) != 0};
    op_msix(p, &off);
}

static void op_wait(cp *p, const vc_ctl_op *o)
{
    uint64_t v = 0, m = vc_ctl_op_mask(o), want = rel(p, o, o->value);
    double end = rp_now_ms() + bound_ms(o);
    unsigned backoff = 50;
    for (;;) {
        if (!reg_rd(p, o->target, &v))
            return;
        if ((v & m) == (want & m))
            break;
        if (rp_now_ms() > end) {
            if (o->flags & VC_CTL_OF_SOFT)
                return;
            checked(p, vc_ctl_op_req(p->s, o));
            char ex[64], ob[32];
            snprintf(ex, sizeof ex, "0x%" PRIx64 " under mask 0x%" PRIx64 " within %u ms", want & m, m, bound_ms(o));
            snprintf(ob, sizeof ob, "0x%" PRIx64, v);
            violate(p, o, ex, ob, "still 0x%" PRIx64 " after %u ms", v, bound_ms(o));
            return;
        }
        rp_sleep_us(backoff);
        if (backoff < 1000)
            backoff *= 2;
    }
    if (!(o->flags & VC_CTL_OF_SOFT))
        checked(p, vc_ctl_op_req(p->s, o));
}

static void play_op(cp *p, const vc_ctl_op *o)
{
    uint64_t v;
    uint8_t st;
    switch (o->op) {
    case VC_CTL_RD:
        if (reg_rd(p, o->target, &v))
            judge_read(p, o, v);
        break;
    case VC_CTL_WR: reg_wr(p, o->target, rel(p, o, o->value)); break;
    case VC_CTL_READ:
        if (raw(p, o, false, &v))
            judge_read(p, o, v);
        break;
    case VC_CTL_WRITE:
        v = rel(p, o, o->value);
        raw(p, o, true, &v);
        break;
    case VC_CTL_ALSO: break; /* read with the oneof before it */
    case VC_CTL_WAIT: op_wait(p, o); break;
    case VC_CTL_SLEEP: rp_sleep_us(bound_ms(o) * 1000u); break;
    case VC_CTL_RESET:
        if (!reset_wait(p, bound_ms(o), &st)) {
            checked(p, vc_ctl_op_req(p->s, o));
            char ob[32];
            snprintf(ob, sizeof ob, "status 0x%02x", st);
            violate(p, o, "status 0 after the reset", ob, "status 0x%02x %u ms after writing 0", st, bound_ms(o));
        } else if (o->expect != VC_CTL_E_none) {
            checked(p, vc_ctl_op_req(p->s, o));
        }
        break;
    case VC_CTL_INIT: op_init(p, o); break;
    case VC_CTL_QSETUP: op_qsetup(p, o); break;
    case VC_CTL_NOTIFY: op_notify(p, o); break;
    case VC_CTL_REQUEST: op_request(p, o); break;
    case VC_CTL_MSIX: op_msix(p, o); break;
    case VC_CTL_FEATURES: vp_tp_set_driver_features(p->t, rel(p, o, o->value)); break;
    default: break;
    }
    if (p->t->io_err && !p->stop)
        skip(p, "a BAR access failed");
}

/* ---- one sequence ---- */

static bool is_text(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((b[i] < 0x20 && b[i] != '\n' && b[i] != '\t' && b[i] != '\r') || b[i] >= 0x7f)
            return false;
    return n > 0;
}

static bool load(const char *path, vc_ctl_seq *s, char *err, size_t n)
{
    static uint8_t buf[MAX_FILE + 1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, n, "%s", strerror(errno));
        return false;
    }
    size_t len = fread(buf, 1, MAX_FILE, f);
    fclose(f);
    if (!is_text(buf, len)) {
        vc_ctl_decode(buf, len, s);
        return true;
    }
    FILE *mf = fmemopen(buf, len, "r");
    if (!mf) {
        snprintf(err, n, "%s", strerror(errno));
        return false;
    }
    bool ok = vc_ctl_parse(mf, s, err, n);
    fclose(mf);
    return ok;
}

bool vp_ctl_is_seq(const char *name, const char *path)
{
    size_t n = strlen(name);
    if (n > 4 && !strcmp(name + n - 4, ".ctl"))
        return true;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char head[64] = "";
    size_t got = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[got] = 0;
    const char *p = head;
    while (*p == '#' || *p == '\n' || *p == ' ' || *p == '\t' || *p == '\r') { /* comments first */
        if (*p == '#')
            p += strcspn(p, "\n");
        else
            p++;
    }
    return !strncmp(p, "ctl", 3) && (p[3] == ' ' || p[3] == '\n' || p[3] == '\t' || p[3] == '\r' || !p[3]);
}

static unsigned mode_bit(const char *mode)
{
    return !strcmp(mode, "legacy") ? VC_CTL_M_LEGACY : !strcmp(mode, "transitional") ? VC_CTL_M_TRANSITIONAL
                                                                                     : VC_CTL_M_MODERN;
}

/* Whether the sequence applies here; why not in p->skip. */
static bool applies(cp *p, vp_tp *tm, vp_tp *tl)
{
    const vc_ctl_seq *s = p->s;
    bool legacy;
    if (!vc_ctl_plays_in(s, mode_bit(p->d->mode), &legacy)) {
        snprintf(p->skip, sizeof p->skip, "the sequence is not for %s devices (modes 0x%x, interface %s)", p->d->mode,
                 s->modes, vc_ctl_iface_name(s->iface));
        return false;
    }
    if (s->types) {
        unsigned i = 0;
        while (vc_ctl_type_name(i) && strcmp(vc_ctl_type_name(i), p->d->type) != 0)
            i++;
        if (!vc_ctl_type_name(i) || !(s->types & 1u << i)) {
            snprintf(p->skip, sizeof p->skip, "the sequence is not for %s devices", p->d->type);
            return false;
        }
    }
    p->t = legacy ? tl : tm;
    if (!p->t) {
        snprintf(p->skip, sizeof p->skip, "the %s interface is not usable here", legacy ? "legacy" : "modern");
        return false;
    }
    return true;
}

/* Whether the sequence ended with what the liveness check does: a reset
 * (INIT), the request queue set up, DRIVER_OK, and a known-good request
 * that had to complete and did (the player stopped otherwise). Then the
 * check after it would only repeat that (TCG makes each one cost). */
static bool ends_alive(const vc_ctl_seq *s)
{
    uint32_t i = s->nops;
    if (!i || s->ops[i - 1].op != VC_CTL_REQUEST || s->ops[i - 1].expect != VC_CTL_E_eq)
        return false;
    while (i-- > 0) {
        const vc_ctl_op *o = &s->ops[i];
        if (o->op == VC_CTL_INIT)
            return true;
        bool setup = o->op == VC_CTL_QSETUP || (o->op == VC_CTL_WR && o->target == VC_CTL_R_status) ||
                     (o->op == VC_CTL_REQUEST && o->expect == VC_CTL_E_eq);
        if (!setup)
            return false;
    }
    return false;
}

static void note_begin(vp_report *rep, const char *addr, const char *name)
{
    vp_json j;
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "note");
    vp_json_str(&j, "event", "begin");
    vp_json_str(&j, "addr", addr);
    vp_json_str(&j, "scenario", name);
    vp_report_record(rep, vp_json_close(&j));
}

static void emit(cp *p)
{
    vp_report *rep = p->c->rep;
    rep->scenario = p->name;
    const char *spec = p->s ? vc_ctl_spec_name(p->s->spec) : "?";
    if (p->vreq) {
        rep->outcome = "violates";
        vp_check(rep, "ctl.expect", p->vreq, VP_FAIL, p->expected, p->observed, "%s (spec: %s)", p->detail, spec);
    }
    if (p->wedged[0]) {
        rep->outcome = "wedged";
        vp_check(rep, "ctl.wedged", "", VP_FAIL, "an answer after a reset", "none", "%s", p->wedged);
    }
    if (!p->vreq && !p->wedged[0]) {
        if (p->skip[0]) {
            rep->outcome = "skipped";
            vp_check(rep, "ctl", "", VP_SKIP, NULL, NULL, "%s", p->skip);
        } else {
            char reqs[VC_CTL_MAX_REQS * (VC_CTL_REQ_LEN + 1) + 1] = "";
            for (unsigned i = 0; i < p->nchecked; i++)
                snprintf(reqs + strlen(reqs), sizeof reqs - strlen(reqs), "%s%s", i ? "," : "", p->checked[i]);
            char ob[64];
            snprintf(ob, sizeof ob, "%u expectation(s) held, alive after", p->evaluated);
            rep->outcome = "conforms";
            vp_check(rep, "ctl", reqs, VP_PASS, NULL, ob, "%u op(s); spec: %s", p->s->nops, spec);
        }
    }
    rep->scenario = rep->outcome = NULL;
}

bool vp_ctl_play_file(vp_ctx *c, vp_dev *d, vp_tp *tm, vp_tp *tl, const char *name, const char *path)
{
    static vc_ctl_seq s;
    static cp p;
    bool dead = false; /* not even a reset and one request after it: the device is not judged further */
    memset(&p, 0, sizeof p);
    p.c = c, p.d = d, p.tm = tm, p.name = name;
    p.tg = rp_target_find(d->type);
    char err[200];
    note_begin(c->rep, d->fn->addr, name);
    if (!load(path, &s, err, sizeof err)) {
        snprintf(p.skip, sizeof p.skip, "does not parse: %s", err);
        emit(&p);
        return false;
    }
    p.s = &s;
    if (!p.tg) {
        snprintf(p.skip, sizeof p.skip, "the probe has no known-good request for %s devices", d->type);
    } else if (!c->have_dma) {
        snprintf(p.skip, sizeof p.skip, "%s", c->dma_err);
    } else if (applies(&p, tm, tl)) {
        p.tq = p.tg->queue;
        p.nv = d->msix_pos >= 0 ? d->msix_size : 0;
        if (!session(&p)) {
            snprintf(p.skip, sizeof p.skip, "the device did not reset before the sequence");
        } else {
            p.offered = vp_tp_device_features(p.t);
            p.nq = vp_tp_num_queues(p.t);
            uint64_t missing = s.features & ~p.offered;
            if (missing)
                snprintf(p.skip, sizeof p.skip, "the device does not offer feature bit %d%s", __builtin_ctzll(missing),
                         p.t->legacy ? " through the legacy interface" : "");
            for (p.at = 0; !missing && p.at < s.nops && !p.stop; p.at++)
                play_op(&p, &s.ops[p.at]);
            bool proven = !missing && !p.stop && !p.msix_touched && ends_alive(&s);
            msix_restore(&p);
            vp_drv_done(&p.v);
            char why[160];
            if (!proven && !rp_alive(c, d, p.t, p.tg, why, sizeof why)) {
                snprintf(p.wedged, sizeof p.wedged, "after the sequence: %s", why);
                dead = true;
            }
        }
    }
    emit(&p);
    return dead;
}
