#include "vc/gmem.h"

#include <endian.h>
#include <string.h>

void vc_gmem_init(vc_gmem *m)
{
    memset(m, 0, sizeof(*m));
}

bool vc_gmem_add(vc_gmem *m, uint64_t gpa, uint64_t size, void *host)
{
    if (size == 0 || host == NULL || m->nregions >= VC_GMEM_MAX_REGIONS)
        return false;
    if (gpa + size < gpa && gpa + size != 0) /* wraps past 2^64 (ending exactly at 2^64 is fine) */
        return false;
    uint64_t last = gpa + size - 1;
    unsigned pos = 0;
    for (unsigned i = 0; i < m->nregions; i++) {
        const vc_gmem_region *r = &m->region[i];
        uint64_t rlast = r->gpa + r->size - 1;
        if (gpa <= rlast && r->gpa <= last)
            return false; /* overlap */
        if (r->gpa < gpa)
            pos = i + 1;
    }
    memmove(&m->region[pos + 1], &m->region[pos], (m->nregions - pos) * sizeof(m->region[0]));
    m->region[pos] = (vc_gmem_region){ .gpa = gpa, .size = size, .host = host };
    m->nregions++;
    return true;
}

/* Region containing gpa, or NULL. */
static const vc_gmem_region *find(const vc_gmem *m, uint64_t gpa)
{
    for (unsigned i = 0; i < m->nregions; i++) {
        const vc_gmem_region *r = &m->region[i];
        if (gpa >= r->gpa && gpa - r->gpa < r->size)
            return r;
    }
    return NULL;
}

bool vc_gmem_valid(const vc_gmem *m, uint64_t gpa, uint64_t len)
{
    if (len == 0)
        return find(m, gpa) != NULL || (gpa > 0 && find(m, gpa - 1) != NULL);
    if (gpa + len - 1 < gpa)
        return false; /* wraps */
    while (len > 0) {
        const vc_gmem_region *r = find(m, gpa);
        if (!r)
            return false;
        uint64_t avail = r->size - (gpa - r->gpa);
        if (avail >= len)
            return true;
        len -= avail;
        gpa += avail; /* next byte must start an adjacent region */
    }
    return true;
}

/* Copies between host buffer and guest range, region by region. The whole
 * range is validated first so a failing access has no partial effect. */
static bool xfer(const vc_gmem *m, uint64_t gpa, uint8_t *buf, uint64_t len, bool to_guest)
{
    /* common case first: the range lies inside one region */
    const vc_gmem_region *one = find(m, gpa);
    if (one && len > 0 && len <= one->size - (gpa - one->gpa)) {
        uint8_t *host = one->host + (gpa - one->gpa);
        if (len == 16) /* a descriptor: a fixed-size copy, not a library call */
            memcpy(to_guest ? host : buf, to_guest ? buf : host, 16);
        else if (to_guest)
            memcpy(host, buf, len);
        else
            memcpy(buf, host, len);
        if (m->observer)
            m->observer(m->observer_opaque, gpa, len, to_guest);
        return true;
    }
    if (!vc_gmem_valid(m, gpa, len))
        return false;
    uint64_t g = gpa, left = len;
    while (left > 0) {
        const vc_gmem_region *r = find(m, g);
        uint64_t off = g - r->gpa;
        uint64_t n = r->size - off < left ? r->size - off : left;
        if (to_guest)
            memcpy(r->host + off, buf, n);
        else
            memcpy(buf, r->host + off, n);
        buf += n;
        g += n;
        left -= n;
    }
    if (m->observer && len > 0)
        m->observer(m->observer_opaque, gpa, len, to_guest);
    return true;
}

bool vc_gmem_read(const vc_gmem *m, uint64_t gpa, void *dst, uint64_t len)
{
    return xfer(m, gpa, dst, len, false);
}

bool vc_gmem_write(const vc_gmem *m, uint64_t gpa, const void *src, uint64_t len)
{
    return xfer(m, gpa, (uint8_t *)src, len, true);
}

bool vc_gmem_fill(const vc_gmem *m, uint64_t gpa, uint8_t byte, uint64_t len)
{
    if (!vc_gmem_valid(m, gpa, len))
        return false;
    uint64_t g = gpa, left = len;
    while (left > 0) {
        const vc_gmem_region *r = find(m, g);
        uint64_t off = g - r->gpa;
        uint64_t n = r->size - off < left ? r->size - off : left;
        memset(r->host + off, byte, n);
        g += n;
        left -= n;
    }
    if (m->observer && len > 0)
        m->observer(m->observer_opaque, gpa, len, true);
    return true;
}

/* Scalars: a fixed-size copy when the value lies in one region (the hot
 * path of every ring access), the general transfer otherwise. */
#define LD(bits)                                                                  \
    bool vc_gmem_ld##bits(const vc_gmem *m, uint64_t gpa, uint##bits##_t *v)      \
    {                                                                             \
        uint##bits##_t raw;                                                       \
        const vc_gmem_region *r = find(m, gpa);                                   \
        if (r && sizeof(raw) <= r->size - (gpa - r->gpa)) {                       \
            memcpy(&raw, r->host + (gpa - r->gpa), sizeof(raw));                  \
            if (m->observer)                                                      \
                m->observer(m->observer_opaque, gpa, sizeof(raw), false);         \
            *v = le##bits##toh(raw);                                              \
            return true;                                                          \
        }                                                                         \
        if (!vc_gmem_read(m, gpa, &raw, sizeof(raw))) {                           \
            *v = 0;                                                               \
            return false;                                                         \
        }                                                                         \
        *v = le##bits##toh(raw);                                                  \
        return true;                                                              \
    }                                                                             \
    bool vc_gmem_st##bits(const vc_gmem *m, uint64_t gpa, uint##bits##_t v)       \
    {                                                                             \
        uint##bits##_t raw = htole##bits(v);                                      \
        const vc_gmem_region *r = find(m, gpa);                                   \
        if (r && sizeof(raw) <= r->size - (gpa - r->gpa)) {                       \
            memcpy(r->host + (gpa - r->gpa), &raw, sizeof(raw));                  \
            if (m->observer)                                                      \
                m->observer(m->observer_opaque, gpa, sizeof(raw), true);          \
            return true;                                                          \
        }                                                                         \
        return vc_gmem_write(m, gpa, &raw, sizeof(raw));                          \
    }
LD(16)
LD(32)
LD(64)
#undef LD

bool vc_gmem_ld16_acquire(const vc_gmem *m, uint64_t gpa, uint16_t *v)
{
    bool ok = vc_gmem_ld16(m, gpa, v);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return ok;
}

bool vc_gmem_st16_release(const vc_gmem *m, uint64_t gpa, uint16_t v)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
    return vc_gmem_st16(m, gpa, v);
}

void *vc_gmem_host_ptr(const vc_gmem *m, uint64_t gpa, uint64_t len)
{
    const vc_gmem_region *r = find(m, gpa);
    if (!r || len > r->size - (gpa - r->gpa))
        return NULL;
    return r->host + (gpa - r->gpa);
}

bool vc_gmem_gpa_of(const vc_gmem *m, const void *host, uint64_t *gpa)
{
    uintptr_t h = (uintptr_t)host;
    for (unsigned i = 0; i < m->nregions; i++) {
        uintptr_t base = (uintptr_t)m->region[i].host;
        if (h >= base && h - base < m->region[i].size) {
            *gpa = m->region[i].gpa + (h - base);
            return true;
        }
    }
    return false;
}

void vc_gmem_note(const vc_gmem *m, uint64_t gpa, uint64_t len, bool is_write)
{
    if (m->observer && len > 0)
        m->observer(m->observer_opaque, gpa, len, is_write);
}
