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
    unsigned nwords;      /* of a page set: one bit per 4 KiB page of the memfd */
    uint64_t *nz;         /* snapshot pages that may hold non-zero bytes */
} vh_mirror;

typedef void (*vh_mirror_fn)(void *ctx, uint64_t gpa, const uint8_t *bytes, uint64_t len);

/* Both copies must hold the same bytes now (fresh memory: all zero). */
bool vh_mirror_init(vh_mirror *m, const vc_gmem *exec, vu_guest_mem *shared);
void vh_mirror_free(vh_mirror *m);
/* Page sets (nwords words each, from vh_mirror_set_new): a comparison
 * limited to the pages in a set costs what those pages cost, where a whole
 * one costs some 60 us per MiB. */
uint64_t *vh_mirror_set_new(const vh_mirror *m);
/* Adds the pages [gpa, gpa+len) touches (in any region) to set. */
void vh_mirror_mark(const vh_mirror *m, uint64_t *set, uint64_t gpa, uint64_t len);
/* The page of the memfd at byte offset off is in set. */
static inline bool vh_mirror_has(const uint64_t *set, uint64_t off)
{
    return set[off >> 18] >> ((off >> 12) & 63) & 1;
}

/* The driver's changes since the last exchange go into the shared copy;
 * fn (may be NULL) hears of each run of them. */
void vh_mirror_push(vh_mirror *m, vh_mirror_fn fn, void *ctx);
/* The back-end's changes since the last exchange: each run of changed bytes
 * goes to fn and into the snapshot; with fn NULL they are undone in the
 * shared copy instead. Returns the bytes that had changed. */
uint64_t vh_mirror_pull(vh_mirror *m, vh_mirror_fn fn, void *ctx);
/* The same, over the pages in set only (NULL: all). */
void vh_mirror_push_pages(vh_mirror *m, const uint64_t *set, vh_mirror_fn fn, void *ctx);
uint64_t vh_mirror_pull_pages(vh_mirror *m, const uint64_t *set, vh_mirror_fn fn, void *ctx);
/* The back-end's changes anywhere: each run goes to fn (may be NULL), then
 * is undone in the shared copy. Returns the bytes that had changed. */
uint64_t vh_mirror_undo(vh_mirror *m, vh_mirror_fn fn, void *ctx);
/* The snapshot's bytes at [gpa, gpa+len) (in one region), or NULL. */
uint8_t *vh_mirror_snap_at(const vh_mirror *m, uint64_t gpa, uint64_t len);
/* Writes bytes into the shared copy and the snapshot, after a release
 * fence: for the words that publish a ring's contents, written last. */
void vh_mirror_put(vh_mirror *m, uint64_t gpa, const void *src, uint64_t len);
/* Forgets the snapshot pages that went back to zero (cheaper to compare). */
void vh_mirror_trim(vh_mirror *m);

#endif
