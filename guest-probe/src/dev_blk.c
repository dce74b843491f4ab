/* Block device: capacity, read of the runner's pattern disk, write and read
 * back, flush, get-id; direct and indirect descriptors; then the semantics
 * checks of dev_blk_sem.c. The pattern (see
 * PROTOCOL.md): each 512-byte sector s starts with "vconform" and s as a
 * little-endian u64, then byte i holds (s + i) & 0xff. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "dev_blk.h"
#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vc/spec_features.h"

#define SECTOR 512u
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };

void vp_blk_pattern(uint8_t *buf, uint64_t sector, unsigned nsect)
{
    for (unsigned k = 0; k < nsect; k++, sector++) {
        uint8_t *p = buf + (size_t)k * SECTOR;
        memcpy(p, "vconform", 8);
        for (unsigned b = 0; b < 8; b++)
            p[8 + b] = (uint8_t)(sector >> (8 * b));
        for (unsigned i = 16; i < SECTOR; i++)
            p[i] = (uint8_t)(sector + i);
    }
}

typedef struct blk_io {
    vp_drv *v;
    uint64_t hdr, data, status;
    uint8_t *h_hdr, *h_data, *h_status;
} blk_io;

/* One request; returns the status byte, or -1 after reporting a failed round-trip. */
static int blk_req(blk_io *b, const char *id, uint32_t type, uint64_t sector, uint32_t len,
                   bool write, bool indirect, uint32_t *used)
{
    char err[128];
    uint8_t *h = b->h_hdr;
    memset(h, 0, 16);
    for (unsigned i = 0; i < 4; i++)
        h[i] = (uint8_t)(type >> (8 * i));
    for (unsigned i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(sector >> (8 * i));
    *b->h_status = 0xee;
    vc_seg sg[3];
    unsigned n = 0, n_out;
    sg[n++] = (vc_seg){b->hdr, 16, false};
    if (len && write)
        sg[n++] = (vc_seg){b->data, len, false};
    n_out = n;
    if (len && !write)
        sg[n++] = (vc_seg){b->data, len, true};
    sg[n++] = (vc_seg){b->status, 1, true};
    vp_rt rt = vp_drv_roundtrip(b->v, 0, sg, n_out, n - n_out, indirect, used, err, sizeof err);
    if (!vp_report_rt(b->v, id, REQ_DRV_IMPLIED_BLK_REQ_LAYOUT, rt, err))
        return -1;
    return *b->h_status;
}

static bool status_ok(vp_report *r, const char *id, int st, uint32_t used, uint32_t want_used)
{
    char ob[64], ex[64];
    snprintf(ob, sizeof ob, "status %d, used length %u", st, used);
    snprintf(ex, sizeof ex, "status 0, used length %u", want_used);
    return vp_expect(r, id, REQ_DEV_IMPLIED_BLK_DATA "," REQ_DEV_VQ_USED_2, st == S_OK && used >= want_used,
                     ex, ob, NULL);
}

/* What the device offers: FLUSH (a SHOULD, a MUST with CONFIG_WCE); never
 * ZONED on the legacy interface; on the runner's disk (a plain file: no
 * zones, no wear metrics) neither ZONED nor LIFETIME. */
static void offers(vp_drv *v)
{
    vp_report *r = v->c->rep;
    bool flush = v->offered >> VIRTIO_BLK_F_FLUSH_BIT & 1, wce = v->offered >> VIRTIO_BLK_F_CONFIG_WCE_BIT & 1;
    bool zoned = v->offered >> VIRTIO_BLK_F_ZONED_BIT & 1, life = v->offered >> VIRTIO_BLK_F_LIFETIME_BIT & 1;
    vp_expect(r, "blk.offer.flush", REQ_DEV_BLK_INIT_1, flush, "FLUSH offered", flush ? "offered" : "not offered",
              wce ? "CONFIG_WCE is offered, so FLUSH must be" : "a device should offer FLUSH");
    if (v->t->legacy)
        vp_expect(r, "blk.offer.zoned.legacy", REQ_DEV_BLK_INIT_5, !zoned, "ZONED not offered",
                  zoned ? "offered" : "not offered", "the legacy interface");
    if (!v->c->opt.blk_pattern)
        return; /* a disk the probe knows nothing of */
    vp_expect(r, "blk.offer.zoned", REQ_DEV_BLK_INIT_4, !zoned, "ZONED not offered", zoned ? "offered" : "not offered",
              "the runner's disk has no zones");
    vp_expect(r, "blk.offer.lifetime", REQ_DEV_BLK_OP_14, !life, "LIFETIME not offered",
              life ? "offered" : "not offered", "the runner's disk is a plain file: no wear metrics");
}

/* Packed ring: the descriptors of the first request, as they were once the
 * device had marked it used; the rest of the test must leave them alone. */
typedef struct used_snap {
    unsigned n; /* bytes held, 0: none */
    uint8_t bytes[VC_PACKED_DESC_SIZE * 8];
} used_snap;

static void snap_take(vp_drv *v, used_snap *ps)
{
    const vc_vq_drv *q = &v->q[0];
    unsigned n = (unsigned)q->next_used * VC_PACKED_DESC_SIZE;
    if (!q->packed || !q->used_wrap || n == 0 || n > sizeof ps->bytes)
        return; /* split, or past the first wrap already */
    memcpy(ps->bytes, vp_drv_host(v, q->desc, n), n);
    ps->n = n;
}

static void snap_compare(vp_drv *v, const used_snap *ps)
{
    const vc_vq_drv *q = &v->q[0];
    char ob[64];
    if (!ps->n || !q->avail_wrap || !q->used_wrap)
        return; /* none, or the driver has wrapped and reused the slots itself */
    const uint8_t *now = vp_drv_host(v, q->desc, ps->n);
    unsigned at = 0;
    while (at < ps->n && now[at] == ps->bytes[at])
        at++;
    if (at < ps->n)
        snprintf(ob, sizeof ob, "descriptor %u byte %u changed", at / VC_PACKED_DESC_SIZE, at % VC_PACKED_DESC_SIZE);
    else
        snprintf(ob, sizeof ob, "%u descriptor(s) unchanged", ps->n / VC_PACKED_DESC_SIZE);
    vp_expect(v->c->rep, "blk.packed.used_untouched", REQ_DEV_PACKED_DESC_3, at == ps->n,
              "the first request's descriptors as the device left them", ob,
              "compared after the later requests of the test");
}

static void blk_run(vp_drv *v, vp_seen *seen, used_snap *ps);

void vp_devtest_blk(vp_drv *v, vp_seen *seen)
{
    used_snap ps = {0};
    blk_run(v, seen, &ps);
    snap_compare(v, &ps);
}

static void blk_run(vp_drv *v, vp_seen *seen, used_snap *ps)
{
    vp_report *r = v->c->rep;
    char err[128], ob[96];
    if (!vp_drv_queue(v, 0, 128, err, sizeof err)) {
        vp_check(r, "blk.queue", "", VP_ERROR, NULL, NULL, "%s", err);
        return;
    }
    uint64_t cap = vp_tp_cfg(v->t, 0, 4) | vp_tp_cfg(v->t, 4, 4) << 32;
    snprintf(ob, sizeof ob, "%llu sectors", (unsigned long long)cap);
    vp_check(r, "blk.capacity", "", cap >= 4 ? VP_INFO : VP_FAIL, ">= 4 sectors", ob, NULL);
    seen->ran = true;
    seen->value = cap;
    offers(v);
    if (cap < 4)
        return;
    vp_drv_driver_ok(v);
    blk_io b = {.v = v};
    b.hdr = vp_drv_alloc(v, 16, 16);
    b.data = vp_drv_alloc(v, 4 * SECTOR, 512);
    b.status = vp_drv_alloc(v, 1, 1);
    if (!b.hdr || !b.data || !b.status) {
        vp_check(r, "blk.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    b.h_hdr = vp_drv_host(v, b.hdr, 16);
    b.h_data = vp_drv_host(v, b.data, 4 * SECTOR);
    b.h_status = vp_drv_host(v, b.status, 1);
    uint8_t want[2 * SECTOR];
    uint32_t used;

    /* read sectors 1-2 (direct descriptors) */
    memset(b.h_data, 0xee, 2 * SECTOR);
    int st = blk_req(&b, "blk.read", T_IN, 1, 2 * SECTOR, false, false, &used);
    if (st < 0 || !status_ok(r, "blk.read.status", st, used, 2 * SECTOR + 1))
        return;
    snap_take(v, ps);
    seen->digest = vp_fnv1a(b.h_data, 2 * SECTOR, 2166136261u);
    seen->ok = true;
    if (v->c->opt.blk_pattern) {
        vp_blk_pattern(want, 1, 2);
        bool same = memcmp(want, b.h_data, 2 * SECTOR) == 0;
        seen->ok = vp_expect(r, "blk.read.pattern", REQ_DEV_IMPLIED_BLK_DATA, same, "the disk pattern",
                             same ? "the disk pattern" : "other bytes", "sectors 1-2");
    }
    /* the same read through an indirect table must give the same bytes */
    if (v->features >> VC_F_INDIRECT_DESC & 1) {
        memcpy(want, b.h_data, 2 * SECTOR);
        memset(b.h_data, 0xee, 2 * SECTOR);
        st = blk_req(&b, "blk.read.indirect", T_IN, 1, 2 * SECTOR, false, true, &used);
        if (st < 0)
            return;
        vp_expect(r, "blk.read.indirect.same", REQ_DEV_IMPLIED_BLK_DATA,
                  st == S_OK && !memcmp(want, b.h_data, 2 * SECTOR), "same bytes as direct",
                  st == S_OK ? "compared" : "status not OK", NULL);
    }
    bool ro = v->offered >> VIRTIO_BLK_F_RO_BIT & 1;
    /* write sector 3 with our own bytes, read them back */
    for (unsigned i = 0; i < SECTOR; i++)
        b.h_data[i] = (uint8_t)(0xc3 ^ i ^ (v->t->legacy ? 0x5a : 0));
    memcpy(want, b.h_data, SECTOR);
    st = blk_req(&b, "blk.write", T_OUT, 3, SECTOR, true, false, &used);
    if (st < 0)
        return;
    if (ro) {
        snprintf(ob, sizeof ob, "status %d", st);
        vp_expect(r, "blk.write.read_only", REQ_DEV_BLK_OP_3, st == S_IOERR, "status 1 (IOERR)", ob, NULL);
    } else if (status_ok(r, "blk.write.status", st, used, 1)) {
        memset(b.h_data, 0, SECTOR);
        st = blk_req(&b, "blk.readback", T_IN, 3, SECTOR, false, false, &used);
        if (st < 0)
            return;
        vp_expect(r, "blk.readback.same", REQ_DEV_IMPLIED_BLK_DATA, st == S_OK && !memcmp(want, b.h_data, SECTOR),
                  "the bytes written", st == S_OK ? (memcmp(want, b.h_data, SECTOR) ? "other bytes" : "the bytes written")
                                                  : "status not OK", "sector 3");
    }
    if (v->features >> VIRTIO_BLK_F_FLUSH_BIT & 1) {
        st = blk_req(&b, "blk.flush", T_FLUSH, 0, 0, false, false, &used);
        if (st < 0)
            return;
        status_ok(r, "blk.flush.status", st, used, 1);
    }
    memset(b.h_data, 0, 20);
    st = blk_req(&b, "blk.get_id", T_GET_ID, 0, 20, false, false, &used);
    if (st < 0)
        return;
    char id[21];
    memcpy(id, b.h_data, 20);
    id[20] = 0;
    for (char *p = id; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            *p = '?';
    if (st == S_OK && v->c->opt.blk_serial)
        vp_expect(r, "blk.get_id.serial", REQ_DEV_IMPLIED_BLK_DATA, !strcmp(id, v->c->opt.blk_serial),
                  v->c->opt.blk_serial, id, NULL);
    else
        vp_check(r, "blk.get_id", "", st == S_OK || st == S_UNSUPP ? VP_INFO : VP_FAIL, "status 0 or 2", id,
                 "status %d", st);
    /* device semantics once per interface: the split ring of each */
    if (v->c->opt.semantics && (!strcmp(v->who, "modern") || !strcmp(v->who, "legacy")))
        vp_blk_semantics(v, cap);
}
