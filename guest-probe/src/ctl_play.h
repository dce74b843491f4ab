/* Control-plane sequences (fuzz/ctl_seq.h) played against a device through
 * the probe's narrow PCI interface: named registers resolve to the modern
 * common configuration or to the legacy I/O registers, raw accesses go to
 * the structure they name (or through the pci_cfg window), and every read
 * with an expectation is judged. After each sequence, a reset and one
 * known-good request (replay_dev.h): a device that fails it is wedged.
 *
 * Safety: a sequence never points the device at memory outside the probe's
 * arena. Ring addresses are offsets into the player's ring area; a raw write
 * that would reach a ring address register, queue_enable, the MSI-X table,
 * or PCI config space outside the virtio capabilities is refused (the
 * sequence is skipped with the reason), and a queue is only enabled or
 * notified when the rings the device holds for it lie inside the arena.
 *
 * Verdicts per sequence: conforms (every expectation held, the device still
 * answers), violates (the requirement of the first expectation that did not
 * hold), wedged, or skipped with the reason. */
#ifndef VP_CTL_PLAY_H
#define VP_CTL_PLAY_H

#include <stdbool.h>

#include "probe.h"
#include "transport.h"

/* Whether list entry name/path is a control-plane sequence rather than a
 * chain scenario: named *.ctl, or text whose first word is "ctl". */
bool vp_ctl_is_seq(const char *name, const char *path);
/* Plays one sequence file on device d (tm/tl: its modern and legacy
 * interfaces, NULL when absent) and reports its verdict; returns true when
 * the device is wedged afterwards. */
bool vp_ctl_play_file(vp_ctx *c, vp_dev *d, vp_tp *tm, vp_tp *tl, const char *name, const char *path);

#endif
