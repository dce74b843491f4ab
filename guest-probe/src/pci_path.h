/* The bridges on the way to a function: firmware may leave them with
 * decoding off (qboot does), and then every BAR access behind them is lost.
 * That is a setup problem of the machine, never a device violation. */
#ifndef VP_PCI_PATH_H
#define VP_PCI_PATH_H

#include "pci_if.h"

typedef enum vp_path {
    VP_PATH_DIRECT,  /* no bridge in the way */
    VP_PATH_READY,   /* every bridge already forwards the BARs and DMA */
    VP_PATH_ENABLED, /* the probe turned decoding or bus mastering on */
    VP_PATH_BROKEN,  /* a bridge window does not hold a BAR: cannot be fixed safely */
} vp_path;

/* Turns on memory and I/O decoding (for the spaces f's BARs use) and bus
 * mastering on every bridge from the root bus to f, but only when each
 * bridge's windows hold f's BARs; detail says what was found or done. */
vp_path vp_path_enable(vp_fn *f, char *detail, size_t n);

#endif
