/* Scenario executor and observation oracles (see exec.h). */
#include "exec.h"

#include <endian.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifychk.h"
#include "oracle.h"
#include "scn_play.h"
#include "usedchk.h"
#include "vc/ring.h"
#include "vc/vq_drv.h"
#include "vc/vq_dev.h"

#define DIRTY_SHIFT 10
#define DIRTY_WORDS 1024 /* 64 MiB per region at most */
#define NREGIONS 6
_Static_assert(VC_SCN_TABLES_SIZE <= (DIRTY_WORDS * 64u) << DIRTY_SHIFT &&
                   VC_SCN_RINGS_SIZE <= (DIRTY_WORDS * 64u) << DIRTY_SHIFT &&
                   VC_SCN_DATA_SIZE <= (DIRTY_WORDS * 64u) << DIRTY_SHIFT &&
                   VC_SCN_BIG_SIZE <= (DIRTY_WORDS * 64u) << DIRTY_SHIFT,
               "dirty map too small for a region");
#define READ_LOG 256

typedef struct span { uint64_t gpa, len; } span;

struct vc_fz {
    const vc_adapter *ad;
    void *be;
    bool strict_codes;
    vc_gmem mem;
    uint8_t *host[NREGIONS];
    unsigned nregions; /* the big region only when asked for */
    /* 1 KiB blocks written since the last run, per region: cleared before
     * the next run (clearing all 1 MiB each run would cap throughput) */
    uint64_t dirty[NREGIONS][DIRTY_WORDS];
    unsigned dirty_lo[NREGIONS], dirty_hi[NREGIONS]; /* words marked: [lo, hi) (the big
                                                      * region has 1024, a run marks a few) */
    uint64_t last_block; /* gpa >> DIRTY_SHIFT of the last block marked */

    /* per run */
    const vc_scenario *s;
    vc_fz_report *r;
    uint16_t size;
    uint64_t features, desc, driver, device;
    vc_oracle oracle;
    bool backend_live; /* set up and not refused */
    bool in_device;    /* accesses now are the backend's */
    bool in_kick;      /* a kick runs (in_device is off while the oracles read) */
    uint64_t kick_accesses, budget; /* accesses since the last chain event, and the bound */
    uint64_t chain_bytes; /* buffer bytes of the chain taken last: a backend that parses
                           * requests may touch each once more before the next event */
    vc_scn_play play; /* the driver's side (fuzz/scn_play.c) */
    vc_usedchk uc;    /* chains taken and the used ring (fuzz/usedchk.c) */
    vc_notifychk nc;  /* notification decisions (fuzz/notifychk.c) */
    /* used entries read during a kick (at notification decisions), logged
     * as events after it: the event log then does not depend on when a
     * backend decides (differential runs compare it) */
    vc_fz_event pend[VC_FZ_MAX_EVENTS];
    unsigned npend;
    bool pend_lost;
    bool trace; /* VC_FZ_TRACE set: log device events to stderr (debugging reproducers) */
    /* writable ranges of chains in flight (for the write oracle) */
    span wr[512];
    unsigned nwr;
    bool wr_unknown;
    /* readable buffers of chains taken: reading them is the backend's right
     * even where the driver placed them over descriptor memory */
    span rd[512];
    unsigned nrd;
    bool rd_unknown;
    bool data_reads; /* the backend reads buffer contents (vc_fz_data_reads) */
    /* descriptor reads since the last verdict */
    span reads[READ_LOG];
    unsigned nreads;
    bool reads_lost;
    vc_oracle_chain last;
};

static const struct { uint64_t gpa, size; } regions[NREGIONS] = {
    { VC_SCN_RINGS, VC_SCN_RINGS_SIZE },   { VC_SCN_TABLES, VC_SCN_TABLES_SIZE },
    { VC_SCN_DATA_A, VC_SCN_DATA_SIZE },   { VC_SCN_DATA_B, VC_SCN_DATA_SIZE },
    { VC_SCN_DATA_C, VC_SCN_DATA_SIZE },   { VC_SCN_BIG, VC_SCN_BIG_SIZE },
};

static void finding(vc_fz *f, const char *kind, const char *req, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ring_written(void *ctx, uint64_t gpa, uint64_t len);
static void uc_finding(void *ctx, const char *kind, const char *req, const char *detail);
static void uc_used(void *ctx, uint16_t id, uint32_t len);
static bool used_now(vc_fz *f, uint32_t *pos);

static void finding(vc_fz *f, const char *kind, const char *req, const char *fmt, ...)
{
    if (f->r->nfindings >= VC_FZ_MAX_FINDINGS)
        return;
    vc_fz_finding *x = &f->r->finding[f->r->nfindings++];
    x->kind = kind;
    x->req = req;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
    va_end(ap);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static bool inside(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a >= b && a - b <= blen && alen <= blen - (a - b);
}

static uint64_t table_bytes(const vc_fz *f)
{
    return 16ull * f->size;
}

/* Device area and, for packed rings, the descriptor ring (used entries are
 * written there). */
static bool write_allowed(const vc_fz *f, uint64_t gpa, uint64_t len)
{
    if (f->features & (1ull << VC_F_RING_PACKED)) {
        if (inside(gpa, len, f->desc, table_bytes(f)) || inside(gpa, len, f->device, 4))
            return true;
    } else if (inside(gpa, len, f->device, vc_split_used_bytes(f->size))) {
        return true;
    }
    if (f->wr_unknown)
        return true;
    for (unsigned i = 0; i < f->nwr; i++)
        if (inside(gpa, len, f->wr[i].gpa, f->wr[i].len))
            return true;
    return false;
}

static bool is_descriptor_memory(const vc_fz *f, uint64_t gpa, uint64_t len)
{
    return overlaps(gpa, len, f->desc, table_bytes(f)) ||
           overlaps(gpa, len, VC_SCN_TABLES, VC_SCN_TABLES_SIZE);
}

static void event(vc_fz *f, char kind, uint16_t id, uint32_t len)
{
    if (f->r->nev < VC_FZ_MAX_EVENTS)
        f->r->ev[f->r->nev++] = (vc_fz_event){ kind, id, len };
    else
        f->r->ev_lost = true;
}

static void mark_dirty(vc_fz *f, uint64_t gpa, uint64_t len)
{
    uint64_t end = gpa + len < gpa ? UINT64_MAX : gpa + len;
    for (unsigned i = 0; i < f->nregions; i++) { /* a write may straddle adjacent regions */
        uint64_t rs = regions[i].gpa, re = rs + regions[i].size;
        uint64_t lo = gpa > rs ? gpa : rs, hi = end < re ? end : re;
        if (lo >= hi)
            continue;
        uint64_t first = (lo - rs) >> DIRTY_SHIFT, last = (hi - 1 - rs) >> DIRTY_SHIFT;
        for (uint64_t b = first; b <= last; b++)
            f->dirty[i][b / 64] |= 1ull << (b % 64);
        if (first / 64 < f->dirty_lo[i])
            f->dirty_lo[i] = (unsigned)(first / 64);
        if (last / 64 + 1 > f->dirty_hi[i])
            f->dirty_hi[i] = (unsigned)(last / 64 + 1);
    }
}

/* Findings of observe, out of its way: observe runs on every access. */
static __attribute__((cold, noinline)) void too_much_work(vc_fz *f)
{
    finding(f, "hang", NULL, "more than %llu guest-memory accesses without taking or refusing a chain",
            (unsigned long long)f->budget);
}

static __attribute__((cold, noinline)) void bad_write(vc_fz *f, uint64_t gpa, uint64_t len)
{
    bool table = !(f->features & (1ull << VC_F_RING_PACKED)) &&
                 overlaps(gpa, len, f->desc, table_bytes(f));
    finding(f, table ? "wrote-descriptor-table" : "wrote-outside-writable-buffers",
            table ? REQ_DEV_VQ_DESC_2 : REQ_DEV_VQ_DESC_1, "write of %llu bytes at 0x%llx",
            (unsigned long long)len, (unsigned long long)gpa);
}

static void observe(void *opaque, uint64_t gpa, uint64_t len, bool is_write)
{
    vc_fz *f = opaque;
    /* most writes land in the block the previous one marked */
    if (is_write && !((gpa >> DIRTY_SHIFT) == f->last_block &&
                      ((gpa + len - 1) >> DIRTY_SHIFT) == f->last_block)) {
        mark_dirty(f, gpa, len);
        f->last_block = (gpa + len - 1) >> DIRTY_SHIFT;
    }
    if (!f->in_device)
        return;
    f->r->accesses++;
    if (++f->kick_accesses == f->budget + f->chain_bytes)
        too_much_work(f);
    if (is_write) {
        if (!write_allowed(f, gpa, len))
            bad_write(f, gpa, len);
        else if (vc_usedchk_in_used_area(&f->uc, gpa))
            vc_usedchk_device_wrote(&f->uc, gpa, len);
    } else if (is_descriptor_memory(f, gpa, len)) {
        if (f->nreads < READ_LOG)
            f->reads[f->nreads++] = (span){ gpa, len };
        else
            f->reads_lost = true;
    }
}

/* Every logged descriptor read must be one the oracle's walk made. */
static void check_reads(vc_fz *f, const vc_oracle_chain *c)
{
    if (!f->reads_lost && !c->ranges_overflow) {
        for (unsigned i = 0; i < f->nreads; i++) {
            bool ok = f->data_reads && f->rd_unknown;
            for (unsigned k = 0; k < c->nranges && !ok; k++)
                ok = inside(f->reads[i].gpa, f->reads[i].len, c->range[k].gpa, c->range[k].len);
            /* buffer data a request-parsing backend reads (model adapters) */
            for (unsigned k = 0; f->data_reads && k < f->nrd && !ok; k++)
                ok = inside(f->reads[i].gpa, f->reads[i].len, f->rd[k].gpa, f->rd[k].len);
            for (unsigned k = 0; f->data_reads && k < f->nwr && !ok; k++)
                ok = inside(f->reads[i].gpa, f->reads[i].len, f->wr[k].gpa, f->wr[k].len);
            /* packed: peeking at the next slot's flags to see if it is available */
            ok = ok || (f->reads[i].len <= 16 && inside(f->reads[i].gpa, f->reads[i].len, f->desc,
                                                        table_bytes(f)) &&
                        (f->features & (1ull << VC_F_RING_PACKED)));
            if (!ok) {
                finding(f, "read-unavailable-descriptor",
                        (f->features & (1ull << VC_F_RING_PACKED)) ? REQ_DEV_PACKED_DESC_2
                                                                   : REQ_DEV_IMPLIED_AVAIL_ORDER,
                        "read of %llu bytes at 0x%llx outside the chain being taken",
                        (unsigned long long)f->reads[i].len, (unsigned long long)f->reads[i].gpa);
                break;
            }
        }
    }
    f->nreads = 0;
    f->reads_lost = false;
}

/* The oracle's walk runs unobserved: its reads are not the backend's, and it
 * writes nothing (an observer call per access was a tenth of a run). */
static vc_err oracle_next(vc_fz *f, vc_oracle_chain *c, bool *got)
{
    vc_gmem_observer obs = f->mem.observer;
    f->mem.observer = NULL;
    vc_err e = vc_oracle_next(&f->oracle, c, got);
    f->mem.observer = obs;
    return e;
}

static void ev_took(void *ctx, uint16_t id)
{
    vc_fz *f = ctx;
    event(f, 'T', id, 0);
    vc_oracle_chain *c = &f->last;
    bool got;
    vc_err e = oracle_next(f, c, &got);
    f->r->chains_taken++;
    f->kick_accesses = 0;
    /* a backend that parses requests may touch every byte; the ring layer
     * does the same work whatever the buffers hold */
    f->chain_bytes = f->data_reads ? c->writable : 0;
    for (unsigned i = 0; f->data_reads && i < c->nrd; i++)
        f->chain_bytes += c->rd[i].len;
    if (f->data_reads && (c->rd_overflow || c->wr_overflow))
        f->chain_bytes = UINT64_MAX / 2; /* too many buffers to count: no bound */
    if (f->trace)
        fprintf(stderr, "trace: took %u (oracle: %s, id %u, %u slots)\n", id, vc_err_name(e),
                c->id, c->slots);
    if (e != VC_OK) {
        finding(f, "accepted-forbidden-chain", vc_err_req(e, f->oracle.packed),
                "took chain %u; a conforming device refuses it: %s (%s)", id, vc_err_name(e),
                vc_err_text(e));
        f->backend_live = false;
        return;
    }
    if (!got) {
        finding(f, "took-unavailable-chain",
                f->oracle.packed ? REQ_DEV_PACKED_DESC_2 : REQ_DEV_IMPLIED_AVAIL_ORDER,
                "took chain %u while none was available", id);
        return;
    }
    if (c->id != id)
        finding(f, "took-wrong-chain", f->oracle.packed ? REQ_DEV_PACKED_1 : REQ_DEV_IMPLIED_AVAIL_ORDER,
                "took chain %u, the next available one is %u", id, c->id);
    check_reads(f, c);
    /* the driver's view first: an id used and taken again is not a second
     * copy in flight, however late the backend's decisions have it read */
    uint32_t pos;
    used_now(f, &pos);
    vc_usedchk_took(&f->uc, id, c->writable, c->slots);
    /* What a backend writes into a buffer over descriptor memory decides
     * what it sees next: from here on backends may legitimately differ. */
    for (unsigned i = 0; i < c->nwr && f->r->data_dependent_from == UINT_MAX; i++)
        if (is_descriptor_memory(f, c->wr[i].gpa, c->wr[i].len) ||
            overlaps(c->wr[i].gpa, c->wr[i].len, f->driver, f->device + 4096 - f->driver))
            f->r->data_dependent_from = f->r->nev;
    /* A writable buffer over the rings lets the device's data land on used
     * entries (the driver's fault): used entries can no longer be trusted. */
    for (unsigned i = 0; i < c->nwr && !f->uc.lost; i++)
        vc_usedchk_writable(&f->uc, c->wr[i].gpa, c->wr[i].len);
    if (c->wr_overflow)
        f->uc.lost = true;
    if (!f->data_reads)
        ; /* the ring layer never reads buffers: nothing to allow */
    else if (c->rd_overflow || f->nrd + c->nrd > sizeof(f->rd) / sizeof(f->rd[0]))
        f->rd_unknown = true;
    else
        for (unsigned i = 0; i < c->nrd; i++)
            f->rd[f->nrd++] = (span){ c->rd[i].gpa, c->rd[i].len };
    if (c->wr_overflow || f->nwr + c->nwr > sizeof(f->wr) / sizeof(f->wr[0])) {
        f->wr_unknown = true;
        return;
    }
    for (unsigned i = 0; i < c->nwr; i++)
        f->wr[f->nwr++] = (span){ c->wr[i].gpa, c->wr[i].len };
}

static void ev_rejected(void *ctx, const char *code)
{
    vc_fz *f = ctx;
    event(f, 'R', 0, 0);
    vc_oracle_chain c;
    bool got;
    vc_err e = oracle_next(f, &c, &got);
    f->r->refusals++;
    f->kick_accesses = 0;
    if (f->trace)
        fprintf(stderr, "trace: refused (%s); oracle says %s\n", code, vc_err_name(e));
    f->backend_live = false;
    if (e == VC_OK)
        finding(f, "refused-valid-ring", NULL, "backend refused (%s) but %s",
                code ? code : "no code", got ? "the next chain is valid" : "nothing was available");
    else if (f->strict_codes && (!code || strcmp(code, vc_err_name(e)) != 0))
        finding(f, "wrong-refusal-code", vc_err_req(e, f->oracle.packed),
                "backend refused with %s, the oracle with %s", code ? code : "no code",
                vc_err_name(e));
    f->nreads = 0;
}

static void zero_dirty(vc_fz *f)
{
    for (unsigned i = 0; i < NREGIONS; i++) {
        for (unsigned w = f->dirty_lo[i]; w < f->dirty_hi[i]; w++) {
            for (uint64_t bits = f->dirty[i][w]; bits; bits &= bits - 1) {
                uint64_t b = 64ull * w + (unsigned)__builtin_ctzll(bits);
                memset((uint8_t *)f->host[i] + (b << DIRTY_SHIFT), 0, 1u << DIRTY_SHIFT);
            }
            f->dirty[i][w] = 0;
        }
        f->dirty_lo[i] = DIRTY_WORDS;
        f->dirty_hi[i] = 0;
    }
    f->last_block = UINT64_MAX;
}

static bool add_region(vc_fz *f, unsigned i)
{
    f->host[i] = calloc(1, regions[i].size); /* untouched pages cost nothing */
    if (!f->host[i] || !vc_gmem_add(&f->mem, regions[i].gpa, regions[i].size, f->host[i]))
        return false;
    f->nregions = i + 1;
    return true;
}

vc_fz *vc_fz_new(const vc_adapter *ad, bool strict_codes)
{
    vc_fz *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->ad = ad;
    f->strict_codes = strict_codes;
    f->trace = getenv("VC_FZ_TRACE") != NULL;
    vc_gmem_init(&f->mem);
    for (unsigned i = 0; i < NREGIONS - 1; i++) {
        if (!add_region(f, i)) {
            vc_fz_free(f);
            return NULL;
        }
    }
    bool tables = vc_usedchk_alloc(&f->uc);
    f->be = ad->create(&f->mem);
    if (!f->be || !tables) {
        vc_fz_free(f);
        return NULL;
    }
    f->mem.observer = observe;
    f->mem.observer_opaque = f;
    f->uc.finding = uc_finding;
    f->uc.used = uc_used;
    f->uc.ctx = f;
    f->nc.finding = uc_finding;
    f->nc.ctx = f;
    f->play.ring_write = ring_written;
    f->play.ctx = f;
    return f;
}

void vc_fz_free(vc_fz *f)
{
    if (!f)
        return;
    if (f->be)
        f->ad->destroy(f->be);
    for (unsigned i = 0; i < NREGIONS; i++)
        free(f->host[i]);
    vc_usedchk_free(&f->uc);
    free(f);
}

/* clear_rings: false at the start of a run, when the rings are still zero
 * from zero_dirty */
static void start_queue(vc_fz *f, bool clear_rings)
{
    vc_usedchk_start(&f->uc, &f->mem, f->size, f->features >> VC_F_RING_PACKED & 1, f->desc, f->device);
    f->nwr = 0;
    f->wr_unknown = false;
    f->nrd = 0;
    f->rd_unknown = false;
    vc_scn_play_restart(&f->play);
    /* rings start zeroed: the backend sees a fresh queue */
    if (clear_rings)
        vc_gmem_fill(&f->mem, VC_SCN_RINGS, 0, f->device + 4096 - VC_SCN_RINGS);
    vc_oracle_init(&f->oracle, &f->mem, f->features, f->size, f->desc, f->driver, f->device);
    vc_notifychk_start(&f->nc, &f->mem, f->features, f->size, f->driver);
    f->backend_live = f->ad->setup(f->be, f->features, f->size, f->desc, f->driver, f->device);
}

/* ---- the driver side writes (fuzz/scn_play.c) ---- */

/* Packed: the driver writing the ring while chains are in flight may
 * overwrite a slot the device will use (the driver's fault); a slot it
 * wrote can then look used, so the used ring is no longer checked. The
 * same for a split used ring the driver scribbles on (MEM). */
static void ring_written(void *ctx, uint64_t gpa, uint64_t len)
{
    vc_usedchk_driver_wrote(&((vc_fz *)ctx)->uc, gpa, len);
}

/* ---- used ring checks (fuzz/usedchk.c) ---- */

static void uc_finding(void *ctx, const char *kind, const char *req, const char *detail)
{
    finding((vc_fz *)ctx, kind, req, "%s", detail);
}

static void uc_used(void *ctx, uint16_t id, uint32_t len)
{
    vc_fz *f = ctx;
    if (f->in_kick) {
        if (f->npend < VC_FZ_MAX_EVENTS)
            f->pend[f->npend++] = (vc_fz_event){ 'U', id, len };
        else
            f->pend_lost = true;
    } else {
        event(f, 'U', id, len);
    }
    if (f->trace)
        fprintf(stderr, "trace: used id %u len %u\n", id, len);
}

/* Work this run: the backend's guest-memory accesses and the driver side's
 * descriptor and ring writes. */
static bool budget_spent(const vc_fz *f)
{
    return f->r->accesses + f->play.work >= VC_FZ_RUN_BUDGET;
}

static bool ev_enough(void *ctx)
{
    vc_fz *f = ctx;
    if (!budget_spent(f))
        return false;
    if (f->r->stopped_from == UINT_MAX)
        f->r->stopped_from = f->r->nev;
    return true;
}

/* The used ring as the driver sees it now: reads what the backend published
 * (unobserved: these reads are the driver's) and checks where the backend
 * wrote it. False when the used ring can no longer be read. */
static bool used_now(vc_fz *f, uint32_t *pos)
{
    bool dev = f->in_device;
    f->in_device = false;
    vc_usedchk_poll(&f->uc);
    vc_usedchk_slots(&f->uc);
    f->in_device = dev;
    *pos = f->uc.packed ? vc_notifychk_pos_packed(f->size, f->uc.pos, f->uc.wrap)
                        : vc_notifychk_pos_split(f->uc.seen);
    return !f->uc.lost;
}

static void ev_notify(void *ctx, bool sent)
{
    vc_fz *f = ctx;
    uint32_t now;
    if (f->trace)
        fprintf(stderr, "trace: notification %s\n", sent ? "sent" : "not sent");
    if (!used_now(f, &now))
        return;
    bool dev = f->in_device;
    f->in_device = false; /* the oracle's reads of the driver area are not the backend's */
    if (!f->ad->notify_sent_only)
        vc_notifychk_decision(&f->nc, now, sent);
    else if (sent)
        vc_notifychk_sent(&f->nc, now);
    f->in_device = dev;
}

/* After a kick: notifications owed, and chains a backend that returns all
 * of them in the kick kept. */
static void kick_done(vc_fz *f)
{
    /* a kick that made the used ring unreadable logs none of its entries,
     * whenever the backend's decisions had them read */
    for (unsigned i = 0; i < f->npend && !f->uc.lost; i++)
        event(f, 'U', f->pend[i].id, f->pend[i].len);
    if (f->pend_lost)
        f->r->ev_lost = true;
    f->npend = 0;
    f->pend_lost = false;
    uint32_t now;
    if (!used_now(f, &now))
        return;
    vc_notifychk_kick_end(&f->nc, now, f->ad->notify_sent_only);
    if (f->ad->returns_all && f->backend_live && f->uc.ninflight > 0)
        finding(f, "chain-not-returned", REQ_DEV_IMPLIED_USED_SLOT,
                "%u chains taken in this kick have no used entry where the driver reads them",
                f->uc.ninflight);
}

static void op_kick(vc_fz *f)
{
    if (!f->backend_live)
        return;
    f->r->kicks++;
    event(f, 'K', 0, 0);
    if (f->trace)
        fprintf(stderr, "trace: kick\n");
    vc_adapter_events ev = { .ctx = f, .took = ev_took, .rejected = ev_rejected, .enough = ev_enough,
                             .notify = ev_notify, .batch = vc_scn_batch(f->s) };
    f->kick_accesses = 0;
    f->chain_bytes = 0;
    f->nreads = 0;
    f->in_device = f->in_kick = true;
    f->ad->kick(f->be, &ev, (vc_used_policy)f->s->used_policy);
    f->in_device = f->in_kick = false;
    kick_done(f);
    if (f->uc.ninflight == 0) {
        f->nwr = 0;
        f->wr_unknown = false;
        f->nrd = 0;
        f->rd_unknown = false;
    }
}

unsigned vc_fz_run(vc_fz *f, const vc_scenario *s, vc_fz_report *r)
{
    memset(r, 0, offsetof(vc_fz_report, finding));
    r->data_dependent_from = UINT_MAX;
    r->stopped_from = UINT_MAX;
    zero_dirty(f);
    f->s = s;
    f->r = r;
    f->size = s->qsize;
    f->features = vc_scn_ring_features(s);
    vc_scn_play_init(&f->play, &f->mem, s);
    f->desc = f->play.desc;
    f->driver = f->play.driver;
    f->device = f->play.device;
    /* Work between two chain events (taken / refused): a conforming device
     * reads each descriptor of one chain (main table plus one indirect
     * table) a few times and writes each segment once; allow slack. */
    f->budget = 4ull * (f->size + VC_SCN_TABLE_ENTRIES) + 4096;
    start_queue(f, false);
    /* a scenario that has made the backend work this much has shown what
     * it can: the rest would only slow the fuzzer down */
    for (uint32_t i = 0; i < s->nops && r->nfindings == 0; i++) {
        if (budget_spent(f)) {
            if (r->stopped_from == UINT_MAX)
                r->stopped_from = r->nev;
            break;
        }
        const vc_scn_op *o = &s->ops[i];
        f->play.work++;
        if (o->op == VC_SCN_KICK) {
            op_kick(f);
        } else if (o->op == VC_SCN_RESET) {
            f->play.work += f->size; /* the rings are cleared */
            start_queue(f, true);
        } else {
            vc_scn_play_op(&f->play, o);
        }
    }
    return r->nfindings;
}

const char *vc_fz_tier(const vc_fz_finding *x)
{
    if (!strcmp(x->kind, "wrong-refusal-code"))
        return "reference"; /* the reference device's own contract: the oracle's code */
    if (x->req && !strncmp(x->req, "drv.", 4))
        return "tolerated";
    if (!strcmp(x->kind, "unneeded-notification"))
        return "should";
    if (!x->req)
        return "liveness"; /* a hang, a valid ring refused: no statement names these */
    return "device";
}

size_t vc_fz_format(const vc_fz_report *r, const char *who, char *msg, size_t cap)
{
    size_t used = 0;
    if (cap)
        msg[0] = 0;
    for (unsigned i = 0; i < r->nfindings && used + 1 < cap; i++) {
        int n = snprintf(msg + used, cap - used, "%s%s%s [%s] (%s): %s\n", who ? who : "",
                         who ? ": " : "", r->finding[i].kind,
                         r->finding[i].req ? r->finding[i].req : "-", vc_fz_tier(&r->finding[i]),
                         r->finding[i].detail);
        used += n > 0 ? (size_t)n : 0;
    }
    return used < cap ? used : (cap ? cap - 1 : 0);
}

bool vc_fz_big_memory(vc_fz *f)
{
    return f->nregions == NREGIONS || add_region(f, NREGIONS - 1);
}

void vc_fz_data_reads(vc_fz *f, bool on)
{
    f->data_reads = on;
}
