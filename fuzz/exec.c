/* Scenario executor and observation oracles (see exec.h). */
#include "exec.h"

#include <endian.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
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
    uint64_t kick_accesses, budget; /* accesses since the last chain event, and the bound */
    uint64_t drv_work; /* descriptors and ring slots the driver side wrote this run */
    uint64_t chain_bytes; /* buffer bytes of the chain taken last: a backend that parses
                           * requests may touch each once more before the next event */
    /* driver shadow */
    uint16_t avail_idx, drv_pos, used_seen, used_pos;
    bool drv_wrap, used_wrap;
    /* chains taken and not yet used, by id */
    uint64_t *inflight_wr; /* writable bytes */
    uint16_t *inflight_slots;
    uint16_t *inflight; /* times each id was taken and not yet used */
    bool used_lost; /* packed used ring no longer checkable (duplicate ids) */
    bool trace; /* VC_FZ_TRACE set: log device events to stderr (debugging reproducers) */
    unsigned ninflight; /* chains taken and not yet used (an id may be taken twice) */
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
    /* descriptors FILL builds and a packed AVAIL rewrites, a stretch per access */
    uint8_t fill[VC_SCN_TABLE_ENTRIES * 16];
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
                        (f->features & (1ull << VC_F_RING_PACKED)) ? REQ_DEV_PACKED_DESC_2 : NULL,
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
        finding(f, "took-unavailable-chain", f->oracle.packed ? REQ_DEV_PACKED_DESC_2 : NULL,
                "took chain %u while none was available", id);
        return;
    }
    if (c->id != id)
        finding(f, "took-wrong-chain", f->oracle.packed ? REQ_DEV_PACKED_1 : NULL,
                "took chain %u, the next available one is %u", id, c->id);
    check_reads(f, c);
    if (id < f->size) {
        /* The driver made one id available twice (its own fault). Split:
         * keep the larger writable space. Packed: the used ring's slot
         * skipping depends on which copy is used, so stop reading it. */
        bool dup = f->inflight[id] > 0;
        f->ninflight++;
        if (f->inflight[id] < UINT16_MAX)
            f->inflight[id]++;
        if (!dup || c->writable > f->inflight_wr[id])
            f->inflight_wr[id] = c->writable;
        f->inflight_slots[id] = c->slots;
        if (dup && f->oracle.packed)
            f->used_lost = true;
    }
    /* What a backend writes into a buffer over descriptor memory decides
     * what it sees next: from here on backends may legitimately differ. */
    for (unsigned i = 0; i < c->nwr && f->r->data_dependent_from == UINT_MAX; i++)
        if (is_descriptor_memory(f, c->wr[i].gpa, c->wr[i].len) ||
            overlaps(c->wr[i].gpa, c->wr[i].len, f->driver, f->device + 4096 - f->driver))
            f->r->data_dependent_from = f->r->nev;
    /* A writable buffer over the rings lets the device's data land on used
     * entries (the driver's fault): used entries can no longer be trusted. */
    for (unsigned i = 0; i < c->nwr && !f->used_lost; i++)
        if (overlaps(c->wr[i].gpa, c->wr[i].len, f->desc, table_bytes(f)) ||
            overlaps(c->wr[i].gpa, c->wr[i].len, f->device, vc_split_used_bytes(f->size)))
            f->used_lost = true;
    if (c->wr_overflow)
        f->used_lost = true;
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
    f->inflight_wr = calloc(VC_MAX_QUEUE_SIZE, sizeof(*f->inflight_wr));
    f->inflight_slots = calloc(VC_MAX_QUEUE_SIZE, sizeof(*f->inflight_slots));
    f->inflight = calloc(VC_MAX_QUEUE_SIZE, sizeof(*f->inflight));
    f->be = ad->create(&f->mem);
    if (!f->be || !f->inflight || !f->inflight_wr || !f->inflight_slots) {
        vc_fz_free(f);
        return NULL;
    }
    f->mem.observer = observe;
    f->mem.observer_opaque = f;
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
    free(f->inflight_wr);
    free(f->inflight_slots);
    free(f->inflight);
    free(f);
}

/* clear_rings: false at the start of a run, when the rings are still zero
 * from zero_dirty */
static void start_queue(vc_fz *f, bool clear_rings)
{
    memset(f->inflight, 0, f->size * sizeof(*f->inflight));
    f->ninflight = 0;
    f->nwr = 0;
    f->wr_unknown = false;
    f->nrd = 0;
    f->rd_unknown = false;
    f->used_lost = false;
    f->avail_idx = f->drv_pos = f->used_seen = f->used_pos = 0;
    f->drv_wrap = f->used_wrap = true;
    /* rings start zeroed: the backend sees a fresh queue */
    if (clear_rings)
        vc_gmem_fill(&f->mem, VC_SCN_RINGS, 0, f->device + 4096 - VC_SCN_RINGS);
    vc_oracle_init(&f->oracle, &f->mem, f->features, f->size, f->desc, f->driver, f->device);
    f->backend_live = f->ad->setup(f->be, f->features, f->size, f->desc, f->driver, f->device);
}

/* ---- driver operations ---- */

/* Packed: the driver writing the ring while chains are in flight may
 * overwrite a slot the device will use (the driver's fault); a slot it
 * wrote can then look used, so the used ring is no longer checked. */
static void packed_ring_written(vc_fz *f, uint64_t gpa, uint64_t len)
{
    if (f->oracle.packed && f->ninflight > 0 && overlaps(gpa, len, f->desc, table_bytes(f)))
        f->used_lost = true;
}

static void op_desc(vc_fz *f, const vc_scn_op *o)
{
    uint16_t idx = (uint16_t)(o->a16 % f->size);
    uint16_t flags = o->a8 & 7;
    if (f->oracle.packed) {
        packed_ring_written(f, f->desc + 16ull * idx, 16);
        flags |= (o->a8 & 8 ? VC_DESC_F_AVAIL : 0) | (o->a8 & 16 ? VC_DESC_F_USED : 0);
        vc_packed_put_desc(&f->mem, f->desc, idx, o->a64, o->a32, idx, flags);
    } else {
        vc_split_put_desc(&f->mem, f->desc, idx, o->a64, o->a32, flags,
                          (uint16_t)((idx + 1) % f->size));
    }
}

static uint64_t table_entry(uint16_t a16)
{
    unsigned table = (a16 >> 11) % VC_SCN_NTABLES, entry = a16 & (VC_SCN_TABLE_ENTRIES - 1);
    return VC_SCN_TABLES + (table * VC_SCN_TABLE_ENTRIES + entry) * 16ull;
}

static void op_idesc(vc_fz *f, const vc_scn_op *o)
{
    uint64_t at = table_entry(o->a16);
    uint16_t entry = o->a16 & (VC_SCN_TABLE_ENTRIES - 1);
    vc_split_put_desc(&f->mem, at, 0, o->a64, o->a32, o->a8 & 7, (uint16_t)(entry + 1));
}

static void op_next(vc_fz *f, const vc_scn_op *o)
{
    uint16_t v = (uint16_t)o->a32;
    if (o->a8 & 1)
        vc_gmem_st16(&f->mem, table_entry(o->a16) + VC_SPLIT_DESC_NEXT, v);
    else if (f->oracle.packed)
        vc_gmem_st16(&f->mem, f->desc + 16ull * (o->a16 % f->size) + VC_PACKED_DESC_ID, v);
    else
        vc_gmem_st16(&f->mem, f->desc + 16ull * (o->a16 % f->size) + VC_SPLIT_DESC_NEXT, v);
}

/* count linked descriptors in one go; the last one ends the chain */
static void op_fill(vc_fz *f, const vc_scn_op *o)
{
    bool main_table = o->a8 & 0x80;
    uint32_t count = o->a32 & 0xffff, len = (o->a32 >> 16) << 2 * ((o->a8 >> 3) & 7);
    uint64_t stride = o->a8 & 0x40 ? 0 : len;
    uint16_t flags = o->a8 & (VC_DESC_F_WRITE | VC_DESC_F_INDIRECT);
    uint32_t limit = main_table ? f->size : VC_SCN_TABLE_ENTRIES;
    uint32_t first = main_table ? o->a16 % f->size : (o->a16 & (VC_SCN_TABLE_ENTRIES - 1));
    uint64_t base = main_table ? f->desc : table_entry(o->a16) - 16ull * first;
    if (count > limit)
        count = limit;
    f->drv_work += count / 8; /* one memcpy of 16 bytes each: cheap beside a device access */
    /* built here and written in one access per stretch up to the table's end;
     * every one links on, the last one's NEXT flag is cleared after */
    bool packed = main_table && f->oracle.packed;
    uint16_t fl = flags | VC_DESC_F_NEXT;
    uint64_t addr = o->a64;
    for (uint32_t i = 0, at = first; i < count; i++, addr += stride) {
        uint32_t next = at + 1 == limit ? 0 : at + 1; /* no division: FILL runs hot */
        if (packed)
            vc_desc_bytes(f->fill + 16 * i, addr, len, (uint16_t)at, fl);
        else
            vc_desc_bytes(f->fill + 16 * i, addr, len, fl, (uint16_t)next);
        at = next;
    }
    if (count > 0) {
        uint8_t *last = f->fill + 16 * (count - 1) + (packed ? VC_PACKED_DESC_FLAGS : VC_SPLIT_DESC_FLAGS);
        uint16_t end = htole16(flags);
        memcpy(last, &end, 2);
    }
    for (uint32_t i = 0; i < count;) {
        uint32_t at = (first + i) % limit, n = count - i < limit - at ? count - i : limit - at;
        if (main_table)
            packed_ring_written(f, base + 16ull * at, 16ull * n);
        vc_gmem_write(&f->mem, base + 16ull * at, f->fill + 16 * i, 16ull * n);
        i += n;
    }
}

static void packed_step(vc_fz *f, unsigned k)
{
    f->drv_pos = (uint16_t)(f->drv_pos + k);
    if (f->drv_pos == f->size) {
        f->drv_pos = 0;
        f->drv_wrap = !f->drv_wrap;
    }
}

static uint16_t avail_flags(uint16_t flags, bool wrap)
{
    flags &= ~(VC_DESC_F_AVAIL | VC_DESC_F_USED);
    return flags | (wrap ? VC_DESC_F_AVAIL : VC_DESC_F_USED);
}

/* Packed: makes the next n descriptors available, the first one last (its
 * flags hand the batch over). The others are rewritten a stretch at a time
 * up to the ring's end, in one read and one write each. */
static void packed_avail(vc_fz *f, unsigned n)
{
    uint16_t first = f->drv_pos;
    bool first_wrap = f->drv_wrap;
    f->drv_work += n / 8;
    packed_step(f, 1);
    for (unsigned left = n - 1; left > 0;) {
        unsigned k = f->size - f->drv_pos;
        k = k < left ? k : left;
        k = k < VC_SCN_TABLE_ENTRIES ? k : VC_SCN_TABLE_ENTRIES; /* what f->fill holds */
        uint64_t at = f->desc + 16ull * f->drv_pos;
        vc_gmem_read(&f->mem, at, f->fill, 16ull * k);
        for (unsigned i = 0; i < k; i++) {
            uint8_t *p = f->fill + 16 * i + VC_PACKED_DESC_FLAGS;
            uint16_t fl;
            memcpy(&fl, p, 2);
            fl = htole16(avail_flags(le16toh(fl), f->drv_wrap));
            memcpy(p, &fl, 2);
        }
        vc_gmem_write(&f->mem, at, f->fill, 16ull * k);
        packed_step(f, k);
        left -= k;
    }
    uint64_t fl = f->desc + 16ull * first + VC_PACKED_DESC_FLAGS;
    uint16_t flags;
    vc_gmem_ld16(&f->mem, fl, &flags);
    vc_gmem_st16_release(&f->mem, fl, avail_flags(flags, first_wrap));
}

static void op_avail(vc_fz *f, const vc_scn_op *o)
{
    if (f->oracle.packed) {
        packed_avail(f, o->a16 % f->size + 1);
        return;
    }
    vc_split_put_avail(&f->mem, f->driver, f->size, f->avail_idx, o->a16);
    f->avail_idx++;
}

static void op_event(vc_fz *f, const vc_scn_op *o)
{
    switch (o->a8 % 3) {
    case 0:
        vc_gmem_st16(&f->mem, f->driver + VC_SPLIT_AVAIL_FLAGS, o->a16);
        break;
    case 1:
        if (!f->oracle.packed)
            vc_gmem_st16(&f->mem, f->driver + vc_split_used_event_off(f->size), o->a16);
        break;
    default:
        if (f->oracle.packed)
            vc_gmem_st16(&f->mem, f->driver + VC_PACKED_EVENT_OFF_WRAP, o->a16);
        break;
    }
}

static void op_mem(vc_fz *f, const vc_scn_op *o)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(o->a64 >> (8 * i));
    packed_ring_written(f, o->a32, o->a8 % 8 + 1);
    /* the driver scribbling on the used ring (its fault) makes it unreadable */
    if (!f->oracle.packed && overlaps(o->a32, o->a8 % 8 + 1, f->device, vc_split_used_bytes(f->size)))
        f->used_lost = true;
    vc_gmem_write(&f->mem, o->a32, b, o->a8 % 8 + 1);
}

/* ---- used ring checks ---- */

static void used_entry(vc_fz *f, uint32_t id, uint32_t len)
{
    event(f, 'U', (uint16_t)id, len);
    if (f->trace)
        fprintf(stderr, "trace: used id %u len %u\n", id, len);
    if (id >= f->size || !f->inflight[id]) {
        finding(f, "used-unknown-chain", REQ_DEV_IMPLIED_USED_KNOWN, "used entry for chain %u, not taken", id);
        return;
    }
    if (len > f->inflight_wr[id])
        finding(f, "used-length-too-large", REQ_DEV_VQ_USED_2,
                "chain %u: used length %u, writable space %llu", id, len,
                (unsigned long long)f->inflight_wr[id]);
    f->inflight[id]--;
    f->ninflight--;
}

static void check_used_split(vc_fz *f)
{
    if (f->used_lost)
        return;
    uint16_t idx;
    vc_gmem_ld16(&f->mem, f->device + VC_SPLIT_USED_IDX, &idx);
    uint16_t moved = (uint16_t)(idx - f->used_seen);
    if (moved > f->ninflight) {
        finding(f, "used-index-jump", REQ_DEV_IMPLIED_USED_KNOWN,
                "used idx moved by %u with %u chains outstanding", moved, f->ninflight);
        f->used_seen = idx;
        return;
    }
    for (; f->used_seen != idx; f->used_seen++) {
        uint64_t e = f->device + VC_SPLIT_USED_RING + 8ull * (f->used_seen % f->size);
        uint32_t id, len;
        vc_gmem_ld32(&f->mem, e, &id);
        vc_gmem_ld32(&f->mem, e + 4, &len);
        used_entry(f, id, len);
    }
}

/* Reads used descriptors only while chains are outstanding: past that point
 * a slot may hold a descriptor the driver wrote, whose flags can look used. */
static void check_used_packed(vc_fz *f)
{
    for (unsigned n = 0; n < f->size && f->ninflight > 0 && !f->used_lost; n++) {
        uint64_t d = f->desc + 16ull * f->used_pos;
        uint16_t flags, id;
        uint32_t len;
        vc_gmem_ld16(&f->mem, d + VC_PACKED_DESC_FLAGS, &flags);
        bool av = flags & VC_DESC_F_AVAIL, us = flags & VC_DESC_F_USED;
        if (av != f->used_wrap || us != f->used_wrap)
            return;
        vc_gmem_ld16(&f->mem, d + VC_PACKED_DESC_ID, &id);
        vc_gmem_ld32(&f->mem, d + VC_PACKED_DESC_LEN, &len);
        uint16_t slots = id < f->size && f->inflight[id] ? f->inflight_slots[id] : 1;
        if (f->trace)
            fprintf(stderr, "trace: used slot %u (wrap %d) skips %u\n", f->used_pos, f->used_wrap, slots);
        used_entry(f, id, len);
        f->used_pos = (uint16_t)(f->used_pos + slots);
        if (f->used_pos >= f->size) {
            f->used_pos = (uint16_t)(f->used_pos - f->size);
            f->used_wrap = !f->used_wrap;
        }
    }
}

/* Work this run: the backend's guest-memory accesses and the driver side's
 * descriptor and ring writes. */
static bool budget_spent(const vc_fz *f)
{
    return f->r->accesses + f->drv_work >= VC_FZ_RUN_BUDGET;
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

static void op_kick(vc_fz *f)
{
    if (!f->backend_live)
        return;
    f->r->kicks++;
    event(f, 'K', 0, 0);
    if (f->trace)
        fprintf(stderr, "trace: kick\n");
    vc_adapter_events ev = { .ctx = f, .took = ev_took, .rejected = ev_rejected, .enough = ev_enough };
    f->kick_accesses = 0;
    f->chain_bytes = 0;
    f->nreads = 0;
    f->in_device = true;
    f->ad->kick(f->be, &ev, (vc_used_policy)f->s->used_policy);
    f->in_device = false;
    if (f->oracle.packed)
        check_used_packed(f);
    else
        check_used_split(f);
    if (f->ninflight == 0) {
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
    bool packed = s->features & VC_SCN_F_PACKED;
    f->desc = VC_SCN_RINGS;
    f->driver = f->desc + 16ull * f->size;
    f->driver = (f->driver + 63) & ~63ull;
    f->device = f->driver + (packed ? 64 : vc_split_avail_bytes(f->size));
    f->device = (f->device + 4095) & ~4095ull;
    /* Work between two chain events (taken / refused): a conforming device
     * reads each descriptor of one chain (main table plus one indirect
     * table) a few times and writes each segment once; allow slack. */
    f->budget = 4ull * (f->size + VC_SCN_TABLE_ENTRIES) + 4096;
    f->drv_work = 0;
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
        f->drv_work++;
        switch (o->op) {
        case VC_SCN_DESC: op_desc(f, o); break;
        case VC_SCN_IDESC: op_idesc(f, o); break;
        case VC_SCN_NEXT: op_next(f, o); break;
        case VC_SCN_AVAIL: op_avail(f, o); break;
        case VC_SCN_AIDX:
            if (!packed) {
                f->avail_idx = o->a16;
                vc_gmem_st16_release(&f->mem, f->driver + VC_SPLIT_AVAIL_IDX, o->a16);
            }
            break;
        case VC_SCN_KICK: op_kick(f); break;
        case VC_SCN_RESET:
            f->drv_work += f->size; /* the rings are cleared */
            start_queue(f, true);
            break;
        case VC_SCN_WRAP: f->drv_wrap = !f->drv_wrap; break;
        case VC_SCN_EVENT: op_event(f, o); break;
        case VC_SCN_MEM: op_mem(f, o); break;
        case VC_SCN_FILL: op_fill(f, o); break;
        }
    }
    return r->nfindings;
}

size_t vc_fz_format(const vc_fz_report *r, const char *who, char *msg, size_t cap)
{
    size_t used = 0;
    if (cap)
        msg[0] = 0;
    for (unsigned i = 0; i < r->nfindings && used + 1 < cap; i++) {
        int n = snprintf(msg + used, cap - used, "%s%s%s [%s]: %s\n", who ? who : "", who ? ": " : "",
                         r->finding[i].kind, r->finding[i].req ? r->finding[i].req : "-",
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
