/* Guest memory mapped from the front-end's fds (see vd_mem.h). */
#define _GNU_SOURCE
#include "vd_mem.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

void vd_mem_init(vd_mem *m)
{
    memset(m, 0, sizeof(*m));
    vc_gmem_init(&m->gmem);
}

void vd_mem_clear(vd_mem *m)
{
    for (unsigned i = 0; i < m->n; i++)
        if (m->r[i].map)
            munmap(m->r[i].map, m->r[i].map_len);
    m->n = 0;
    vc_gmem_init(&m->gmem);
}

/* Maps one region; the file must hold all of it, or a read past its end
 * would be SIGBUS instead of a refused access. */
static bool map_region(vd_region *r, const vu_region *t, int fd, char *why, size_t cap)
{
    struct stat st;
    uint64_t end = t->mmap_offset + t->size; /* no wrap: the decoder checked */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, cap, "region at gpa 0x%llx: fd is not a file that can be mapped",
                 (unsigned long long)t->gpa);
        return false;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size < end || end > SIZE_MAX) {
        snprintf(why, cap, "region at gpa 0x%llx: %llu bytes from offset %llu, the fd holds %lld",
                 (unsigned long long)t->gpa, (unsigned long long)t->size,
                 (unsigned long long)t->mmap_offset, (long long)st.st_size);
        return false;
    }
    void *p = mmap(NULL, (size_t)end, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(why, cap, "region at gpa 0x%llx: mmap failed", (unsigned long long)t->gpa);
        return false;
    }
    *r = (vd_region){ .gpa = t->gpa, .size = t->size, .uva = t->uva, .map = p, .map_len = (size_t)end };
    return true;
}

bool vd_mem_set(vd_mem *m, const vu_mem *t, const int *fds, char *why, size_t cap)
{
    vd_mem_clear(m);
    for (unsigned i = 0; i < t->nregions && i < VU_MAX_REGIONS; i++) {
        vd_region *r = &m->r[m->n];
        if (!map_region(r, &t->region[i], fds[i], why, cap))
            goto fail;
        m->n++;
        if (!vc_gmem_add(&m->gmem, r->gpa, r->size, (uint8_t *)r->map + t->region[i].mmap_offset)) {
            snprintf(why, cap, "region at gpa 0x%llx overlaps another or does not fit the table",
                     (unsigned long long)r->gpa);
            goto fail;
        }
    }
    return true;
fail:
    vd_mem_clear(m);
    return false;
}

bool vd_mem_gpa(const vd_mem *m, uint64_t uva, uint64_t len, uint64_t *gpa)
{
    for (unsigned i = 0; i < m->n; i++) {
        const vd_region *r = &m->r[i];
        if (uva >= r->uva && uva - r->uva <= r->size && len <= r->size - (uva - r->uva)) {
            *gpa = r->gpa + (uva - r->uva);
            return true;
        }
    }
    return false;
}
