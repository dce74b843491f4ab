/* Guest memory a vhost-user back-end can map: one memfd holding every
 * region one after the other, mapped here once. The regions keep the guest
 * addresses they are given (the scenario's map, fuzz/scenario.h), and the
 * user addresses we tell the back-end are where this process mapped them. */
#ifndef VU_MEM_H
#define VU_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/gmem.h"
#include "vu_msg.h"

typedef struct vu_guest_mem {
    int fd;
    uint8_t *base; /* the whole memfd, mapped shared */
    uint64_t bytes;
    unsigned n;
    vu_region r[VU_MAX_REGIONS]; /* gpa, size, uva (in this process), offset in the memfd */
    vc_gmem view;                /* the same memory, for our own reads and writes (no observer) */
} vu_guest_mem;

/* Lays out n regions (gpa and size each, sorted, not overlapping). */
bool vu_mem_create(vu_guest_mem *m, const uint64_t (*layout)[2], unsigned n);
void vu_mem_destroy(vu_guest_mem *m);
/* User address of [gpa, gpa+len) when it lies in one region, else 0. */
uint64_t vu_mem_uva(const vu_guest_mem *m, uint64_t gpa, uint64_t len);
/* Host pointer of a region's first byte. */
static inline uint8_t *vu_mem_host(const vu_guest_mem *m, unsigned i)
{
    return m->base + m->r[i].mmap_offset;
}

#endif
