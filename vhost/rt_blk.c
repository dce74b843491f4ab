/* Well-formed block requests through vhost-user, each check naming the
 * device requirement it shows: read sector 0 (against the image when given),
 * the same read through an indirect table, write and read back on the last
 * sector (its bytes put back after), flush, get-id, and two requests whose
 * used length must not count bytes the device never wrote (a read past the
 * end, an unknown request type). Every request also checks that the call
 * eventfd fired (the driver asked for every notification) and that no
 * device-readable byte changed. */
#include <stdio.h>
#include <string.h>

#include "rt.h"
#include "scenario.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define SECTOR 512u
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_UNKNOWN = 0xff };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };

/* Guest addresses of the request parts (data area A of the scenario map). */
#define HDR VC_SCN_DATA_A
#define STATUS (VC_SCN_DATA_A + 0x100)
#define DATA (VC_SCN_DATA_A + 0x1000)
#define DATA_MAX (8 * SECTOR)

typedef struct blk {
    vh_dev *d;
    vh_report *r;
    uint8_t *hdr, *status, *data;
    unsigned notified, requests, readable_changed;
} blk;

typedef struct reply {
    int status;        /* -1: the request failed to complete */
    uint32_t used;     /* used length */
    uint32_t written;  /* writable bytes the device wrote, from the start, without a gap */
} reply;

/* One request, sent twice with two poisons in the writable part: a byte the
 * device wrote differs from at least one of them. */
static reply request(blk *b, const char *id, uint32_t type, uint64_t sector, uint32_t len, bool write,
                     bool indirect)
{
    reply out = { .status = -1 };
    static const uint8_t poison[2] = { 0xee, 0x11 };
    uint8_t out_copy[16 + DATA_MAX];
    /* the writable part after each run: data (reads), then the status byte */
    uint8_t seen[2][DATA_MAX + 1];
    uint32_t wlen = write ? 0 : len;
    unsigned runs = write ? 1 : 2; /* a write's writable part is one status byte */
    for (unsigned k = 0; k < runs; k++) {
        memset(b->hdr, 0, 16);
        memcpy(b->hdr, &type, 4);
        memcpy(b->hdr + 8, &sector, 8);
        if (!write)
            memset(b->data, poison[k], len);
        *b->status = poison[k];
        memcpy(out_copy, b->hdr, 16);
        if (write)
            memcpy(out_copy + 16, b->data, len);
        vc_seg sg[3];
        unsigned n = 0;
        sg[n++] = (vc_seg){ HDR, 16, false };
        if (len && write)
            sg[n++] = (vc_seg){ DATA, len, false };
        unsigned n_out = n;
        if (len && !write)
            sg[n++] = (vc_seg){ DATA, len, true };
        sg[n++] = (vc_seg){ STATUS, 1, true };
        vh_done done;
        char err[256];
        if (!vh_dev_request(b->d, sg, n_out, n - n_out, indirect, &done, err, sizeof(err))) {
            vh_check(b->r, id, REQ_DEV_IMPLIED_BLK_DATA, VH_FAIL, "a used entry", "none", "%s", err);
            return out;
        }
        b->requests++;
        b->notified += done.notified;
        if (memcmp(out_copy, b->hdr, 16) || (write && memcmp(out_copy + 16, b->data, len)))
            b->readable_changed++;
        memcpy(seen[k], b->data, wlen);
        seen[k][wlen] = *b->status;
        out.used = done.used;
        out.status = *b->status;
    }
    for (out.written = 0; out.written <= wlen; out.written++) {
        bool w = false;
        for (unsigned k = 0; k < runs; k++)
            w |= seen[k][out.written] != poison[k];
        if (!w)
            break;
    }
    return out;
}

static void used_len(blk *b, const char *id, reply x)
{
    char ex[80], ob[64];
    snprintf(ex, sizeof(ex), "at most %u (bytes written from the start, no gap)", x.written);
    snprintf(ob, sizeof(ob), "%u", x.used);
    vh_expect(b->r, id, REQ_DEV_VQ_USED_2, x.used <= x.written, ex, ob);
}

static bool status_ok(blk *b, const char *id, reply x)
{
    char ob[32];
    snprintf(ob, sizeof(ob), "status %d", x.status);
    return vh_expect(b->r, id, REQ_DEV_IMPLIED_BLK_DATA, x.status == S_OK, "status 0", ob);
}

static void read_sector0(blk *b, const rt_opts *o, uint8_t first[SECTOR])
{
    reply x = request(b, "blk.read", T_IN, 0, SECTOR, false, false);
    if (x.status < 0 || !status_ok(b, "blk.read.status", x))
        return;
    used_len(b, "blk.read.used_len", x);
    memcpy(first, b->data, SECTOR);
    if (o->image_head_len >= SECTOR) {
        bool same = memcmp(first, o->image_head, SECTOR) == 0;
        vh_expect(b->r, "blk.read.data", REQ_DEV_IMPLIED_BLK_DATA, same, "the image's sector 0",
                  same ? "the image's sector 0" : "other bytes");
    }
    if (!(b->d->features >> VC_F_INDIRECT_DESC & 1)) {
        vh_check(b->r, "blk.read.indirect", "", VH_SKIP, "INDIRECT_DESC offered", "not offered", NULL);
        return;
    }
    x = request(b, "blk.read.indirect", T_IN, 0, SECTOR, false, true);
    if (x.status >= 0)
        vh_expect(b->r, "blk.read.indirect.same", REQ_DEV_IMPLIED_BLK_DATA,
                  x.status == S_OK && memcmp(first, b->data, SECTOR) == 0, "the same bytes as direct",
                  x.status == S_OK ? (memcmp(first, b->data, SECTOR) ? "other bytes" : "the same bytes")
                                   : "status not 0");
}

/* Writes our bytes to the last sector, reads them back, puts the old ones back. */
static void write_readback(blk *b, uint64_t capacity)
{
    uint64_t last = capacity - 1;
    reply x = request(b, "blk.write.save", T_IN, last, SECTOR, false, false);
    if (x.status != S_OK) {
        vh_check(b->r, "blk.write", "", VH_SKIP, "the last sector read", "not read", NULL);
        return;
    }
    uint8_t saved[SECTOR], ours[SECTOR];
    memcpy(saved, b->data, SECTOR);
    for (unsigned i = 0; i < SECTOR; i++)
        ours[i] = (uint8_t)(0x5a ^ i ^ saved[i]); /* differs from what is there, byte by byte */
    memcpy(b->data, ours, SECTOR);
    x = request(b, "blk.write", T_OUT, last, SECTOR, true, false);
    if (x.status < 0)
        return;
    bool ro = b->d->f.dev_features >> VIRTIO_BLK_F_RO_BIT & 1;
    char ob[32];
    snprintf(ob, sizeof(ob), "status %d", x.status);
    if (ro) {
        vh_expect(b->r, "blk.write.read_only", REQ_DEV_BLK_OP_3, x.status == S_IOERR, "status 1", ob);
        return;
    }
    if (!status_ok(b, "blk.write.status", x))
        return;
    used_len(b, "blk.write.used_len", x);
    x = request(b, "blk.readback", T_IN, last, SECTOR, false, false);
    if (x.status >= 0)
        vh_expect(b->r, "blk.readback.same", REQ_DEV_IMPLIED_BLK_DATA,
                  x.status == S_OK && memcmp(ours, b->data, SECTOR) == 0, "the bytes written",
                  x.status != S_OK ? "status not 0" : memcmp(ours, b->data, SECTOR) ? "other bytes" : "the bytes written");
    memcpy(b->data, saved, SECTOR);
    x = request(b, "blk.write.restore", T_OUT, last, SECTOR, true, false);
    if (x.status != S_OK)
        vh_check(b->r, "blk.write.restore", "", VH_ERROR, "status 0", "not restored",
                 "the last sector keeps the test's bytes");
}

static void flush_and_id(blk *b)
{
    if (b->d->features >> VIRTIO_BLK_F_FLUSH_BIT & 1) {
        reply x = request(b, "blk.flush", T_FLUSH, 0, 0, false, false);
        if (x.status >= 0 && status_ok(b, "blk.flush.status", x))
            used_len(b, "blk.flush.used_len", x);
    } else {
        vh_check(b->r, "blk.flush", REQ_DEV_BLK_INIT_1, VH_INFO, "FLUSH offered", "not offered", NULL);
    }
    reply x = request(b, "blk.get_id", T_GET_ID, 0, 20, false, false);
    if (x.status < 0)
        return;
    char id[21];
    memcpy(id, b->data, 20);
    id[20] = 0;
    for (char *p = id; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            *p = '?';
    vh_check(b->r, "blk.get_id", "", x.status == S_OK || x.status == S_UNSUPP ? VH_INFO : VH_FAIL,
             "status 0 or 2", id, "status %d", x.status);
    used_len(b, "blk.get_id.used_len", x);
}

/* Requests the device must fail; their used length still counts only what
 * it wrote (here the status byte). */
static void failing_requests(blk *b, uint64_t capacity)
{
    reply x = request(b, "blk.read.past_end", T_IN, capacity, SECTOR, false, false);
    if (x.status >= 0) {
        vh_check(b->r, "blk.read.past_end", "", x.status == S_OK ? VH_FAIL : VH_INFO, "status 1",
                 x.status == S_IOERR ? "status 1" : "another status", "status %d (the request breaks drv.blk_op.2: "
                 "the device tolerates it)", x.status);
        used_len(b, "blk.read.past_end.used_len", x);
    }
    x = request(b, "blk.unknown_type", T_UNKNOWN, 0, SECTOR, false, false);
    if (x.status >= 0) {
        vh_check(b->r, "blk.unknown_type", "", x.status == S_UNSUPP ? VH_INFO : VH_FAIL, "status 2",
                 x.status == S_UNSUPP ? "status 2" : "another status", "type 0x%x", T_UNKNOWN);
        used_len(b, "blk.unknown_type.used_len", x);
    }
}

int rt_blk(vh_dev *d, vh_report *r, const rt_opts *o)
{
    blk b = { .d = d, .r = r };
    b.hdr = vh_dev_host(d, HDR, 16);
    b.status = vh_dev_host(d, STATUS, 1);
    b.data = vh_dev_host(d, DATA, DATA_MAX);
    uint64_t capacity = 0;
    uint8_t cfg[8];
    char ob[64];
    if (vu_front_get_config(&d->f, 0, 8, cfg) == VU_OK) {
        memcpy(&capacity, cfg, 8); /* little-endian, as is this host */
        snprintf(ob, sizeof(ob), "%llu sectors", (unsigned long long)capacity);
        bool match = !o->image_bytes || capacity == o->image_bytes / SECTOR;
        vh_check(r, "blk.capacity", "", capacity < 4 ? VH_FAIL : match ? VH_INFO : VH_FAIL,
                 o->image_bytes ? "the image's size" : ">= 4 sectors", ob, NULL);
    } else {
        capacity = o->image_bytes / SECTOR;
        vh_check(r, "blk.capacity", "", VH_SKIP, "GET_CONFIG", "no config", "%s", d->f.why);
    }
    uint8_t first[SECTOR];
    read_sector0(&b, o, first);
    if (capacity >= 4) {
        write_readback(&b, capacity);
        failing_requests(&b, capacity);
    }
    flush_and_id(&b);
    snprintf(ob, sizeof(ob), "%u of %u", b.notified, b.requests);
    vh_expect(r, "vq.notify", REQ_DEV_VQ_USED_SUPP_3, b.notified == b.requests,
              "a call for every used buffer (flags 0, no EVENT_IDX)", ob);
    snprintf(ob, sizeof(ob), "%u of %u requests changed them", b.readable_changed, b.requests);
    vh_expect(r, "vq.readable_intact", REQ_DEV_VQ_DESC_1, b.readable_changed == 0,
              "header and written data untouched", ob);
    return 0;
}

uint64_t rt_blk_features(void)
{
    return 1ull << VIRTIO_BLK_F_FLUSH_BIT | 1ull << VIRTIO_BLK_F_RO_BIT | 1ull << VIRTIO_BLK_F_BLK_SIZE_BIT |
           1ull << VIRTIO_BLK_F_SEG_MAX_BIT | 1ull << VIRTIO_BLK_F_SIZE_MAX_BIT |
           1ull << VIRTIO_BLK_F_TOPOLOGY_BIT | 1ull << VC_F_INDIRECT_DESC;
}
