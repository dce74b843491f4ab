/* Scenario replay against the device itself (vconform-probe --scenarios):
 * each scenario's driver operations are played into the probe's DMA arena
 * (replay_mem.h), the queue is set up through the device's real interface,
 * and every KICK is a real notification. After each kick the probe checks
 * what a guest can see: the used ring (fuzz/usedchk.c, the host oracle's
 * rules, against the chains the verdict oracle fuzz/oracle.c finds valid),
 * writes outside what the device may write, NEEDS_RESET (with its
 * configuration interrupt); after each scenario, a reset and one known-good
 * request (a device that fails it is wedged).
 *
 * Verdicts per scenario: conforms (a forbidden chain refused with
 * NEEDS_RESET or ignored, a valid one used correctly; a device that takes
 * a chain only the driver's rules forbid is noted, not blamed, unless
 * --replay-strict), violates (each finding names a device requirement),
 * wedged, or skipped with the reason. */
#ifndef VP_REPLAY_H
#define VP_REPLAY_H

#include "probe.h"
#include "replay_list.h"

void vp_replay_device(vp_ctx *c, vp_dev *d, const vp_scnlist *l);

#endif
