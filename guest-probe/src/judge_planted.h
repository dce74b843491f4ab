/* Requests that break a driver rule on purpose (a semantics check asking
 * how the device answers a driver error) under the reference device's own
 * judge (--sim): the rules they break are expected, every other fault the
 * judge saw is a failure of the probe's driver. Real PCI has no judge:
 * nothing is reported there. */
#ifndef VP_JUDGE_PLANTED_H
#define VP_JUDGE_PLANTED_H

#include "drv.h"

/* Reports, as judge.driver failures, the faults seen so far that are not
 * in codes (n of them); returns how many were (0 without a judge). */
unsigned vp_judge_planted(vp_drv *v, const char *const *codes, unsigned n);

#endif
