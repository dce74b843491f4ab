/* Asking the runner (or the simulated platform) to act on a device from the
 * host side: resize a disk, change a link, inject input events, poll
 * balloon statistics, plug a disk. The results
 * channel is one-way: the probe writes a note record and watches the device
 * for the effect, bounded (PROTOCOL.md, "Configuration changes on request"). */
#ifndef VP_DEV_NOTE_H
#define VP_DEV_NOTE_H

#include <stdbool.h>

#include "probe.h"

/* true when the note was written (a runner may answer), false when nobody
 * can: no --config-change, or a platform that does not know want (then the
 * caller skips at once instead of waiting). */
bool vp_note_ask(vp_ctx *c, vp_dev *d, const char *want);

#endif
