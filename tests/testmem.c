#include "testmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vc_testmem_init(vc_testmem *t)
{
    memset(t, 0, sizeof(*t));
    vc_gmem_init(&t->mem);
    t->host[0] = calloc(1, VC_TESTMEM_R0_SIZE);
    t->host[1] = calloc(1, VC_TESTMEM_R1_SIZE);
    if (!t->host[0] || !t->host[1] ||
        !vc_gmem_add(&t->mem, VC_TESTMEM_R0, VC_TESTMEM_R0_SIZE, t->host[0]) ||
        !vc_gmem_add(&t->mem, VC_TESTMEM_R1, VC_TESTMEM_R1_SIZE, t->host[1])) {
        fprintf(stderr, "testmem: cannot set up guest memory\n");
        exit(2);
    }
    t->next = VC_TESTMEM_R0;
}

void vc_testmem_free(vc_testmem *t)
{
    for (unsigned i = 0; i < VC_GMEM_MAX_REGIONS; i++)
        free(t->host[i]);
    memset(t, 0, sizeof(*t));
}

uint64_t vc_testmem_alloc(vc_testmem *t, uint64_t len, uint64_t align)
{
    uint64_t a = (t->next + align - 1) & ~(align - 1);
    if (a + len > VC_TESTMEM_R0 + VC_TESTMEM_R0_SIZE) {
        fprintf(stderr, "testmem: out of guest memory\n");
        exit(2);
    }
    t->next = a + len;
    vc_gmem_fill(&t->mem, a, 0, len);
    return a;
}
