/* Guest-driver certification: the kernel's own virtio drivers per mode. */
#ifndef VP_KDRV_H
#define VP_KDRV_H

#include "probe.h"

#define VP_KDRV_CONSOLE_MARK "vconform-console-ok"

/* Loads every .ko in dir in name order (the runner numbers them by dependency). */
void vp_kdrv_load(vp_report *r, const char *dir, bool force_legacy);
/* Binding, chosen interface and one real operation for one function. */
void vp_kdrv_check(vp_ctx *c, vp_dev *d, bool force_legacy);

/* net: checksum-offload and TSO packets through the driver where it took
 * CSUM (kdrv_offload.c); the device side judges the headers it writes. */
void vp_kdrv_net_offload(vp_report *r, const char *ifname, unsigned tmo);

#endif
