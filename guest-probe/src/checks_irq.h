/* Interrupts observed in the guest (notification suppression, MSI-X vectors,
 * ISR and INTx, configuration interrupts) and the device lifecycle (reset
 * with requests in flight, defaults after reset, per-queue reset). */
#ifndef VP_CHECKS_IRQ_H
#define VP_CHECKS_IRQ_H

#include "irq_sess.h"

/* drive.c's hook: every group below that the device's interfaces allow. */
void vp_checks_irq(vp_ctx *c, vp_dev *d);

/* checks_notify.c: split rings with MSI-X aimed at memory (q is on): the
 * avail flags, each vector and NO_VECTOR; then used_event (EVENT_IDX). */
void vp_checks_notify_split(vp_ctx *c, vp_dev *d, vp_is_kind kind, vp_irq *q);
void vp_checks_notify_event_idx(vp_ctx *c, vp_dev *d, vp_is_kind kind, vp_irq *q);
/* checks_notify_packed.c: the driver event suppression structure. */
void vp_checks_notify_packed(vp_ctx *c, vp_dev *d, vp_irq *q);
/* checks_config_irq.c: NEEDS_RESET's configuration interrupt, ISR, NO_VECTOR. */
void vp_checks_config_irq(vp_ctx *c, vp_dev *d, vp_irq *q);
/* Makes an available head past the queue size available and notifies. */
bool vp_irq_break_ring(vp_isess *s);
/* Status once NEEDS_RESET shows, or after ms. */
uint8_t vp_irq_wait_needs_reset(vp_isess *s, unsigned ms);
/* checks_config_change.c: configuration changes the VMM makes on request
 * (blk capacity, net link): generation, interrupt, ISR. */
void vp_checks_config_change(vp_ctx *c, vp_dev *d, vp_irq *q);
/* checks_intx.c: MSI-X off: ISR, the PCI status bit, and INTx when count. */
void vp_checks_intx(vp_ctx *c, vp_dev *d, vp_is_kind kind, bool count);
/* checks_lifecycle.c: reset in flight, defaults, queue reset (q may have MSI-X off). */
void vp_checks_lifecycle(vp_ctx *c, vp_dev *d, vp_is_kind kind, vp_irq *q);

/* "vectors 0,2 and INTx", "nothing": what a mask of vp_irq_seen says. */
const char *vp_irq_describe(uint32_t m, char *buf, size_t len);
/* One request on s, then the interrupts: those in want waited for
 * (bounded), or with want 0 the quiet time. False after reporting an error
 * under id. */
bool vp_irq_step(vp_isess *s, vp_irq *q, uint32_t want, uint32_t *seen, const char *id);

#endif
