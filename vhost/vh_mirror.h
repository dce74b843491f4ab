/* The executor's guest memory mirrored into the memfd a back-end maps.
 *
 * Three copies: the executor's (the driver's truth, written by the driver
 * side and by whatever we accept from the back-end), the shared one (what
 * the back-end sees and writes), and a snapshot of the shared one as it was
 * after our last exchange. Comparing the executor's copy with the snapshot
 * gives the driver's changes; comparing the shared copy with it gives the
 * back-end's. Compared 4 KiB at a time (some 20 us per MiB). */
#ifndef VH_MIRROR_H
#define VH_MIRROR_H

#include <stdint.h>

#include "vc/gmem.h"
#include "vu_mem.h"

typedef struct vh_mirror {
    const vc_gmem *exec;
    vu_guest_mem *shared; /* laid out as exec's regions, in the same order */
    uint8_t *snap;        /* the shared memory's bytes after the last exchange */
} vh_mirror;

typedef void (*vh_mirror_fn)(void *ctx, uint64_t gpa, const uint8_t *bytes, uint64_t len);

/* Both copies must hold the same bytes now (fresh memory: all zero). */
bool vh_mirror_init(vh_mirror *m, const vc_gmem *exec, vu_guest_mem *shared);
void vh_mirror_free(vh_mirror *m);
/* The driver's changes since the last exchange go into the shared copy;
 * fn (may be NULL) hears of each run of them. */
void vh_mirror_push(vh_mirror *m, vh_mirror_fn fn, void *ctx);
/* The back-end's changes since the last exchange: each run of changed bytes
 * goes to fn and into the snapshot; with fn NULL they are undone in the
 * shared copy instead. Returns the bytes that had changed. */
uint64_t vh_mirror_pull(vh_mirror *m, vh_mirror_fn fn, void *ctx);

#endif
