/* Block device semantics beyond the round-trip: status codes (an unknown
 * request type, discard and write-zeroes flags), write-zeroes reading back
 * zero (with and without unmap, and past max_write_zeroes_seg), sectors
 * beyond capacity, GET_ID's 20 bytes and a shorter buffer, a read-only
 * device writing nothing, and used lengths that claim bytes the device never
 * wrote.
 *
 * Some requests break a driver rule on purpose (beyond capacity, a short
 * GET_ID, too many segments, a flush naming a sector): the device must
 * still answer sanely. Where the device judges the driver (--sim), it must
 * name exactly those breaches (judge.planted). */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "dev_blk.h"
#include "judge_planted.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define SECTOR 512u
#define DATA_SECTORS 64u /* room for max_write_zeroes_seg + 1 one-sector ranges */
#define ID_BYTES 20u
#define DWZ_SEG 16u    /* struct virtio_blk_discard_write_zeroes */
#define DWZ_MAX 64u    /* segments the probe sends at most */
#define F_UNMAP 1u
#define F_UNKNOWN 2u   /* a reserved flag bit */
#define T_UNKNOWN 0x7eu
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13 };
/* the zoned request types (the spec's request type list) */
enum { T_ZONE_APPEND = 15, T_ZONE_REPORT = 16, T_ZONE_OPEN = 18, T_ZONE_CLOSE = 20, T_ZONE_FINISH = 22,
       T_ZONE_RESET = 24, T_ZONE_RESET_ALL = 26 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };
enum { C_MAX_WZ_SEG = 52, C_WZ_MAY_UNMAP = 56 }; /* config offsets */
enum { W_DATA = 4, W_DISCARD = 6, W_MANY = 7 };     /* sectors the checks may change */
#define W_ZONE 3u /* the sector the zone requests name (written by dev_blk.c's write check) */

typedef struct bs {
    vp_drv *v;
    vp_report *r;
    uint64_t cap;
    uint64_t hdr, status, data, dwz, shortid;
    uint8_t *h_hdr, *h_status, *h_data, *h_dwz, *h_short;
} bs;

static uint8_t canary(unsigned i) { return (uint8_t)(0x5a + 37 * i); }

static void fill_canary(uint8_t *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = canary(i);
}

/* Whether the first n bytes hold four canary bytes in a row: bytes the
 * device never wrote (a device writing exactly the canary is not plausible). */
static bool canary_run(const uint8_t *p, unsigned n)
{
    for (unsigned i = 0, run = 0; i < n; i++) {
        run = p[i] == canary(i) ? run + 1 : 0;
        if (run >= 4)
            return true;
    }
    return false;
}

static void put_hdr(bs *s, uint32_t type, uint64_t sector)
{
    memset(s->h_hdr, 0, 16);
    for (unsigned i = 0; i < 4; i++)
        s->h_hdr[i] = (uint8_t)(type >> (8 * i));
    for (unsigned i = 0; i < 8; i++)
        s->h_hdr[8 + i] = (uint8_t)(sector >> (8 * i));
}

/* One request: header, then out bytes (readable) or in bytes (writable) at
 * data, then the status. Returns the status, -1 after reporting a failed
 * round-trip. */
static int rq(bs *s, const char *id, uint32_t type, uint64_t sector, uint64_t data, uint32_t out, uint32_t in,
              uint32_t *used)
{
    char err[128];
    put_hdr(s, type, sector);
    *s->h_status = 0xee;
    vc_seg sg[3];
    unsigned n = 0;
    sg[n++] = (vc_seg){s->hdr, 16, false};
    if (out)
        sg[n++] = (vc_seg){data, out, false};
    if (in)
        sg[n++] = (vc_seg){data, in, true};
    sg[n++] = (vc_seg){s->status, 1, true};
    vp_rt rt = vp_drv_roundtrip(s->v, 0, sg, out ? 2 : 1, in ? 2 : 1, false, used, err, sizeof err);
    if (!vp_report_rt(s->v, id, REQ_DRV_IMPLIED_BLK_REQ_LAYOUT, rt, err))
        return -1;
    return *s->h_status;
}

static bool expect_status(bs *s, const char *id, const char *reqs, int st, int want, const char *detail)
{
    char ex[32], ob[32];
    snprintf(ex, sizeof ex, "status %d", want);
    snprintf(ob, sizeof ob, "status %d", st);
    return vp_expect(s->r, id, reqs, st == want, ex, ob, detail);
}

static void expect_failed(bs *s, const char *id, const char *reqs, int st, const char *detail)
{
    char ob[32];
    snprintf(ob, sizeof ob, "status %d", st);
    vp_expect(s->r, id, reqs, st == S_IOERR || st == S_UNSUPP, "status 1 or 2 (not OK)", ob, detail);
}

/* The used length may not count data bytes the device left alone: data
 * held the canary before the request (dev.vq_used.2). */
static void expect_used(bs *s, const char *id, uint32_t used, unsigned data_len)
{
    char ob[64];
    unsigned claimed = used < data_len ? used : data_len;
    bool bad = canary_run(s->h_data, claimed);
    snprintf(ob, sizeof ob, "used length %u%s", used, bad ? ", data bytes untouched" : "");
    vp_expect(s->r, id, REQ_DEV_VQ_USED_2, !bad, "no more than the bytes written", ob, NULL);
}

/* A sequence of segments of one sector each, from sector, with flags. */
static unsigned put_segs(bs *s, uint64_t sector, unsigned n, uint32_t flags)
{
    memset(s->h_dwz, 0, n * DWZ_SEG);
    for (unsigned k = 0; k < n; k++) {
        uint8_t *g = s->h_dwz + k * DWZ_SEG;
        for (unsigned i = 0; i < 8; i++)
            g[i] = (uint8_t)((sector + k) >> (8 * i));
        g[8] = 1;
        for (unsigned i = 0; i < 4; i++)
            g[12 + i] = (uint8_t)(flags >> (8 * i));
    }
    return n * DWZ_SEG;
}

/* Writes n sectors from sector with non-zero bytes; false after reporting. */
static bool scribble(bs *s, const char *id, uint64_t sector, unsigned n)
{
    uint32_t used;
    for (unsigned i = 0; i < n * SECTOR; i++)
        s->h_data[i] = (uint8_t)(0x81 + i);
    int st = rq(s, id, T_OUT, sector, s->data, n * SECTOR, 0, &used);
    if (st < 0)
        return false;
    return expect_status(s, id, REQ_DEV_IMPLIED_BLK_DATA, st, S_OK, "write before write-zeroes");
}

/* Reads n sectors from sector; returns whether every byte is zero, -1 on error. */
static int zeroes(bs *s, const char *id, uint64_t sector, unsigned n)
{
    uint32_t used;
    memset(s->h_data, 0xee, n * SECTOR);
    int st = rq(s, id, T_IN, sector, s->data, 0, n * SECTOR, &used);
    if (st < 0 || !expect_status(s, id, REQ_DEV_IMPLIED_BLK_DATA, st, S_OK, "read back"))
        return -1;
    for (unsigned i = 0; i < n * SECTOR; i++)
        if (s->h_data[i])
            return 0;
    return 1;
}

static void status_codes(bs *s)
{
    uint32_t used;
    fill_canary(s->h_data, SECTOR);
    int st = rq(s, "blk.unknown_type", T_UNKNOWN, 0, s->data, 0, SECTOR, &used);
    if (st < 0)
        return;
    /* the spec's status list gives UNSUPP for a request the device does not support (no numbered statement) */
    expect_status(s, "blk.unknown_type", "", st, S_UNSUPP, "request type 0x7e");
    expect_used(s, "blk.unknown_type.used_len", used, SECTOR);
}

/* Without ZONED negotiated, every zone request is refused with UNSUPP and
 * changes nothing: an append's data is not written, a reset does not clear
 * the sector the requests name. */
static void zones(bs *s)
{
    static const struct { uint32_t type; const char *id; unsigned out, in; } zr[] = {
        {T_ZONE_REPORT, "blk.zone.report", 0, SECTOR}, {T_ZONE_OPEN, "blk.zone.open", 0, 0},
        {T_ZONE_CLOSE, "blk.zone.close", 0, 0},        {T_ZONE_FINISH, "blk.zone.finish", 0, 0},
        {T_ZONE_APPEND, "blk.zone.append", SECTOR, 0}, {T_ZONE_RESET, "blk.zone.reset", 0, 0},
        {T_ZONE_RESET_ALL, "blk.zone.reset_all", 0, 0},
    };
    uint8_t before[SECTOR];
    uint32_t used;
    char ex[64], ob[64];
    if (s->v->features >> VIRTIO_BLK_F_ZONED_BIT & 1)
        return; /* zoned semantics are not checked */
    int st = rq(s, "blk.zone.before", T_IN, W_ZONE, s->data, 0, SECTOR, &used);
    if (st < 0 || !expect_status(s, "blk.zone.before", REQ_DEV_IMPLIED_BLK_DATA, st, S_OK, "sector 3"))
        return;
    memcpy(before, s->h_data, SECTOR);
    for (unsigned i = 0; i < sizeof zr / sizeof zr[0]; i++) {
        for (unsigned b = 0; b < SECTOR; b++) /* an append's data differs from the sector */
            s->h_data[b] = (uint8_t)~before[b];
        st = rq(s, zr[i].id, zr[i].type, W_ZONE, s->data, zr[i].out, zr[i].in, &used);
        if (st < 0)
            return;
        snprintf(ex, sizeof ex, "status %d (UNSUPP)", S_UNSUPP);
        snprintf(ob, sizeof ob, "status %d", st);
        vp_expect(s->r, zr[i].id, REQ_DEV_BLK_OP_16, st == S_UNSUPP, ex, ob, "ZONED not negotiated");
    }
    st = rq(s, "blk.zone.after", T_IN, W_ZONE, s->data, 0, SECTOR, &used);
    if (st < 0)
        return;
    bool same = st == S_OK && !memcmp(before, s->h_data, SECTOR);
    vp_expect(s->r, "blk.zone.unchanged", REQ_DEV_BLK_OP_16, same, "sector 3 as before",
              st != S_OK ? "read failed" : same ? "sector 3 as before" : "changed",
              "after refused zone append, reset and reset-all requests");
}

static void get_id(bs *s)
{
    uint32_t used;
    char ob[96];
    fill_canary(s->h_data, ID_BYTES);
    int st = rq(s, "blk.get_id.len", T_GET_ID, 0, s->data, 0, ID_BYTES, &used);
    if (st < 0 || st != S_OK)
        return; /* UNSUPP is allowed; the round-trip reported the rest */
    /* the ID: printable ASCII, then NUL padding to 20 bytes */
    unsigned n = 0;
    while (n < ID_BYTES && s->h_data[n] >= 0x20 && s->h_data[n] < 0x7f)
        n++;
    bool padded = true;
    for (unsigned i = n; i < ID_BYTES; i++)
        padded &= s->h_data[i] == 0;
    snprintf(ob, sizeof ob, "%u characters, %s", n, padded ? "NUL-padded" : "not NUL-padded");
    expect_used(s, "blk.get_id.used_len", used, ID_BYTES);
    vp_expect(s->r, "blk.get_id.padding", "", padded, "an ASCII string NUL-padded to 20 bytes", ob, NULL);
    /* a buffer of 8 bytes (a driver error): the device header sits right
     * after it, and the device may not write into that */
    fill_canary(s->h_short, 8);
    put_hdr(s, T_GET_ID, 0);
    memcpy(s->h_short + 8, s->h_hdr, 16);
    *s->h_status = 0xee;
    vc_seg sg[3] = {{s->shortid + 8, 16, false}, {s->shortid, 8, true}, {s->status, 1, true}};
    char err[128];
    vp_rt rt = vp_drv_roundtrip(s->v, 0, sg, 1, 2, false, &used, err, sizeof err);
    if (!vp_report_rt(s->v, "blk.get_id.short", REQ_DRV_IMPLIED_BLK_REQ_LAYOUT, rt, err))
        return;
    put_hdr(s, T_GET_ID, 0);
    bool kept = !memcmp(s->h_short + 8, s->h_hdr, 16);
    st = *s->h_status;
    snprintf(ob, sizeof ob, "status %d, header %s", st, kept ? "untouched" : "overwritten");
    vp_expect(s->r, "blk.get_id.short", REQ_DEV_VQ_DESC_1, kept && st <= S_UNSUPP,
              "status 0-2, the readable header after the buffer untouched", ob, "an 8-byte ID buffer");
}

static void out_of_range(bs *s)
{
    uint32_t used;
    fill_canary(s->h_data, SECTOR);
    int st = rq(s, "blk.read.beyond", T_IN, s->cap, s->data, 0, SECTOR, &used);
    if (st < 0)
        return;
    expect_failed(s, "blk.read.beyond", REQ_DEV_IMPLIED_BLK_DATA, st, "the sector at capacity (a driver error)");
    expect_used(s, "blk.read.beyond.used_len", used, SECTOR);
    for (unsigned i = 0; i < 2 * SECTOR; i++)
        s->h_data[i] = (uint8_t)(0x33 ^ i);
    st = rq(s, "blk.write.straddle", T_OUT, s->cap - 1, s->data, 2 * SECTOR, 0, &used);
    if (st < 0)
        return;
    expect_failed(s, "blk.write.straddle", REQ_DEV_IMPLIED_BLK_DATA, st,
                  "the last sector and one beyond it (a driver error)");
    if (s->v->features >> VIRTIO_BLK_F_FLUSH_BIT & 1) {
        st = rq(s, "blk.flush.sector", T_FLUSH, s->cap + 5, 0, 0, 0, &used);
        if (st >= 0) /* the field is unused for a flush (no numbered statement) */
            expect_status(s, "blk.flush.sector", "", st, S_OK, "a flush naming a sector past capacity");
    }
}

static void write_zeroes(bs *s)
{
    vp_drv *v = s->v;
    uint32_t used;
    char ob[64];
    if (!(v->features >> VIRTIO_BLK_F_WRITE_ZEROES_BIT & 1)) {
        vp_check(s->r, "blk.write_zeroes", "", VP_SKIP, NULL, NULL, "WRITE_ZEROES not offered");
        return;
    }
    /* a host that never frees sectors should say so (--blk-no-unmap: the
     * runner's disks have no discard=unmap) */
    if (v->c->opt.blk_no_unmap && v->t->device.len > C_WZ_MAY_UNMAP) {
        unsigned may = (unsigned)vp_tp_cfg(v->t, C_WZ_MAY_UNMAP, 1);
        snprintf(ob, sizeof ob, "%u", may);
        vp_expect(s->r, "blk.write_zeroes.may_unmap", REQ_DEV_BLK_OP_9, may == 0, "0", ob,
                  "the host's disk never frees sectors");
    }
    if (!scribble(s, "blk.write_zeroes.prepare", W_DATA, 2))
        return;
    /* sector 4 plain, sector 5 with unmap: both read back zero */
    int st = rq(s, "blk.write_zeroes", T_WRITE_ZEROES, 0, s->dwz, put_segs(s, W_DATA, 1, 0), 0, &used);
    if (st < 0 || !expect_status(s, "blk.write_zeroes", "", st, S_OK, "one segment"))
        return;
    st = rq(s, "blk.write_zeroes.unmap", T_WRITE_ZEROES, 0, s->dwz, put_segs(s, W_DATA + 1, 1, F_UNMAP), 0, &used);
    if (st < 0 || !expect_status(s, "blk.write_zeroes.unmap", "", st, S_OK, "one segment, unmap set"))
        return;
    int z = zeroes(s, "blk.write_zeroes.read", W_DATA, 2);
    if (z < 0)
        return;
    vp_expect(s->r, "blk.write_zeroes.zero", REQ_DEV_BLK_OP_8, z == 1, "zeroes", z ? "zeroes" : "other bytes",
              "with and without unmap");
    st = rq(s, "blk.write_zeroes.unknown_flag", T_WRITE_ZEROES, 0, s->dwz, put_segs(s, W_DATA, 1, F_UNKNOWN), 0,
            &used);
    if (st >= 0)
        expect_status(s, "blk.write_zeroes.unknown_flag", REQ_DEV_BLK_OP_4, st, S_UNSUPP, "flags 0x2");
    st = rq(s, "blk.write_zeroes.beyond", T_WRITE_ZEROES, 0, s->dwz, put_segs(s, s->cap, 1, 0), 0, &used);
    if (st >= 0)
        expect_failed(s, "blk.write_zeroes.beyond", "", st, "a segment at capacity (a driver error)");
    /* more segments than max_write_zeroes_seg (a driver error): an OK
     * completion still means every range reads zero */
    if (v->t->device.len < C_MAX_WZ_SEG + 4)
        return; /* a legacy BAR0 too short for the field */
    unsigned max = (unsigned)vp_tp_cfg(v->t, C_MAX_WZ_SEG, 4);
    if (max == 0 || max + 1 > DWZ_MAX || max + 1 > DATA_SECTORS || s->cap < W_MANY + max + 1)
        return;
    if (!scribble(s, "blk.write_zeroes.many.prepare", W_MANY, max + 1))
        return;
    st = rq(s, "blk.write_zeroes.many", T_WRITE_ZEROES, 0, s->dwz, put_segs(s, W_MANY, max + 1, 0), 0, &used);
    if (st < 0)
        return;
    if (st != S_OK) {
        snprintf(ob, sizeof ob, "status %d", st);
        vp_expect(s->r, "blk.write_zeroes.many", "", st == S_IOERR || st == S_UNSUPP, "status 0-2", ob,
                  "more segments than max_write_zeroes_seg: a failure leaves the ranges undetermined");
        return;
    }
    z = zeroes(s, "blk.write_zeroes.many.read", W_MANY, max + 1);
    if (z >= 0) {
        snprintf(ob, sizeof ob, "status 0, %s", z ? "every range zero" : "a range not zero");
        vp_expect(s->r, "blk.write_zeroes.many", REQ_DEV_BLK_OP_8, z == 1, "every range zero after status 0", ob,
                  "max_write_zeroes_seg + 1 segments");
    }
}

static void discard(bs *s)
{
    vp_drv *v = s->v;
    uint32_t used;
    if (!(v->features >> VIRTIO_BLK_F_DISCARD_BIT & 1)) {
        vp_check(s->r, "blk.discard", "", VP_SKIP, NULL, NULL, "DISCARD not offered");
        return;
    }
    int st = rq(s, "blk.discard", T_DISCARD, 0, s->dwz, put_segs(s, W_DISCARD, 1, 0), 0, &used);
    if (st >= 0)
        expect_status(s, "blk.discard", "", st, S_OK, "one segment");
    st = rq(s, "blk.discard.unmap", T_DISCARD, 0, s->dwz, put_segs(s, W_DISCARD, 1, F_UNMAP), 0, &used);
    if (st >= 0)
        expect_status(s, "blk.discard.unmap", REQ_DEV_BLK_OP_5, st, S_UNSUPP, "unmap set on a discard");
    st = rq(s, "blk.discard.unknown_flag", T_DISCARD, 0, s->dwz, put_segs(s, W_DISCARD, 1, F_UNKNOWN), 0, &used);
    if (st >= 0)
        expect_status(s, "blk.discard.unknown_flag", REQ_DEV_BLK_OP_4, st, S_UNSUPP, "flags 0x2");
}

/* Read-only: a write fails and leaves the sector as it was. */
static void read_only(bs *s)
{
    uint32_t used;
    uint8_t before[SECTOR];
    int st = rq(s, "blk.ro.read", T_IN, 2, s->data, 0, SECTOR, &used);
    if (st < 0 || !expect_status(s, "blk.ro.read", REQ_DEV_IMPLIED_BLK_DATA, st, S_OK, "sector 2"))
        return;
    memcpy(before, s->h_data, SECTOR);
    for (unsigned i = 0; i < SECTOR; i++)
        s->h_data[i] = (uint8_t)~before[i];
    st = rq(s, "blk.ro.write", T_OUT, 2, s->data, SECTOR, 0, &used);
    if (st < 0)
        return;
    expect_status(s, "blk.ro.write", REQ_DEV_BLK_OP_3, st, S_IOERR, "RO offered");
    st = rq(s, "blk.ro.reread", T_IN, 2, s->data, 0, SECTOR, &used);
    if (st < 0)
        return;
    bool same = st == S_OK && !memcmp(before, s->h_data, SECTOR);
    vp_expect(s->r, "blk.ro.unchanged", REQ_DEV_BLK_OP_3, same, "sector 2 as before",
              st != S_OK ? "read failed" : same ? "sector 2 as before" : "changed", NULL);
}

/* the judge's codes for them (refdev/src/drvrules_blk.c names the range ones) */
static const char *const PLANTED[] = {"BLK_BEYOND_CAPACITY", "BLK_GET_ID_LEN",   "BLK_FLUSH_SECTOR",
                                      "BLK_DWZ_TOO_MANY",    "BLK_RANGE_BEYOND_CAPACITY", "BLK_DISCARD_UNMAP"};
#define NPLANTED (sizeof PLANTED / sizeof PLANTED[0])

void vp_blk_semantics(vp_drv *v, uint64_t cap)
{
    vp_report *r = v->c->rep;
    bs s = {.v = v, .r = r, .cap = cap};
    s.hdr = vp_drv_alloc(v, 16, 16);
    s.status = vp_drv_alloc(v, 1, 1);
    s.data = vp_drv_alloc(v, DATA_SECTORS * SECTOR, 512);
    s.dwz = vp_drv_alloc(v, DWZ_MAX * DWZ_SEG, 16);
    s.shortid = vp_drv_alloc(v, 8 + 16, 8);
    if (!s.hdr || !s.status || !s.data || !s.dwz || !s.shortid) {
        vp_check(r, "blk.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    if (cap < W_MANY + 2) {
        vp_check(r, "blk.semantics", "", VP_SKIP, NULL, NULL, "capacity below %u sectors", W_MANY + 2);
        return;
    }
    s.h_hdr = vp_drv_host(v, s.hdr, 16);
    s.h_status = vp_drv_host(v, s.status, 1);
    s.h_data = vp_drv_host(v, s.data, DATA_SECTORS * SECTOR);
    s.h_dwz = vp_drv_host(v, s.dwz, DWZ_MAX * DWZ_SEG);
    s.h_short = vp_drv_host(v, s.shortid, 24);
    /* what the device judged so far is the round-trip's: report it now */
    vp_judge_planted(v, PLANTED, NPLANTED);
    status_codes(&s);
    zones(&s);
    get_id(&s);
    out_of_range(&s);
    if (v->offered >> VIRTIO_BLK_F_RO_BIT & 1) {
        read_only(&s);
    } else {
        write_zeroes(&s);
        discard(&s);
    }
    if (v->c->plat->driver_faults) {
        unsigned seen = vp_judge_planted(v, PLANTED, NPLANTED);
        char ob[48];
        snprintf(ob, sizeof ob, "%u named", seen);
        vp_expect(r, "judge.planted", "", seen > 0, "the driver errors made on purpose named", ob,
                  "the reference device's judgement");
    }
}
