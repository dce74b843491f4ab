/* A virtio PCI function in software (refdev/pci_front.h): config space with
 * the virtio capabilities, the legacy I/O BAR0, the MSI-X BAR1, the modern
 * BAR4 and the PCI config access window, in front of a reference device
 * core. Interrupts and their faults are in pci_front_irq.c. */
#include "refdev/pci_front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_front_irq.h"
#include "refdev/models.h"
#include "vc/mutant.h"
#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vc/spec_devices.h"

#define CAP_PIO_NOTIFY 0xa4u
#define BRIDGE_FAULTS (VC_FRONT_BRIDGEOFF | VC_FRONT_BRIDGENOWIN)

struct vc_front {
    vc_front_mem *mem;
    vc_dev *dev;
    const char *type;
    uint8_t cfg[256];
    vc_front_bar bar[VC_FRONT_NBARS];
    bool legacy_ok, modern_ok;
    unsigned faults;
    uint8_t *disk;
    uint16_t used_seen[VC_DEV_MAX_QUEUES]; /* usedlen: used entries already inflated */
    bool wedged;        /* wedge: NEEDS_RESET was seen */
    uint8_t bcfg[64];   /* the bridge's type 1 header (bridgeoff, bridgenowin) */
    /* modern common config shadow */
    uint32_t dfsel, gfsel;
    uint16_t qsel;
    uint64_t qaddr[VC_DEV_MAX_QUEUES][3];
    uint16_t lg_qsel;
    uint32_t lg_pfn[VC_DEV_MAX_QUEUES];
    front_irq irq;      /* MSI-X table, INTx count, interrupt faults */
};

static void front_notify(vc_front *s, unsigned q);

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

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

/* MSI-X table entries: a vector per queue and one for configuration
 * changes, no more (dev.pci_msix.3), at most VC_FRONT_NVECTORS. */
static unsigned nvectors(const vc_front *s)
{
    unsigned n = s->dev->nqueues + 1;
    return n < VC_FRONT_NVECTORS ? n : VC_FRONT_NVECTORS;
}

static void build_config(vc_front *s, uint16_t virtio_id, uint16_t legacy_pci)
{
    uint8_t *c = s->cfg;
    memset(c, 0, sizeof s->cfg);
    put16(c, VC_PCI_VENDOR);
    put16(c + 2, s->legacy_ok ? legacy_pci : (uint16_t)(VC_PCI_MODERN_BASE + virtio_id));
    c[8] = s->legacy_ok || (s->faults & VC_FRONT_REV0) ? 0 : 1;
    put16(c + 0x2c, VC_PCI_VENDOR);
    put16(c + 0x2e, s->legacy_ok ? virtio_id : 0x1100);
    c[0x0b] = 0xff; /* class: unclassified, as a placeholder */
    vc_front_bar *b = s->bar;
    if (s->legacy_ok) {
        b[0] = (vc_front_bar){true, true, false, false, 0xc000, VC_LG_SIZE};
        put32(c + 0x10, 0xc001);
    }
    if (!s->modern_ok)
        return;
    b[1] = (vc_front_bar){true, false, false, false, 0xfe000000, 0x1000};
    b[4] = (vc_front_bar){true, false, true, true, 0xfe800000, VC_FRONT_B4_SIZE};
    put32(c + 0x14, 0xfe000000);
    put32(c + 0x20, 0xfe80000c);
    put16(c + 6, 0x10); /* capability list */
    c[0x34] = VC_FRONT_CAP_COMMON;
    vcap(c, VC_FRONT_CAP_COMMON, 0x50, 16, VC_CAP_COMMON, 4,
         (s->faults & VC_FRONT_CAPBAR) ? VC_FRONT_B4_SIZE - 16 : VC_FRONT_B4_COMMON, VC_CC_SIZE);
    if (!(s->faults & VC_FRONT_NOISR))
        vcap(c, 0x50, 0x60, 16, VC_CAP_ISR, 4, VC_FRONT_B4_ISR, 4);
    else
        c[VC_FRONT_CAP_COMMON + 1] = 0x60; /* common links straight to the device structure */
    vcap(c, 0x60, 0x70, 16, VC_CAP_DEVICE, 4, VC_FRONT_B4_DEVICE, 0x1000);
    vcap(c, 0x70, VC_FRONT_CAP_PCICFG, 20, VC_CAP_NOTIFY, 4, VC_FRONT_B4_NOTIFY, 0x1000);
    put32(c + 0x70 + 16, (s->faults & VC_FRONT_MULT3) ? 3 : VC_FRONT_NOTIFY_MULT);
    vcap(c, VC_FRONT_CAP_PCICFG, VC_FRONT_CAP_MSIX, 20, VC_CAP_PCI_CFG, 0, 0, 0);
    uint8_t *m = c + VC_FRONT_CAP_MSIX;
    m[0] = 0x11; /* MSI-X, table in BAR1 */
    m[1] = (s->faults & VC_FRONT_CAPLOOP) ? VC_FRONT_CAP_COMMON : (s->faults & VC_FRONT_PIO) ? CAP_PIO_NOTIFY : 0;
    put16(m + 2, (uint16_t)(nvectors(s) - 1));
    put32(m + 4, 1);
    put32(m + 8, VC_FRONT_PBA | 1);
    if (s->faults & VC_FRONT_PIO) { /* every queue notifies at offset 0 (multiplier 0) */
        b[2] = (vc_front_bar){true, true, false, false, 0xd000, 4};
        put32(c + 0x18, 0xd001);
        vcap(c, CAP_PIO_NOTIFY, 0, 20, VC_CAP_NOTIFY, 2, 0, 2);
        put32(c + CAP_PIO_NOTIFY + 16, 0);
    }
}

/* ---- the bridge in front (bridgeoff, bridgenowin) ---- */
static void build_bridge(vc_front *s)
{
    uint8_t *c = s->bcfg;
    memset(c, 0, sizeof s->bcfg);
    put16(c, 0x1b36); /* QEMU's pcie-pci-bridge */
    put16(c + 2, 0x000e);
    c[0x0a] = 0x04; /* class: PCI-to-PCI bridge */
    c[0x0b] = 0x06;
    c[0x0e] = 0x01; /* type 1 header */
    if (s->faults & VC_FRONT_BRIDGENOWIN)
        return; /* every window at 0, as qboot leaves them */
    c[0x1c] = 0xc0; /* I/O 0xc000-0xdfff */
    c[0x1d] = 0xd0;
    put16(c + 0x20, 0xfe00); /* memory 0xfe000000-0xfe0fffff */
    put16(c + 0x22, 0xfe00);
    put16(c + 0x24, 0xfe81); /* prefetchable, 64-bit: 0xfe800000-0xfe8fffff */
    put16(c + 0x26, 0xfe81);
}

bool vc_front_has_bridge(const vc_front *s)
{
    return (s->faults & BRIDGE_FAULTS) != 0;
}

bool vc_front_bridge_cfg_read(vc_front *s, unsigned off, unsigned len, uint32_t *val)
{
    *val = 0;
    for (unsigned i = 0; i < len && i < 4 && off + i < sizeof s->bcfg; i++)
        *val |= (uint32_t)s->bcfg[off + i] << (8 * i);
    return off < 4096;
}

bool vc_front_bridge_cfg_write(vc_front *s, unsigned off, unsigned len, uint32_t val)
{
    if (off == 4 && len >= 2) /* only COMMAND is writable here */
        put16(s->bcfg + 4, (uint16_t)val);
    return off < 4096;
}

/* Whether the bridge forwards an access to bar (always without a bridge). */
static bool bridge_passes(const vc_front *s, unsigned bar)
{
    if (!vc_front_has_bridge(s))
        return true;
    const vc_front_bar *b = &s->bar[bar];
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

/* The bits an access of len bytes carries. */
static uint64_t width_mask(unsigned len)
{
    return len >= 8 ? ~0ull : (1ull << (8 * len)) - 1;
}

/* ---- config space ---- */
bool vc_front_cfg_read(vc_front *s, unsigned off, unsigned len, uint32_t *val)
{
    *val = 0;
    if (len < 1 || len > 4)
        return false;
    if (off >= 256 || off + len > 256)
        return off < 4096; /* extended space reads as 0 */
    const uint8_t *w = s->cfg + VC_FRONT_CAP_PCICFG;
    if (s->modern_ok && off >= VC_FRONT_CAP_PCICFG + 16 && off < VC_FRONT_CAP_PCICFG + 20) {
        uint32_t blen = w[12];
        uint64_t v = 0;
        if ((blen == 1 || blen == 2 || blen == 4) && vc_front_bar_read(s, w[4], get32(w + 8), blen, &v))
            *val = (uint32_t)v ^ ((s->faults & VC_FRONT_BADWINDOW) ? 0x5a5a : 0);
        return true;
    }
    for (unsigned i = 0; i < len; i++)
        *val |= (uint32_t)s->cfg[off + i] << (8 * i);
    if (off <= 6 && off + len > 6 && front_irq_status(&s->irq)) /* status: interrupt pending */
        *val |= 0x8u << (8 * (6 - off));
    return true;
}

static bool cfg_writable(const vc_front *s, unsigned at)
{
    unsigned ctrl = VC_FRONT_CAP_MSIX + 2; /* MSI-X message control */
    return at == 4 || at == 5 ||
           (s->modern_ok && ((at >= VC_FRONT_CAP_PCICFG + 4 && at < VC_FRONT_CAP_PCICFG + 16) ||
                             (at >= ctrl && at < ctrl + 2)));
}

bool vc_front_cfg_write(vc_front *s, unsigned off, unsigned len, uint32_t val)
{
    if (len < 1 || len > 4 || off >= 256 || off + len > 256)
        return false;
    val &= (uint32_t)width_mask(len);
    bool data = s->modern_ok && off >= VC_FRONT_CAP_PCICFG + 16 && off < VC_FRONT_CAP_PCICFG + 20;
    if (data) {
        const uint8_t *w = s->cfg + VC_FRONT_CAP_PCICFG;
        if (w[12] != 1 && w[12] != 2 && w[12] != 4)
            return true; /* cap.length the window does not move, as for reads */
        return vc_front_bar_write(s, w[4], get32(w + 8), w[12], val);
    }
    /* byte by byte: the command register, the window's bar/offset/length
     * and MSI-X message control take writes; the rest (the status register
     * with its interrupt bit among them) is read-only, as on hardware */
    for (unsigned i = 0; i < len; i++)
        if (cfg_writable(s, off + i))
            s->cfg[off + i] = (uint8_t)(val >> (8 * i));
    return true;
}

static bool msix_on(const vc_front *s)
{
    return s->modern_ok && (s->cfg[VC_FRONT_CAP_MSIX + 3] & 0x80);
}

/* The queue queue_select names. Planted: the runtime fault qselpast makes
 * one past the last name the last (an off-by-one bound check), the bug
 * QSEL_ALIAS wraps every index past the last onto the existing queues. */
static unsigned selected(const vc_front *s, unsigned sel, bool modern)
{
    if (modern && (s->faults & VC_FRONT_QSELPAST) && sel == s->dev->nqueues && sel)
        return sel - 1;
    if (VC_MUTANT_IS(QSEL_ALIAS) && sel >= s->dev->nqueues && s->dev->nqueues)
        return sel % s->dev->nqueues;
    return sel;
}

/* A vector the driver maps an event to: one past the table is refused
 * (reads back NO_VECTOR), except with the planted bug VECTOR_UNCHECKED. */
static uint16_t vector(const vc_front *s, uint64_t val)
{
    if (VC_MUTANT_IS(VECTOR_UNCHECKED))
        return (uint16_t)val;
    return val < nvectors(s) ? (uint16_t)val : VC_NO_VECTOR;
}

/* A status write; a reset also drops the front's queue shadows. Planted
 * bugs: FEATURES_HIGH_UNCHECKED validates only the low feature window,
 * RESET_KEEPS_QUEUE brings queue 0 back on its old ring after a reset. */
static void status_write(vc_front *s, uint8_t val)
{
    vc_dev *d = s->dev;
    vc_dev_queue old0 = d->nqueues ? d->q[0] : (vc_dev_queue){0};
    uint64_t high = 0;
    if (VC_MUTANT_IS(FEATURES_HIGH_UNCHECKED) && (val & VC_STATUS_FEATURES_OK)) {
        high = d->accepted & ~vc_dev_offered(d) & ~0xffffffffull;
        d->accepted &= ~high;
    }
    front_irq_status_write(&s->irq, val);
    vc_dev_set_status(d, val);
    d->accepted |= high;
    if (val)
        return;
    memset(s->qaddr, 0, sizeof s->qaddr);
    memset(s->lg_pfn, 0, sizeof s->lg_pfn);
    if (VC_MUTANT_IS(RESET_KEEPS_QUEUE) && old0.enabled) {
        vc_dev_queue_set_addr(d, 0, old0.desc, old0.driver, old0.device);
        d->q[0].size = old0.size;
        vc_dev_queue_enable(d, 0);
        s->lg_pfn[0] = (uint32_t)(old0.desc >> 12);
        s->qaddr[0][0] = old0.desc, s->qaddr[0][1] = old0.driver, s->qaddr[0][2] = old0.device;
    }
}

/* ---- legacy I/O BAR0 ---- */
static void lg_set_queue(vc_front *s, unsigned q, uint32_t pfn)
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
    vc_dev_queue_set_addr(d, q, desc, desc + vc_legacy_avail_off((uint32_t)size),
                          desc + vc_legacy_used_off((uint32_t)size));
    if (vc_dev_queue_enable(d, q))
        s->used_seen[q] = 0; /* a fresh ring starts at used index 0 */
}

static void bytes_out(uint64_t *val, const uint8_t *b, unsigned len)
{
    *val = 0;
    for (unsigned i = 0; i < len; i++)
        *val |= (uint64_t)b[i] << (8 * i);
}

static bool lg_read(vc_front *s, uint64_t off, unsigned len, uint64_t *val)
{
    vc_dev *d = s->dev;
    unsigned cfg = msix_on(s) ? VC_LG_CFG_MSIX : VC_LG_CFG;
    if (off >= cfg) {
        uint8_t b[8] = {0};
        vc_dev_config_read(d, (uint32_t)(off - cfg), b, len);
        bytes_out(val, b, len);
        return true;
    }
    d->legacy = true;
    switch (off) {
    case VC_LG_HOSTF: *val = vc_dev_features_window(d, 0); break;
    case VC_LG_GUESTF: *val = vc_dev_driver_features_window(d, 0); break;
    case VC_LG_PFN: *val = selected(s, s->lg_qsel, false) < VC_DEV_MAX_QUEUES ? s->lg_pfn[selected(s, s->lg_qsel, false)] : 0; break;
    case VC_LG_QSIZE: *val = selected(s, s->lg_qsel, false) < d->nqueues ? d->q[selected(s, s->lg_qsel, false)].max_size : 0; break;
    case VC_LG_QSEL: *val = s->lg_qsel; break;
    case VC_LG_STATUS: *val = (s->faults & VC_FRONT_STUCK) ? d->status | 1 : d->status; break;
    case VC_LG_ISR: *val = (s->faults & VC_FRONT_ISRSTICKY) ? d->isr : vc_dev_read_isr(d); break;
    case VC_LG_CFGVEC: *val = d->config_msix_vector; break; /* with MSI-X on (config is at 24 then) */
    case VC_LG_QVEC: *val = s->lg_qsel < d->nqueues ? d->q[s->lg_qsel].msix_vector : VC_NO_VECTOR; break;
    default: *val = 0;
    }
    return true;
}

static bool lg_write(vc_front *s, uint64_t off, unsigned len, uint64_t val)
{
    vc_dev *d = s->dev;
    unsigned cfg = msix_on(s) ? VC_LG_CFG_MSIX : VC_LG_CFG;
    if (off >= cfg) {
        uint8_t b[8];
        for (unsigned i = 0; i < len; i++)
            b[i] = (uint8_t)(val >> (8 * i));
        vc_dev_config_write(d, (uint32_t)(off - cfg), b, len);
        return true;
    }
    d->legacy = true;
    switch (off) {
    case VC_LG_GUESTF: vc_dev_set_driver_features(d, 0, (uint32_t)val); break;
    case VC_LG_PFN: lg_set_queue(s, s->lg_qsel, (uint32_t)val); break;
    case VC_LG_QSEL: s->lg_qsel = (uint16_t)val; break;
    case VC_LG_NOTIFY: front_notify(s, (unsigned)val); break;
    case VC_LG_STATUS: status_write(s, (uint8_t)val); break;
    case VC_LG_CFGVEC: d->config_msix_vector = vector(s, val); break;
    case VC_LG_QVEC:
        if (s->lg_qsel < d->nqueues)
            d->q[s->lg_qsel].msix_vector = vector(s, val);
        break;
    default: break;
    }
    return true;
}

/* ---- modern BAR4 ---- */
static bool cc_read(vc_front *s, uint64_t off, unsigned len, uint64_t *val)
{
    vc_dev *d = s->dev;
    unsigned q = selected(s, s->qsel, true);
    bool qok = q < d->nqueues && d->q[q].max_size;
    (void)len;
    if (off >= VC_CC_QDESC && off < VC_CC_QNOTIFDATA) {
        unsigned which = (unsigned)(off - VC_CC_QDESC) / 8, hi = (off % 8) >= 4;
        *val = qok ? (uint32_t)(s->qaddr[q][which] >> (hi ? 32 : 0)) : 0;
        return true;
    }
    switch (off) {
    case VC_CC_DFSELECT: *val = s->dfsel; break;
    case VC_CC_DF: *val = vc_dev_features_window(d, s->dfsel); break;
    case VC_CC_GFSELECT: *val = s->gfsel; break;
    case VC_CC_GF: *val = vc_dev_driver_features_window(d, s->gfsel); break;
    case VC_CC_MSIX: *val = d->config_msix_vector; break;
    case VC_CC_NUMQ: *val = d->nqueues; break;
    case VC_CC_STATUS: *val = (s->faults & VC_FRONT_STUCK) ? d->status | 1 : d->status; break;
    case VC_CC_GENERATION: *val = (uint8_t)d->config_generation; break;
    case VC_CC_QSELECT: *val = s->qsel; break;
    case VC_CC_QSIZE: *val = qok ? d->q[q].size : 0; break;
    case VC_CC_QMSIX: *val = qok ? d->q[q].msix_vector : VC_NO_VECTOR; break;
    case VC_CC_QENABLE: *val = qok && d->q[q].enabled; break;
    case VC_CC_QNOTIFYOFF: *val = qok ? q : 0; break;
    case VC_CC_QRESET: *val = 0; break; /* a queue reset completes at once */
    default: *val = 0;
    }
    return true;
}

static bool cc_write(vc_front *s, uint64_t off, unsigned len, uint64_t val)
{
    vc_dev *d = s->dev;
    unsigned q = selected(s, s->qsel, true);
    bool qok = q < d->nqueues && d->q[q].max_size;
    (void)len;
    if (off >= VC_CC_QDESC && off < VC_CC_QNOTIFDATA) {
        unsigned which = (unsigned)(off - VC_CC_QDESC) / 8, hi = (off % 8) >= 4;
        if (qok) {
            uint64_t *a = &s->qaddr[q][which];
            *a = hi ? (*a & 0xffffffffull) | val << 32 : (*a & ~0xffffffffull) | (uint32_t)val;
        }
        return true;
    }
    switch (off) {
    case VC_CC_DFSELECT: s->dfsel = (uint32_t)val; break;
    case VC_CC_GFSELECT: s->gfsel = (uint32_t)val; break;
    case VC_CC_GF: vc_dev_set_driver_features(d, s->gfsel, (uint32_t)val); break;
    case VC_CC_MSIX: d->config_msix_vector = vector(s, val); break;
    case VC_CC_STATUS:
        if (d->status == 0)
            d->legacy = false;
        status_write(s, (uint8_t)val);
        break;
    case VC_CC_QSELECT: s->qsel = (uint16_t)val; break;
    case VC_CC_QSIZE: {
        /* RING_PACKED counts once negotiated (FEATURES_OK), not when merely
         * written: until then a size must be a power of two to be shown */
        bool packed = (d->status & VC_STATUS_FEATURES_OK) && vc_dev_has(d, VC_F_RING_PACKED);
        if (qok && !packed && !vc_is_pow2((uint32_t)val))
            vc_dev_fault(d, "DRV_QUEUE_SIZE", REQ_DRV_PCI_COMMON_3, (int)q, false,
                         "queue size %u before RING_PACKED was negotiated", (unsigned)val);
        else if (qok)
            vc_dev_queue_set_size(d, q, (uint16_t)val);
        break;
    }
    case VC_CC_QMSIX:
        if (qok)
            d->q[q].msix_vector = vector(s, val);
        break;
    case VC_CC_QRESET:
        if (qok && val == 1 && front_irq_queue_reset_ok(&s->irq)) {
            vc_dev_queue_reset(d, q);
            memset(s->qaddr[q], 0, sizeof s->qaddr[q]);
        }
        break;
    case VC_CC_QENABLE:
        if (qok && val == 1) {
            vc_dev_queue_set_addr(d, q, s->qaddr[q][0], s->qaddr[q][1], s->qaddr[q][2]);
            if (vc_dev_queue_enable(d, q))
                s->used_seen[q] = 0;
        }
        break;
    default: break;
    }
    return true;
}

static bool b4_read(vc_front *s, uint64_t off, unsigned len, uint64_t *val)
{
    if (off < VC_FRONT_B4_COMMON + VC_CC_SIZE)
        return cc_read(s, off - VC_FRONT_B4_COMMON, len, val);
    if (off >= VC_FRONT_B4_ISR && off < VC_FRONT_B4_ISR + 4) {
        bool sticky = (s->faults & VC_FRONT_ISRSTICKY) || VC_MUTANT_IS(ISR_NOCLEAR);
        *val = sticky ? s->dev->isr : vc_dev_read_isr(s->dev);
        if (s->faults & VC_FRONT_SILENTRESET)
            *val &= ~(uint64_t)VC_ISR_CONFIG;
        return true;
    }
    if (off >= VC_FRONT_B4_DEVICE && off < VC_FRONT_B4_DEVICE + 0x1000) {
        uint8_t b[8] = {0};
        vc_dev_config_read(s->dev, (uint32_t)(off - VC_FRONT_B4_DEVICE), b, len);
        bytes_out(val, b, len);
        return true;
    }
    *val = 0;
    return true;
}

/* Notifies queue q; with usedlen, inflates the lengths of the split used
 * entries the device just published (as a device reporting bytes it read). */
static void front_notify(vc_front *s, unsigned q)
{
    if ((s->faults & VC_FRONT_MUTE) || s->wedged)
        return;
    uint32_t mark[2] = {0, 0};
    front_irq_before_notify(&s->irq, q, mark);
    vc_dev_notify(s->dev, q);
    if ((s->faults & VC_FRONT_WEDGE) && (s->dev->status & VC_STATUS_NEEDS_RESET))
        s->wedged = true;
    front_irq_after_notify(&s->irq, q, mark);
    vc_dev_queue *dq = &s->dev->q[q % VC_DEV_MAX_QUEUES];
    if (!(s->faults & VC_FRONT_USEDLEN) || dq->vq.packed || !dq->size)
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

static bool b4_write(vc_front *s, uint64_t off, unsigned len, uint64_t val)
{
    if (off < VC_FRONT_B4_COMMON + VC_CC_SIZE)
        return cc_write(s, off - VC_FRONT_B4_COMMON, len, val);
    if (off >= VC_FRONT_B4_NOTIFY && off < VC_FRONT_B4_NOTIFY + 0x1000) {
        front_notify(s, (unsigned)val);
        return true;
    }
    if (off >= VC_FRONT_B4_DEVICE && off < VC_FRONT_B4_DEVICE + 0x1000) {
        uint8_t b[8];
        for (unsigned i = 0; i < len; i++)
            b[i] = (uint8_t)(val >> (8 * i));
        vc_dev_config_write(s->dev, (uint32_t)(off - VC_FRONT_B4_DEVICE), b, len);
    }
    return true;
}

static bool bar_ok(const vc_front *s, unsigned bar, uint64_t off, unsigned len)
{
    return bar < VC_FRONT_NBARS && s->bar[bar].present && len >= 1 && len <= 8 && off < s->bar[bar].size &&
           len <= s->bar[bar].size - off;
}

static bool bar_read(vc_front *s, unsigned bar, uint64_t off, unsigned len, uint64_t *val);

/* An access carries len bytes, no more: the registers below answer by
 * offset, so what they return or take is cut to the access's width here. */
bool vc_front_bar_read(vc_front *s, unsigned bar, uint64_t off, unsigned len, uint64_t *val)
{
    bool ok = bar_read(s, bar, off, len, val);
    *val &= width_mask(len);
    return ok;
}

static bool bar_read(vc_front *s, unsigned bar, uint64_t off, unsigned len, uint64_t *val)
{
    *val = 0;
    if (!bar_ok(s, bar, off, len))
        return false;
    if (!bridge_passes(s, bar)) { /* nobody claims the access: all ones */
        *val = width_mask(len);
        return true;
    }
    front_irq_tick(&s->irq);
    if (bar == 1 && s->modern_ok)
        return front_irq_bar_read(&s->irq, off, len, val);
    if (bar == 0 && s->legacy_ok)
        return lg_read(s, off, len, val);
    if (bar == 4)
        return b4_read(s, off, len, val);
    return true;
}

bool vc_front_bar_write(vc_front *s, unsigned bar, uint64_t off, unsigned len, uint64_t val)
{
    if (!bar_ok(s, bar, off, len))
        return false;
    val &= width_mask(len);
    if (!bridge_passes(s, bar))
        return true; /* lost on the way */
    front_irq_tick(&s->irq);
    if (bar == 1 && s->modern_ok)
        return front_irq_bar_write(&s->irq, off, len, val);
    if (bar == 0 && s->legacy_ok)
        return lg_write(s, off, len, val);
    if (bar == 4)
        return b4_write(s, off, len, val);
    if (bar == 2 && (s->faults & VC_FRONT_PIO) && off == 0 && len == 2)
        front_notify(s, (unsigned)val);
    return true;
}

const vc_front_bar *vc_front_bars(const vc_front *s) { return s->bar; }
void vc_front_enable(vc_front *s) { s->cfg[4] |= 7; }
bool vc_front_legacy(const vc_front *s) { return s->legacy_ok; }
bool vc_front_modern(const vc_front *s) { return s->modern_ok; }
vc_dev *vc_front_dev(vc_front *s) { return s->dev; }

/* ---- interrupts ---- */
const vc_front_irqs *vc_front_irq_stats(const vc_front *s) { return &s->irq.stats; }
void vc_front_intx_attach(vc_front *s, bool on) { s->irq.counting = on; }
uint32_t vc_front_intx(const vc_front *s) { return s->irq.intx; }

bool vc_front_config_change(vc_front *s, const char *what)
{
    return front_irq_config_change(&s->irq, s->type, what);
}

/* ---- DMA memory ---- */
/* descwrite: the device's own reads of a split descriptor table mark the
 * descriptor read (the top bit of its next field), as a device that
 * writes back into the table it walks. */
static void mem_observe(void *opaque, uint64_t gpa, uint64_t len, bool is_write)
{
    vc_front_mem *m = opaque;
    (void)len;
    for (unsigned i = 0; !is_write && i < m->nfront; i++) {
        const vc_front *s = m->front[i];
        const vc_dev *d = s->dev;
        for (unsigned q = 0; (s->faults & VC_FRONT_DESCWRITE) && q < d->nqueues; q++) {
            const vc_dev_queue *dq = &d->q[q];
            uint64_t t = dq->desc, n = 16ull * dq->size;
            if (!dq->enabled || dq->vq.packed || gpa < t || gpa - t >= n)
                continue;
            uint8_t *b = vc_gmem_host_ptr(&m->gmem, t + ((gpa - t) & ~15ull) + 15, 1);
            if (b)
                *b |= 0x80;
        }
    }
}

bool vc_front_mem_init(vc_front_mem *m, uint64_t gpa, size_t size)
{
    memset(m, 0, sizeof *m);
    m->arena = calloc(1, size);
    if (!m->arena)
        return false;
    m->gpa = gpa;
    m->size = size;
    vc_gmem_init(&m->gmem);
    vc_gmem_add(&m->gmem, gpa, size, m->arena);
    m->gmem.observer = mem_observe;
    m->gmem.observer_opaque = m;
    return true;
}

void vc_front_mem_free(vc_front_mem *m)
{
    free(m->arena);
    m->arena = NULL;
}

/* ---- creation ---- */
unsigned vc_front_fault(const char *name)
{
#define X(n, s)                 \
    if (!strcmp(name, s))       \
        return VC_FRONT_##n;
    VC_FRONT_FAULTS(X)
#undef X
    return 0;
}

vc_front *vc_front_create(vc_front_mem *m, const vc_front_opts *o, char *err, size_t errlen)
{
    if (m->nfront >= VC_FRONT_MEM_MAX) {
        snprintf(err, errlen, "at most %d functions", VC_FRONT_MEM_MAX);
        return NULL;
    }
    uint16_t id = 0, legacy_pci = 0;
    const char *type = NULL;
#define X(vid, sname, lpci, mpci, seed) \
    if (!strcmp(o->type, sname)) {       \
        id = vid;                        \
        legacy_pci = lpci;               \
        type = sname;                    \
    }
    VC_DEVICE_TYPES(X)
#undef X
    if (o->mode < VC_FRONT_LEGACY || o->mode > VC_FRONT_TRANSITIONAL) {
        snprintf(err, errlen, "mode %u is not legacy, transitional or modern", o->mode);
        return NULL;
    }
    if ((o->mode & VC_FRONT_LEGACY) && type && !legacy_pci) {
        snprintf(err, errlen, "%s has no legacy interface", o->type);
        return NULL;
    }
    vc_front *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->mem = m;
    s->type = type;
    s->faults = o->faults;
    s->legacy_ok = (o->mode & VC_FRONT_LEGACY) != 0;
    s->modern_ok = (o->mode & VC_FRONT_MODERN) != 0;
    /* net and console echo what the driver sends, as the runner's backends do */
    vc_model_opts mo = {.seed = o->seed, .serial = o->serial, .loopback = true,
                        .detached = (s->faults & VC_FRONT_DETACHED) != 0};
    uint32_t sectors = o->disk_sectors ? o->disk_sectors : VC_FRONT_DISK_SECTORS;
    if (type && (!strcmp(type, "blk") || !strcmp(type, "scsi"))) {
        s->disk = calloc(sectors, 512);
        if (!s->disk) {
            free(s);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        if (s->faults & VC_FRONT_GARBAGE)
            memset(s->disk, 0xff, (size_t)sectors * 512);
        else if (o->disk_fill)
            o->disk_fill(s->disk, 0, sectors);
        mo.disk = s->disk;
        mo.disk_bytes = (uint64_t)sectors * 512;
    }
    s->dev = type ? vc_model_create(type, &m->gmem, &mo) : NULL;
    if (!s->dev) {
        free(s->disk);
        free(s);
        snprintf(err, errlen, "the reference device has no '%s' model", o->type);
        return NULL;
    }
    vc_dev_reset(s->dev);
    if (vc_front_has_bridge(s))
        build_bridge(s);
    build_config(s, id, legacy_pci);
    front_irq_init(&s->irq, s->dev, s->cfg, VC_FRONT_CAP_MSIX, s->modern_ok ? nvectors(s) : 0, s->faults);
    m->front[m->nfront++] = s;
    return s;
}

void vc_front_free(vc_front *s)
{
    if (!s)
        return;
    vc_front_mem *m = s->mem;
    for (unsigned i = 0; i < m->nfront; i++)
        if (m->front[i] == s) {
            m->front[i] = m->front[--m->nfront];
            break;
        }
    vc_model_free(s->dev);
    free(s->disk);
    free(s);
}
