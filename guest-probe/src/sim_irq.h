/* Interrupts of the simulated PCI front (pci_sim.c): the reference
 * device's interrupts become MSI-X messages written into guest memory from
 * the MSI-X table in BAR1, as a PCI device does, or with MSI-X off INTx
 * interrupts the front counts. Planted faults the interrupt and lifecycle
 * checks must catch:
 *   nosuppress   a used buffer always notifies, whatever the driver's
 *                suppression (flags, used_event, packed event structure)
 *   novector     a queue on NO_VECTOR notifies on vector 0
 *   resetwrite   after a reset the device keeps writing the used index of
 *                the ring it had (on every register access until it is
 *                set up again)
 *   noqreset     writing queue_reset does nothing
 *   nogen        a configuration change leaves config_generation as it was
 * It also makes the configuration changes a runner makes through QEMU's
 * monitor (sim_irq_config_change). */
#ifndef VP_SIM_IRQ_H
#define VP_SIM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "refdev/device.h"

#define SIM_IRQ_MAXVEC 8u

enum { SIM_NOSUPPRESS = 1, SIM_NOVECTOR = 2, SIM_RESETWRITE = 4, SIM_NOQRESET = 8, SIM_NOGEN = 16 };

typedef struct sim_irq {
    vc_dev *dev;
    const uint8_t *cfg;  /* the function's config space */
    unsigned msix_pos, nvec;
    uint8_t table[SIM_IRQ_MAXVEC * 16];
    uint32_t pba;
    unsigned faults;
    uint32_t intx;       /* INTx interrupts raised while counting */
    bool counting;       /* the probe attached an INTx counter */
    unsigned nold;       /* resetwrite: used rings the device had before the reset */
    uint64_t old_used[4];
} sim_irq;

/* The fault bit of a planted fault's name, 0 when it is not one of these. */
unsigned sim_irq_fault(const char *name);
void sim_irq_init(sim_irq *q, vc_dev *dev, const uint8_t *cfg, unsigned msix_pos, unsigned nvec, unsigned faults);
/* BAR1: the MSI-X table at 0, the pending bits at 0x800. */
bool sim_irq_bar_read(sim_irq *q, uint64_t off, unsigned len, uint64_t *val);
bool sim_irq_bar_write(sim_irq *q, uint64_t off, unsigned len, uint64_t val);
/* The PCI status interrupt bit: ISR not 0 with MSI-X off. */
bool sim_irq_status(const sim_irq *q);
/* Around a notification of queue qi: used entries published since (split
 * used index, packed used position) and notifications sent. */
void sim_irq_before_notify(sim_irq *q, unsigned qi, uint32_t *mark);
void sim_irq_after_notify(sim_irq *q, unsigned qi, const uint32_t *mark);
/* The driver writes device status val (0: a reset). */
void sim_irq_status_write(sim_irq *q, uint8_t val);
/* Every register access (resetwrite acts then). */
void sim_irq_tick(sim_irq *q);
/* queue_reset written with 1: false when the fault ignores it. */
bool sim_irq_queue_reset_ok(const sim_irq *q);
/* "blk-resize" (capacity + 8 sectors), "net-link-down", "net-link-up":
 * false for a change the device type has not. */
bool sim_irq_config_change(sim_irq *q, const char *type, const char *what);

#endif
