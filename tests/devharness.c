#include "devharness.h"

#include <string.h>

#include "vc/ring.h"

static void on_irq(void *opaque, uint16_t vector)
{
    ((vc_th *)opaque)->irqs++;
}

void vc_th_mem(vc_th *t)
{
    memset(t, 0, sizeof(*t));
    vc_testmem_init(&t->tm);
}

uint8_t vc_th_negotiate(vc_th *t, vc_dev *d, uint64_t want)
{
    t->dev = d;
    d->irq = on_irq;
    d->irq_opaque = t;
    vc_dev_set_status(d, 0);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER);
    uint64_t offered = (uint64_t)vc_dev_features_window(d, 1) << 32 | vc_dev_features_window(d, 0);
    t->features = want & offered;
    vc_dev_set_driver_features(d, 0, (uint32_t)t->features);
    vc_dev_set_driver_features(d, 1, (uint32_t)(t->features >> 32));
    if (d->legacy)
        return vc_dev_status(d);
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK);
    return vc_dev_status(d);
}

void vc_th_queue(vc_th *t, unsigned qi, uint16_t size)
{
    bool packed = t->features & (1ull << VC_F_RING_PACKED);
    uint64_t desc = vc_testmem_alloc(&t->tm, 16ull * size, 4096);
    uint64_t drv = vc_testmem_alloc(&t->tm, packed ? 4 : 6 + 2ull * size, 4096);
    uint64_t dev = vc_testmem_alloc(&t->tm, packed ? 4 : 6 + 8ull * size, 4096);
    uint64_t ind = vc_testmem_alloc(&t->tm, 16ull * size * 32, 16);
    vc_vq_drv_init(&t->q[qi], &t->tm.mem, t->features, size, desc, drv, dev, ind, 32);
    vc_dev_queue_set_size(t->dev, qi, size);
    vc_dev_queue_set_addr(t->dev, qi, desc, drv, dev);
    vc_dev_queue_enable(t->dev, qi);
}

void vc_th_driver_ok(vc_th *t)
{
    vc_dev_set_status(t->dev, vc_dev_status(t->dev) | VC_STATUS_DRIVER_OK);
}

bool vc_th_start(vc_th *t, vc_dev *d, uint64_t want, unsigned nqueues, uint16_t size)
{
    bool ok = vc_th_negotiate(t, d, want) & VC_STATUS_FEATURES_OK;
    for (unsigned q = 0; q < nqueues; q++)
        vc_th_queue(t, q, size);
    vc_th_driver_ok(t);
    return ok;
}

long vc_th_roundtrip(vc_th *t, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in,
                     bool indirect)
{
    if (vc_vq_drv_add(&t->q[qi], sg, n_out, n_in, 0x1234, indirect) != VC_DRV_OK)
        return -1;
    if (vc_vq_drv_kick_needed(&t->q[qi]))
        vc_dev_notify(t->dev, qi);
    uint32_t token, len;
    vc_drv_status s = vc_vq_drv_get_used(&t->q[qi], &token, &len);
    if ((s != VC_DRV_OK && s != VC_DRV_DEV_BAD_LEN) || token != 0x1234)
        return -1;
    return len;
}

bool vc_th_post(vc_th *t, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in,
                uint32_t token)
{
    if (vc_vq_drv_add(&t->q[qi], sg, n_out, n_in, token, false) != VC_DRV_OK)
        return false;
    if (vc_vq_drv_kick_needed(&t->q[qi]))
        vc_dev_notify(t->dev, qi);
    return true;
}

bool vc_th_used(vc_th *t, unsigned qi, uint32_t *token, uint32_t *len)
{
    vc_drv_status s = vc_vq_drv_get_used(&t->q[qi], token, len);
    return s == VC_DRV_OK || s == VC_DRV_DEV_BAD_LEN;
}

void vc_th_free(vc_th *t)
{
    for (unsigned i = 0; i < VC_DEV_MAX_QUEUES; i++)
        vc_vq_drv_free(&t->q[i]);
    vc_testmem_free(&t->tm);
}

bool vc_th_fault(const vc_th *t, const char *code)
{
    for (unsigned i = 0; i < t->dev->nfaults; i++)
        if (strcmp(t->dev->fault[i].code, code) == 0)
            return true;
    return false;
}
