/* Shared guest memory in one memfd (see vu_mem.h). */
#define _GNU_SOURCE
#include "vu_mem.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

bool vu_mem_create(vu_guest_mem *m, const uint64_t (*layout)[2], unsigned n)
{
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    if (n == 0 || n > VU_MAX_REGIONS)
        return false;
    uint64_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        /* page-aligned offsets: a back-end may map each region on its own */
        uint64_t size = (layout[i][1] + 4095) & ~4095ull;
        if (size < layout[i][1] || off + size < off)
            return false;
        m->r[i] = (vu_region){ .gpa = layout[i][0], .size = layout[i][1], .mmap_offset = off };
        off += size;
    }
    m->n = n;
    m->bytes = off;
    m->fd = memfd_create("vconform-guest", MFD_CLOEXEC);
    if (m->fd < 0 || ftruncate(m->fd, (off_t)off) != 0)
        goto fail;
    void *p = mmap(NULL, off, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (p == MAP_FAILED)
        goto fail;
    m->base = p;
    vc_gmem_init(&m->view);
    for (unsigned i = 0; i < n; i++) {
        m->r[i].uva = (uint64_t)(uintptr_t)vu_mem_host(m, i);
        if (!vc_gmem_add(&m->view, m->r[i].gpa, m->r[i].size, vu_mem_host(m, i)))
            goto fail;
    }
    return true;
fail:
    vu_mem_destroy(m);
    return false;
}

void vu_mem_destroy(vu_guest_mem *m)
{
    if (m->base)
        munmap(m->base, m->bytes);
    if (m->fd >= 0)
        close(m->fd);
    m->base = NULL;
    m->fd = -1;
    m->n = 0;
}

uint64_t vu_mem_uva(const vu_guest_mem *m, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < m->n; i++) {
        const vu_region *r = &m->r[i];
        if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
            return r->uva + (gpa - r->gpa);
    }
    return 0;
}
