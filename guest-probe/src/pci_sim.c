/* The probe's --sim platform: vp_pci_ops and vp_platform over the reference
 * device's PCI front (refdev/pci_front.h), one front per function of the
 * spec, all on one simulated DMA arena. */
#include "pci_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h" /* vp_blk_pattern */
#include "refdev/pci_front.h"

#define SIM_MAX_FN VC_FRONT_MEM_MAX
#define SIM_DMA_GPA 0x40000000ull
#define SIM_DMA_SIZE (2u << 20)

typedef struct sim_fn {
    vc_front *front;
    vp_fn bridge; /* the bridge in front, where there is one */
} sim_fn;

typedef struct sim_plat {
    vp_platform p;
    sim_fn f[SIM_MAX_FN];
    vp_fn fns[SIM_MAX_FN];
    vc_front_mem mem;
} sim_plat;

static vc_front *S(vp_fn *f) { return ((sim_fn *)f->priv)->front; }

static bool sim_cfg_read(vp_fn *f, unsigned off, unsigned len, uint32_t *val)
{
    return vc_front_cfg_read(S(f), off, len, val);
}
static bool sim_cfg_write(vp_fn *f, unsigned off, unsigned len, uint32_t val)
{
    return vc_front_cfg_write(S(f), off, len, val);
}
static bool sim_bar_read(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t *val)
{
    return vc_front_bar_read(S(f), bar, off, len, val);
}
static bool sim_bar_write(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t val)
{
    return vc_front_bar_write(S(f), bar, off, len, val);
}
static bool sim_enable(vp_fn *f, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    vc_front_enable(S(f));
    return true;
}
static bool bridge_cfg_read(vp_fn *f, unsigned off, unsigned len, uint32_t *val)
{
    return vc_front_bridge_cfg_read(S(f), off, len, val);
}
static bool bridge_cfg_write(vp_fn *f, unsigned off, unsigned len, uint32_t val)
{
    return vc_front_bridge_cfg_write(S(f), off, len, val);
}

static unsigned sim_bridges(vp_fn *f, vp_fn **out, unsigned max)
{
    sim_fn *s = f->priv;
    if (!vc_front_has_bridge(s->front) || max < 1)
        return 0;
    out[0] = &s->bridge;
    return 1;
}

/* INTx: the front counts the interrupts it raises with MSI-X off. */
static bool sim_intx_attach(vp_fn *f, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    vc_front_intx_attach(S(f), true);
    return true;
}
static uint32_t sim_intx_wait(vp_fn *f, uint32_t seen, unsigned ms)
{
    (void)seen, (void)ms; /* the device raises at once: nothing to wait for */
    return vc_front_intx(S(f));
}
static void sim_intx_rearm(vp_fn *f) { (void)f; }
static void sim_intx_detach(vp_fn *f) { vc_front_intx_attach(S(f), false); }
static const vp_intx_ops sim_intx = {sim_intx_attach, sim_intx_wait, sim_intx_rearm, sim_intx_detach};

static const vp_pci_ops sim_ops = {sim_cfg_read, sim_cfg_write, sim_bar_read, sim_bar_write, sim_enable,
                                   sim_bridges, &sim_intx};
static const vp_pci_ops bridge_ops = {.cfg_read = bridge_cfg_read, .cfg_write = bridge_cfg_write};

static bool sim_dma(vp_platform *p, size_t min, vp_dma *out, char *err, size_t errlen)
{
    sim_plat *sp = p->priv;
    if (min > SIM_DMA_SIZE) {
        snprintf(err, errlen, "simulated DMA arena is %u bytes", SIM_DMA_SIZE);
        return false;
    }
    vc_gmem_init(&out->mem);
    vc_gmem_add(&out->mem, SIM_DMA_GPA, SIM_DMA_SIZE, sp->mem.arena);
    out->gpa = SIM_DMA_GPA;
    out->host = sp->mem.arena;
    out->size = SIM_DMA_SIZE;
    out->how = "simulated";
    return true;
}

/* What the runner asks QEMU's monitor for, done in-process. */
static bool sim_config_change(vp_platform *p, vp_fn *f, const char *what)
{
    (void)p;
    return vc_front_config_change(S(f), what);
}

/* The reference device's faults that name a driver rule. */
static void sim_driver_faults(vp_platform *p, vp_fn *f,
                              void (*fn)(void *ctx, const char *code, const char *req, int queue, const char *detail),
                              void *ctx)
{
    (void)p;
    vc_dev *d = vc_front_dev(S(f));
    for (unsigned i = 0; fn && i < d->nfaults; i++)
        if (d->fault[i].req && !strncmp(d->fault[i].req, "drv.", 4))
            fn(ctx, d->fault[i].code, d->fault[i].req, d->fault[i].queue, d->fault[i].detail);
    d->nfaults = 0; /* read: the device's log is ours to empty */
}

static void sim_close(vp_platform *p)
{
    sim_plat *sp = p->priv;
    for (unsigned i = 0; i < p->nfn; i++)
        vc_front_free(sp->f[i].front);
    vc_front_mem_free(&sp->mem);
    free(sp);
}

/* One "type:mode[:fault]..." item of the spec. */
static bool add_fn(sim_plat *sp, char *item, char *err, size_t errlen)
{
    char *save = NULL, *type = strtok_r(item, ":", &save), *mode = strtok_r(NULL, ":", &save);
    if (!type || !mode) {
        snprintf(err, errlen, "sim: '%s' is not type:mode", item ? item : "");
        return false;
    }
    if (sp->p.nfn >= SIM_MAX_FN) {
        snprintf(err, errlen, "sim: at most %d functions", SIM_MAX_FN);
        return false;
    }
    vc_front_opts o = {.type = type, .seed = 1234 + sp->p.nfn, .serial = "vconform-sim",
                       .disk_fill = vp_blk_pattern};
    for (char *fl; (fl = strtok_r(NULL, ":", &save));) {
        unsigned bit = vc_front_fault(fl);
        if (!bit) {
            snprintf(err, errlen, "sim: unknown fault '%s'", fl);
            return false;
        }
        o.faults |= bit;
    }
    if (!strcmp(mode, "legacy"))
        o.mode = VC_FRONT_LEGACY;
    else if (!strcmp(mode, "transitional"))
        o.mode = VC_FRONT_TRANSITIONAL;
    else if (!strcmp(mode, "modern"))
        o.mode = VC_FRONT_MODERN;
    else {
        snprintf(err, errlen, "sim: mode '%s' is not legacy, transitional or modern", mode);
        return false;
    }
    char why[128];
    vc_front *front = vc_front_create(&sp->mem, &o, why, sizeof why);
    if (!front) {
        snprintf(err, errlen, "sim: %s", why);
        return false;
    }
    sim_fn *s = &sp->f[sp->p.nfn];
    vp_fn *f = &sp->fns[sp->p.nfn];
    memset(s, 0, sizeof *s);
    memset(f, 0, sizeof *f);
    s->front = front;
    unsigned slot = 3 + sp->p.nfn;
    snprintf(f->addr, sizeof f->addr, "0000:00:%02x.0", slot);
    snprintf(f->slot_path, sizeof f->slot_path, "%02x.0", slot);
    if (vc_front_has_bridge(front)) { /* the bridge takes the root-bus slot, the function sits on its bus */
        vp_fn *b = &s->bridge;
        snprintf(b->addr, sizeof b->addr, "0000:00:%02x.0", slot);
        snprintf(b->slot_path, sizeof b->slot_path, "%02x.0", slot);
        b->ops = &bridge_ops;
        b->priv = s;
        snprintf(f->addr, sizeof f->addr, "0000:%02x:00.0", 1 + sp->p.nfn);
        snprintf(f->slot_path, sizeof f->slot_path, "%02x.0/00.0", slot);
    }
    const vc_front_bar *fb = vc_front_bars(front);
    for (unsigned i = 0; i < VP_NBARS && i < VC_FRONT_NBARS; i++)
        f->bar[i] = (vp_bar){fb[i].present, fb[i].io, fb[i].mem64, fb[i].prefetch, fb[i].addr, fb[i].size};
    f->ops = &sim_ops;
    f->priv = s;
    uint32_t ids = 0;
    vc_front_cfg_read(front, 0, 4, &ids);
    f->vendor = (uint16_t)ids;
    f->device = (uint16_t)(ids >> 16);
    sp->p.nfn++;
    return true;
}

vp_platform *vp_sim_open(const char *spec, char *err, size_t errlen)
{
    sim_plat *sp = calloc(1, sizeof *sp);
    char *copy = strdup(spec ? spec : "");
    if (!sp || !copy || !vc_front_mem_init(&sp->mem, SIM_DMA_GPA, SIM_DMA_SIZE)) {
        snprintf(err, errlen, "sim: out of memory");
        goto fail;
    }
    sp->p.name = "sim";
    sp->p.priv = sp;
    sp->p.dma_alloc = sim_dma;
    sp->p.close = sim_close;
    sp->p.driver_faults = sim_driver_faults;
    sp->p.config_change = sim_config_change;
    sp->p.fn = sp->fns;
    char *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save))
        if (!add_fn(sp, it, err, errlen))
            goto fail;
    free(copy);
    return &sp->p;
fail:
    free(copy);
    if (sp) {
        sp->p.priv = sp;
        sim_close(&sp->p);
    }
    return NULL;
}
