/* A virtio PCI function in software: config space with the virtio
 * capabilities, the legacy I/O BAR0, the modern BAR4 and the PCI config
 * access window, all in front of a reference device (refdev). It models what
 * QEMU exposes per mode, plus planted faults so the probe's own checks are
 * tested both ways. */
#include "pci_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refdev/device.h"
#include "refdev/models.h"
#include "sim_irq.h"
#include "transport.h"
#include "vc/spec_devices.h"
#include "vc/ring.h"

#define SIM_MAX_FN 32
#define SIM_DMA_GPA 0x40000000ull
#define SIM_DMA_SIZE (2u << 20)
#define SIM_DISK_SECTORS 2048u
#define SIM_NVECTORS 3u
/* BAR4 layout */
#define B4_COMMON 0x0000u
#define B4_ISR 0x1000u
#define B4_DEVICE 0x2000u
#define B4_NOTIFY 0x3000u
#define B4_SIZE 0x4000u
#define NOTIFY_MULT 4u
#define CAP_PCICFG 0x84u

enum { F_MULT3 = 1, F_REV0 = 2, F_NOISR = 4, F_CAPLOOP = 8, F_CAPBAR = 16, F_STUCK = 32, F_MUTE = 64,
       F_ISRSTICKY = 128, F_BADWINDOW = 256, F_GARBAGE = 512,
       F_PIO = 1024 /* not a fault: a second notify capability in I/O BAR2, like QEMU's modern-pio-notify */,
       F_USEDLEN = 2048 /* split rings: used lengths 8 bytes beyond what was written */,
       F_DETACHED = 4096 /* not a fault: no backend (scsi without disk, console without port, net without peer) */,
       F_BRIDGEOFF = 8192 /* behind a bridge whose windows hold the BARs, decoding left off */,
       F_BRIDGENOWIN = 16384 /* behind a bridge with decoding off and windows unprogrammed (at 0) */,
       /* faults a scenario replay must catch */
       F_DESCWRITE = 1 << 15 /* the ring walk writes into each split descriptor it reads */,
       F_SILENTRESET = 1 << 16 /* NEEDS_RESET without the configuration change in ISR */,
       F_WEDGE = 1 << 17 /* after NEEDS_RESET the device never serves a queue again, reset or not */ };
#define F_BRIDGE (F_BRIDGEOFF | F_BRIDGENOWIN)
#define CAP_PIO_NOTIFY 0xa4u

typedef struct sim_fn {
    vp_fn fn;
    vc_dev *dev;
    uint8_t cfg[256];
    bool legacy_ok, modern_ok;
    unsigned faults;
    uint8_t *disk;
    uint16_t used_seen[VC_DEV_MAX_QUEUES]; /* F_USEDLEN: used entries already inflated */
    bool wedged;        /* F_WEDGE: NEEDS_RESET was seen */
    vp_fn bridge;       /* F_BRIDGE: the bridge in front of the function */
    uint8_t bcfg[64];   /* its type 1 header */
    /* modern common config shadow */
    uint32_t dfsel, gfsel;
    uint16_t qsel;
    uint64_t qaddr[VC_DEV_MAX_QUEUES][3];
    uint16_t lg_qsel;
    uint32_t lg_pfn[VC_DEV_MAX_QUEUES];
    sim_irq irq;        /* MSI-X table, INTx count, interrupt faults (sim_irq.c) */
} sim_fn;

typedef struct sim_plat {
    vp_platform p;
    sim_fn f[SIM_MAX_FN];
    vp_fn fns[SIM_MAX_FN];
    vc_gmem mem;
    uint8_t *arena;
} sim_plat;

static sim_fn *S(vp_fn *f) { return f->priv; }
static void sim_notify(sim_fn *s, unsigned q);

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

static void vcap(uint8_t *cfg, unsigned pos, unsigned next, unsigned len, unsigned type, unsigned bar,
                 uint32_t off, uint32_t length)
{
    cfg[pos] = 0x09;
    cfg[pos + 1] = (uint8_t)next;
    cfg[pos + 2] = (uint8_t)len;
    cfg[pos + 3] = (uint8_t)type;
    cfg[pos + 4] = (uint8_t)bar;
    put32(cfg + pos + 8, off);
    put32(cfg + pos + 12, length);
}

static void build_config(sim_fn *s, uint16_t virtio_id, uint16_t legacy_pci)
{
    uint8_t *c = s->cfg;
    memset(c, 0, sizeof s->cfg);
    put16(c, VC_PCI_VENDOR);
    put16(c + 2, s->legacy_ok ? legacy_pci : (uint16_t)(VC_PCI_MODERN_BASE + virtio_id));
    c[8] = s->legacy_ok || (s->faults & F_REV0) ? 0 : 1;
    put16(c + 0x2c, VC_PCI_VENDOR);
    put16(c + 0x2e, s->legacy_ok ? virtio_id : 0x1100);
    c[0x0b] = 0xff; /* class: unclassified, as a placeholder */
    vp_bar *b = s->fn.bar;
    if (s->legacy_ok) {
        b[0] = (vp_bar){true, true, false, false, 0xc000, 64};
        put32(c + 0x10, 0xc001);
    }
    if (!s->modern_ok)
        return;
    b[1] = (vp_bar){true, false, false, false, 0xfe000000, 0x1000};
    b[4] = (vp_bar){true, false, true, true, 0xfe800000, B4_SIZE};
    put32(c + 0x14, 0xfe000000);
    put32(c + 0x20, 0xfe80000c);
    put16(c + 6, 0x10); /* capability list */
    c[0x34] = 0x40;
    vcap(c, 0x40, 0x50, 16, VP_CAP_COMMON, 4, (s->faults & F_CAPBAR) ? B4_SIZE - 16 : B4_COMMON, 0x40);
    if (!(s->faults & F_NOISR))
        vcap(c, 0x50, 0x60, 16, VP_CAP_ISR, 4, B4_ISR, 4);
    else
        c[0x41] = 0x60; /* common links straight to the device structure */
    vcap(c, 0x60, 0x70, 16, VP_CAP_DEVICE, 4, B4_DEVICE, 0x1000);
    vcap(c, 0x70, CAP_PCICFG, 20, VP_CAP_NOTIFY, 4, B4_NOTIFY, 0x1000);
    put32(c + 0x70 + 16, (s->faults & F_MULT3) ? 3 : NOTIFY_MULT);
    vcap(c, CAP_PCICFG, 0x98, 20, VP_CAP_PCI_CFG, 0, 0, 0);
    c[0x98] = 0x11; /* MSI-X, table in BAR1 */
    c[0x99] = (s->faults & F_CAPLOOP) ? 0x40 : (s->faults & F_PIO) ? CAP_PIO_NOTIFY : 0;
    put16(c + 0x9a, SIM_NVECTORS - 1);
    put32(c + 0x9c, 1);
    put32(c + 0xa0, 0x801);
    if (s->faults & F_PIO) { /* every queue notifies at offset 0 (multiplier 0) */
        b[2] = (vp_bar){true, true, false, false, 0xd000, 4};
        put32(c + 0x18, 0xd001);
        vcap(c, CAP_PIO_NOTIFY, 0, 20, VP_CAP_NOTIFY, 2, 0, 2);
        put32(c + CAP_PIO_NOTIFY + 16, 0);
    }
}

/* ---- the bridge in front (F_BRIDGE) ---- */
static void build_bridge(sim_fn *s)
{
    uint8_t *c = s->bcfg;
    memset(c, 0, sizeof s->bcfg);
    put16(c, 0x1b36); /* QEMU's pcie-pci-bridge */
    put16(c + 2, 0x000e);
    c[0x0a] = 0x04; /* class: PCI-to-PCI bridge */
    c[0x0b] = 0x06;
    c[0x0e] = 0x01; /* type 1 header */
    if (s->faults & F_BRIDGENOWIN)
        return; /* every window at 0, as qboot leaves them */
    c[0x1c] = 0xc0; /* I/O 0xc000-0xdfff */
    c[0x1d] = 0xd0;
    put16(c + 0x20, 0xfe00); /* memory 0xfe000000-0xfe0fffff */
    put16(c + 0x22, 0xfe00);
    put16(c + 0x24, 0xfe81); /* prefetchable, 64-bit: 0xfe800000-0xfe8fffff */
    put16(c + 0x26, 0xfe81);
}

static bool bridge_cfg_read(vp_fn *f, unsigned off, unsigned len, uint32_t *val)
{
    sim_fn *s = S(f);
    *val = 0;
    for (unsigned i = 0; i < len && off + i < sizeof s->bcfg; i++)
        *val |= (uint32_t)s->bcfg[off + i] << (8 * i);
    return off < 4096;
}

static bool bridge_cfg_write(vp_fn *f, unsigned off, unsigned len, uint32_t val)
{
    sim_fn *s = S(f);
    if (off == 4 && len >= 2) /* only COMMAND is writable here */
        put16(s->bcfg + 4, (uint16_t)val);
    return off < 4096;
}

/* Whether the bridge forwards an access to bar (always without a bridge). */
static bool bridge_passes(sim_fn *s, unsigned bar)
{
    if (!(s->faults & F_BRIDGE))
        return true;
    const vp_bar *b = &s->fn.bar[bar];
    uint16_t cmd = (uint16_t)(s->bcfg[4] | s->bcfg[5] << 8);
    if (!(cmd & (b->io ? 1 : 2)))
        return false;
    uint64_t lo, hi;
    if (b->io) {
        lo = (uint64_t)(s->bcfg[0x1c] & 0xf0) << 8;
        hi = (uint64_t)(s->bcfg[0x1d] & 0xf0) << 8 | 0xfff;
    } else {
        unsigned at = b->prefetch ? 0x24 : 0x20;
        lo = (uint64_t)((s->bcfg[at] | s->bcfg[at + 1] << 8) & 0xfff0) << 16;
        hi = (uint64_t)((s->bcfg[at + 2] | s->bcfg[at + 3] << 8) & 0xfff0) << 16 | 0xfffff;
    }
    return b->addr >= lo && b->addr + b->size - 1 <= hi;
}

/* ---- config space ---- */
static bool sim_bar_read(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t *val);
static bool sim_bar_write(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t val);

static bool sim_cfg_read(vp_fn *f, unsigned off, unsigned len, uint32_t *val)
{
    sim_fn *s = S(f);
    *val = 0;
    if (off >= 256 || off + len > 256)
        return off < 4096; /* extended space reads as 0 */
    if (s->modern_ok && off >= CAP_PCICFG + 16 && off < CAP_PCICFG + 20) {
        uint8_t bar = s->cfg[CAP_PCICFG + 4];
        uint32_t boff = s->cfg[CAP_PCICFG + 8] | s->cfg[CAP_PCICFG + 9] << 8 |
                        (uint32_t)s->cfg[CAP_PCICFG + 10] << 16 | (uint32_t)s->cfg[CAP_PCICFG + 11] << 24;
        uint32_t blen = s->cfg[CAP_PCICFG + 12];
        uint64_t v = 0;
        if ((blen == 1 || blen == 2 || blen == 4) && sim_bar_read(f, bar, boff, blen, &v))
            *val = (uint32_t)v ^ ((s->faults & F_BADWINDOW) ? 0x5a5a : 0);
        return true;
    }
    for (unsigned i = 0; i < len; i++)
        *val |= (uint32_t)s->cfg[off + i] << (8 * i);
    if (off <= 6 && off + len > 6 && sim_irq_status(&s->irq)) /* status: interrupt pending */
        *val |= 0x8u << (8 * (6 - off));
    return true;
}

static bool sim_cfg_write(vp_fn *f, unsigned off, unsigned len, uint32_t val)
{
    sim_fn *s = S(f);
    if (off >= 256 || off + len > 256)
        return false;
    bool window = s->modern_ok && off >= CAP_PCICFG + 4 && off < CAP_PCICFG + 16;
    bool data = s->modern_ok && off >= CAP_PCICFG + 16 && off < CAP_PCICFG + 20;
    if (data) {
        uint8_t bar = s->cfg[CAP_PCICFG + 4];
        uint32_t boff;
        memcpy(&boff, s->cfg + CAP_PCICFG + 8, 4);
        return sim_bar_write(f, bar, boff, s->cfg[CAP_PCICFG + 12], val);
    }
    if (off == 4 || window || (s->modern_ok && off >= 0x9a && off < 0x9c)) {
        for (unsigned i = 0; i < len; i++)
            s->cfg[off + i] = (uint8_t)(val >> (8 * i));
        return true;
    }
    return true; /* read-only elsewhere: ignored, as hardware does */
}

static bool msix_on(sim_fn *s)
{
    return s->modern_ok && (s->cfg[0x9b] & 0x80);
}

/* ---- legacy I/O BAR0 ---- */
static void lg_set_queue(sim_fn *s, unsigned q, uint32_t pfn)
{
    vc_dev *d = s->dev;
    if (q >= d->nqueues)
        return;
    s->lg_pfn[q] = pfn;
    if (!pfn) {
        vc_dev_queue_reset(d, q);
        return;
    }
    uint64_t size = d->q[q].max_size;
    uint64_t desc = (uint64_t)pfn << 12;
    vc_dev_queue_set_addr(d, q, desc, desc + vc_legacy_avail_off((uint32_t)size), desc + vc_legacy_used_off((uint32_t)size));
    if (vc_dev_queue_enable(d, q))
        s->used_seen[q] = 0; /* a fresh ring starts at used index 0 */
}

static bool lg_read(sim_fn *s, uint64_t off, unsigned len, uint64_t *val)
{
    vc_dev *d = s->dev;
    unsigned cfg = msix_on(s) ? VP_LG_CFG_MSIX : VP_LG_CFG;
    if (off >= cfg) {
        uint8_t b[8] = {0};
        vc_dev_config_read(d, (uint32_t)(off - cfg), b, len);
        *val = 0;
        for (unsigned i = 0; i < len; i++)
            *val |= (uint64_t)b[i] << (8 * i);
        return true;
    }
    d->legacy = true;
    switch (off) {
    case VP_LG_HOSTF: *val = vc_dev_features_window(d, 0); break;
    case VP_LG_GUESTF: *val = vc_dev_driver_features_window(d, 0); break;
    case VP_LG_PFN: *val = s->lg_qsel < VC_DEV_MAX_QUEUES ? s->lg_pfn[s->lg_qsel] : 0; break;
    case VP_LG_QSIZE: *val = s->lg_qsel < d->nqueues ? d->q[s->lg_qsel].max_size : 0; break;
    case VP_LG_QSEL: *val = s->lg_qsel; break;
    case VP_LG_STATUS: *val = (s->faults & F_STUCK) ? d->status | 1 : d->status; break;
    case VP_LG_ISR: *val = (s->faults & F_ISRSTICKY) ? d->isr : vc_dev_read_isr(d); break;
    case VP_LG_CFGVEC: *val = d->config_msix_vector; break; /* with MSI-X on (config is at 24 then) */
    case VP_LG_QVEC: *val = s->lg_qsel < d->nqueues ? d->q[s->lg_qsel].msix_vector : VC_NO_VECTOR; break;
    default: *val = 0;
    }
    return true;
}

static bool lg_write(sim_fn *s, uint64_t off, unsigned len, uint64_t val)
{
    vc_dev *d = s->dev;
    unsigned cfg = msix_on(s) ? VP_LG_CFG_MSIX : VP_LG_CFG;
    if (off >= cfg) {
        uint8_t b[8];
        for (unsigned i = 0; i < len; i++)
            b[i] = (uint8_t)(val >> (8 * i));
        vc_dev_config_write(d, (uint32_t)(off - cfg), b, len);
        return true;
    }
    d->legacy = true;
    switch (off) {
    case VP_LG_GUESTF: vc_dev_set_driver_features(d, 0, (uint32_t)val); break;
    case VP_LG_PFN: lg_set_queue(s, s->lg_qsel, (uint32_t)val); break;
    case VP_LG_QSEL: s->lg_qsel = (uint16_t)val; break;
    case VP_LG_NOTIFY:
        sim_notify(s, (unsigned)val);
        break;
    case VP_LG_STATUS:
        sim_irq_status_write(&s->irq, (uint8_t)val);
        vc_dev_set_status(d, (uint8_t)val);
        if (!val)
            memset(s->lg_pfn, 0, sizeof s->lg_pfn);
        break;
    case VP_LG_CFGVEC: d->config_msix_vector = val < SIM_NVECTORS ? (uint16_t)val : VC_NO_VECTOR; break;
    case VP_LG_QVEC:
        if (s->lg_qsel < d->nqueues)
            d->q[s->lg_qsel].msix_vector = val < SIM_NVECTORS ? (uint16_t)val : VC_NO_VECTOR;
        break;
    default: break;
    }
    return true;
}

/* ---- modern BAR4 ---- */
static bool cc_read(sim_fn *s, uint64_t off, unsigned len, uint64_t *val)
{
    vc_dev *d = s->dev;
    unsigned q = s->qsel;
    bool qok = q < d->nqueues && d->q[q].max_size;
    if (off >= VP_CC_QDESC && off < VP_CC_QNOTIFDATA) {
        unsigned which = (unsigned)(off - VP_CC_QDESC) / 8, hi = (off % 8) >= 4;
        *val = qok ? (uint32_t)(s->qaddr[q][which] >> (hi ? 32 : 0)) : 0;
        return true;
    }
    switch (off) {
    case VP_CC_DFSELECT: *val = s->dfsel; break;
    case VP_CC_DF: *val = vc_dev_features_window(d, s->dfsel); break;
    case VP_CC_GFSELECT: *val = s->gfsel; break;
    case VP_CC_GF: *val = vc_dev_driver_features_window(d, s->gfsel); break;
    case VP_CC_MSIX: *val = d->config_msix_vector; break;
    case VP_CC_NUMQ: *val = d->nqueues; break;
    case VP_CC_STATUS: *val = (s->faults & F_STUCK) ? d->status | 1 : d->status; break;
    case VP_CC_GENERATION: *val = (uint8_t)d->config_generation; break;
    case VP_CC_QSELECT: *val = s->qsel; break;
    case VP_CC_QSIZE: *val = qok ? d->q[q].size : 0; break;
    case VP_CC_QMSIX: *val = qok ? d->q[q].msix_vector : VC_NO_VECTOR; break;
    case VP_CC_QENABLE: *val = qok && d->q[q].enabled; break;
    case VP_CC_QNOTIFYOFF: *val = qok ? q : 0; break;
    case VP_CC_QRESET: *val = 0; break; /* a queue reset completes at once */
    default: *val = 0;
    }
    return true;
}

static bool cc_write(sim_fn *s, uint64_t off, unsigned len, uint64_t val)
{
    vc_dev *d = s->dev;
    unsigned q = s->qsel;
    bool qok = q < d->nqueues && d->q[q].max_size;
    if (off >= VP_CC_QDESC && off < VP_CC_QNOTIFDATA) {
        unsigned which = (unsigned)(off - VP_CC_QDESC) / 8, hi = (off % 8) >= 4;
        if (qok) {
            uint64_t *a = &s->qaddr[q][which];
            *a = hi ? (*a & 0xffffffffull) | val << 32 : (*a & ~0xffffffffull) | (uint32_t)val;
        }
        return true;
    }
    switch (off) {
    case VP_CC_DFSELECT: s->dfsel = (uint32_t)val; break;
    case VP_CC_GFSELECT: s->gfsel = (uint32_t)val; break;
    case VP_CC_GF: vc_dev_set_driver_features(d, s->gfsel, (uint32_t)val); break;
    case VP_CC_MSIX: d->config_msix_vector = val < SIM_NVECTORS ? (uint16_t)val : VC_NO_VECTOR; break;
    case VP_CC_STATUS:
        if (d->status == 0)
            d->legacy = false;
        sim_irq_status_write(&s->irq, (uint8_t)val);
        vc_dev_set_status(d, (uint8_t)val);
        if (!val)
            memset(s->qaddr, 0, sizeof s->qaddr);
        break;
    case VP_CC_QSELECT: s->qsel = (uint16_t)val; break;
    case VP_CC_QSIZE:
        if (qok)
            vc_dev_queue_set_size(d, q, (uint16_t)val);
        break;
    case VP_CC_QMSIX:
        if (qok)
            d->q[q].msix_vector = val < SIM_NVECTORS ? (uint16_t)val : VC_NO_VECTOR;
        break;
    case VP_CC_QRESET:
        if (qok && val == 1 && sim_irq_queue_reset_ok(&s->irq)) {
            vc_dev_queue_reset(d, q);
            memset(s->qaddr[q], 0, sizeof s->qaddr[q]);
        }
        break;
    case VP_CC_QENABLE:
        if (qok && val == 1) {
            vc_dev_queue_set_addr(d, q, s->qaddr[q][0], s->qaddr[q][1], s->qaddr[q][2]);
            if (vc_dev_queue_enable(d, q))
                s->used_seen[q] = 0;
        }
        break;
    default: break;
    }
    (void)len;
    return true;
}

static bool b4_read(sim_fn *s, uint64_t off, unsigned len, uint64_t *val)
{
    if (off < B4_COMMON + 0x40)
        return cc_read(s, off - B4_COMMON, len, val);
    if (off >= B4_ISR && off < B4_ISR + 4) {
        *val = (s->faults & F_ISRSTICKY) ? s->dev->isr : vc_dev_read_isr(s->dev);
        if (s->faults & F_SILENTRESET)
            *val &= ~(uint64_t)VC_ISR_CONFIG;
        return true;
    }
    if (off >= B4_DEVICE && off < B4_DEVICE + 0x1000) {
        uint8_t b[8] = {0};
        vc_dev_config_read(s->dev, (uint32_t)(off - B4_DEVICE), b, len);
        *val = 0;
        for (unsigned i = 0; i < len; i++)
            *val |= (uint64_t)b[i] << (8 * i);
        return true;
    }
    *val = 0;
    return true;
}

/* Notifies queue q; with F_USEDLEN, inflates the lengths of the split used
 * entries the device just published (as a device reporting bytes it read). */
static void sim_notify(sim_fn *s, unsigned q)
{
    if ((s->faults & F_MUTE) || s->wedged)
        return;
    uint32_t mark[2] = {0, 0};
    sim_irq_before_notify(&s->irq, q, mark);
    vc_dev_notify(s->dev, q);
    if ((s->faults & F_WEDGE) && (s->dev->status & VC_STATUS_NEEDS_RESET))
        s->wedged = true;
    sim_irq_after_notify(&s->irq, q, mark);
    vc_dev_queue *dq = &s->dev->q[q % VC_DEV_MAX_QUEUES];
    if (!(s->faults & F_USEDLEN) || dq->vq.packed || !dq->size)
        return;
    uint16_t idx;
    if (!vc_gmem_ld16(s->dev->mem, dq->device + 2, &idx))
        return;
    for (uint16_t *seen = &s->used_seen[q % VC_DEV_MAX_QUEUES]; *seen != idx; (*seen)++) {
        uint64_t len_at = dq->device + 4 + 8ull * (*seen % dq->size) + 4;
        uint32_t len;
        if (vc_gmem_ld32(s->dev->mem, len_at, &len))
            vc_gmem_st32(s->dev->mem, len_at, len + 8);
    }
}

static bool b4_write(sim_fn *s, uint64_t off, unsigned len, uint64_t val)
{
    if (off < B4_COMMON + 0x40)
        return cc_write(s, off - B4_COMMON, len, val);
    if (off >= B4_NOTIFY && off < B4_NOTIFY + 0x1000) {
        sim_notify(s, (unsigned)val);
        return true;
    }
    if (off >= B4_DEVICE && off < B4_DEVICE + 0x1000) {
        uint8_t b[8];
        for (unsigned i = 0; i < len; i++)
            b[i] = (uint8_t)(val >> (8 * i));
        vc_dev_config_write(s->dev, (uint32_t)(off - B4_DEVICE), b, len);
    }
    return true;
}

static bool sim_bar_read(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t *val)
{
    sim_fn *s = S(f);
    *val = 0;
    if (bar >= VP_NBARS || !f->bar[bar].present || off + len > f->bar[bar].size)
        return false;
    if (!bridge_passes(s, bar)) { /* nobody claims the access: all ones */
        *val = len == 8 ? ~0ull : (1ull << (8 * len)) - 1;
        return true;
    }
    sim_irq_tick(&s->irq);
    if (bar == 1 && s->modern_ok)
        return sim_irq_bar_read(&s->irq, off, len, val);
    if (bar == 0 && s->legacy_ok)
        return lg_read(s, off, len, val);
    if (bar == 4)
        return b4_read(s, off, len, val);
    return true;
}

static bool sim_bar_write(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t val)
{
    sim_fn *s = S(f);
    if (bar >= VP_NBARS || !f->bar[bar].present || off + len > f->bar[bar].size)
        return false;
    if (!bridge_passes(s, bar))
        return true; /* lost on the way */
    sim_irq_tick(&s->irq);
    if (bar == 1 && s->modern_ok)
        return sim_irq_bar_write(&s->irq, off, len, val);
    if (bar == 0 && s->legacy_ok)
        return lg_write(s, off, len, val);
    if (bar == 4)
        return b4_write(s, off, len, val);
    if (bar == 2 && (s->faults & F_PIO) && off == 0 && len == 2)
        sim_notify(s, (unsigned)val);
    return true;
}

static bool sim_enable(vp_fn *f, char *err, size_t errlen)
{
    S(f)->cfg[4] |= 7;
    return true;
}

static unsigned sim_bridges(vp_fn *f, vp_fn **out, unsigned max)
{
    sim_fn *s = S(f);
    if (!(s->faults & F_BRIDGE) || max < 1)
        return 0;
    out[0] = &s->bridge;
    return 1;
}

/* INTx: the front counts the interrupts it raises with MSI-X off. */
static bool sim_intx_attach(vp_fn *f, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    S(f)->irq.counting = true;
    return true;
}
static uint32_t sim_intx_wait(vp_fn *f, uint32_t seen, unsigned ms)
{
    (void)seen, (void)ms; /* the device raises at once: nothing to wait for */
    return S(f)->irq.intx;
}
static void sim_intx_rearm(vp_fn *f) { (void)f; }
static void sim_intx_detach(vp_fn *f) { S(f)->irq.counting = false; }
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
    vc_gmem_add(&out->mem, SIM_DMA_GPA, SIM_DMA_SIZE, sp->arena);
    out->gpa = SIM_DMA_GPA;
    out->host = sp->arena;
    out->size = SIM_DMA_SIZE;
    out->how = "simulated";
    return true;
}

/* F_DESCWRITE: the device's own reads of a split descriptor table mark
 * the descriptor read (the top bit of its next field), as a device that
 * writes back into the table it walks. */
static void sim_observe(void *opaque, uint64_t gpa, uint64_t len, bool is_write)
{
    sim_plat *sp = opaque;
    for (unsigned i = 0; !is_write && i < sp->p.nfn; i++) {
        const vc_dev *d = sp->f[i].dev;
        for (unsigned q = 0; (sp->f[i].faults & F_DESCWRITE) && q < d->nqueues; q++) {
            const vc_dev_queue *dq = &d->q[q];
            uint64_t t = dq->desc, n = 16ull * dq->size;
            if (!dq->enabled || dq->vq.packed || gpa < t || gpa - t >= n)
                continue;
            uint8_t *b = vc_gmem_host_ptr(&sp->mem, t + ((gpa - t) & ~15ull) + 15, 1);
            if (b)
                *b |= 0x80;
        }
    }
}

/* What the runner asks QEMU's monitor for, done in-process (sim_irq.c). */
static bool sim_config_change(vp_platform *p, vp_fn *f, const char *what)
{
    (void)p;
    return sim_irq_config_change(&S(f)->irq, S(f)->dev->ops->name, what);
}

static void sim_close(vp_platform *p)
{
    sim_plat *sp = p->priv;
    for (unsigned i = 0; i < p->nfn; i++) {
        vc_model_free(sp->f[i].dev);
        free(sp->f[i].disk);
    }
    free(sp->arena);
    free(sp);
}

#include "checks.h" /* vp_blk_pattern */

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
    sim_fn *s = &sp->f[sp->p.nfn];
    memset(s, 0, sizeof *s);
    static const char *const fault_names[] = {"mult3", "rev0", "noisr", "caploop", "capbar", "stuck",
                                              "mute", "isrsticky", "badwindow", "garbage", "pio",
                                              "usedlen", "detached", "bridgeoff", "bridgenowin", "descwrite",
                                              "silentreset", "wedge"};
    unsigned irq_faults = 0;
    for (char *fl; (fl = strtok_r(NULL, ":", &save));) {
        unsigned i;
        if (sim_irq_fault(fl)) { /* interrupt and lifecycle faults: sim_irq.c */
            irq_faults |= sim_irq_fault(fl);
            continue;
        }
        for (i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
            if (!strcmp(fl, fault_names[i]))
                break;
        if (i == sizeof fault_names / sizeof fault_names[0]) {
            snprintf(err, errlen, "sim: unknown fault '%s'", fl);
            return false;
        }
        s->faults |= 1u << i;
    }
    uint16_t id = 0, legacy_pci = 0;
#define X(vid, sname, lpci, mpci, seed) \
    if (!strcmp(type, sname)) {          \
        id = vid;                        \
        legacy_pci = lpci;               \
    }
    VC_DEVICE_TYPES(X)
#undef X
    if (!strcmp(mode, "legacy"))
        s->legacy_ok = true;
    else if (!strcmp(mode, "transitional"))
        s->legacy_ok = s->modern_ok = true;
    else if (!strcmp(mode, "modern"))
        s->modern_ok = true;
    else {
        snprintf(err, errlen, "sim: mode '%s' is not legacy, transitional or modern", mode);
        return false;
    }
    if (s->legacy_ok && !legacy_pci) {
        snprintf(err, errlen, "sim: %s has no legacy interface", type);
        return false;
    }
    /* net and console echo what the driver sends, as the runner's backends do */
    vc_model_opts o = {.seed = 1234 + sp->p.nfn, .serial = "vconform-sim", .loopback = true,
                       .detached = (s->faults & F_DETACHED) != 0};
    if (!strcmp(type, "blk") || !strcmp(type, "scsi")) {
        s->disk = malloc((size_t)SIM_DISK_SECTORS * 512);
        if (!s->disk) {
            snprintf(err, errlen, "sim: out of memory");
            return false;
        }
        if (s->faults & F_GARBAGE)
            memset(s->disk, 0xff, (size_t)SIM_DISK_SECTORS * 512);
        else
            vp_blk_pattern(s->disk, 0, SIM_DISK_SECTORS);
        o.disk = s->disk;
        o.disk_bytes = (uint64_t)SIM_DISK_SECTORS * 512;
    }
    s->dev = vc_model_create(type, &sp->mem, &o);
    if (!s->dev) {
        free(s->disk);
        snprintf(err, errlen, "sim: the reference device has no '%s' model", type);
        return false;
    }
    vc_dev_reset(s->dev);
    vp_fn *f = &s->fn;
    unsigned slot = 3 + sp->p.nfn;
    snprintf(f->addr, sizeof f->addr, "0000:00:%02x.0", slot);
    snprintf(f->slot_path, sizeof f->slot_path, "%02x.0", slot);
    if (s->faults & F_BRIDGE) { /* the bridge takes the root-bus slot, the function sits on its bus */
        vp_fn *b = &s->bridge;
        snprintf(b->addr, sizeof b->addr, "0000:00:%02x.0", slot);
        snprintf(b->slot_path, sizeof b->slot_path, "%02x.0", slot);
        b->ops = &bridge_ops;
        b->priv = s;
        build_bridge(s);
        snprintf(f->addr, sizeof f->addr, "0000:%02x:00.0", 1 + sp->p.nfn);
        snprintf(f->slot_path, sizeof f->slot_path, "%02x.0/00.0", slot);
    }
    f->ops = &sim_ops;
    f->priv = s;
    build_config(s, id, legacy_pci);
    sim_irq_init(&s->irq, s->dev, s->cfg, 0x98, s->modern_ok ? SIM_NVECTORS : 0, irq_faults);
    f->vendor = VC_PCI_VENDOR;
    f->device = (uint16_t)(s->cfg[2] | s->cfg[3] << 8);
    sp->p.nfn++;
    return true;
}

/* The reference device's faults that name a driver rule. */
static void sim_driver_faults(vp_platform *p, vp_fn *f,
                              void (*fn)(void *ctx, const char *code, const char *req, int queue, const char *detail),
                              void *ctx)
{
    vc_dev *d = ((sim_fn *)f->priv)->dev;
    for (unsigned i = 0; fn && i < d->nfaults; i++)
        if (d->fault[i].req && !strncmp(d->fault[i].req, "drv.", 4))
            fn(ctx, d->fault[i].code, d->fault[i].req, d->fault[i].queue, d->fault[i].detail);
    d->nfaults = 0; /* read: the device's log is ours to empty */
}

vp_platform *vp_sim_open(const char *spec, char *err, size_t errlen)
{
    sim_plat *sp = calloc(1, sizeof *sp);
    char *copy = strdup(spec ? spec : "");
    if (!sp || !copy || !(sp->arena = calloc(1, SIM_DMA_SIZE))) {
        snprintf(err, errlen, "sim: out of memory");
        goto fail;
    }
    vc_gmem_init(&sp->mem);
    vc_gmem_add(&sp->mem, SIM_DMA_GPA, SIM_DMA_SIZE, sp->arena);
    sp->mem.observer = sim_observe;
    sp->mem.observer_opaque = sp;
    sp->p.name = "sim";
    sp->p.priv = sp;
    sp->p.dma_alloc = sim_dma;
    sp->p.close = sim_close;
    sp->p.driver_faults = sim_driver_faults;
    sp->p.config_change = sim_config_change;
    char *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save))
        if (!add_fn(sp, it, err, errlen))
            goto fail;
    /* the probe's view: a plain array of vp_fn (sim_fn embeds one each) */
    for (unsigned i = 0; i < sp->p.nfn; i++) {
        sp->fns[i] = sp->f[i].fn;
        sp->fns[i].priv = &sp->f[i];
    }
    sp->p.fn = sp->fns;
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
