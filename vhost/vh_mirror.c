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
    return m->snap != NULL && exec->nregions == shared->n;
}

void vh_mirror_free(vh_mirror *m)
{
    free(m->snap);
    m->snap = NULL;
}

/* Calls back for each run of bytes where a and b differ inside one page. */
static void runs(const uint8_t *a, const uint8_t *b, uint64_t n, void (*fn)(void *, uint64_t, uint64_t),
                 void *ctx)
{
    for (uint64_t i = 0; i < n;) {
        if (a[i] == b[i]) {
            i++;
            continue;
        }
        uint64_t start = i;
        while (i < n && a[i] != b[i])
            i++;
        fn(ctx, start, i - start);
    }
}

typedef struct walk {
    vh_mirror *m;
    unsigned region;
    uint64_t page;      /* offset of the page in the region */
    const uint8_t *e;   /* executor's copy of the region */
    uint8_t *s, *snap;  /* shared copy and snapshot of the region */
    vh_mirror_fn fn;
    void *ctx;
    uint64_t changed;
} walk;

static void push_run(void *ctx, uint64_t at, uint64_t len)
{
    walk *w = ctx;
    uint64_t o = w->page + at;
    memcpy(w->s + o, w->e + o, len);
    memcpy(w->snap + o, w->e + o, len);
    if (w->fn)
        w->fn(w->ctx, w->m->shared->r[w->region].gpa + o, w->e + o, len);
}

static void pull_run(void *ctx, uint64_t at, uint64_t len)
{
    walk *w = ctx;
    uint64_t o = w->page + at;
    w->changed += len;
    if (!w->fn) {
        memcpy(w->s + o, w->snap + o, len);
        return;
    }
    uint8_t bytes[PAGE]; /* one reading of bytes the back-end may still be changing */
    memcpy(bytes, w->s + o, len);
    memcpy(w->snap + o, bytes, len);
    w->fn(w->ctx, w->m->shared->r[w->region].gpa + o, bytes, len);
}

static uint64_t each_page(vh_mirror *m, bool push, vh_mirror_fn fn, void *ctx)
{
    walk w = { .m = m, .fn = fn, .ctx = ctx };
    for (unsigned i = 0; i < m->shared->n; i++) {
        const vu_region *r = &m->shared->r[i];
        w.region = i;
        w.e = m->exec->region[i].host;
        w.s = vu_mem_host(m->shared, i);
        w.snap = m->snap + r->mmap_offset;
        const uint8_t *other = push ? w.e : w.s;
        for (w.page = 0; w.page < r->size; w.page += PAGE) {
            uint64_t n = r->size - w.page < PAGE ? r->size - w.page : PAGE;
            if (memcmp(other + w.page, w.snap + w.page, n) != 0)
                runs(other + w.page, w.snap + w.page, n, push ? push_run : pull_run, &w);
        }
    }
    return w.changed;
}

void vh_mirror_push(vh_mirror *m, vh_mirror_fn fn, void *ctx)
{
    each_page(m, true, fn, ctx);
}

uint64_t vh_mirror_pull(vh_mirror *m, vh_mirror_fn fn, void *ctx)
{
    return each_page(m, false, fn, ctx);
}
