/* Memory balloon: inflate and deflate queues of 4 KiB page frame numbers, a
 * statistics queue whose buffer the device holds until the host asks for
 * fresh numbers, free page hinting and free page reporting. Tracks which
 * pages the balloon holds so that double inflates and deflates of unknown
 * pages are caught. */
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "refdev/models.h"
#include "vc/spec_devices.h"
#include "vc/spec_features.h"

#define BAL_QUEUE_MAX 128
/* inflate, deflate, stats, then free page hinting and reporting when offered;
 * like QEMU, the layout follows the offered (not negotiated) features */
#define BAL_NQUEUES_MAX 5
#define PAGE_SHIFT 12
#define BAL_MAX_TRACKED (1u << 20) /* pages (4 GiB); beyond that only counted */
/* One stats entry is a packed le16 tag + le64 value: 10 bytes. The rule
 * behind drv.balloon_stats.5 says "multiple of 6", which contradicts the
 * spec's own structure; we check whole 10-byte entries, as drivers send. */
#define STAT_SIZE 10u

/* feature bits, from specs/features.tsv */
enum {
    F_MUST_TELL_HOST = VIRTIO_BALLOON_F_MUST_TELL_HOST_BIT,
    F_STATS_VQ = VIRTIO_BALLOON_F_STATS_VQ_BIT,
    F_DEFLATE_ON_OOM = VIRTIO_BALLOON_F_DEFLATE_ON_OOM_BIT,
    F_FREE_PAGE_HINT = VIRTIO_BALLOON_F_FREE_PAGE_HINT_BIT,
    F_PAGE_POISON = VIRTIO_BALLOON_F_PAGE_POISON_BIT,
    F_PAGE_REPORTING = VIRTIO_BALLOON_F_PAGE_REPORTING_BIT,
};
enum { C_NUM_PAGES = 0, C_ACTUAL = 4, C_HINT_CMD_ID = 8, C_POISON = 12, C_SIZE = 16 };
enum { Q_INFLATE = 0, Q_DEFLATE = 1, Q_STATS = 2 };
enum { Q_ABSENT = 0xff };

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
    uint8_t q_hint, q_report; /* Q_ABSENT when not offered */
    /* hinting: the id the driver last started with (HINT_NONE before any),
     * the next id to issue, and whether the current id may be reissued */
    uint32_t hint_tag, hint_next;
    uint64_t hinted_bytes, hint_ignored;
} balloon;

enum { CMD_ID_STOP = 0, CMD_ID_DONE = 1, HINT_NONE = 0xffffffffu };

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

/* free_page_vq: a 4-byte readable buffer starts (current id) or ends (STOP)
 * a hinting run; writable buffers are the hinted pages, counted only while
 * tagged with the current id (dev.balloon_hint.3). */
static uint32_t serve_hint(vc_dev *d, unsigned q, vc_chain *c)
{
    balloon *b = d->model;
    uint32_t cur = vc_get32(d->config + C_HINT_CMD_ID);
    if (c->out_bytes > 0) {
        uint8_t raw[4];
        if (c->out_bytes != 4 || c->in_bytes > 0 || vc_chain_read(d->mem, c, 0, raw, 4) != 4) {
            vc_dev_fault(d, "BALLOON_HINT_LAYOUT", REQ_DRV_BALLOON_HINT_1, (int)q, false,
                         "hint command buffer: %llu readable, %llu writable bytes",
                         (unsigned long long)c->out_bytes, (unsigned long long)c->in_bytes);
            return 0;
        }
        uint32_t id = vc_get32(raw);
        if (id >= 2 && id == cur && b->hint_tag == id)
            vc_dev_fault(d, "BALLOON_HINT_ID_TWICE", REQ_DRV_BALLOON_HINT_3, (int)q, false,
                         "command id %u sent a second time", id);
        else if (id >= 2 && id >= b->hint_next)
            vc_dev_fault(d, "BALLOON_HINT_ID_UNKNOWN", REQ_DRV_BALLOON_HINT_2, (int)q, false,
                         "command id %u was never issued", id);
        b->hint_tag = id;
        return 0;
    }
    if (b->hint_tag == HINT_NONE) {
        vc_dev_fault(d, "BALLOON_HINT_NOT_STARTED", REQ_DRV_BALLOON_HINT_2, (int)q, false,
                     "%llu bytes hinted before any command id",
                     (unsigned long long)c->in_bytes);
        return 0;
    }
    if (cur >= 2 && b->hint_tag == cur)
        b->hinted_bytes += c->in_bytes; /* the pages themselves stay untouched */
    else
        b->hint_ignored += c->in_bytes; /* a stale or stopped run */
    return 0;
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
    else if (q == b->q_hint && vc_dev_has(d, F_FREE_PAGE_HINT))
        vc_dev_serve(d, q, serve_hint);
    else if (q == b->q_report && vc_dev_has(d, F_PAGE_REPORTING))
        vc_dev_serve(d, q, serve_report);
    else
        vc_dev_fault(d, "BALLOON_QUEUE_ABSENT", REQ_DRV_PCI_AVAIL_NOTIFY_1, (int)q, false,
                     "queue %u used without its feature", q);
}

static void config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len)
{
    if (off == C_POISON && len == 4 && vc_dev_has(d, F_PAGE_POISON)) {
        if (vc_dev_status(d) & VC_STATUS_DRIVER_OK)
            vc_dev_fault(d, "BALLOON_POISON_LATE", REQ_DRV_BALLOON_POISON_3, -1, false,
                         "poison_val written after DRIVER_OK");
        memcpy(d->config + off, buf, 4);
        return;
    }
    if (off == C_ACTUAL && len == 4) {
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
    b->hint_tag = HINT_NONE;
    vc_put32(d->config + C_ACTUAL, 0);
    vc_put32(d->config + C_HINT_CMD_ID, CMD_ID_STOP);
}

static void destroy(vc_dev *d)
{
    free(((balloon *)d->model)->pfn);
}

static const vc_model_ops balloon_ops = {
    .name = "balloon",
    .device_id = VC_DEV_ID_BALLOON,
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
    uint64_t f = VC_TRANSPORT_FEATURES | 1ull << F_MUST_TELL_HOST | 1ull << F_STATS_VQ |
                 1ull << F_DEFLATE_ON_OOM | 1ull << F_FREE_PAGE_HINT | 1ull << F_PAGE_POISON |
                 1ull << F_PAGE_REPORTING;
    f &= ~(o ? o->features_off : 0);
    unsigned nq = Q_STATS + 1;
    b->q_hint = f >> F_FREE_PAGE_HINT & 1 ? (uint8_t)nq++ : Q_ABSENT;
    b->q_report = f >> F_PAGE_REPORTING & 1 ? (uint8_t)nq++ : Q_ABSENT;
    b->hint_tag = HINT_NONE;
    b->hint_next = 2;
    uint16_t qmax[BAL_NQUEUES_MAX];
    for (unsigned i = 0; i < nq; i++)
        qmax[i] = o && o->queue_max ? o->queue_max : BAL_QUEUE_MAX;
    if (qmax[Q_STATS] > BAL_QUEUE_MAX)
        qmax[Q_STATS] = BAL_QUEUE_MAX; /* the held stats chain's storage */
    vc_dev_init(&b->dev, &balloon_ops, b, mem, f, C_SIZE, nq, qmax);
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

/* Host side of hinting. A new id is never one used before, so a reused id
 * (dev.balloon_hint.2) cannot happen; STOP and DONE end a run. */
uint32_t vc_balloon_hint_start(vc_dev *d)
{
    balloon *b = d->model;
    uint32_t id = b->hint_next++;
    b->hinted_bytes = 0;
    if (b->hint_next < 2)
        b->hint_next = 2;
    vc_put32(d->config + C_HINT_CMD_ID, id);
    vc_dev_config_changed(d);
    return id;
}

void vc_balloon_hint_end(vc_dev *d, bool done)
{
    vc_put32(d->config + C_HINT_CMD_ID, done ? CMD_ID_DONE : CMD_ID_STOP);
    vc_dev_config_changed(d);
}

uint64_t vc_balloon_hinted_bytes(const vc_dev *d, uint64_t *ignored)
{
    const balloon *b = d->model;
    if (ignored)
        *ignored = b->hint_ignored;
    return b->hinted_bytes;
}
