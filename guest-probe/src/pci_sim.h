/* Simulated PCI front over the reference device: the probe runs in-process
 * against it (tests, and `vconform-probe --sim`). */
#ifndef VP_PCI_SIM_H
#define VP_PCI_SIM_H

#include "pci_if.h"

/* spec: comma-separated functions "type:mode[:fault]...", mode legacy,
 * transitional or modern. Two suffixes set up a conforming device the
 * probe must not blame:
 *   detached     no backend: scsi without a disk (BAD_TARGET everywhere),
 *                console without ports (no PORT_ADD), net without a peer
 *                (transmitted frames never come back)
 *   bridgeoff    behind a bridge whose windows hold the BARs but whose
 *                decoding is off (the probe turns it on)
 * Faults make the device or its machine misbehave on purpose:
 *   bridgenowin  behind a bridge with decoding off and every window at 0
 *                (unprogrammed: a setup error, not a device violation)
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
 * and three a scenario replay (--scenarios) must catch:
 *   descwrite    the ring walk writes into each split descriptor it reads
 *   silentreset  NEEDS_RESET without the configuration change bit in ISR
 *   wedge        after NEEDS_RESET no queue is served again, even after a reset
 * NULL with err filled on a bad spec. */
vp_platform *vp_sim_open(const char *spec, char *err, size_t errlen);

#endif
