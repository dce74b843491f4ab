/* Both register interfaces: modern (virtio 1.x capabilities) and legacy (I/O BAR0). */
#include <stdio.h>
#include <string.h>

#include "transport.h"
#include "vc/ring.h"

static bool locate_at(vp_dev *d, int i, vp_loc *l)
{
    if (i < 0)
        return false;
    const vp_vcap *v = &d->vcap[i];
    const vp_bar *b = &d->fn->bar[v->bar];
    /* Only structures wholly inside their BAR are used; checks_pci reports the rest. */
    if ((uint64_t)v->offset + v->length > b->size)
        return false;
    l->bar = v->bar;
    l->off = v->offset;
    l->len = v->length;
    return true;
}

static bool locate(vp_dev *d, unsigned type, vp_loc *l)
{
    return locate_at(d, d->first[type], l);
}

bool vp_tp_modern_pio(vp_tp *t, vp_dev *d, char *err, size_t errlen)
{
    if (!vp_tp_modern(t, d, err, errlen))
        return false;
    if (!locate_at(d, d->pio_notify, &t->notify)) {
        snprintf(err, errlen, "no usable notification capability in an I/O BAR");
        return false;
    }
    t->notify_mult = d->vcap[d->pio_notify].notify_mult;
    return true;
}

bool vp_tp_modern(vp_tp *t, vp_dev *d, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->fn = d->fn;
    if (!locate(d, VC_CAP_COMMON, &t->common) || t->common.len < VC_CC_MIN_LEN) {
        snprintf(err, errlen, "no usable common configuration capability");
        return false;
    }
    if (!locate(d, VC_CAP_NOTIFY, &t->notify)) {
        snprintf(err, errlen, "no usable notification capability");
        return false;
    }
    if (!locate(d, VC_CAP_ISR, &t->isr)) {
        snprintf(err, errlen, "no usable ISR capability");
        return false;
    }
    t->notify_mult = d->vcap[d->first[VC_CAP_NOTIFY]].notify_mult;
    if (!locate(d, VC_CAP_DEVICE, &t->device))
        t->device.len = 0; /* device types without config are allowed */
    return true;
}

bool vp_tp_legacy(vp_tp *t, vp_dev *d, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->fn = d->fn;
    t->legacy = true;
    const vp_bar *b = &d->fn->bar[0];
    if (!b->present || !b->io) {
        snprintf(err, errlen, "BAR0 is not an I/O BAR: no legacy interface");
        return false;
    }
    if (b->size < VC_LG_CFG) {
        snprintf(err, errlen, "BAR0 has %llu bytes, fewer than the 20 legacy registers",
                 (unsigned long long)b->size);
        return false;
    }
    t->bar0_size = b->size;
    t->common.bar = 0;
    t->common.off = 0;
    t->common.len = b->size;
    t->legacy_cfg = d->msix_enabled ? VC_LG_CFG_MSIX : VC_LG_CFG;
    t->device.bar = 0;
    t->device.off = t->legacy_cfg;
    t->device.len = b->size > t->legacy_cfg ? b->size - t->legacy_cfg : 0;
    return true;
}

uint64_t vp_tp_rd(vp_tp *t, const vp_loc *l, uint64_t off, unsigned len)
{
    uint64_t v = 0;
    if (off + len > l->len || !t->fn->ops->bar_read(t->fn, l->bar, l->off + off, len, &v)) {
        t->io_err = true;
        return 0;
    }
    return v;
}

void vp_tp_wr(vp_tp *t, const vp_loc *l, uint64_t off, unsigned len, uint64_t val)
{
    if (off + len > l->len || !t->fn->ops->bar_write(t->fn, l->bar, l->off + off, len, val))
        t->io_err = true;
}

#define CC_RD(off, len) vp_tp_rd(t, &t->common, off, len)
#define CC_WR(off, len, v) vp_tp_wr(t, &t->common, off, len, v)

/* A 64-bit feature field through its 32-bit select/value window pair. */
static uint64_t window_rd(vp_tp *t, unsigned sel, unsigned val)
{
    CC_WR(sel, 4, 0);
    uint64_t lo = CC_RD(val, 4);
    CC_WR(sel, 4, 1);
    return lo | CC_RD(val, 4) << 32;
}

uint64_t vp_tp_device_features(vp_tp *t)
{
    return t->legacy ? CC_RD(VC_LG_HOSTF, 4) : window_rd(t, VC_CC_DFSELECT, VC_CC_DF);
}

void vp_tp_set_driver_features(vp_tp *t, uint64_t f)
{
    if (t->legacy) {
        CC_WR(VC_LG_GUESTF, 4, (uint32_t)f);
        return;
    }
    CC_WR(VC_CC_GFSELECT, 4, 0);
    CC_WR(VC_CC_GF, 4, (uint32_t)f);
    CC_WR(VC_CC_GFSELECT, 4, 1);
    CC_WR(VC_CC_GF, 4, f >> 32);
}

uint64_t vp_tp_driver_features(vp_tp *t)
{
    return t->legacy ? CC_RD(VC_LG_GUESTF, 4) : window_rd(t, VC_CC_GFSELECT, VC_CC_GF);
}

uint8_t vp_tp_status(vp_tp *t)
{
    return (uint8_t)CC_RD(t->legacy ? VC_LG_STATUS : VC_CC_STATUS, 1);
}

void vp_tp_set_status(vp_tp *t, uint8_t s)
{
    CC_WR(t->legacy ? VC_LG_STATUS : VC_CC_STATUS, 1, s);
}

uint8_t vp_tp_isr(vp_tp *t)
{
    if (t->legacy)
        return (uint8_t)CC_RD(VC_LG_ISR, 1);
    return (uint8_t)vp_tp_rd(t, &t->isr, 0, 1);
}

unsigned vp_tp_num_queues(vp_tp *t)
{
    if (!t->legacy) {
        unsigned n = (unsigned)CC_RD(VC_CC_NUMQ, 2);
        return n;
    }
    unsigned n = 0;
    while (n < VP_MAX_QUEUES) {
        CC_WR(VC_LG_QSEL, 2, n);
        if (CC_RD(VC_LG_QSIZE, 2) == 0 || t->io_err)
            break;
        n++;
    }
    return n;
}

uint16_t vp_tp_queue_max(vp_tp *t, unsigned q)
{
    CC_WR(t->legacy ? VC_LG_QSEL : VC_CC_QSELECT, 2, q);
    return (uint16_t)CC_RD(t->legacy ? VC_LG_QSIZE : VC_CC_QSIZE, 2);
}

bool vp_tp_queue_setup(vp_tp *t, unsigned q, uint16_t size, uint64_t desc, uint64_t driver,
                       uint64_t device)
{
    if (t->legacy) {
        CC_WR(VC_LG_QSEL, 2, q);
        uint16_t max = (uint16_t)CC_RD(VC_LG_QSIZE, 2);
        if (size != max || desc % VC_LEGACY_VRING_ALIGN || driver != desc + vc_legacy_avail_off(size) ||
            device != desc + vc_legacy_used_off(size) || (desc >> 12) > 0xffffffffull)
            return false;
        CC_WR(VC_LG_PFN, 4, desc >> 12);
        return !t->io_err;
    }
    CC_WR(VC_CC_QSELECT, 2, q);
    CC_WR(VC_CC_QSIZE, 2, size);
    CC_WR(VC_CC_QDESC, 4, (uint32_t)desc);
    CC_WR(VC_CC_QDESC + 4, 4, desc >> 32);
    CC_WR(VC_CC_QDRIVER, 4, (uint32_t)driver);
    CC_WR(VC_CC_QDRIVER + 4, 4, driver >> 32);
    CC_WR(VC_CC_QDEVICE, 4, (uint32_t)device);
    CC_WR(VC_CC_QDEVICE + 4, 4, device >> 32);
    if (q < VP_MAX_QUEUES)
        t->notify_off[q] = (uint16_t)CC_RD(VC_CC_QNOTIFYOFF, 2);
    CC_WR(VC_CC_QENABLE, 2, 1);
    return !t->io_err;
}

void vp_tp_notify(vp_tp *t, unsigned q)
{
    if (t->legacy) {
        CC_WR(VC_LG_NOTIFY, 2, q);
        return;
    }
    uint64_t off = (uint64_t)t->notify_off[q % VP_MAX_QUEUES] * t->notify_mult;
    vp_tp_wr(t, &t->notify, off, 2, q);
}

uint64_t vp_tp_cfg(vp_tp *t, unsigned off, unsigned len)
{
    return vp_tp_rd(t, &t->device, off, len);
}

void vp_tp_cfg_write(vp_tp *t, unsigned off, unsigned len, uint64_t val)
{
    vp_tp_wr(t, &t->device, off, len, val);
}

uint8_t vp_tp_generation(vp_tp *t)
{
    return t->legacy ? 0 : (uint8_t)CC_RD(VC_CC_GENERATION, 1);
}
