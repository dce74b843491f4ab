/* Block driver rules judged on request contents (refdev/src/drvrules_blk.c):
 * each breaks with its exact requirement, and a conforming request is
 * reported kept with no fault. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "devharness.h"
#include "drvrules_obs.h"
#include "refdev/models.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"
#include "vc_test.h"

#define DISK_BYTES (1u << 20)
#define SECTORS (DISK_BYTES / 512)

typedef struct rig {
    vc_th t;
    vc_dev *d;
    obs o;
    uint8_t *disk;
    uint64_t hdr, data, status;
} rig;

static void rig_init(rig *r)
{
    vc_th_mem(&r->t);
    r->disk = calloc(1, DISK_BYTES);
    vc_model_opts mo = { .disk = r->disk, .disk_bytes = DISK_BYTES };
    r->d = vc_blk_create(&r->t.tm.mem, &mo);
    uint64_t f = 1ull << VC_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH_BIT | 1ull << VIRTIO_BLK_F_DISCARD_BIT |
                 1ull << VIRTIO_BLK_F_WRITE_ZEROES_BIT;
    VC_CHECK(vc_th_start(&r->t, r->d, f, 1, 64));
    obs_attach(&r->o, r->d);
    r->hdr = vc_testmem_alloc(&r->t.tm, 16, 16);
    r->data = vc_testmem_alloc(&r->t.tm, 4096, 4096);
    r->status = vc_testmem_alloc(&r->t.tm, 1, 1);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
    free(r->disk);
}

/* One request: header, optional readable data, optional writable data, status. */
static void req(rig *r, uint32_t type, uint32_t out_len, uint32_t in_len)
{
    uint8_t h[16] = { 0 };
    uint32_t t = htole32(type);
    memcpy(h, &t, 4);
    vc_gmem_write(&r->t.tm.mem, r->hdr, h, 16);
    vc_seg sg[4];
    unsigned n = 0, n_out = 1, n_in = 1;
    sg[n++] = (vc_seg){ r->hdr, 16, false };
    if (out_len) {
        sg[n++] = (vc_seg){ r->data, out_len, false };
        n_out++;
    }
    if (in_len) {
        sg[n++] = (vc_seg){ r->data + 2048, in_len, true };
        n_in++;
    }
    sg[n++] = (vc_seg){ r->status, 1, true };
    VC_CHECK(vc_th_roundtrip(&r->t, 0, sg, n_out, n_in, false) >= 0);
}

static void range(rig *r, unsigned i, uint64_t sector, uint32_t num, uint32_t flags)
{
    uint8_t b[16];
    uint64_t s = htole64(sector);
    uint32_t n = htole32(num), f = htole32(flags);
    memcpy(b, &s, 8);
    memcpy(b + 8, &n, 4);
    memcpy(b + 12, &f, 4);
    vc_gmem_write(&r->t.tm.mem, r->data + 16 * i, b, 16);
}

VC_TEST(flush_without_data_kept)
{
    rig r;
    rig_init(&r);
    req(&r, 4, 0, 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_BLK_OP_5), 1);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(flush_with_data_breaks_op5)
{
    rig r;
    rig_init(&r);
    req(&r, 4, 512, 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_BLK_OP_5), 1);
    faults_clear(r.d);
    req(&r, 4, 0, 512); /* a writable data buffer is data too */
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_BLK_OP_5), 1);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_BLK_OP_5), 0);
    rig_free(&r);
}

VC_TEST(discard_ranges_kept)
{
    rig r;
    rig_init(&r);
    range(&r, 0, 0, 8, 0);
    range(&r, 1, SECTORS - 8, 8, 0);
    req(&r, 11, 32, 0);
    range(&r, 0, 16, 8, 1); /* unmap is allowed on write zeroes */
    req(&r, 13, 16, 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_BLK_OP_14), 2);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_BLK_OP_2), 3);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(discard_unmap_breaks_op14)
{
    rig r;
    rig_init(&r);
    range(&r, 0, 0, 8, 0);
    range(&r, 1, 64, 8, 1);
    req(&r, 11, 32, 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_BLK_OP_14), 1);
    rig_free(&r);
}

VC_TEST(range_beyond_capacity_breaks_op2)
{
    rig r;
    rig_init(&r);
    range(&r, 0, SECTORS - 4, 8, 0);
    req(&r, 13, 16, 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_BLK_OP_2), 1);
    faults_clear(r.d);
    range(&r, 0, UINT64_MAX - 2, 8, 0); /* sector + num wraps */
    req(&r, 11, 16, 0);
    VC_CHECK_EQ(faults_of(r.d, REQ_DRV_BLK_OP_2), 1);
    rig_free(&r);
}

VC_TEST(read_is_not_judged_by_these_rules)
{
    rig r;
    rig_init(&r);
    req(&r, 0, 0, 512);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_BLK_OP_5), 0);
    VC_CHECK_EQ(obs_kept(&r.o, REQ_DRV_BLK_OP_14), 0);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

/* Packed lists and indirect tables within seg_max (set to 2 here): the
 * header, up to two data segments, the status. */
static void seg_limit_case(bool indirect)
{
    vc_th t;
    vc_th_mem(&t);
    static uint8_t disk[DISK_BYTES];
    vc_model_opts mo = { .disk = disk, .disk_bytes = DISK_BYTES };
    vc_dev *d = vc_blk_create(&t.tm.mem, &mo);
    uint64_t f = 1ull << VC_F_VERSION_1 | 1ull << VC_F_RING_PACKED | 1ull << VC_F_INDIRECT_DESC |
                 1ull << VIRTIO_BLK_F_SEG_MAX_BIT;
    VC_CHECK(vc_th_start(&t, d, f, 1, 64));
    obs o;
    obs_attach(&o, d);
    const uint8_t two[4] = { 2, 0, 0, 0 };
    memcpy(d->config + 12, two, 4); /* seg_max */
    uint64_t hdr = vc_testmem_alloc(&t.tm, 16, 16), data = vc_testmem_alloc(&t.tm, 4096, 4096),
             st = vc_testmem_alloc(&t.tm, 1, 1);
    vc_gmem_fill(&t.tm.mem, hdr, 0, 16); /* a read of sector 0 */
    const char *req = indirect ? REQ_DRV_PACKED_INDIRECT_3 : REQ_DRV_PACKED_SG_1;
    for (unsigned nd = 2; nd <= 3; nd++) {
        vc_seg sg[5] = { { hdr, 16, false } };
        for (unsigned i = 0; i < nd; i++)
            sg[1 + i] = (vc_seg){ data + 512 * i, 512, true };
        sg[1 + nd] = (vc_seg){ st, 1, true };
        VC_CHECK(vc_th_roundtrip(&t, 0, sg, 1, nd + 1, indirect) >= 0);
        VC_CHECK_EQ(faults_of(d, req), nd == 3 ? 1u : 0u);
        VC_CHECK_EQ(obs_kept(&o, req), 1);
    }
    vc_model_free(d);
    vc_th_free(&t);
}

VC_TEST(packed_list_within_seg_max) { seg_limit_case(false); }
VC_TEST(packed_indirect_within_seg_max) { seg_limit_case(true); }

int main(void) { return vc_test_main(); }
