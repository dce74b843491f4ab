/* Interrupts of the PCI front (pci_front.c): the device core's interrupts
 * become MSI-X messages written into guest memory from the MSI-X table in
 * BAR1, as a PCI device sends them, or with MSI-X off INTx interrupts the
 * front counts. It also carries the interrupt and lifecycle faults
 * (nosuppress, novector, resetwrite, noqreset, nogen: pci_front.h). */
#ifndef REFDEV_PCI_FRONT_IRQ_H
#define REFDEV_PCI_FRONT_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "refdev/pci_front.h"

#define FRONT_IRQ_MAXVEC 8u

typedef struct front_irq {
    vc_dev *dev;
    const uint8_t *cfg;  /* the function's config space */
    unsigned msix_pos, nvec;
    uint8_t table[FRONT_IRQ_MAXVEC * 16];
    unsigned faults;
    vc_front_irqs stats;
    uint32_t intx;       /* INTx raised while counting */
    bool counting;       /* the probe attached an INTx counter */
    unsigned nold;       /* resetwrite: used rings the device had before the reset */
    uint64_t old_used[4];
} front_irq;

void front_irq_init(front_irq *q, vc_dev *dev, const uint8_t *cfg, unsigned msix_pos, unsigned nvec,
                    unsigned faults);
/* BAR1: the MSI-X table at 0, the pending bits at VC_FRONT_PBA. */
bool front_irq_bar_read(front_irq *q, uint64_t off, unsigned len, uint64_t *val);
bool front_irq_bar_write(front_irq *q, uint64_t off, unsigned len, uint64_t val);
/* The PCI status interrupt bit: ISR not 0 with MSI-X off. */
bool front_irq_status(const front_irq *q);
/* Around a notification of queue qi: used entries published since (split
 * used index, packed used position) and notifications sent. */
void front_irq_before_notify(front_irq *q, unsigned qi, uint32_t *mark);
void front_irq_after_notify(front_irq *q, unsigned qi, const uint32_t *mark);
/* The driver writes device status val (0: a reset). */
void front_irq_status_write(front_irq *q, uint8_t val);
/* Every register access (resetwrite acts then). */
void front_irq_tick(front_irq *q);
/* queue_reset written with 1: false when the fault ignores it. */
bool front_irq_queue_reset_ok(const front_irq *q);
/* "blk-resize", "net-link-down", "net-link-up", "net-announce": false for a change the
 * device type has not. */
bool front_irq_config_change(front_irq *q, const char *type, const char *what);

#endif
