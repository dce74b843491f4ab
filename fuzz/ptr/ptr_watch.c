/* The instrumentation callbacks. Built without instrumentation itself (it
 * is harness code), and cheap when the address is not guest memory: the
 * region table has at most VC_GMEM_MAX_REGIONS entries. */
#include "ptr_watch.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const vc_gmem *watched;
static uintptr_t span_lo, span_hi; /* the host addresses all regions lie within */

void vc_ptr_watch(const vc_gmem *m)
{
    watched = m && m->observer ? m : NULL;
    span_lo = UINTPTR_MAX;
    span_hi = 0;
    for (unsigned i = 0; watched && i < m->nregions; i++) {
        uintptr_t base = (uintptr_t)m->region[i].host;
        span_lo = base < span_lo ? base : span_lo;
        span_hi = base + m->region[i].size > span_hi ? base + m->region[i].size : span_hi;
    }
}

/* Reports the part of [p, p+n) that lies in each region (an access may
 * straddle two regions), at its guest address. */
static void note(const void *p, size_t n, bool is_write)
{
    const vc_gmem *m = watched;
    uintptr_t lo = (uintptr_t)p, hi = lo + n;
    if (!m || hi <= span_lo || lo >= span_hi) /* the backend's own stack and heap: most accesses */
        return;
    for (unsigned i = 0; i < m->nregions; i++) {
        const vc_gmem_region *r = &m->region[i];
        uintptr_t base = (uintptr_t)r->host, end = base + r->size;
        uintptr_t a = lo > base ? lo : base, z = hi < end ? hi : end;
        if (a < z)
            vc_gmem_note(m, r->gpa + (a - base), z - a, is_write);
    }
}

#define LOADSTORE(bits, bytes)                                       \
    void __sanitizer_cov_load##bits(void *p);                        \
    void __sanitizer_cov_store##bits(void *p);                       \
    void __sanitizer_cov_load##bits(void *p) { note(p, bytes, false); } \
    void __sanitizer_cov_store##bits(void *p) { note(p, bytes, true); }
LOADSTORE(1, 1)
LOADSTORE(2, 2)
LOADSTORE(4, 4)
LOADSTORE(8, 8)
LOADSTORE(16, 16)

void *vc_ptr_memcpy(void *dst, const void *src, size_t n)
{
    note(src, n, false);
    note(dst, n, true);
    return memcpy(dst, src, n);
}

void *vc_ptr_memmove(void *dst, const void *src, size_t n)
{
    note(src, n, false);
    note(dst, n, true);
    return memmove(dst, src, n);
}

void *vc_ptr_memset(void *dst, int c, size_t n)
{
    note(dst, n, true);
    return memset(dst, c, n);
}
