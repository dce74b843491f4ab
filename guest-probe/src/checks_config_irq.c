/* Configuration change interrupts the guest can cause by itself: an
 * available head past the queue size is a ring the device cannot use, so a
 * 1.x device sets NEEDS_RESET and, the driver being past DRIVER_OK, sends a
 * configuration change notification, with ISR's configuration bit set
 * first. With the configuration vector on NO_VECTOR nothing may come. */
#include <stdio.h>
#include <time.h>

#include "checks_irq.h"
#include "refdev/device.h"
#include "vc/req_ids.h"

bool vp_irq_break_ring(vp_isess *s)
{
    vc_vq_drv *vq = &s->v.q[s->q];
    if (!vc_split_put_avail(&s->v.c->dma.mem, vq->driver, vq->size, vq->avail_idx, (uint16_t)(vq->size + 3)))
        return false;
    vp_tp_notify(&s->t, s->q);
    return true;
}

uint8_t vp_irq_wait_needs_reset(vp_isess *s, unsigned ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        uint8_t st = vp_tp_status(&s->t);
        clock_gettime(CLOCK_MONOTONIC, &t);
        double el = (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
        if ((st & VC_STATUS_NEEDS_RESET) || s->t.io_err || el > ms)
            return st;
        struct timespec nap = {0, 50000};
        nanosleep(&nap, NULL);
    }
}

void vp_checks_config_irq(vp_ctx *c, vp_dev *d, vp_irq *q)
{
    vp_report *r = c->rep;
    vp_isess s;
    char ob[64];
    uint16_t cb, qb;
    uint32_t seen;
    if (!vp_isess_open(&s, c, d, VP_IS_MODERN, 0, 0, false, "irq.config"))
        return;
    vp_isess_vectors(&s, 0, VP_NO_VECTOR, &cb, &qb);
    (void)vp_tp_isr(&s.t);
    vp_irq_clear(q);
    if (cb != 0 || !vp_irq_break_ring(&s)) {
        vp_check(r, "irq.config", "", VP_SKIP, NULL, NULL, "config vector 0 reads 0x%x", cb);
        goto out;
    }
    uint8_t st = vp_irq_wait_needs_reset(&s, c->opt.timeout_ms);
    seen = vp_irq_wait(q, 1, VP_QUICK_WAIT_MS);
    uint8_t isr = vp_tp_isr(&s.t);
    snprintf(ob, sizeof ob, "status 0x%02x", st);
    bool nr = st & VC_STATUS_NEEDS_RESET;
    vp_expect(r, "irq.config.needs_reset", REQ_DEV_STATUS_2, nr, "NEEDS_RESET", ob,
              "an available head past the queue size, after DRIVER_OK");
    if (nr) {
        vp_expect(r, "irq.config.notify", REQ_DEV_STATUS_3, seen & 1, "vector 0 (config)",
                  vp_irq_describe(seen, ob, sizeof ob), "NEEDS_RESET after DRIVER_OK");
        snprintf(ob, sizeof ob, "ISR 0x%02x", isr);
        if (seen & 1) /* ISR read after the message: it was set when the message went */
            vp_expect(r, "irq.config.isr", REQ_DEV_PCI_ISR_2, isr & 2, "config bit (0x2)", ob,
                      "read after the configuration interrupt");
    }
    vp_isess_close(&s);
    if (!nr || !vp_isess_open(&s, c, d, VP_IS_MODERN, 0, 0, false, "irq.config.no_vector"))
        return;
    vp_isess_vectors(&s, VP_NO_VECTOR, VP_NO_VECTOR, &cb, &qb);
    vp_irq_clear(q);
    vp_irq_break_ring(&s);
    st = vp_irq_wait_needs_reset(&s, c->opt.timeout_ms);
    seen = vp_irq_settle(q, &s.t);
    if (!(st & VC_STATUS_NEEDS_RESET))
        vp_check(r, "irq.config.no_vector", "", VP_SKIP, NULL, NULL, "no NEEDS_RESET this time (status 0x%02x)", st);
    else
        vp_expect(r, "irq.config.no_vector", REQ_DEV_PCI_CFG_CHANGE_1, seen == 0, "nothing",
                  vp_irq_describe(seen, ob, sizeof ob), "config vector NO_VECTOR, NEEDS_RESET after DRIVER_OK");
out:
    vp_isess_close(&s);
}
