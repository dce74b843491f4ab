/* Guest memory mirror (see vh_mirror.h). */
#include "vh_mirror.h"

#include <stdlib.h>
#include <string.h>

#define PAGE 4096u

bool vh_mirror_init(vh_mirror *m, const vc_gmem *exec, vu_guest_mem *shared)
{
    m->exec = exec;
    m->shared = shared;
    m->snap = calloc(1, shared->bytes);
    m->nwords = (unsigned)((shared->bytes / PAGE + 63) / 64);
    m->nz = calloc(m->nwords, sizeof(uint64_t));
    return m->snap != NULL && m->nz != NULL && exec->nregions == shared->n;
}

uint64_t *vh_mirror_set_new(const vh_mirror *m)
{
    return calloc(m->nwords, sizeof(uint64_t));
}

void vh_mirror_mark(const vh_mirror *m, uint64_t *set, uint64_t gpa, uint64_t len)
{
    if (len == 0)
        return;
    uint64_t end = gpa + len < gpa ? UINT64_MAX : gpa + len;
    for (unsigned i = 0; i < m->shared->n; i++) {
        const vu_region *r = &m->shared->r[i];
        uint64_t lo = gpa > r->gpa ? gpa : r->gpa, hi = end < r->gpa + r->size ? end : r->gpa + r->size;
        if (lo >= hi)
            continue;
        for (uint64_t p = (r->mmap_offset + lo - r->gpa) / PAGE; p <= (r->mmap_offset + hi - 1 - r->gpa) / PAGE; p++)
            set[p / 64] |= 1ull << (p % 64);
    }
}

void vh_mirror_free(vh_mirror *m)
{
    free(m->snap);
    free(m->nz);
    m->snap = NULL;
    m->nz = NULL;
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* No byte of x is zero (the bytes it was xored from all differ). */
static bool no_zero_byte(uint64_t x)
{
    return !((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull);
}

/* Calls back for each run of bytes where a and b differ inside one page
 * (equal words are passed over a word at a time, and so are words that
 * differ in every byte: a buffer the driver filled is one long run). */
static void runs(const uint8_t *a, const uint8_t *b, uint64_t n, void (*fn)(void *, uint64_t, uint64_t),
                 void *ctx)
{
    uint64_t i = 0;
    while (i < n) {
        while (i + 8 <= n && load64(a + i) == load64(b + i))
            i += 8;
        while (i < n && a[i] == b[i])
            i++;
        if (i >= n)
            break;
        uint64_t start = i;
        while (i + 8 <= n && no_zero_byte(load64(a + i) ^ load64(b + i)))
            i += 8;
        while (i < n && a[i] != b[i])
            i++;
        fn(ctx, start, i - start);
    }
}

static const uint8_t zero_page[PAGE];

static void mark_nz(vh_mirror *m, uint64_t off)
{
    m->nz[off >> 18] |= 1ull << ((off >> 12) & 63);
}

typedef struct walk {
    vh_mirror *m;
    unsigned region;
    uint64_t base;      /* offset of the region in the memfd */
    uint64_t page;      /* offset of the page in the region */
    const uint8_t *e;   /* executor's copy of the region */
    uint8_t *s, *snap;  /* shared copy and snapshot of the region */
    vh_mirror_fn fn;
    void *ctx;
    bool undo; /* pull: fn hears of the change, then it is undone */
    uint64_t changed;
} walk;

static void push_run(void *ctx, uint64_t at, uint64_t len)
{
    walk *w = ctx;
    uint64_t o = w->page + at;
    memcpy(w->s + o, w->e + o, len);
    memcpy(w->snap + o, w->e + o, len);
    mark_nz(w->m, w->base + o);
    if (w->fn)
        w->fn(w->ctx, w->m->shared->r[w->region].gpa + o, w->e + o, len);
}

static void pull_run(void *ctx, uint64_t at, uint64_t len)
{
    walk *w = ctx;
    uint64_t o = w->page + at;
    w->changed += len;
    if (!w->fn || w->undo) {
        if (w->fn)
            w->fn(w->ctx, w->m->shared->r[w->region].gpa + o, w->s + o, len);
        memcpy(w->s + o, w->snap + o, len);
        return;
    }
    uint8_t bytes[PAGE]; /* one reading of bytes the back-end may still be changing */
    memcpy(bytes, w->s + o, len);
    memcpy(w->snap + o, bytes, len);
    mark_nz(w->m, w->base + o);
    w->fn(w->ctx, w->m->shared->r[w->region].gpa + o, bytes, len);
}

static uint64_t each_page(vh_mirror *m, const uint64_t *set, bool push, vh_mirror_fn fn, void *ctx, bool undo)
{
    walk w = { .m = m, .fn = fn, .ctx = ctx, .undo = undo };
    for (unsigned i = 0; i < m->shared->n; i++) {
        const vu_region *r = &m->shared->r[i];
        w.region = i;
        w.base = r->mmap_offset;
        w.e = m->exec->region[i].host;
        w.s = vu_mem_host(m->shared, i);
        w.snap = m->snap + r->mmap_offset;
        const uint8_t *other = push ? w.e : w.s;
        for (w.page = 0; w.page < r->size; w.page += PAGE) {
            if (set && !vh_mirror_has(set, r->mmap_offset + w.page))
                continue;
            uint64_t n = r->size - w.page < PAGE ? r->size - w.page : PAGE;
            /* a snapshot page known to be zero: one stream to read, not two */
            const uint8_t *was = push || vh_mirror_has(m->nz, r->mmap_offset + w.page) ? w.snap + w.page : zero_page;
            if (memcmp(other + w.page, was, n) != 0)
                runs(other + w.page, w.snap + w.page, n, push ? push_run : pull_run, &w);
        }
    }
    return w.changed;
}

void vh_mirror_push(vh_mirror *m, vh_mirror_fn fn, void *ctx)
{
    each_page(m, NULL, true, fn, ctx, false);
}

uint64_t vh_mirror_pull(vh_mirror *m, vh_mirror_fn fn, void *ctx)
{
    return each_page(m, NULL, false, fn, ctx, false);
}

void vh_mirror_push_pages(vh_mirror *m, const uint64_t *set, vh_mirror_fn fn, void *ctx)
{
    each_page(m, set, true, fn, ctx, false);
}

uint64_t vh_mirror_pull_pages(vh_mirror *m, const uint64_t *set, vh_mirror_fn fn, void *ctx)
{
    return each_page(m, set, false, fn, ctx, false);
}

uint64_t vh_mirror_undo(vh_mirror *m, vh_mirror_fn fn, void *ctx)
{
    return each_page(m, NULL, false, fn, ctx, true);
}

void vh_mirror_trim(vh_mirror *m)
{
    for (uint64_t p = 0; p < m->shared->bytes / PAGE; p++)
        if (vh_mirror_has(m->nz, p * PAGE) && memcmp(m->snap + p * PAGE, zero_page, PAGE) == 0)
            m->nz[p / 64] &= ~(1ull << (p % 64));
}

uint8_t *vh_mirror_snap_at(const vh_mirror *m, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < m->shared->n; i++) {
        const vu_region *r = &m->shared->r[i];
        if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
            return m->snap + r->mmap_offset + (gpa - r->gpa);
    }
    return NULL;
}

void vh_mirror_put(vh_mirror *m, uint64_t gpa, const void *src, uint64_t len)
{
    uint8_t *snap = vh_mirror_snap_at(m, gpa, len);
    uint64_t uva = vu_mem_uva(m->shared, gpa, len);
    if (!snap || !uva)
        return;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy((void *)(uintptr_t)uva, src, len);
    memcpy(snap, src, len);
    mark_nz(m, (uint64_t)(snap - m->snap));
}
