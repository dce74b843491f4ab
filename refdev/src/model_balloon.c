/* Memory balloon: inflate and deflate queues of 4 KiB page frame numbers, a
 * statistics queue whose buffer the device holds until the host asks for
 * fresh numbers, and free page reporting. Tracks which pages the balloon
 * holds so that double inflates and deflates of unknown pages are caught. */
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "refdev/models.h"

#define BAL_QUEUE_MAX 128
#define BAL_NQUEUES 4 /* inflate, deflate, stats, reporting */
#define PAGE_SHIFT 12
#define BAL_MAX_TRACKED (1u << 20) /* pages (4 GiB); beyond that only counted */
/* One stats entry is a packed le16 tag + le64 value: 10 bytes. The rule
 * behind drv.balloon_stats.5 says "multiple of 6", which contradicts the
 * spec's own structure; we check whole 10-byte entries, as drivers send. */
#define STAT_SIZE 10u

enum { F_MUST_TELL_HOST = 0, F_STATS_VQ = 1, F_DEFLATE_ON_OOM = 2, F_PAGE_POISON = 4,
       F_PAGE_REPORTING = 5 };
enum { C_NUM_PAGES = 0, C_ACTUAL = 4, C_HINT_CMD_ID = 8, C_POISON = 12, C_SIZE = 16 };
enum { Q_INFLATE = 0, Q_DEFLATE = 1, Q_STATS = 2, Q_REPORT = 3 };

typedef struct balloon {
    vc_dev dev;
    uint32_t *pfn; /* sorted */
    uint32_t npfn, cap;
    uint64_t untracked, reported_bytes;
    vc_seg stats_seg[BAL_QUEUE_MAX];
    vc_chain stats; /* the held stats buffer, when has_stats */
    bool has_stats;
    uint64_t stat[VC_BALLOON_NSTATS];
    uint32_t stat_seen; /* bit per tag reported */
    uint64_t stats_updates;
} balloon;

static bool find(const balloon *b, uint32_t pfn, uint32_t *at)
{
    uint32_t lo = 0, hi = b->npfn;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->pfn[mid] < pfn)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return lo < b->npfn && b->pfn[lo] == pfn;
}

static void track(balloon *b, uint32_t pfn, uint32_t at)
{
    if (b->npfn == b->cap) {
        uint32_t ncap = b->cap ? b->cap * 2 : 1024;
        uint32_t *n = ncap <= BAL_MAX_TRACKED ? realloc(b->pfn, ncap * sizeof(*n)) : NULL;
        if (!n) {
            b->untracked++;
            return;
        }
        b->pfn = n;
        b->cap = ncap;
    }
    memmove(b->pfn + at + 1, b->pfn + at, (b->npfn - at) * sizeof(*b->pfn));
    b->pfn[at] = pfn;
    b->npfn++;
}

static uint32_t serve_pfns(vc_dev *d, unsigned q, vc_chain *c)
{
    balloon *b = d->model;
    bool inflate = q == Q_INFLATE;
    if (c->in_bytes > 0 || c->out_bytes % 4) {
        vc_dev_fault(d, "BALLOON_PFN_LAYOUT", REQ_DRV_IMPLIED_BALLOON_PFN_LAYOUT, (int)q, false,
                     "%s buffer: %llu readable, %llu writable bytes", inflate ? "inflate" : "deflate",
                     (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
        return 0;
    }
    for (uint64_t off = 0; off < c->out_bytes; off += 4) {
        uint8_t raw[4];
        if (vc_chain_read(d->mem, c, off, raw, 4) != 4)
            break;
        uint32_t pfn = vc_get32(raw), at;
        if (!vc_gmem_valid(d->mem, (uint64_t)pfn << PAGE_SHIFT, 1u << PAGE_SHIFT)) {
            vc_dev_fault(d, "BALLOON_PFN_RANGE", REQ_DRV_IMPLIED_BALLOON_PFN_LAYOUT, (int)q, false,
                         "page frame 0x%x is not guest memory", pfn);
            continue;
        }
        bool held = find(b, pfn, &at);
        if (inflate && held)
            vc_dev_fault(d, "BALLOON_DOUBLE_INFLATE", REQ_DRV_IMPLIED_BALLOON_PFN_LAYOUT, (int)q,
                         false, "page frame 0x%x is already in the balloon", pfn);
        else if (inflate)
            track(b, pfn, at);
        else if (!held)
            vc_dev_fault(d, "BALLOON_DEFLATE_UNKNOWN", REQ_DRV_BALLOON_OP_10, (int)q, false,
                         "page frame 0x%x was not inflated", pfn);
        else {
            memmove(b->pfn + at, b->pfn + at + 1, (b->npfn - at - 1) * sizeof(*b->pfn));
            b->npfn--;
        }
    }
    return 0;
}

static void take_stats(balloon *b)
{
    vc_dev *d = &b->dev;
    for (;;) {
        vc_chain c = { .seg = b->has_stats ? NULL : b->stats_seg, .cap = BAL_QUEUE_MAX };
        if (b->has_stats) {
            /* a second buffer while one is held (drv.balloon_stats.1): return it */
            if (!vc_dev_pop(d, Q_STATS, &c))
                return;
            vc_dev_fault(d, "BALLOON_STATS_TWO_BUFFERS", REQ_DRV_BALLOON_STATS_1, Q_STATS, false,
                         "a second stats buffer while one is outstanding");
            vc_dev_push(d, Q_STATS, &c, 0);
            continue;
        }
        if (!vc_dev_pop(d, Q_STATS, &c))
            return;
        if (c.in_bytes > 0 || c.out_bytes % STAT_SIZE) {
            vc_dev_fault(d, "BALLOON_STATS_LAYOUT", REQ_DRV_BALLOON_STATS_5, Q_STATS, false,
                         "stats buffer: %llu readable, %llu writable bytes",
                         (unsigned long long)c.out_bytes, (unsigned long long)c.in_bytes);
            vc_dev_push(d, Q_STATS, &c, 0);
            continue;
        }
        b->stat_seen = 0;
        for (uint64_t off = 0; off < c.out_bytes; off += STAT_SIZE) {
            uint8_t e[STAT_SIZE];
            if (vc_chain_read(d->mem, &c, off, e, STAT_SIZE) != STAT_SIZE)
                break;
            uint16_t tag = vc_get16(e);
            uint64_t v = vc_get64(e + 2);
            if (tag < VC_BALLOON_NSTATS) { /* unknown tags are skipped (dev.balloon_stats.1) */
                b->stat[tag] = v;
                b->stat_seen |= 1u << tag;
            }
        }
        b->stats = c;
        b->has_stats = true;
        b->stats_updates++;
    }
}

static uint32_t serve_report(vc_dev *d, unsigned q, vc_chain *c)
{
    balloon *b = d->model;
    if (c->out_bytes > 0) {
        vc_dev_fault(d, "BALLOON_REPORT_LAYOUT", REQ_DRV_IMPLIED_BALLOON_PFN_LAYOUT, (int)q, false,
                     "report with %llu readable bytes", (unsigned long long)c->out_bytes);
        return 0;
    }
    b->reported_bytes += c->in_bytes; /* acknowledged without touching the pages */
    return 0;
}

static void notify(vc_dev *d, unsigned q)
{
    balloon *b = d->model;
    if (q == Q_INFLATE || q == Q_DEFLATE)
        vc_dev_serve(d, q, serve_pfns);
    else if (q == Q_STATS && vc_dev_has(d, F_STATS_VQ))
        take_stats(b);
    else if (q == Q_REPORT && vc_dev_has(d, F_PAGE_REPORTING))
        vc_dev_serve(d, q, serve_report);
    else
        vc_dev_fault(d, "BALLOON_QUEUE_ABSENT", REQ_DRV_PCI_AVAIL_NOTIFY_1, (int)q, false,
                     "queue %u used without its feature", q);
}

static void config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    if ((off == C_ACTUAL && len == 4) ||
        (off == C_POISON && len == 4 && vc_dev_has(d, F_PAGE_POISON))) {
        memcpy(d->config + off, buf, 4);
        return;
    }
    vc_dev_fault(d, "DRV_CONFIG_READONLY", REQ_DRV_CFGSPACE_2, -1, false,
                 "write of %u bytes at %u", len, off);
}

static void forget_stats(vc_dev *d, unsigned q)
{
    if (q == Q_STATS)
        ((balloon *)d->model)->has_stats = false;
}

static void reset(vc_dev *d)
{
    balloon *b = d->model;
    b->has_stats = false;
    b->npfn = 0; /* a reset hands every page back */
    vc_put32(d->config + C_ACTUAL, 0);
}

static void destroy(vc_dev *d)
{
    free(((balloon *)d->model)->pfn);
}

static const vc_model_ops balloon_ops = {
    .name = "balloon",
    .device_id = 5,
    .config_write = config_write,
    .queue_notify = notify,
    .reset = reset,
    .queue_reset = forget_stats,
    .destroy = destroy,
};

vc_dev *vc_balloon_create(const vc_gmem *mem, const vc_model_opts *o)
{
    balloon *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    uint16_t qmax[BAL_NQUEUES];
    for (unsigned i = 0; i < BAL_NQUEUES; i++)
        qmax[i] = o && o->queue_max ? o->queue_max : BAL_QUEUE_MAX;
    if (qmax[Q_STATS] > BAL_QUEUE_MAX)
        qmax[Q_STATS] = BAL_QUEUE_MAX; /* the held stats chain's storage */
    uint64_t f = VC_TRANSPORT_FEATURES | 1ull << F_MUST_TELL_HOST | 1ull << F_STATS_VQ |
                 1ull << F_DEFLATE_ON_OOM | 1ull << F_PAGE_REPORTING;
    vc_dev_init(&b->dev, &balloon_ops, b, mem, f & ~(o ? o->features_off : 0), C_SIZE,
                BAL_NQUEUES, qmax);
    return &b->dev;
}

void vc_balloon_set_target(vc_dev *d, uint32_t pages)
{
    vc_put32(d->config + C_NUM_PAGES, pages);
    vc_dev_config_changed(d);
}

uint32_t vc_balloon_pages(const vc_dev *d)
{
    return ((const balloon *)d->model)->npfn;
}

bool vc_balloon_request_stats(vc_dev *d)
{
    balloon *b = d->model;
    if (!b->has_stats)
        return false;
    b->has_stats = false;
    vc_dev_push(d, Q_STATS, &b->stats, 0);
    return true;
}

bool vc_balloon_stat(const vc_dev *d, unsigned tag, uint64_t *value)
{
    const balloon *b = d->model;
    if (tag >= VC_BALLOON_NSTATS || !(b->stat_seen & (1u << tag)))
        return false;
    *value = b->stat[tag];
    return true;
}
