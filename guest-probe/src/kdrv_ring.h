/* The kernel's virtio_net rings resized through per-queue resets (kdrv_ring.c). */
#ifndef VP_KDRV_RING_H
#define VP_KDRV_RING_H

#include "probe.h"

/* Halves the rx and tx rings of the virtio_net interface under vdir (its
 * virtioN folder) and restores them (SIOCETHTOOL), when the driver
 * negotiated VIRTIO_F_RING_RESET; check kdrv.op.net.ring. up_if: the
 * interface the net operation brought up (the net_failover master with
 * STANDBY), named when none is found. Bounded by twice timeout_ms. */
void vp_kdrv_ring_resize(vp_report *r, const char *vdir, const char *up_if, unsigned timeout_ms);

#endif
