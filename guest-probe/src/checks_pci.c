/* PCI-layer checks: identity, mode signals, and the virtio capabilities
 * (lengths, alignment, placement inside BARs, notify multiplier, the PCI
 * config access window). Everything read here is device-supplied. */
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "transport.h"
#include "vc/spec_features.h"
#include "vc/req_ids.h"
#include "vc/spec_devices.h"

#define HEXSTR(buf, v) (snprintf(buf, sizeof buf, "0x%x", (unsigned)(v)), buf)

static void check_identity(vp_report *r, vp_dev *d)
{
    char ob[64], ex[64];
    snprintf(ex, sizeof ex, "0x%04x", VC_PCI_VENDOR);
    vp_expect(r, "pci.id.vendor", REQ_DEV_PCI_DISCOVERY_1, d->vendor == VC_PCI_VENDOR, ex,
              HEXSTR(ob, d->vendor), NULL);
    bool modern_id = d->device >= VC_PCI_MODERN_BASE && d->device <= VC_PCI_MODERN_HI;
    snprintf(ex, sizeof ex, "0x%04x-0x%04x or 0x%04x-0x%04x", VC_PCI_LEGACY_LO, VC_PCI_LEGACY_HI,
             VC_PCI_MODERN_BASE, VC_PCI_MODERN_HI);
    vp_expect(r, "pci.id.device", REQ_DEV_PCI_DISCOVERY_2, d->id_legacy || modern_id, ex,
              HEXSTR(ob, d->device), NULL);
    if (modern_id) {
        vp_expect(r, "pci.modern.revision", REQ_DEV_PCI_DISCOVERY_5, d->revision >= 1, ">= 1",
                  HEXSTR(ob, d->revision), "a non-transitional id with revision 0");
        vp_expect(r, "pci.modern.subsystem", REQ_DEV_PCI_DISCOVERY_6, d->subsys_device >= 0x40,
                  ">= 0x40", HEXSTR(ob, d->subsys_device), NULL);
        vp_expect(r, "pci.modern.no_io_bar0", REQ_DEV_PCI_DISCOVERY_2, !d->io_bar0,
                  "no legacy I/O BAR0", d->io_bar0 ? "I/O BAR0" : "none", NULL);
    }
    /* no legacy interface (no I/O BAR0) but virtio capabilities: a
     * non-transitional device, which should take the modern id */
    if (!d->io_bar0 && d->first[VC_CAP_COMMON] >= 0) {
        snprintf(ex, sizeof ex, "0x%04x-0x%04x", VC_PCI_MODERN_BASE, VC_PCI_MODERN_HI);
        vp_expect(r, "pci.non_transitional.device_id", REQ_DEV_PCI_DISCOVERY_4, modern_id, ex, HEXSTR(ob, d->device),
                  "no legacy interface");
    }
    if (d->id_legacy) {
        snprintf(ex, sizeof ex, "revision 0, subsystem 0x%x, I/O BAR0", d->virtio_id);
        snprintf(ob, sizeof ob, "revision %u, subsystem 0x%x, %s", d->revision, d->subsys_device,
                 d->io_bar0 ? "I/O BAR0" : "no I/O BAR0");
        vp_expect(r, "pci.transitional.layout", REQ_DEV_IMPLIED_TRANSITIONAL_LAYOUT,
                  d->revision == 0 && d->subsys_device == d->virtio_id && d->io_bar0, ex, ob, NULL);
    }
    vp_check(r, "pci.mode", "", strcmp(d->mode, "invalid") ? VP_INFO : VP_FAIL, NULL, d->mode, "%s",
             d->mode_why);
}

static void check_caps(vp_ctx *c, vp_dev *d)
{
    vp_report *r = c->rep;
    char ob[96], ex[96];
    vp_expect(r, "pci.cap.walk", REQ_DEV_PCI_1, d->cap_walk_ok, "well-formed list",
              d->cap_walk_ok ? "well-formed list" : d->cap_walk_err, NULL);
    if (!strcmp(d->mode, "legacy")) {
        vp_check(r, "pci.cap.none", "", VP_INFO, NULL, "no virtio capabilities",
                 "legacy device: a modern driver has nothing to drive");
        return;
    }
    static const struct { unsigned type; const char *id, *req; } must[] = {
        {VC_CAP_COMMON, "pci.cap.common.present", REQ_DEV_PCI_COMMON_2},
        {VC_CAP_NOTIFY, "pci.cap.notify.present", REQ_DEV_PCI_NOTIFY_CAP_1},
        {VC_CAP_ISR, "pci.cap.isr.present", REQ_DEV_PCI_ISR_1},
        {VC_CAP_PCI_CFG, "pci.cap.pci_cfg.present", REQ_DEV_PCI_CFG_ACCESS_1},
    };
    for (unsigned i = 0; i < sizeof must / sizeof must[0]; i++)
        vp_expect(r, must[i].id, must[i].req, d->first[must[i].type] >= 0, "present",
                  d->first[must[i].type] >= 0 ? "present" : "missing", NULL);

    for (unsigned i = 0; i < d->nvcap; i++) {
        const vp_vcap *v = &d->vcap[i];
        char id[64];
        const char *tn = vp_cap_type_name(v->cfg_type);
        unsigned min_len = v->cfg_type == VC_CAP_NOTIFY ? 20 : v->cfg_type == VC_CAP_PCI_CFG ? 20
                         : v->cfg_type == VC_CAP_SHM ? 24 : 16;
        snprintf(id, sizeof id, "pci.cap.%s@0x%02x.cap_len", tn, v->pos);
        snprintf(ex, sizeof ex, ">= %u", min_len);
        snprintf(ob, sizeof ob, "%u", v->cap_len);
        vp_expect(r, id, REQ_DEV_PCI_CAPS_1, v->cap_len >= min_len && v->pos + v->cap_len <= 256, ex, ob, NULL);
        if (v->cfg_type == VC_CAP_PCI_CFG || v->cfg_type == VC_CAP_VENDOR || v->cfg_type == VC_CAP_SHM ||
            v->cfg_type >= VC_CAP_TYPES || v->cfg_type == 0)
            continue;
        /* A structure must live in an implemented memory BAR, wholly inside it. */
        const vp_bar *b = v->bar < VP_NBARS ? &d->fn->bar[v->bar] : NULL;
        snprintf(id, sizeof id, "pci.cap.%s@0x%02x.in_bar", tn, v->pos);
        snprintf(ob, sizeof ob, "BAR%u offset 0x%x length 0x%x, BAR size 0x%llx", v->bar, v->offset,
                 v->length, b ? (unsigned long long)b->size : 0ull);
        vp_expect(r, id, REQ_DEV_IMPLIED_CAP_IN_BAR,
                  b && b->present && (uint64_t)v->offset + v->length <= b->size && v->length > 0,
                  "inside an implemented BAR", ob, NULL);
        snprintf(id, sizeof id, "pci.cap.%s@0x%02x.align", tn, v->pos);
        snprintf(ob, sizeof ob, "0x%x", v->offset);
        if (v->cfg_type == VC_CAP_COMMON)
            vp_expect(r, id, REQ_DEV_PCI_COMMON_1, v->offset % 4 == 0, "multiple of 4", ob, NULL);
        else if (v->cfg_type == VC_CAP_NOTIFY)
            vp_expect(r, id, REQ_DEV_PCI_NOTIFY_CAP_2, v->offset % 2 == 0, "multiple of 2", ob, NULL);
        else if (v->cfg_type == VC_CAP_DEVICE)
            vp_expect(r, id, REQ_DEV_PCI_DEVCFG_1, v->offset % 4 == 0, "multiple of 4", ob, NULL);
        if (v->cfg_type == VC_CAP_NOTIFY) {
            uint32_t m = v->notify_mult;
            /* Read as "0, or a power of 2 that is an even number" (2, 4, 8, ...);
             * an odd exponent is noted, since the stricter reading 4^k exists. */
            bool even_pow2 = m == 0 || (m >= 2 && (m & (m - 1)) == 0);
            bool odd_exp = m >= 2 && (m & 0x55555555u) == 0;
            snprintf(id, sizeof id, "pci.cap.notify@0x%02x.multiplier", v->pos);
            snprintf(ob, sizeof ob, "%u", m);
            vp_expect(r, id, REQ_DEV_PCI_NOTIFY_CAP_3, even_pow2, "0 or an even power of 2", ob,
                      odd_exp ? "odd exponent: fails the stricter 4^k reading" : NULL);
            snprintf(id, sizeof id, "pci.cap.notify@0x%02x.length", v->pos);
            snprintf(ob, sizeof ob, "%u", v->length);
            vp_expect(r, id, REQ_DEV_PCI_NOTIFY_CAP_4, v->length >= 2, ">= 2", ob, NULL);
        }
    }
    if (d->msix_pos >= 0) {
        snprintf(ob, sizeof ob, "%u", d->msix_size);
        vp_check(r, "pci.msix.table_size", REQ_DEV_PCI_MSIX_1 "," REQ_DEV_PCI_MSIX_2,
                 d->msix_size >= 2 && d->msix_size <= 0x800 ? VP_PASS : VP_FAIL, "2-2048", ob, NULL);
    }
}

/* The PCI config access window must read the same bytes as the BAR does. */
static void check_pci_cfg_window(vp_ctx *c, vp_dev *d)
{
    vp_report *r = c->rep;
    int ci = d->first[VC_CAP_PCI_CFG], cc = d->first[VC_CAP_COMMON];
    if (ci < 0 || cc < 0 || !d->bars_usable)
        return;
    const vp_vcap *w = &d->vcap[ci], *common = &d->vcap[cc];
    vp_fn *f = d->fn;
    if (w->pos + 20 > 256)
        return;
    if ((uint64_t)common->offset + VC_CC_NUMQ + 2 > f->bar[common->bar % VP_NBARS].size) {
        vp_check(r, "pci.cap.pci_cfg.window", REQ_DEV_PCI_CFG_ACCESS_3, VP_SKIP, NULL, NULL,
                 "the common structure is not inside its BAR");
        return;
    }
    uint64_t direct = 0;
    uint32_t via = 0;
    /* num_queues: 2 bytes, reading it has no side effects */
    uint32_t off = common->offset + VC_CC_NUMQ;
    bool ok = f->ops->bar_read(f, common->bar, off, 2, &direct) &&
              f->ops->cfg_write(f, w->pos + 4, 1, common->bar) &&
              f->ops->cfg_write(f, w->pos + 8, 4, off) && f->ops->cfg_write(f, w->pos + 12, 4, 2) &&
              f->ops->cfg_read(f, w->pos + 16, 2, &via);
    char ex[32], ob[32];
    if (!ok) {
        vp_check(r, "pci.cap.pci_cfg.window", REQ_DEV_PCI_CFG_ACCESS_3, VP_ERROR, NULL, NULL,
                 "config or BAR access failed");
        return;
    }
    snprintf(ex, sizeof ex, "0x%04llx", (unsigned long long)direct);
    snprintf(ob, sizeof ob, "0x%04x", via & 0xffff);
    vp_expect(r, "pci.cap.pci_cfg.window", REQ_DEV_PCI_CFG_ACCESS_3, (via & 0xffff) == direct, ex, ob,
              "num_queues read through pci_cfg_data and through the BAR");
}

#define PCI_EXT_CAPS 0x100u   /* PCI Express extended capabilities start here */
#define PCI_EXT_CAP_SRIOV 0x10u

/* Whether the function lists an SR-IOV extended capability; false when the
 * extended space cannot be read (conventional PCI has no SR-IOV either). */
static bool has_sriov(vp_fn *f)
{
    uint32_t h;
    unsigned pos = PCI_EXT_CAPS;
    for (unsigned n = 0; n < 96 && pos >= PCI_EXT_CAPS && pos < 4096; n++) {
        if (!f->ops->cfg_read(f, pos, 4, &h) || h == 0 || h == 0xffffffffu)
            return false;
        if ((h & 0xffff) == PCI_EXT_CAP_SRIOV)
            return true;
        pos = h >> 20 & 0xffc;
    }
    return false;
}

/* SR_IOV is offered exactly when the function has the SR-IOV capability;
 * the table of MSI-X vectors no larger than a vector per queue and one for
 * configuration changes (more cannot be used). */
static void check_offers(vp_ctx *c, vp_dev *d)
{
    vp_report *r = c->rep;
    vp_tp t;
    char err[96], ex[64], ob[64];
    if (!d->bars_usable || d->first[VC_CAP_COMMON] < 0 || !vp_tp_modern(&t, d, err, sizeof err))
        return;
    bool sriov = has_sriov(d->fn), offered = vp_tp_device_features(&t) >> VIRTIO_F_SR_IOV_BIT & 1;
    snprintf(ob, sizeof ob, "SR_IOV %s, SR-IOV capability %s", offered ? "offered" : "not offered",
             sriov ? "present" : "absent");
    vp_expect(r, "pci.sriov.offer", REQ_DEV_RESERVED_FEATURES_9, offered == sriov,
              sriov ? "SR_IOV offered" : "SR_IOV not offered", ob, NULL);
    if (d->msix_pos < 0 || t.io_err)
        return;
    unsigned nq = (unsigned)vp_tp_rd(&t, &t.common, VC_CC_NUMQ, 2);
    if (t.io_err || nq == 0)
        return;
    snprintf(ex, sizeof ex, "<= %u (num_queues + 1)", nq + 1);
    snprintf(ob, sizeof ob, "%u", d->msix_size);
    vp_expect(r, "pci.msix.table_size.useful", REQ_DEV_PCI_MSIX_3, d->msix_size <= nq + 1, ex, ob,
              "a vector per queue and one for configuration changes");
}

void vp_checks_pci(vp_ctx *c, vp_dev *d)
{
    vp_report_set(c->rep, d->fn->addr, "pci");
    check_identity(c->rep, d);
    check_caps(c, d);
    check_pci_cfg_window(c, d);
    check_offers(c, d);
}
