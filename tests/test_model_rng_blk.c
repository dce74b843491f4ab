/* Entropy and block models end to end through the driver side, on split and
 * packed rings, with valid and malformed requests. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc/spec_features.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_IND (1ull << VC_F_INDIRECT_DESC)
#define F_PACKED (1ull << VC_F_RING_PACKED)
#define DISK_BYTES (1u << 20)

static void rng_case(uint64_t features, bool indirect)
{
    vc_th t;
    vc_th_mem(&t);
    vc_model_opts o = { .seed = 42 };
    vc_dev *d = vc_rng_create(&t.tm.mem, &o);
    VC_CHECK(vc_th_negotiate(&t, d, features) & VC_STATUS_FEATURES_OK);
    vc_th_queue(&t, 0, 16);
    vc_th_driver_ok(&t);
    uint64_t a = vc_testmem_alloc(&t.tm, 64, 16);
    vc_seg sg[2] = { { a, 40, true }, { a + 40, 24, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&t, 0, sg, 0, 2, indirect), 64);
    uint8_t got[64];
    vc_gmem_read(&t.tm.mem, a, got, 64);
    unsigned zero = 0;
    for (int i = 0; i < 64; i++)
        zero += got[i] == 0;
    VC_CHECK(zero < 8); /* random bytes, not an untouched buffer */
    VC_CHECK_EQ(d->nfaults, 0);
    /* a device-readable buffer is a driver violation (drv.rng_op.1) */
    vc_seg bad[2] = { { a, 4, false }, { a + 8, 8, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&t, 0, bad, 1, 1, false), 8);
    VC_CHECK(vc_th_fault(&t, "RNG_READABLE_BUFFER"));
    vc_model_free(d);
    vc_th_free(&t);
}

VC_TEST(rng_split) { rng_case(F_V1, false); }
VC_TEST(rng_split_indirect) { rng_case(F_V1 | F_IND, true); }
VC_TEST(rng_packed) { rng_case(F_V1 | F_PACKED, false); }
VC_TEST(rng_packed_indirect) { rng_case(F_V1 | F_PACKED | F_IND, true); }

typedef struct blk_rig {
    vc_th t;
    vc_dev *d;
    uint8_t *disk;
    uint64_t hdr, data, status;
} blk_rig;

static void blk_init(blk_rig *r, uint64_t features, bool ro)
{
    vc_th_mem(&r->t);
    r->disk = malloc(DISK_BYTES);
    for (uint32_t i = 0; i < DISK_BYTES; i++)
        r->disk[i] = (uint8_t)(i * 7 + (i >> 9));
    vc_model_opts o = { .disk = r->disk, .disk_bytes = DISK_BYTES, .read_only = ro,
                        .serial = "SERIAL-0123" };
    r->d = vc_blk_create(&r->t.tm.mem, &o);
    vc_th_negotiate(&r->t, r->d, features | (ro ? 1ull << 5 : 0) | 1ull << 9 | 1ull << 13 |
                                         1ull << 14);
    vc_th_queue(&r->t, 0, 64);
    vc_th_driver_ok(&r->t);
    r->hdr = vc_testmem_alloc(&r->t.tm, 16 + 16 * 40, 16);
    r->data = vc_testmem_alloc(&r->t.tm, 65536, 4096);
    r->status = vc_testmem_alloc(&r->t.tm, 1, 1);
}

static void blk_free(blk_rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
    free(r->disk);
}

/* Sends type/sector with data (len, readable for writes); returns status byte,
 * the used length in *used. */
static int blk_req(blk_rig *r, uint32_t type, uint64_t sector, uint32_t len, bool data_out,
                   long *used, bool indirect)
{
    uint8_t hdr[16] = { 0 };
    uint32_t t = htole32(type);
    uint64_t s = htole64(sector);
    memcpy(hdr, &t, 4);
    memcpy(hdr + 8, &s, 8);
    vc_gmem_write(&r->t.tm.mem, r->hdr, hdr, 16);
    vc_gmem_st16(&r->t.tm.mem, r->status, 0xee);
    vc_seg sg[3];
    unsigned n_out = 1, n_in = 0, n = 0;
    sg[n++] = (vc_seg){ r->hdr, 16, false };
    if (len) {
        sg[n++] = (vc_seg){ r->data, len, !data_out };
        if (data_out)
            n_out++;
        else
            n_in++;
    }
    sg[n++] = (vc_seg){ r->status, 1, true };
    n_in++;
    long u = vc_th_roundtrip(&r->t, 0, sg, n_out, n_in, indirect);
    if (used)
        *used = u;
    uint8_t st;
    vc_gmem_read(&r->t.tm.mem, r->status, &st, 1);
    return st;
}

static void blk_io_case(uint64_t features, bool indirect)
{
    blk_rig r;
    blk_init(&r, features, false);
    long used;
    /* read sectors 3..4: the known pattern */
    VC_CHECK_EQ(blk_req(&r, 0, 3, 1024, false, &used, indirect), 0);
    VC_CHECK_EQ(used, 1025);
    uint8_t buf[1024];
    vc_gmem_read(&r.t.tm.mem, r.data, buf, 1024);
    VC_CHECK(memcmp(buf, r.disk + 3 * 512, 1024) == 0);
    /* write then read back */
    memset(buf, 0x5a, sizeof(buf));
    vc_gmem_write(&r.t.tm.mem, r.data, buf, 1024);
    VC_CHECK_EQ(blk_req(&r, 1, 10, 1024, true, &used, indirect), 0);
    VC_CHECK_EQ(used, 1);
    VC_CHECK_EQ(r.disk[10 * 512], 0x5a);
    vc_gmem_fill(&r.t.tm.mem, r.data, 0, 1024);
    VC_CHECK_EQ(blk_req(&r, 0, 10, 1024, false, &used, indirect), 0);
    vc_gmem_read(&r.t.tm.mem, r.data, buf, 1024);
    VC_CHECK_EQ(buf[1023], 0x5a);
    /* flush and get-id */
    VC_CHECK_EQ(blk_req(&r, 4, 0, 0, false, &used, indirect), 0);
    VC_CHECK_EQ(blk_req(&r, 8, 0, 20, false, &used, indirect), 0);
    VC_CHECK_EQ(used, 21);
    char id[20];
    vc_gmem_read(&r.t.tm.mem, r.data, id, 20);
    VC_CHECK(memcmp(id, "SERIAL-0123", 11) == 0);
    VC_CHECK_EQ(r.d->nfaults, 0);
    blk_free(&r);
}

VC_TEST(blk_io_split) { blk_io_case(F_V1, false); }
VC_TEST(blk_io_split_indirect) { blk_io_case(F_V1 | F_IND, true); }
VC_TEST(blk_io_packed) { blk_io_case(F_V1 | F_PACKED, false); }
VC_TEST(blk_io_packed_indirect) { blk_io_case(F_V1 | F_PACKED | F_IND, true); }

VC_TEST(blk_bad_requests)
{
    blk_rig r;
    blk_init(&r, F_V1, false);
    long used;
    /* not a multiple of 512 (drv.blk_op.6) */
    VC_CHECK_EQ(blk_req(&r, 0, 0, 100, false, &used, false), 1);
    VC_CHECK(vc_th_fault(&r.t, "BLK_LEN_NOT_SECTORS"));
    /* beyond capacity (drv.blk_op.2) */
    VC_CHECK_EQ(blk_req(&r, 0, DISK_BYTES / 512 - 1, 1024, false, &used, false), 1);
    VC_CHECK(vc_th_fault(&r.t, "BLK_BEYOND_CAPACITY"));
    /* unknown type: UNSUPP */
    VC_CHECK_EQ(blk_req(&r, 99, 0, 0, false, &used, false), 2);
    /* get-id with a short buffer (drv.blk_op.8) */
    VC_CHECK_EQ(blk_req(&r, 8, 0, 8, false, &used, false), 1);
    VC_CHECK(vc_th_fault(&r.t, "BLK_GET_ID_LEN"));
    /* flush with a sector (drv.blk_op.4): still done */
    VC_CHECK_EQ(blk_req(&r, 4, 7, 0, false, &used, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "BLK_FLUSH_SECTOR"));
    /* header only, no status byte */
    vc_seg sg = { r.hdr, 16, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 0, &sg, 1, 0, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "BLK_BAD_LAYOUT"));
    VC_CHECK(!(vc_dev_status(r.d) & VC_STATUS_NEEDS_RESET)); /* request-level, device goes on */
    blk_free(&r);
}

VC_TEST(blk_used_length_counts_only_what_was_written)
{
    blk_rig r;
    blk_init(&r, F_V1, false);
    long used;
    VC_CONFORMS(REQ_DEV_VQ_USED_2);
    /* a read that succeeds fills data and status: all of it */
    VC_CHECK_EQ(blk_req(&r, 0, 0, 512, false, &used, false), 0);
    VC_CHECK_EQ(used, 513);
    /* a failed read writes only the status byte after an untouched data
     * buffer: the length must not cover the gap */
    VC_CHECK_EQ(blk_req(&r, 0, DISK_BYTES / 512 - 1, 1024, false, &used, false), 1);
    VC_CHECK_EQ(used, 0);
    /* an unknown request with a data buffer, and a short get-id: the same */
    VC_CHECK_EQ(blk_req(&r, 99, 0, 512, false, &used, false), 2);
    VC_CHECK_EQ(used, 0);
    VC_CHECK_EQ(blk_req(&r, 8, 0, 8, false, &used, false), 1);
    VC_CHECK_EQ(used, 0);
    /* no data buffer: the status byte is the first writable byte */
    VC_CHECK_EQ(blk_req(&r, 4, 0, 0, false, &used, false), 0);
    VC_CHECK_EQ(used, 1);
    blk_free(&r);
}

VC_TEST(blk_read_only)
{
    blk_rig r;
    blk_init(&r, F_V1, true);
    uint8_t before = r.disk[512];
    vc_gmem_fill(&r.t.tm.mem, r.data, 0x77, 512);
    VC_CONFORMS(REQ_DEV_BLK_OP_3);
    VC_CHECK_EQ(blk_req(&r, 1, 1, 512, true, NULL, false), 1); /* IOERR */
    VC_CHECK_EQ(r.disk[512], before);                          /* and nothing written */
    blk_free(&r);
}

static int dwz(blk_rig *r, uint32_t type, uint64_t sector, uint32_t num, uint32_t flags)
{
    uint8_t seg[16];
    uint64_t s = htole64(sector);
    uint32_t n = htole32(num), f = htole32(flags);
    memcpy(seg, &s, 8);
    memcpy(seg + 8, &n, 4);
    memcpy(seg + 12, &f, 4);
    vc_gmem_write(&r->t.tm.mem, r->data, seg, 16);
    return blk_req(r, type, 0, 16, true, NULL, false);
}

VC_TEST(blk_discard_and_write_zeroes)
{
    blk_rig r;
    blk_init(&r, F_V1, false);
    VC_CHECK_EQ(dwz(&r, 13, 4, 2, 0), 0);
    VC_CONFORMS(REQ_DEV_BLK_OP_8);
    VC_CHECK_EQ(r.disk[4 * 512 + 5], 0); /* reads as zero */
    VC_CHECK_EQ(dwz(&r, 13, 4, 2, 1), 0); /* unmap allowed on write zeroes */
    VC_CONFORMS(REQ_DEV_BLK_OP_5);
    VC_CHECK_EQ(dwz(&r, 11, 4, 2, 1), 2); /* unmap on discard: UNSUPP */
    VC_CONFORMS(REQ_DEV_BLK_OP_4);
    VC_CHECK_EQ(dwz(&r, 11, 4, 2, 4), 2); /* unknown flag: UNSUPP */
    VC_CHECK_EQ(dwz(&r, 11, 4, 2, 0), 0);
    VC_CHECK_EQ(dwz(&r, 11, DISK_BYTES / 512, 1, 0), 1); /* out of range */
    blk_free(&r);
}

VC_TEST(blk_config_layout)
{
    blk_rig r;
    blk_init(&r, F_V1, false);
    uint64_t cap;
    VC_CHECK(vc_dev_config_read(r.d, 0, &cap, 8));
    VC_CHECK_EQ(le64toh(cap), DISK_BYTES / 512);
    uint8_t wb = 0;
    VC_CHECK(!vc_dev_config_write(r.d, 0, &wb, 1) || vc_th_fault(&r.t, "DRV_CONFIG_READONLY"));
    VC_CHECK(!vc_dev_config_read(r.d, 58, &cap, 8)); /* past the end */
    blk_free(&r);
}

VC_TEST(blk_get_id_padding_and_segments)
{
    blk_rig r;
    blk_init(&r, F_V1, false);
    long used;
    vc_gmem_fill(&r.t.tm.mem, r.data, 0xa5, 20);
    VC_CHECK_EQ(blk_req(&r, 8, 0, 20, false, &used, false), 0);
    uint8_t id[20];
    vc_gmem_read(&r.t.tm.mem, r.data, id, 20);
    VC_CHECK(memcmp(id, "SERIAL-0123", 11) == 0);
    for (unsigned i = 11; i < 20; i++)
        VC_CHECK_EQ(id[i], 0); /* NUL-padded to 20 bytes */
    VC_CONFORMS(REQ_DEV_VQ_USED_2);
    VC_CHECK_EQ(used, 21); /* all 20 bytes and the status were written */
    VC_CONFORMS(REQ_DEV_BLK_OP_4);
    VC_CHECK_EQ(dwz(&r, 13, 4, 1, 2), 2); /* write zeroes with a reserved flag: UNSUPP */
    VC_CONFORMS(NULL);
    /* more segments than max_write_zeroes_seg (drv.blk_op.11): refused */
    uint32_t max = 0;
    vc_dev_config_read(r.d, 52, &max, 4);
    max = le32toh(max);
    VC_CHECK(max > 0 && max < 64);
    uint8_t segs[64 * 16];
    memset(segs, 0, sizeof segs);
    for (uint32_t k = 0; k <= max; k++) {
        uint64_t sec = htole64(8 + k);
        uint32_t one = htole32(1);
        memcpy(segs + 16 * k, &sec, 8);
        memcpy(segs + 16 * k + 8, &one, 4);
    }
    vc_gmem_write(&r.t.tm.mem, r.data, segs, 16 * (max + 1));
    VC_CHECK_EQ(blk_req(&r, 13, 0, 16 * (max + 1), true, NULL, false), 1);
    VC_CHECK(vc_th_fault(&r.t, "BLK_DWZ_TOO_MANY"));
    blk_free(&r);
}

/* Offers on a plain in-memory disk: FLUSH, and neither ZONED (no zones) nor
 * LIFETIME (no wear metrics); the same on the legacy interface. */
VC_TEST(blk_offers_on_a_plain_disk)
{
    blk_rig r;
    blk_init(&r, F_V1, false);
    uint64_t off = r.d->offered;
    VC_CONFORMS(REQ_DEV_BLK_INIT_1);
    VC_CHECK(off >> VIRTIO_BLK_F_FLUSH_BIT & 1);
    VC_CONFORMS(REQ_DEV_BLK_INIT_4);
    VC_CONFORMS(REQ_DEV_BLK_INIT_5);
    VC_CHECK(!(off >> VIRTIO_BLK_F_ZONED_BIT & 1));
    VC_CONFORMS(REQ_DEV_BLK_OP_14);
    VC_CHECK(!(off >> VIRTIO_BLK_F_LIFETIME_BIT & 1));
    /* its write zeroes never frees sectors: write_zeroes_may_unmap reads 0 */
    uint8_t may = 0xff;
    vc_dev_config_read(r.d, 56, &may, 1);
    VC_CONFORMS(REQ_DEV_BLK_OP_9);
    VC_CHECK_EQ(may, 0);
    blk_free(&r);
}

/* Without ZONED, each zone request is refused with UNSUPP and the disk
 * stays as it was (an append's data not written, no zone reset). */
VC_TEST(blk_zone_requests_refused_without_zoned)
{
    static const uint32_t types[] = {15, 16, 18, 20, 22, 24, 26}; /* append, report, open ... reset-all */
    blk_rig r;
    blk_init(&r, F_V1, false);
    uint8_t *before = malloc(DISK_BYTES);
    VC_CHECK(before != NULL);
    memcpy(before, r.disk, DISK_BYTES);
    VC_CONFORMS(REQ_DEV_BLK_OP_16);
    for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++) {
        vc_gmem_fill(&r.t.tm.mem, r.data, 0xc3, 512);
        bool out = types[i] == 15; /* an append carries data; a report wants room */
        VC_CHECK_EQ(blk_req(&r, types[i], 0, 512, out, NULL, false), 2);
    }
    VC_CHECK(memcmp(before, r.disk, DISK_BYTES) == 0);
    free(before);
    blk_free(&r);
}

int main(void) { return vc_test_main(); }
