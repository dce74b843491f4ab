/* The probe's in-process platform over the reference device's PCI front
 * (refdev/pci_front.h): tests, and `vconform-probe --sim`. */
#ifndef VP_PCI_SIM_H
#define VP_PCI_SIM_H

#include "pci_if.h"

/* spec: comma-separated functions "type:mode[:fault]...", mode legacy,
 * transitional or modern; the faults (and the two suffixes that set up a
 * conforming device the probe must not blame, detached and bridgeoff) are
 * the front's, listed in refdev/include/refdev/pci_front.h.
 * NULL with err filled on a bad spec. */
vp_platform *vp_sim_open(const char *spec, char *err, size_t errlen);

#endif
