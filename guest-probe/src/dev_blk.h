/* Block device semantics checks (dev_blk_sem.c), run by the round-trip
 * (dev_blk.c) once per interface. */
#ifndef VP_DEV_BLK_H
#define VP_DEV_BLK_H

#include "drv.h"

/* On a running session (queue 0 set up, DRIVER_OK), cap the capacity. */
void vp_blk_semantics(vp_drv *v, uint64_t cap);

#endif
