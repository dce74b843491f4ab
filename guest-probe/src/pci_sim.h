/* Simulated PCI front over the reference device: the probe runs in-process
 * against it (tests, and `vconform-probe --sim`). */
#ifndef VP_PCI_SIM_H
#define VP_PCI_SIM_H

#include "pci_if.h"

/* spec: comma-separated functions "type:mode[:fault]...", mode legacy,
 * transitional or modern. Faults make the device misbehave on purpose:
 *   mult3        notify_off_multiplier 3
 *   rev0         modern id with revision 0
 *   noisr        no ISR capability
 *   caploop      capability list loops back on itself
 *   capbar       common structure placed past the end of its BAR
 *   stuck        reset never completes (status keeps reading non-zero)
 *   mute         notifications are ignored (requests never complete)
 *   isrsticky    reading ISR does not clear it
 *   badwindow    the PCI config access window returns wrong bytes
 *   garbage      blk reads return 0xff instead of the disk contents
 * NULL with err filled on a bad spec. */
vp_platform *vp_sim_open(const char *spec, char *err, size_t errlen);

#endif
