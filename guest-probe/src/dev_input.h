/* The input test's shared pieces, for the range and batch checks beside it. */
#ifndef VP_DEV_INPUT_H
#define VP_DEV_INPUT_H

#include "checks.h"

enum { VP_INPUT_Q_EVENT = 0, VP_INPUT_Q_STATUS = 1 };

/* Selects sel/subsel, returns size and copies up to 128 bytes of the union into u. */
unsigned vp_input_query(vp_drv *v, uint8_t sel, uint8_t sub, uint8_t *u);

/* dev_input_abs.c: each absolute axis's ABS_INFO (range, fuzz, flat,
 * resolution), and size 0 for an axis the device lacks. */
void vp_input_abs_ranges(vp_drv *v);
/* dev_input_abs.c: updates the runner injects (QMP input-send-event) arrive
 * whole: every event of an update then SYN_REPORT, or none of it when the
 * queue lacks room. After DRIVER_OK, before other event buffers are posted. */
void vp_input_batches(vp_drv *v);

#endif
