/* ptr_ring: a small split-ring device backend written the way real ones
 * are (a table of guest memory regions, ring structures reached through
 * host pointers), as the worked example of fuzzing such a backend as it is
 * (README, "Fuzzing a backend that uses plain pointers"). It knows nothing
 * of vconform: the adapter beside it does the plugging in.
 * Built with PR_GMEM defined, the same source reaches guest memory through
 * vc_gmem instead: its twin, whose findings must be the same. */
#ifndef PTR_RING_H
#define PTR_RING_H

#include <stdbool.h>
#include <stdint.h>

#define PR_MAX_REGIONS 8
#define PR_REPLY_MAX 4096u /* bytes a reply writes at most */

typedef struct pr_region { uint64_t gpa, size; uint8_t *hva; } pr_region;

typedef struct pr_buf { uint64_t gpa; uint32_t len; bool write; } pr_buf;

typedef struct pr_elem {
    uint16_t head;
    unsigned nbuf, cap; /* cap: room in buf, the queue size (the longest legal chain) */
    pr_buf *buf;
    uint64_t in_bytes;
} pr_elem;

typedef struct pr_dev {
    pr_region reg[PR_MAX_REGIONS];
    unsigned nreg;
    const void *gmem;  /* PR_GMEM builds: the vc_gmem */
    uint16_t size, last_avail, used_idx;
    bool indirect, broken;
    uint64_t desc, avail, used;
} pr_dev;

/* Why a ring was refused (the backend's own names). */
typedef enum pr_err {
    PR_OK = 0, PR_BAD_MAP, PR_AVAIL_JUMP, PR_BAD_HEAD, PR_BAD_NEXT, PR_LOOP, PR_BAD_INDIRECT,
    PR_ORDER, PR_TOO_LONG
} pr_err;

void pr_init(pr_dev *d, const pr_region *reg, unsigned nreg, const void *gmem);
bool pr_set_queue(pr_dev *d, bool indirect, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used);
/* 1: e holds the next chain; 0: none available; <0: -pr_err, ring refused */
int pr_pop(pr_dev *d, pr_elem *e);
/* Writes up to len bytes of byte into the chain's writable buffers (at most
 * PR_REPLY_MAX) and puts the chain on the used ring with what it wrote. */
void pr_push(pr_dev *d, const pr_elem *e, uint32_t len, uint8_t byte);
const char *pr_err_name(pr_err e);

#endif
