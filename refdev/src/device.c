/* Reference device core: status state machine, feature negotiation, queues,
 * configuration space, interrupts and the fault log. */
#include "refdev/device.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refdev/drvrules.h"
#include "refdev/features.h"
#include "vc/ring.h"

void vc_dev_init(vc_dev *d, const vc_model_ops *ops, void *model, const vc_gmem *mem,
                 uint64_t offered, uint32_t config_size, unsigned nqueues,
                 const uint16_t *queue_max)
{
    memset(d, 0, sizeof(*d));
    d->ops = ops;
    d->model = model;
    d->mem = mem;
    d->offered = offered;
    d->config_size = config_size <= VC_DEV_CONFIG_MAX ? config_size : VC_DEV_CONFIG_MAX;
    d->nqueues = nqueues <= VC_DEV_MAX_QUEUES ? nqueues : VC_DEV_MAX_QUEUES;
    d->config_msix_vector = VC_NO_VECTOR;
    for (unsigned i = 0; i < d->nqueues; i++) {
        vc_dev_queue *q = &d->q[i];
        q->max_size = queue_max[i];
        q->size = queue_max[i];
        q->msix_vector = VC_NO_VECTOR;
        q->segs = calloc(q->max_size ? q->max_size : 1, sizeof(*q->segs));
    }
}

void vc_dev_destroy(vc_dev *d)
{
    if (d->ops && d->ops->destroy)
        d->ops->destroy(d);
    for (unsigned i = 0; i < d->nqueues; i++) {
        vc_vq_dev_free(&d->q[i].vq);
        free(d->q[i].segs);
        d->q[i].segs = NULL;
    }
}

void vc_dev_fault(vc_dev *d, const char *code, const char *req, int queue, bool needs_reset,
                  const char *fmt, ...)
{
    d->faults_total++;
    if (d->nfaults < VC_DEV_MAX_FAULTS) {
        vc_fault *f = &d->fault[d->nfaults++];
        f->code = code;
        f->req = req;
        f->queue = queue;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
        va_end(ap);
    }
    if (needs_reset && !(d->status & VC_STATUS_NEEDS_RESET)) {
        d->status |= VC_STATUS_NEEDS_RESET;
        /* a running driver is told through a config change (dev.status.3) */
        if (d->status & VC_STATUS_DRIVER_OK)
            vc_dev_config_changed(d);
    }
}

static void raise_irq(vc_dev *d, uint8_t isr_bit, uint16_t vector)
{
    d->isr |= isr_bit; /* before the interrupt (dev.pci_isr.2, dev.pci_isr.3) */
    if (d->irq)
        d->irq(d->irq_opaque, vector);
}

void vc_dev_config_changed(vc_dev *d)
{
    d->config_generation++;
    if (d->status & VC_STATUS_DRIVER_OK)
        raise_irq(d, VC_ISR_CONFIG, d->config_msix_vector);
}

uint8_t vc_dev_status(const vc_dev *d)
{
    return d->status;
}

void vc_dev_reset(vc_dev *d)
{
    for (unsigned i = 0; i < d->nqueues; i++) {
        vc_dev_queue *q = &d->q[i];
        vc_vq_dev_free(&q->vq);
        memset(&q->vq, 0, sizeof(q->vq));
        q->size = q->max_size;
        q->enabled = false; /* dev.pci_common.8 */
        q->kick_pending = false;
        q->desc = q->driver = q->device = 0;
        q->msix_vector = VC_NO_VECTOR; /* dev.pci_msix.7 */
    }
    d->config_msix_vector = VC_NO_VECTOR;
    memset(&d->drv, 0, sizeof(d->drv));
    d->accepted = 0;
    d->features_locked = false;
    d->isr = 0;
    if (d->ops->reset)
        d->ops->reset(d);
    d->status = 0; /* last: the reset is complete once status reads 0 (dev.reset.1) */
}

uint64_t vc_dev_offered(const vc_dev *d)
{
    if (d->legacy)
        return d->offered & 0xffffffffull;
    return d->offered & ~vc_features_legacy_only(d->ops->device_id);
}

bool vc_dev_has(const vc_dev *d, unsigned bit)
{
    return bit < 64 && (d->accepted & vc_dev_offered(d) & (1ull << bit));
}

/* FEATURES_OK: accept only a valid subset (dev.features.2). */
static bool negotiate(vc_dev *d)
{
    uint64_t f = d->accepted;
    const char *why = NULL, *req = NULL;
    if (f & ~vc_dev_offered(d)) {
        why = "driver accepted a feature the device did not offer";
        req = REQ_DRV_FEATURES_1;
    } else if (vc_features_missing_deps(d->ops->device_id, f) != 0) {
        why = "driver accepted a feature without the features it requires";
        req = REQ_DRV_FEATURES_1;
    } else if (!d->legacy && !(f & (1ull << VC_F_VERSION_1))) {
        /* the modern interface needs VERSION_1 (the device may refuse: dev.reserved_features.2) */
        why = "modern interface without VIRTIO_F_VERSION_1";
        req = REQ_DEV_RESERVED_FEATURES_2;
    } else if (d->ops->features_ok && !d->ops->features_ok(d, f)) {
        why = "device-type rules refuse this feature set";
        req = REQ_DEV_FEATURES_2;
    }
    if (why) {
        vc_dev_fault(d, "FEATURES_REFUSED", req, -1, false, "%s (0x%016llx)", why,
                     (unsigned long long)f);
        return false;
    }
    d->features_locked = true;
    return true;
}

static void start_queues(vc_dev *d)
{
    for (unsigned i = 0; i < d->nqueues; i++) {
        if (d->q[i].kick_pending) {
            d->q[i].kick_pending = false;
            vc_dev_notify(d, i);
        }
    }
}

void vc_dev_set_status(vc_dev *d, uint8_t s)
{
    if (s == 0) {
        vc_dev_reset(d);
        return;
    }
    uint8_t old = d->status;
    uint8_t device_owned = VC_STATUS_NEEDS_RESET;
    if ((old & ~device_owned) & ~s) {
        vc_dev_fault(d, "DRV_CLEARED_STATUS", REQ_DRV_STATUS_2, -1, false,
                     "status 0x%02x -> 0x%02x clears a bit", old, s);
        return;
    }
    uint8_t added = s & ~old & ~device_owned;
    if ((added & VC_STATUS_FEATURES_OK) && !d->legacy) {
        if (!(old & VC_STATUS_DRIVER)) {
            vc_dev_fault(d, "DRV_INIT_ORDER", REQ_DRV_INIT_1, -1, false,
                         "FEATURES_OK before DRIVER");
            return;
        }
        if (!negotiate(d))
            added &= ~VC_STATUS_FEATURES_OK; /* read back without it */
    }
    if (added & VC_STATUS_DRIVER_OK) {
        bool ready = d->legacy ? (old | added) & VC_STATUS_DRIVER
                               : (old | added) & VC_STATUS_FEATURES_OK;
        if (!ready) {
            vc_dev_fault(d, "DRV_INIT_ORDER", REQ_DRV_INIT_1, -1, false,
                         "DRIVER_OK before %s", d->legacy ? "DRIVER" : "FEATURES_OK");
            added &= ~VC_STATUS_DRIVER_OK;
        } else if (d->legacy) {
            d->features_locked = true;
        }
    }
    d->status = old | added;
    if (added & VC_STATUS_DRIVER_OK) {
        if (d->ops->driver_ok)
            d->ops->driver_ok(d);
        start_queues(d); /* serve kicks that came early */
    }
}

uint32_t vc_dev_features_window(const vc_dev *d, unsigned sel)
{
    return sel < 2 ? (uint32_t)(vc_dev_offered(d) >> (32 * sel)) : 0;
}

uint32_t vc_dev_driver_features_window(const vc_dev *d, unsigned sel)
{
    return sel < 2 ? (uint32_t)(d->accepted >> (32 * sel)) : 0;
}

void vc_dev_set_driver_features(vc_dev *d, unsigned sel, uint32_t val)
{
    if (d->features_locked) {
        vc_dev_fault(d, "DRV_FEATURES_AFTER_OK", REQ_DRV_INIT_3, -1, false,
                     "driver_feature[%u] written after negotiation", sel);
        return;
    }
    if (sel >= 2) {
        if (val)
            vc_dev_fault(d, "DRV_FEATURES_UNOFFERED", REQ_DRV_FEATURES_1, -1, false,
                         "driver_feature[%u] = 0x%08x, nothing offered there", sel, val);
        return;
    }
    uint64_t mask = 0xffffffffull << (32 * sel);
    d->accepted = (d->accepted & ~mask) | ((uint64_t)val << (32 * sel));
}

bool vc_dev_config_read(vc_dev *d, uint32_t off, void *buf, uint32_t len)
{
    if (off > d->config_size || len > d->config_size - off) {
        memset(buf, 0, len);
        return false;
    }
    memcpy(buf, d->config + off, len);
    return true;
}

bool vc_dev_config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    if (off > d->config_size || len > d->config_size - off) {
        vc_dev_fault(d, "DRV_CONFIG_RANGE", REQ_DRV_CFGSPACE_2, -1, false,
                     "config write at %u+%u outside %u bytes", off, len, d->config_size);
        return false;
    }
    bool early_ok = d->ops->config_write_early && d->ops->config_write_early(d, off, len);
    if (!(d->status & VC_STATUS_FEATURES_OK) && !d->legacy && !early_ok)
        vc_dev_fault(d, "DRV_CONFIG_WRITE_EARLY", REQ_DRV_INIT_2, -1, false,
                     "config write before FEATURES_OK");
    if (!d->ops->config_write) {
        vc_dev_fault(d, "DRV_CONFIG_READONLY", REQ_DRV_CFGSPACE_2, -1, false,
                     "write to read-only config at %u", off);
        return false;
    }
    d->ops->config_write(d, off, buf, len);
    return true;
}

bool vc_dev_queue_set_size(vc_dev *d, unsigned qi, uint16_t size)
{
    if (qi >= d->nqueues || d->q[qi].max_size == 0)
        return false;
    vc_dev_queue *q = &d->q[qi];
    bool packed = d->accepted & (1ull << VC_F_RING_PACKED);
    if (size == 0 || size > q->max_size || (!packed && !vc_is_pow2(size))) {
        vc_dev_fault(d, "DRV_QUEUE_SIZE", packed ? REQ_DRV_PCI_COMMON_2 : REQ_DRV_PCI_COMMON_3,
                     (int)qi, false, "queue size %u (max %u)", size, q->max_size);
        return false;
    }
    q->size = size;
    return true;
}

void vc_dev_queue_set_addr(vc_dev *d, unsigned qi, uint64_t desc, uint64_t driver, uint64_t device)
{
    if (qi >= d->nqueues)
        return;
    d->q[qi].desc = desc;
    d->q[qi].driver = driver;
    d->q[qi].device = device;
}

bool vc_dev_queue_enable(vc_dev *d, unsigned qi)
{
    if (qi >= d->nqueues || d->q[qi].max_size == 0)
        return false;
    vc_dev_queue *q = &d->q[qi];
    vc_err e = vc_vq_dev_init(&q->vq, d->mem, d->accepted & vc_dev_offered(d), q->size, q->desc,
                              q->driver, q->device);
    if (e != VC_OK) {
        vc_dev_fault(d, vc_err_name(e), vc_err_req(e, q->vq.packed), (int)qi, true, "%s",
                     vc_err_text(e));
        return false;
    }
    q->enabled = true;
    return true;
}

void vc_dev_queue_reset(vc_dev *d, unsigned qi)
{
    if (qi >= d->nqueues)
        return;
    vc_dev_queue *q = &d->q[qi];
    if (d->ops->queue_reset)
        d->ops->queue_reset(d, qi);
    vc_vq_dev_free(&q->vq);
    memset(&q->vq, 0, sizeof(q->vq)); /* available and used state back to default (dev.vq_reset.2) */
    q->enabled = false;
    q->kick_pending = false;
    q->size = q->max_size;
    q->desc = q->driver = q->device = 0;
    q->msix_vector = VC_NO_VECTOR;
}

void vc_dev_notify(vc_dev *d, unsigned qi)
{
    if (qi >= d->nqueues || d->q[qi].max_size == 0) {
        vc_dev_fault(d, "DRV_NOTIFY_NO_QUEUE", REQ_DRV_PCI_AVAIL_NOTIFY_1, (int)qi, false,
                     "notification for queue %u that does not exist", qi);
        return;
    }
    vc_dev_queue *q = &d->q[qi];
    if (!(d->status & VC_STATUS_DRIVER_OK)) {
        /* not served before DRIVER_OK (dev.status.1); remembered for later */
        vc_dev_fault(d, "DRV_NOTIFY_EARLY", REQ_DRV_INIT_6, (int)qi, false,
                     "notification before DRIVER_OK");
        q->kick_pending = true;
        return;
    }
    if (!q->enabled || (d->status & VC_STATUS_NEEDS_RESET))
        return; /* a reset or broken queue executes nothing (dev.vq_reset.1) */
    d->ops->queue_notify(d, qi);
}

uint8_t vc_dev_read_isr(vc_dev *d)
{
    uint8_t v = d->isr;
    d->isr = 0; /* read clears (dev.pci_isr.5) */
    return v;
}

bool vc_dev_pop(vc_dev *d, unsigned qi, vc_chain *c)
{
    vc_dev_queue *q = &d->q[qi];
    if (!q->enabled || !(d->status & VC_STATUS_DRIVER_OK) || (d->status & VC_STATUS_NEEDS_RESET))
        return false;
    if (!c->seg) {
        c->seg = q->segs;
        c->cap = q->max_size;
    }
    bool got = false;
    vc_err e = vc_vq_dev_pop(&q->vq, c, &got);
    if (e == VC_OK && !got && !q->hold_notify) {
        /* Drained: ask for a kick on the next buffer (avail_event with
         * EVENT_IDX), then look once more for one that raced with that. */
        vc_vq_dev_want_notify(&q->vq, true);
        e = vc_vq_dev_pop(&q->vq, c, &got);
    }
    if (e != VC_OK) {
        if (d->on_pop)
            d->on_pop(d->pop_opaque, qi, 0, vc_err_name(e));
        vc_dev_fault(d, vc_err_name(e), vc_err_req(e, q->vq.packed), (int)qi, true, "%s",
                     vc_err_text(e));
        return false;
    }
    if (got && d->on_pop)
        d->on_pop(d->pop_opaque, qi, c->id, NULL);
    if (got && d->on_chain)
        d->on_chain(d->chain_opaque, qi, c, false);
    if (got)
        vc_drvrules_chain(d, qi, c); /* the device type's rules on what the driver wrote */
    return got;
}

void vc_dev_push(vc_dev *d, unsigned qi, const vc_chain *c, uint32_t written)
{
    vc_dev_queue *q = &d->q[qi];
    if (d->on_chain)
        d->on_chain(d->chain_opaque, qi, c, true);
    vc_drvrules_used(d, qi, c);
    vc_err e = vc_vq_dev_push(&q->vq, c, written);
    if (e != VC_OK) {
        vc_dev_fault(d, vc_err_name(e), vc_err_req(e, q->vq.packed), (int)qi, true, "%s",
                     vc_err_text(e));
        return;
    }
    if (vc_vq_dev_should_notify(&q->vq)) {
        d->notifications++;
        raise_irq(d, VC_ISR_QUEUE, q->msix_vector);
    }
}

void vc_dev_serve(vc_dev *d, unsigned qi, uint32_t (*fn)(vc_dev *d, unsigned q, vc_chain *c))
{
    /* at most one queue's worth of chains per call: work per kick is bounded */
    for (uint32_t n = 0; n < d->q[qi].size; n++) {
        vc_chain c = { 0 };
        if (!vc_dev_pop(d, qi, &c))
            return;
        vc_dev_push(d, qi, &c, fn(d, qi, &c));
    }
}
