/* INTx counted by the kernel's uio_pci_generic: the one interrupt driver the
 * Debian cloud kernel ships that works without an IOMMU (its vfio has no
 * no-IOMMU mode, so no MSI-X eventfds). */
#ifndef VP_IRQ_UIO_H
#define VP_IRQ_UIO_H

#include "pci_if.h"
#include "report.h"

/* Loads the *.ko files of dir in name order (uio, then uio_pci_generic);
 * records one info check, or an error naming the module that failed. */
void vp_uio_load(vp_report *r, const char *dir);

extern const vp_intx_ops vp_uio_intx;

#endif
