/* Guest memory: the one bounds-checked way to touch guest-physical addresses.
 *
 * Guest memory is a set of non-overlapping regions (gaps allowed). Every access
 * names a guest-physical address and a length; an access that is not entirely
 * backed by regions (or whose end wraps past 2^64) fails and touches nothing.
 * An access may span regions that are adjacent in guest-physical space.
 * Nothing outside this file does pointer arithmetic on guest addresses.
 */
#ifndef VC_GMEM_H
#define VC_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VC_GMEM_MAX_REGIONS 8

typedef struct vc_gmem_region {
    uint64_t gpa;  /* first guest-physical address */
    uint64_t size; /* bytes, > 0 */
    uint8_t *host; /* host mapping of the first byte */
} vc_gmem_region;

/* Optional observer, called for every successful access (fuzz oracles use it
 * to see exactly which guest bytes a device read or wrote). */
typedef void (*vc_gmem_observer)(void *opaque, uint64_t gpa, uint64_t len, bool is_write);

typedef struct vc_gmem {
    vc_gmem_region region[VC_GMEM_MAX_REGIONS]; /* sorted by gpa */
    unsigned nregions;
    vc_gmem_observer observer;
    void *observer_opaque;
} vc_gmem;

void vc_gmem_init(vc_gmem *m);
/* Adds a region; fails (returns false) on zero size, overflow, overlap or
 * when the table is full. */
bool vc_gmem_add(vc_gmem *m, uint64_t gpa, uint64_t size, void *host);

/* True when [gpa, gpa+len) is fully backed. len 0 is valid anywhere that
 * gpa itself is backed or equals a region end. */
bool vc_gmem_valid(const vc_gmem *m, uint64_t gpa, uint64_t len);

bool vc_gmem_read(const vc_gmem *m, uint64_t gpa, void *dst, uint64_t len);
bool vc_gmem_write(const vc_gmem *m, uint64_t gpa, const void *src, uint64_t len);
bool vc_gmem_fill(const vc_gmem *m, uint64_t gpa, uint8_t byte, uint64_t len);

/* Little-endian scalar access. On failure the out value is zeroed. The
 * 16-bit accessors with acquire/release order are for ring indices and flags
 * shared with a concurrently running peer (a real device or driver). */
bool vc_gmem_ld16(const vc_gmem *m, uint64_t gpa, uint16_t *v);
bool vc_gmem_ld32(const vc_gmem *m, uint64_t gpa, uint32_t *v);
bool vc_gmem_ld64(const vc_gmem *m, uint64_t gpa, uint64_t *v);
bool vc_gmem_st16(const vc_gmem *m, uint64_t gpa, uint16_t v);
bool vc_gmem_st32(const vc_gmem *m, uint64_t gpa, uint32_t v);
bool vc_gmem_st64(const vc_gmem *m, uint64_t gpa, uint64_t v);
bool vc_gmem_ld16_acquire(const vc_gmem *m, uint64_t gpa, uint16_t *v);
bool vc_gmem_st16_release(const vc_gmem *m, uint64_t gpa, uint16_t v);

/* The address map, for backends that reach guest memory through host
 * pointers (fuzz/ptr/): the guest-physical address of a host byte inside a
 * region (false when the byte is in none), and a report of an access such a
 * backend made, for the observer (nothing happens without one). */
bool vc_gmem_gpa_of(const vc_gmem *m, const void *host, uint64_t *gpa);
void vc_gmem_note(const vc_gmem *m, uint64_t gpa, uint64_t len, bool is_write);

/* Host pointer for [gpa, gpa+len) when it lies inside one region, else NULL.
 * For the driver side only (it owns the memory); device code never uses it. */
void *vc_gmem_host_ptr(const vc_gmem *m, uint64_t gpa, uint64_t len);

#endif
