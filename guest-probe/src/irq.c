/* Interrupt observation: MSI-X messages aimed at the probe's own memory,
 * INTx counted by the platform. */
#include "clock.h"
#include "irq.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MSIX_CTRL 2u
#define MSIX_TABLE 4u
#define MSIX_ENABLE 0x8000u
#define MSIX_FMASK 0x4000u
#define ENTRY_SIZE 16u
#define ENTRY_MASKED 1u
#define MSI_DATA 0x5ac00000u /* | vector: a slot holding this was written by that vector */
#define SLOT_PAGE 4096u

/* The last page of the arena, kept out of every session's allocations and
 * resets: a message the device sends late must never land in a ring. */
static bool slots(vp_ctx *c, uint64_t *gpa, volatile uint32_t **host)
{
    static vp_ctx *owner;
    static uint64_t at;
    if (owner != c) {
        if (c->dma.size < 2 * SLOT_PAGE)
            return false;
        c->dma.size -= SLOT_PAGE;
        at = c->dma.gpa + c->dma.size;
        owner = c;
    }
    *gpa = at;
    *host = (volatile uint32_t *)(c->dma.host + (at - c->dma.gpa));
    return true;
}

static void entry(vp_irq *q, unsigned v, uint64_t addr, uint32_t data, uint32_t ctl)
{
    vp_fn *f = q->d->fn;
    uint64_t e = q->toff + (uint64_t)v * ENTRY_SIZE;
    f->ops->bar_write(f, q->tbar, e, 4, (uint32_t)addr);
    f->ops->bar_write(f, q->tbar, e + 4, 4, addr >> 32);
    f->ops->bar_write(f, q->tbar, e + 8, 4, data);
    f->ops->bar_write(f, q->tbar, e + 12, 4, ctl);
}

bool vp_irq_msix_on(vp_irq *q, vp_ctx *c, vp_dev *d, char *why, size_t whylen)
{
    memset(q, 0, sizeof *q);
    q->c = c;
    q->d = d;
    q->quiet_ms = c->opt.quiet_ms;
    vp_fn *f = d->fn;
    uint32_t tbl = 0;
    uint16_t ctrl = 0;
    if (d->msix_pos < 0 || d->msix_size == 0) {
        snprintf(why, whylen, "no MSI-X capability");
        return false;
    }
    if (!vp_cfg32(f, (unsigned)d->msix_pos + MSIX_TABLE, &tbl) ||
        !vp_cfg16(f, (unsigned)d->msix_pos + MSIX_CTRL, &ctrl)) {
        snprintf(why, whylen, "MSI-X capability unreadable");
        return false;
    }
    q->tbar = tbl & 7;
    q->toff = tbl & ~7u;
    q->nvec = d->msix_size < VP_IRQ_MAXVEC ? d->msix_size : VP_IRQ_MAXVEC;
    const vp_bar *b = q->tbar < VP_NBARS ? &f->bar[q->tbar] : NULL;
    if (!b || !b->present || b->io || q->toff + (uint64_t)q->nvec * ENTRY_SIZE > b->size) {
        snprintf(why, whylen, "MSI-X table (BAR %u offset 0x%llx) not in a memory BAR", q->tbar,
                 (unsigned long long)q->toff);
        return false;
    }
    if (!slots(c, &q->slot_gpa, &q->slot)) {
        snprintf(why, whylen, "no DMA memory for the MSI-X messages");
        return false;
    }
    q->ctrl = ctrl;
    q->was_enabled = d->msix_enabled;
    for (unsigned v = 0; v < q->nvec; v++)
        entry(q, v, q->slot_gpa + 4ull * v, MSI_DATA | v, 0);
    f->ops->cfg_write(f, (unsigned)d->msix_pos + MSIX_CTRL, 2, (ctrl | MSIX_ENABLE) & ~MSIX_FMASK);
    uint16_t back = 0;
    vp_cfg16(f, (unsigned)d->msix_pos + MSIX_CTRL, &back);
    if (!(back & MSIX_ENABLE)) {
        snprintf(why, whylen, "MSI-X enable bit does not stick (control 0x%04x)", back);
        vp_irq_msix_off(q);
        return false;
    }
    d->msix_enabled = true; /* the legacy device config moves to offset 24 */
    q->msix = true;
    vp_irq_clear(q);
    return true;
}

void vp_irq_msix_off(vp_irq *q)
{
    vp_fn *f = q->d->fn;
    for (unsigned v = 0; v < q->nvec; v++)
        entry(q, v, 0, 0, ENTRY_MASKED);
    f->ops->cfg_write(f, (unsigned)q->d->msix_pos + MSIX_CTRL, 2, q->ctrl);
    q->d->msix_enabled = q->was_enabled;
    q->msix = false;
}

bool vp_irq_intx_on(vp_irq *q, vp_ctx *c, vp_dev *d, char *why, size_t whylen)
{
    memset(q, 0, sizeof *q);
    q->c = c;
    q->d = d;
    q->quiet_ms = c->opt.quiet_ms;
    const vp_intx_ops *x = d->fn->ops->intx;
    if (d->msix_enabled) {
        snprintf(why, whylen, "MSI-X is on: INTx is silent");
        return false;
    }
    if (!x) {
        snprintf(why, whylen, "the platform cannot count INTx");
        return false;
    }
    if (!x->attach(d->fn, why, whylen))
        return false;
    q->intx = true;
    vp_irq_clear(q);
    return true;
}

void vp_irq_intx_off(vp_irq *q)
{
    if (!q->intx)
        return;
    vp_fn *f = q->d->fn;
    f->ops->intx->detach(f);
    q->intx = false;
    char err[96];
    f->ops->enable(f, err, sizeof err); /* unbinding turned bus mastering off */
}

void vp_irq_clear(vp_irq *q)
{
    for (unsigned v = 0; q->msix && v < q->nvec; v++)
        q->slot[v] = 0;
    if (q->intx) {
        vp_fn *f = q->d->fn;
        f->ops->intx->rearm(f);
        q->intx_seen = f->ops->intx->wait(f, q->intx_seen, 0);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint32_t seen(vp_irq *q, unsigned ms)
{
    uint32_t m = 0;
    for (unsigned v = 0; q->msix && v < q->nvec; v++)
        if (q->slot[v] == (MSI_DATA | v))
            m |= 1u << v;
    if (q->intx) {
        vp_fn *f = q->d->fn;
        if (f->ops->intx->wait(f, q->intx_seen, ms) != q->intx_seen)
            m |= 1u << VP_IRQ_INTX;
    }
    return m;
}

uint32_t vp_irq_wait(vp_irq *q, uint32_t want, unsigned ms)
{
    double end = vp_now_ms() + ms;
    unsigned backoff = 10;
    for (;;) {
        double left = end - vp_now_ms();
        /* INTx waits in poll(); MSI-X slots are polled */
        uint32_t m = seen(q, q->intx && !q->msix && left > 0 ? (unsigned)left : 0);
        if ((want && (m & want)) || left <= 0)
            return m;
        struct timespec ts = {0, (long)backoff * 1000};
        nanosleep(&ts, NULL);
        if (backoff < 500)
            backoff *= 2;
    }
}

uint32_t vp_irq_settle(vp_irq *q, vp_tp *t)
{
    (void)vp_tp_status(t);
    return vp_irq_wait(q, 0, q->quiet_ms);
}
