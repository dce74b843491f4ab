/* Guest memory as the front-end (QEMU) shares it: each region of a
 * SET_MEM_TABLE mapped from its fd, and one vc_gmem over all of them, so
 * the reference device reaches guest-physical addresses only through the
 * library's bounds-checked gate. Ring addresses arrive as the front-end's
 * user addresses; vd_mem_gpa turns them into guest-physical ones. */
#ifndef VD_MEM_H
#define VD_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vc/gmem.h"
#include "vu_msg.h"

typedef struct vd_region {
    uint64_t gpa, size, uva; /* uva: the front-end's address of the first byte */
    void *map;               /* our mapping: offset 0 to mmap_offset + size */
    size_t map_len;
} vd_region;

typedef struct vd_mem {
    unsigned n;
    vd_region r[VU_MAX_REGIONS];
    vc_gmem gmem; /* stays at this address across tables: the device keeps a pointer */
} vd_mem;

void vd_mem_init(vd_mem *m);
/* Replaces the table with t, mapping fds[i] for region i. The fds stay the
 * caller's. false, with the reason in why, when a region is unusable (fd
 * too short, not mappable, overlapping): the memory is then empty. */
bool vd_mem_set(vd_mem *m, const vu_mem *t, const int *fds, char *why, size_t cap);
void vd_mem_clear(vd_mem *m);
/* Guest-physical address of the front-end's [uva, uva+len) when it lies in
 * one region. */
bool vd_mem_gpa(const vd_mem *m, uint64_t uva, uint64_t len, uint64_t *gpa);

#endif
