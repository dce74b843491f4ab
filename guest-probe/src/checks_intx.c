/* MSI-X off: a used buffer sets ISR's queue bit and the PCI status
 * interrupt bit (which follows ISR, so reading ISR clears it too) and
 * asserts INTx; with NO_INTERRUPT none of that happens; a configuration
 * change (NEEDS_RESET, 1.x only) sets ISR's configuration bit. ISR and the
 * status bit are read whatever the platform; INTx itself only when it can
 * count it (uio_pci_generic). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "checks_irq.h"
#include "refdev/device.h"
#include "vc/req_ids.h"

#define PCI_STATUS 6u
#define STATUS_INTX 0x8u

static bool pci_intx_bit(vp_dev *d)
{
    uint16_t st = 0;
    vp_cfg16(d->fn, PCI_STATUS, &st);
    return st & STATUS_INTX;
}

static void used_buffer(vp_isess *s, vp_irq *q)
{
    vp_report *r = s->v.c->rep;
    char ob[96];
    uint32_t seen;
    (void)vp_tp_isr(&s->t); /* clear, so INTx is deasserted before the count starts */
    if (!vp_irq_step(s, q, q->intx ? 1u << VP_IRQ_INTX : 0, &seen, "intx.used"))
        return;
    /* the used entry can be visible before QEMU raises the interrupt
     * (virtio-blk, once in 7 runs of q35-port: ISR 0x00 here, the queue bit
     * set later), so the status bit, which a read does not clear, is
     * waited for (bounded) before ISR is read */
    bool status_on = pci_intx_bit(s->v.d);
    for (unsigned waited = 0; !status_on && waited < VP_QUICK_WAIT_MS * 10u; waited++) {
        usleep(100);
        status_on = pci_intx_bit(s->v.d);
    }
    uint8_t isr = vp_tp_isr(&s->t);
    bool status_off = !pci_intx_bit(s->v.d);
    snprintf(ob, sizeof ob, "0x%02x", isr);
    vp_expect(r, "intx.isr.queue_bit", REQ_DEV_PCI_ISR_3 "," REQ_DEV_VQ_USED_SUPP_3, isr & 1, "queue bit (0x1)", ob,
              "MSI-X off, avail flags 0, one used buffer");
    snprintf(ob, sizeof ob, "%s with ISR 0x%02x, %s after reading it", status_on ? "set" : "clear", isr,
             status_off ? "clear" : "set");
    vp_expect(r, "intx.pci_status", REQ_DEV_PCI_ISR_4, status_on == (isr != 0) && status_off,
              "set while ISR is not 0, clear once read", ob, "PCI status interrupt bit");
    if (q->intx)
        vp_expect(r, "intx.delivered", REQ_DEV_VQ_USED_SUPP_3, seen >> VP_IRQ_INTX & 1, "INTx",
                  vp_irq_describe(seen, ob, sizeof ob),
                  "interrupts counted by the platform (uio_pci_generic in a guest)");
}

static void no_interrupt(vp_isess *s, vp_irq *q)
{
    vp_report *r = s->v.c->rep;
    char ob[96], err[128], one[32];
    vc_vq_drv_want_interrupts(&s->v.q[s->q], false);
    (void)vp_tp_isr(&s->t);
    vp_irq_clear(q);
    for (unsigned i = 0; i < 2; i++)
        if (!vp_isess_req(s, err, sizeof err)) {
            vp_check(r, "intx.no_interrupt", "", VP_ERROR, NULL, NULL, "request: %s", err);
            return;
        }
    uint32_t seen = vp_irq_settle(q, &s->t);
    uint8_t isr = vp_tp_isr(&s->t);
    snprintf(ob, sizeof ob, "ISR 0x%02x, %s", isr, vp_irq_describe(seen, one, sizeof one));
    vp_expect(r, "intx.no_interrupt", REQ_DEV_VQ_USED_SUPP_2, !(isr & 1) && !seen, "ISR 0x00, nothing", ob,
              "MSI-X off, avail flags NO_INTERRUPT, two used buffers");
    vc_vq_drv_want_interrupts(&s->v.q[s->q], true);
}

static void config_change(vp_isess *s, vp_irq *q)
{
    vp_report *r = s->v.c->rep;
    char ob[96], one[32];
    (void)vp_tp_isr(&s->t);
    vp_irq_clear(q);
    vp_irq_break_ring(s);
    uint8_t st = vp_irq_wait_needs_reset(s, s->v.c->opt.timeout_ms);
    uint32_t seen = q->intx ? vp_irq_wait(q, 1u << VP_IRQ_INTX, VP_QUICK_WAIT_MS) : 0;
    uint8_t isr = vp_tp_isr(&s->t);
    if (!(st & VC_STATUS_NEEDS_RESET)) {
        vp_check(r, "intx.config", "", VP_SKIP, NULL, NULL, "no NEEDS_RESET (status 0x%02x)", st);
        return;
    }
    snprintf(ob, sizeof ob, "ISR 0x%02x, %s", isr,
             q->intx ? vp_irq_describe(seen, one, sizeof one) : "INTx not counted");
    vp_expect(r, "intx.config", REQ_DEV_PCI_ISR_2 "," REQ_DEV_STATUS_3, (isr & 2) && (!q->intx || seen),
              q->intx ? "config bit (0x2), INTx" : "config bit (0x2)", ob, "MSI-X off, NEEDS_RESET after DRIVER_OK");
}

/* Binding the counter costs what the guest's interrupt routing costs: a
 * few ms on q35, about 100 ms each way through i440fx's ACPI interrupt
 * links under TCG. So INTx is counted on one function, the run's last
 * (left bound when the probe is PID 1: the machine powers off next); on the
 * others ISR and the status bit tell what the device did. */
void vp_checks_intx(vp_ctx *c, vp_dev *d, vp_is_kind kind, bool count)
{
    vp_irq q;
    char why[160];
    bool counted = false;
    memset(&q, 0, sizeof q);
    q.c = c, q.d = d, q.quiet_ms = c->opt.quiet_ms;
    if (count)
        counted = vp_irq_intx_on(&q, c, d, why, sizeof why);
    else
        snprintf(why, sizeof why, "counted on the run's last function only");
    vp_isess s;
    if (!vp_isess_open(&s, c, d, kind, 0, 0, false, "intx"))
        goto off;
    if (!counted) /* ISR and the status bit still show what the device did */
        vp_check(c->rep, "intx.delivered", "", VP_SKIP, NULL, NULL, "INTx not counted: %s", why);
    used_buffer(&s, &q);
    no_interrupt(&s, &q);
    if (kind == VP_IS_MODERN)
        config_change(&s, &q);
    vp_isess_close(&s);
off:
    if (getpid() != 1)
        vp_irq_intx_off(&q);
}
