/* Balloons met in turn. QEMU allows one balloon per VM, so where several
 * configurations share a VM the runner plugs each next balloon when the
 * probe has done with the one present (PROTOCOL.md, "balloon-swap"). */
#ifndef VP_BALLOON_SWAP_H
#define VP_BALLOON_SWAP_H

#include "probe.h"

#define VP_MAX_SWAPS 16u

/* n times: asks the runner to swap the present balloon for the next, waits
 * (bounded) for it to go and for new virtio functions to appear, and hands
 * each new one to probe(arg, fn). A swap that does not happen is an error
 * record and ends the swaps (the runner gives the balloons left a VM of
 * their own). */
void vp_balloon_swaps(vp_ctx *c, unsigned n, void (*probe)(void *arg, vp_fn *f), void *arg);

#endif
