/* Interrupts as the probe sees them, without a kernel driver in the way.
 *
 * MSI-X: the probe enables MSI-X itself and aims every vector's message at
 * a 4-byte slot in its own DMA memory (an MSI-X message is a memory write:
 * one that is not aimed at the interrupt controller lands in RAM), so it
 * sees per vector whether the device sent it.
 * INTx: counted by the platform (uio_pci_generic, or the simulated front).
 * Whatever cannot be observed is said in `why`; checks then skip. */
#ifndef VP_IRQ_H
#define VP_IRQ_H

#include "drv.h"

#define VP_IRQ_MAXVEC 4u /* vectors checked: enough to tell them apart */

typedef struct vp_irq {
    vp_ctx *c;
    vp_dev *d;
    unsigned quiet_ms; /* how long an interrupt that must not come is waited for */
    /* MSI-X aimed at memory */
    bool msix;
    unsigned nvec;         /* vectors aimed at slots */
    volatile uint32_t *slot;
    uint64_t slot_gpa;
    unsigned tbar;         /* table location */
    uint64_t toff;
    uint16_t ctrl;         /* message control as found */
    bool was_enabled;
    /* INTx counted by the platform */
    bool intx;
    uint32_t intx_seen;
} vp_irq;

/* Turns MSI-X on with its first vectors (VP_IRQ_MAXVEC at most) aimed at slots; false (why filled)
 * when the function has no usable MSI-X table. */
bool vp_irq_msix_on(vp_irq *q, vp_ctx *c, vp_dev *d, char *why, size_t whylen);
void vp_irq_msix_off(vp_irq *q);
/* Starts counting INTx (MSI-X must be off); false (why filled) when the
 * platform cannot. */
bool vp_irq_intx_on(vp_irq *q, vp_ctx *c, vp_dev *d, char *why, size_t whylen);
void vp_irq_intx_off(vp_irq *q);

/* Forgets what was seen: slots to 0, INTx re-armed and its count noted. */
void vp_irq_clear(vp_irq *q);
/* What was seen since the last clear: bit v for MSI-X vector v, INTx as bit VP_IRQ_INTX. */
#define VP_IRQ_INTX 31u
/* Waits up to ms for any of want to be seen; returns what was seen. With
 * want 0 it waits the whole time (an interrupt that must not come). */
uint32_t vp_irq_wait(vp_irq *q, uint32_t want, unsigned ms);
/* What a completion raised, once it can no longer come: QEMU writes the
 * used entry and sends its notification under one lock, which a register
 * read waits for; then quiet_ms more for VMMs that deliver later. */
uint32_t vp_irq_settle(vp_irq *q, vp_tp *t);

#endif
