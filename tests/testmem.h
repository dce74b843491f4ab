/* Test guest memory: a few host-allocated regions at chosen guest-physical
 * addresses (with gaps), and a bump allocator of guest addresses in them. */
#ifndef VC_TESTMEM_H
#define VC_TESTMEM_H

#include <stdint.h>

#include "vc/gmem.h"

typedef struct vc_testmem {
    vc_gmem mem;
    void *host[VC_GMEM_MAX_REGIONS];
    uint64_t next; /* bump pointer in region 0 */
} vc_testmem;

/* Region 0: 16 MiB at 0x100000. Region 1: 1 MiB at 0x40000000 (a gap in
 * between, for tests that straddle). */
#define VC_TESTMEM_R0 0x100000ull
#define VC_TESTMEM_R0_SIZE (16ull << 20)
#define VC_TESTMEM_R1 0x40000000ull
#define VC_TESTMEM_R1_SIZE (1ull << 20)

void vc_testmem_init(vc_testmem *t);
void vc_testmem_free(vc_testmem *t);
/* Allocates len bytes aligned to align (power of two) in region 0, zeroed. */
uint64_t vc_testmem_alloc(vc_testmem *t, uint64_t len, uint64_t align);

#endif
