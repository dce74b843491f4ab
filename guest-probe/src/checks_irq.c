/* Runs the interrupt and lifecycle groups over one device: with MSI-X
 * aimed at memory while the device allows it, then with MSI-X off (INTx). */
#include "checks_irq.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "vc/spec_features.h"

const char *vp_irq_describe(uint32_t m, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (unsigned v = 0; v < 32 && at < len; v++)
        if (m >> v & 1) {
            int w = v == VP_IRQ_INTX ? snprintf(buf + at, len - at, "%sINTx", at ? ", " : "")
                                     : snprintf(buf + at, len - at, "%svector %u", at ? ", " : "", v);
            at += w > 0 ? (size_t)w : 0;
        }
    if (!m)
        snprintf(buf, len, "nothing");
    return buf;
}

bool vp_irq_step(vp_isess *s, vp_irq *q, uint32_t want, uint32_t *seen, const char *id)
{
    char err[128];
    vp_irq_clear(q);
    if (!vp_isess_req(s, err, sizeof err)) {
        vp_check(s->v.c->rep, id, "", VP_ERROR, NULL, NULL, "request: %s", err);
        return false;
    }
    if (!want) {
        *seen = vp_irq_settle(q, &s->t);
        return true;
    }
    (void)vp_tp_status(&s->t); /* the device's work for the used entry is done (see vp_irq_settle) */
    *seen = vp_irq_wait(q, want, VP_QUICK_WAIT_MS);
    return true;
}

/* The features a device offers through the interface kind drives (0 when
 * they cannot be read: no twin is then assumed). */
static uint64_t offered(vp_dev *d, vp_is_kind kind)
{
    vp_tp t;
    char err[64];
    bool ok = kind == VP_IS_MODERN ? vp_tp_modern(&t, d, err, sizeof err) : vp_tp_legacy(&t, d, err, sizeof err);
    return ok ? vp_tp_device_features(&t) : 0;
}

/* The function checked earlier in the run with the same IDs, mode and
 * offered features on the same bus (QEMU's keyboard, mouse and tablet are
 * one virtio-input model side by side; configurations sharing a VM repeat
 * devices), or NULL: one of them is enough. */
static const char *checked_twin(vp_dev *d, vp_is_kind kind)
{
    static struct {
        char addr[16], parent[64];
        uint16_t device, subsys;
        uint8_t rev;
        bool pio; /* a notify capability in an I/O BAR: another notification path */
        uint64_t features; /* a balloon with free page reporting has another queue, say */
        const char *mode;
    } seen[64];
    static unsigned n;
    uint64_t features = offered(d, kind);
    if (!features)
        return NULL;
    char parent[64];
    snprintf(parent, sizeof parent, "%s", d->fn->slot_path);
    char *cut = strrchr(parent, '/');
    *(cut ? cut : parent) = 0;
    for (unsigned i = 0; i < n; i++)
        if (seen[i].device == d->device && seen[i].subsys == d->subsys_device && seen[i].rev == d->revision &&
            seen[i].pio == (d->pio_notify >= 0) && seen[i].features == features && !strcmp(seen[i].mode, d->mode) &&
            !strcmp(seen[i].parent, parent) && d->fn->slot_path[0])
            return seen[i].addr;
    if (n < sizeof seen / sizeof seen[0]) {
        snprintf(seen[n].addr, sizeof seen[n].addr, "%s", d->fn->addr);
        snprintf(seen[n].parent, sizeof seen[n].parent, "%s", parent);
        seen[n].device = d->device, seen[n].subsys = d->subsys_device, seen[n].rev = d->revision;
        seen[n].pio = d->pio_notify >= 0;
        seen[n].features = features;
        seen[n++].mode = d->mode;
    }
    return NULL;
}

static bool packed_offered(vp_dev *d)
{
    vp_tp t;
    char err[64];
    return vp_tp_modern(&t, d, err, sizeof err) && (vp_tp_device_features(&t) >> VC_F_RING_PACKED & 1);
}

/* Where the groups' time goes, one info record per device. */
typedef struct tally {
    char buf[200];
    size_t at;
    double t;
} tally;

static void mark(tally *t, const char *what)
{
    double now = vp_now_ms();
    if (what && t->at < sizeof t->buf) {
        int w = snprintf(t->buf + t->at, sizeof t->buf - t->at, "%s%s %.1f", t->at ? ", " : "", what, now - t->t);
        t->at += w > 0 ? (size_t)w : 0;
    }
    t->t = now;
}

void vp_checks_irq(vp_ctx *c, vp_dev *d)
{
    bool modern = !strcmp(d->mode, "modern") || !strcmp(d->mode, "transitional");
    bool legacy = !strcmp(d->mode, "legacy") || !strcmp(d->mode, "transitional");
    if ((!modern || !c->opt.modern) && (!legacy || !c->opt.legacy))
        return;
    vp_is_kind kind = modern && c->opt.modern ? VP_IS_MODERN : VP_IS_LEGACY;
    const char *who = kind == VP_IS_MODERN ? "modern" : "legacy";
    if (vp_isess_queue(d->type) < 0) {
        vp_report_set(c->rep, d->fn->addr, who);
        vp_check(c->rep, "irq", "", VP_SKIP, NULL, NULL, "no request for device type '%s'", d->type);
        return;
    }
    /* where INTx is counted: the last function at boot (a balloon swapped in later is not) */
    bool last = !c->swapped && d->fn == &c->plat->fn[c->plat->nfn - 1];
    const char *twin = checked_twin(d, kind);
    if (twin) {
        vp_report_set(c->rep, d->fn->addr, who);
        vp_check(c->rep, "irq", "", VP_SKIP, NULL, NULL, "the same device model on the same bus as %s, checked there",
                 twin);
        if (last)
            vp_checks_intx(c, d, kind, true);
        return;
    }
    vp_irq q;
    char why[160];
    tally t = {.at = 0};
    mark(&t, NULL);
    if (vp_irq_msix_on(&q, c, d, why, sizeof why)) {
        vp_checks_notify_split(c, d, kind, &q);
        mark(&t, "split");
        vp_checks_notify_event_idx(c, d, kind, &q);
        mark(&t, "event_idx");
        if (kind == VP_IS_MODERN) {
            vp_checks_config_irq(c, d, &q);
            vp_checks_config_change(c, d, &q);
            mark(&t, "config");
            if (packed_offered(d)) {
                vp_checks_notify_packed(c, d, &q);
                mark(&t, "packed");
            }
        }
        vp_checks_lifecycle(c, d, kind, &q);
        mark(&t, "lifecycle");
        vp_irq_msix_off(&q);
    } else {
        vp_report_set(c->rep, d->fn->addr, who);
        vp_check(c->rep, "irq.msix", "", VP_SKIP, NULL, NULL, "MSI-X cannot be observed: %s", why);
        vp_checks_lifecycle(c, d, kind, NULL);
        mark(&t, "lifecycle");
    }
    vp_checks_intx(c, d, kind, last);
    mark(&t, "intx");
    vp_report_set(c->rep, d->fn->addr, who);
    vp_check(c->rep, "irq.time", "", VP_INFO, NULL, t.buf, "ms per group of checks");
}
