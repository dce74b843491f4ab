/* Balloon model: inflate/deflate bookkeeping, statistics, reporting,
 * config, and the malformed request classes. */
#include <string.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_PACKED (1ull << VC_F_RING_PACKED)
#define F_STATS (1ull << 1)
#define F_REPORT (1ull << 5)

typedef struct rig {
    vc_th t;
    vc_dev *d;
    uint64_t buf, pages;
} rig;

static void rig_init(rig *r, uint64_t f)
{
    vc_th_mem(&r->t);
    r->d = vc_balloon_create(&r->t.tm.mem, NULL);
    VC_CHECK(vc_th_negotiate(&r->t, r->d, f) & VC_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < 4; q++)
        vc_th_queue(&r->t, q, 16);
    vc_th_driver_ok(&r->t);
    r->buf = vc_testmem_alloc(&r->t.tm, 4096, 4096);
    r->pages = vc_testmem_alloc(&r->t.tm, 16 * 4096, 4096);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
}

static void pfns(rig *r, unsigned q, const uint32_t *pfn, unsigned n)
{
    vc_gmem_write(&r->t.tm.mem, r->buf, pfn, 4 * n);
    vc_seg sg = { r->buf, 4 * n, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, q, &sg, 1, 0, false), 0);
}

static void inflate_case(uint64_t f)
{
    rig r;
    rig_init(&r, f);
    uint32_t p0 = (uint32_t)(r.pages >> 12);
    uint32_t in[3] = { p0, p0 + 1, p0 + 2 };
    pfns(&r, 0, in, 3);
    VC_CHECK_EQ(vc_balloon_pages(r.d), 3);
    pfns(&r, 1, in + 1, 2);
    VC_CHECK_EQ(vc_balloon_pages(r.d), 1);
    VC_CHECK_EQ(r.d->nfaults, 0);
    pfns(&r, 1, in + 1, 1); /* not in the balloon any more (drv.balloon_op.10) */
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_DEFLATE_UNKNOWN"));
    pfns(&r, 0, in, 1);
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_DOUBLE_INFLATE"));
    uint32_t outside = 0x3ffff; /* 1 GiB - 4 KiB: in the gap between test regions */
    pfns(&r, 0, &outside, 1);
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_PFN_RANGE"));
    VC_CHECK_EQ(vc_balloon_pages(r.d), 1);
    vc_seg odd = { r.buf, 6, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 0, &odd, 1, 0, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_PFN_LAYOUT"));
    VC_CHECK(!(vc_dev_status(r.d) & VC_STATUS_NEEDS_RESET));
    rig_free(&r);
}

VC_TEST(inflate_deflate_split) { inflate_case(F_V1); }
VC_TEST(inflate_deflate_packed) { inflate_case(F_V1 | F_PACKED); }

static void put_stat(uint8_t *e, uint16_t tag, uint64_t v)
{
    memcpy(e, &tag, 2);
    memcpy(e + 2, &v, 8);
}

VC_TEST(stats)
{
    rig r;
    rig_init(&r, F_V1 | F_STATS);
    uint8_t s[30];
    put_stat(s, 200, 1);         /* unknown tag: skipped (dev.balloon_stats.1) */
    put_stat(s + 10, 5, 1 << 30); /* MEMTOT, in any order (dev.balloon_stats.2) */
    put_stat(s + 20, 4, 12345);  /* MEMFREE */
    vc_gmem_write(&r.t.tm.mem, r.buf, s, 30);
    vc_seg sg = { r.buf, 30, false };
    VC_CHECK(vc_th_post(&r.t, 2, &sg, 1, 0, 1));
    uint32_t tok, len;
    VC_CHECK(!vc_th_used(&r.t, 2, &tok, &len)); /* held until the host asks */
    uint64_t v = 0;
    VC_CHECK(vc_balloon_stat(r.d, 4, &v));
    VC_CHECK_EQ(v, 12345);
    VC_CHECK(vc_balloon_stat(r.d, 5, &v));
    VC_CHECK_EQ(v, 1 << 30);
    VC_CHECK(!vc_balloon_stat(r.d, 0, &v));
    VC_CHECK(vc_balloon_request_stats(r.d));
    VC_CHECK(vc_th_used(&r.t, 2, &tok, &len));
    VC_CHECK_EQ(tok, 1);
    VC_CHECK(!vc_balloon_request_stats(r.d));
    VC_CHECK_EQ(r.d->nfaults, 0);
    /* two outstanding buffers (drv.balloon_stats.1), a torn entry (drv.balloon_stats.5) */
    VC_CHECK(vc_th_post(&r.t, 2, &sg, 1, 0, 2));
    VC_CHECK(vc_th_post(&r.t, 2, &sg, 1, 0, 3));
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_STATS_TWO_BUFFERS"));
    VC_CHECK(vc_balloon_request_stats(r.d));
    vc_seg torn = { r.buf, 12, false };
    VC_CHECK(vc_th_post(&r.t, 2, &torn, 1, 0, 4));
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_STATS_LAYOUT"));
    rig_free(&r);
}

VC_TEST(reporting_and_config)
{
    rig r;
    rig_init(&r, F_V1 | F_STATS | F_REPORT);
    vc_seg rep = { r.pages, 8 * 4096, true };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 3, &rep, 0, 1, false), 0);
    vc_seg bad = { r.pages, 4096, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 3, &bad, 1, 0, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_REPORT_LAYOUT"));
    unsigned irqs = r.t.irqs;
    vc_balloon_set_target(r.d, 256);
    VC_CHECK(r.t.irqs > irqs); /* configuration change interrupt */
    uint32_t target = 0, actual = 64;
    vc_dev_config_read(r.d, 0, &target, 4);
    VC_CHECK_EQ(target, 256);
    unsigned before = r.d->nfaults;
    VC_CHECK(vc_dev_config_write(r.d, 4, &actual, 4)); /* drv.balloon_op.11 */
    VC_CHECK_EQ(r.d->nfaults, before);
    vc_dev_config_write(r.d, 0, &actual, 4);
    VC_CHECK(vc_th_fault(&r.t, "DRV_CONFIG_READONLY"));
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
