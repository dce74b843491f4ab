/* The control-plane player's access layer (ctl_player.h). */
#include "ctl_player.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vc/ring.h"

void ctl_skip(ctl_player *p, const char *fmt, ...)
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

/* ---- raw access ---- */

bool ctl_arena_holds(const ctl_player *p, uint64_t gpa, uint64_t len)
{
    const vp_dma *m = &p->c->dma;
    return gpa >= m->gpa && len <= m->size && gpa - m->gpa <= m->size - len;
}

static bool bar_ok(ctl_player *p, unsigned bar, uint64_t off, unsigned w)
{
    const vp_bar *b = bar < VP_NBARS ? &p->d->fn->bar[bar] : NULL;
    if (!b || !b->present) {
        ctl_skip(p, "BAR %u is not implemented", bar);
        return false;
    }
    if (w == 3 || (w == 8 && b->io)) {
        ctl_skip(p, "no CPU access to %s BAR is %u bytes wide", b->io ? "an I/O" : "a memory", w);
        return false;
    }
    if (off + w > b->size) {
        ctl_skip(p, "0x%" PRIx64 "+%u is past the end of BAR %u (0x%" PRIx64 " bytes): the CPU cannot reach it",
             off, w, bar, b->size);
        return false;
    }
    return true;
}

static bool bar_rd(ctl_player *p, unsigned bar, uint64_t off, unsigned w, uint64_t *v)
{
    *v = 0;
    if (!bar_ok(p, bar, off, w))
        return false;
    if (!p->d->fn->ops->bar_read(p->d->fn, bar, off, w, v)) {
        ctl_skip(p, "the read of BAR %u at 0x%" PRIx64 " failed", bar, off);
        return false;
    }
    return true;
}

bool ctl_bar_wr(ctl_player *p, unsigned bar, uint64_t off, unsigned w, uint64_t v)
{
    if (!bar_ok(p, bar, off, w))
        return false;
    if (!p->d->fn->ops->bar_write(p->d->fn, bar, off, w, v)) {
        ctl_skip(p, "the write of BAR %u at 0x%" PRIx64 " failed", bar, off);
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
static const char *guarded(ctl_player *p, unsigned bar, uint64_t off, unsigned w)
{
    vp_tp *m = p->tm;
    if (m && bar == m->common.bar && (overlaps(off, w, m->common.off + VC_CC_QENABLE, 2) ||
                                      overlaps(off, w, m->common.off + VC_CC_QDESC, 24)))
        return "a raw write to queue_enable or a ring address register (use WR with an offset into the ring area)";
    if (bar == 0 && p->d->fn->bar[0].io && p->d->mode && strcmp(p->d->mode, "modern") != 0 &&
        overlaps(off, w, VC_LG_PFN, 4))
        return "a raw write to the legacy queue PFN (use WR reg=qpfn with an offset into the ring area)";
    if (p->d->msix_pos >= 0) {
        uint32_t tbl = 0;
        vp_cfg32(p->d->fn, (unsigned)p->d->msix_pos + 4, &tbl);
        if (bar == (tbl & 7) && overlaps(off, w, tbl & ~7u, 16ull * p->d->msix_size))
            return "a raw write to the MSI-X table (messages could be aimed anywhere in the guest)";
    }
    return NULL;
}

static int window_cap(const ctl_player *p)
{
    int i = p->d->first[VC_CAP_PCI_CFG];
    return i < 0 ? -1 : p->d->vcap[i].pos;
}

/* Through the pci_cfg capability: cap.bar, cap.offset, cap.length, then
 * pci_cfg_data (a 4-byte config access; the device moves cap.length bytes). */
static bool window(ctl_player *p, bool write, unsigned bar, uint64_t off, unsigned w, uint64_t *v)
{
    int pos = window_cap(p);
    if (pos < 0) {
        ctl_skip(p, "the device has no PCI config access capability");
        return false;
    }
    vp_fn *f = p->d->fn;
    bool ok = f->ops->cfg_write(f, (unsigned)pos + 4, 1, bar) && f->ops->cfg_write(f, (unsigned)pos + 8, 4, (uint32_t)off) &&
              f->ops->cfg_write(f, (unsigned)pos + 12, 4, w);
    uint32_t x = 0;
    if (!ok) {
        ctl_skip(p, "the window's capability fields could not be written");
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
static bool place(ctl_player *p, const vc_ctl_op *o, unsigned *bar, uint64_t *off, bool *cfg, uint64_t *gpa)
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
            ctl_skip(p, "the device has no device-specific configuration");
            return false;
        }
        break;
    case VC_CTL_S_legacy:
        if (!p->d->fn->bar[0].present || !p->d->fn->bar[0].io || !strcmp(p->d->mode, "modern")) {
            ctl_skip(p, "the device has no legacy I/O BAR0");
            return false;
        }
        *bar = 0, *off = o->off;
        return true;
    case VC_CTL_S_pci:
        *cfg = true, *off = o->off;
        return true;
    case VC_CTL_S_bar: *bar = o->aux, *off = o->off; return true;
    case VC_CTL_S_ring:
        if ((uint64_t)o->off + o->width > CTL_RING_AREA) {
            ctl_skip(p, "ring+0x%" PRIx32 " is past the %u-byte ring area", o->off, CTL_RING_AREA);
            return false;
        }
        *gpa = p->ring + o->off;
        return true;
    default: { /* used */
        unsigned q = ctl_queue_of(p, o);
        if (q >= VP_DRV_QUEUES || !p->v.q_live[q]) {
            ctl_skip(p, "space used needs QSETUP of queue %u first", q);
            return false;
        }
        const vc_vq_drv *vq = &p->v.q[q];
        uint64_t len = vq->packed ? 4 : vc_split_used_bytes(vq->size);
        if ((uint64_t)o->off + o->width > len) {
            ctl_skip(p, "used+0x%" PRIx32 " is past queue %u's device area", o->off, q);
            return false;
        }
        *gpa = vq->device + o->off;
        return true;
    }
    }
    if (!l) {
        ctl_skip(p, "space %s needs the modern interface", vc_ctl_space_name(o->target));
        return false;
    }
    *bar = l->bar, *off = l->off + o->off;
    return true;
}

bool ctl_raw(ctl_player *p, const vc_ctl_op *o, bool write, uint64_t *v)
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
            ctl_skip(p, "guest memory at 0x%" PRIx64 " is not the arena's", gpa);
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
            ctl_skip(p, "config space is not reached through the window");
            return false;
        }
        const char *why = write ? guarded(p, bar, off, w) : NULL;
        if (why) {
            ctl_skip(p, "%s", why);
            return false;
        }
        return window(p, write, bar, off, w, v);
    }
    if (cfg) {
        vp_fn *f = p->d->fn;
        if (w != 1 && w != 2 && w != 4) {
            ctl_skip(p, "config space takes accesses of 1, 2 or 4 bytes");
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
                ctl_skip(p, "a config space write outside the virtio capabilities (or to pci_cfg_data) "
                        "would break the guest, not test the device");
                return false;
            }
            if (!f->ops->cfg_write(f, (unsigned)off, w, (uint32_t)*v)) {
                ctl_skip(p, "the config space write failed");
                return false;
            }
            return true;
        }
        uint32_t x = 0;
        if (!f->ops->cfg_read(f, (unsigned)off, w, &x)) {
            ctl_skip(p, "the config space read failed");
            return false;
        }
        *v = x;
        return true;
    }
    if (write) {
        const char *why = guarded(p, bar, off, w);
        if (why) {
            ctl_skip(p, "%s", why);
            return false;
        }
        return ctl_bar_wr(p, bar, off, w, *v);
    }
    return bar_rd(p, bar, off, w, v);
}

/* ---- named registers ---- */

static bool reg_loc(ctl_player *p, unsigned r, unsigned *bar, uint64_t *off, unsigned *w)
{
    const vc_ctl_reg_info *ri = vc_ctl_reg_get(r);
    bool legacy = p->t->legacy;
    int o = legacy ? ri->legacy_off : ri->modern_off;
    if (o < 0) {
        ctl_skip(p, "register %s is not in the %s interface", ri->name, legacy ? "legacy" : "modern");
        return false;
    }
    *w = legacy ? ri->legacy_width : ri->modern_width;
    if (legacy) {
        bool msix_reg = r == VC_CTL_R_msix_config || r == VC_CTL_R_qvector;
        if (msix_reg && !p->d->msix_enabled) {
            ctl_skip(p, "legacy %s exists only with MSI-X on (MSIX value=1 first)", ri->name);
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

bool ctl_reg_rd(ctl_player *p, unsigned r, uint64_t *v)
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
        if (gpa >= p->ring && gpa < p->ring + CTL_RING_AREA)
            *v = gpa - p->ring;
    }
    return true;
}

/* The rings the device holds for queue q lie in the arena (or the queue is
 * off with no rings): only then may it be enabled or notified. The
 * selector is put back as it was. */
bool ctl_rings_safe(ctl_player *p, unsigned q, bool enabling, char *why, size_t n)
{
    vp_tp *t = p->t;
    if (t->legacy) {
        uint64_t sel = vp_tp_rd(t, &t->common, VC_LG_QSEL, 2);
        vp_tp_wr(t, &t->common, VC_LG_QSEL, 2, q);
        uint64_t pfn = vp_tp_rd(t, &t->common, VC_LG_PFN, 4), size = vp_tp_rd(t, &t->common, VC_LG_QSIZE, 2);
        vp_tp_wr(t, &t->common, VC_LG_QSEL, 2, sel);
        if (t->io_err) {
            snprintf(why, n, "BAR0 access failed");
            return false;
        }
        if (!pfn || ctl_arena_holds(p, pfn << 12, vc_legacy_ring_bytes((uint32_t)size)))
            return true;
        snprintf(why, n, "queue %u's ring (PFN 0x%" PRIx64 ", %" PRIu64 " entries) is not inside the probe's arena", q,
                 pfn, size);
        return false;
    }
    uint64_t sel = vp_tp_rd(t, &t->common, VC_CC_QSELECT, 2);
    vp_tp_wr(t, &t->common, VC_CC_QSELECT, 2, q);
    uint64_t size = vp_tp_rd(t, &t->common, VC_CC_QSIZE, 2), en = vp_tp_rd(t, &t->common, VC_CC_QENABLE, 2);
    uint64_t a[3];
    for (unsigned i = 0; i < 3; i++)
        a[i] = vp_tp_rd(t, &t->common, VC_CC_QDESC + 8 * i, 4) |
               vp_tp_rd(t, &t->common, VC_CC_QDESC + 8 * i + 4, 4) << 32;
    vp_tp_wr(t, &t->common, VC_CC_QSELECT, 2, sel);
    if (t->io_err) {
        snprintf(why, n, "common configuration access failed");
        return false;
    }
    if ((!en && !enabling) || !size)
        return true; /* an idle queue (the device must leave it alone), or none at all */
    /* the larger of the split and packed extents */
    uint64_t len[3] = {16 * size, 6 + 2 * size, 6 + 8 * size};
    for (unsigned i = 0; i < 3; i++)
        if (!ctl_arena_holds(p, a[i], len[i])) {
            snprintf(why, n, "queue %u's %s area (0x%" PRIx64 ", %" PRIu64 " entries) is not inside the probe's arena",
                     q, i == 0 ? "descriptor" : i == 1 ? "driver" : "device", a[i], size);
            return false;
        }
    return true;
}

void ctl_forget_queues(ctl_player *p)
{
    for (unsigned i = 0; i < VP_DRV_QUEUES; i++)
        if (p->v.q_live[i])
            vc_vq_drv_free(&p->v.q[i]);
    memset(p->v.q_live, 0, sizeof p->v.q_live);
    memset(p->qset, 0, sizeof p->qset);
}

bool ctl_reg_wr(ctl_player *p, unsigned r, uint64_t v)
{
    unsigned bar, w;
    uint64_t off;
    if (!reg_loc(p, r, &bar, &off, &w))
        return false;
    char why[200];
    if (vc_ctl_reg_get(r)->ring_address) {
        if (v == UINT64_MAX) {
            v = 0; /* ALL: no ring at all */
        } else if (v >= CTL_RING_AREA) {
            ctl_skip(p, "ring offset 0x%" PRIx64 " is past the %u-byte ring area", v, CTL_RING_AREA);
            return false;
        } else {
            v += p->ring;
            if (r == VC_CTL_R_qpfn) {
                v >>= 12;
                uint64_t size = vp_tp_rd(p->t, &p->t->common, VC_LG_QSIZE, 2); /* the selected queue's */
                if (!ctl_arena_holds(p, v << 12, vc_legacy_ring_bytes((uint32_t)size))) {
                    ctl_skip(p, "a ring of %" PRIu64 " entries at that page runs past the arena", size);
                    return false;
                }
            }
        }
    }
    if (r == VC_CTL_R_qenable && v) {
        uint64_t q = 0;
        if (!bar_rd(p, bar, p->t->common.off + VC_CC_QSELECT, 2, &q))
            return false;
        if (!ctl_rings_safe(p, (unsigned)q, true, why, sizeof why)) {
            ctl_skip(p, "not enabled: %s", why);
            return false;
        }
    }
    if (r == VC_CTL_R_status && v == 0)
        memset(p->qset, 0, sizeof p->qset); /* the device forgot the rings; the player keeps their memory */
    if (w == 8)
        return ctl_bar_wr(p, bar, off, 4, (uint32_t)v) && ctl_bar_wr(p, bar, off + 4, 4, v >> 32);
    return ctl_bar_wr(p, bar, off, w, v);
}

