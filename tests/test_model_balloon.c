/* Balloon model: inflate/deflate bookkeeping, statistics, reporting,
 * config, and the malformed request classes. */
#include <string.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_PACKED (1ull << VC_F_RING_PACKED)
#define F_STATS (1ull << 1)
#define F_HINT (1ull << 3)
#define F_POISON (1ull << 4)
#define F_REPORT (1ull << 5)
/* with every feature offered: inflate, deflate, stats, free page, reporting */
#define Q_HINT 3
#define Q_REPORT 4

typedef struct rig {
    vc_th t;
    vc_dev *d;
    uint64_t buf, pages;
} rig;

static void rig_init(rig *r, uint64_t f)
{
    vc_th_mem(&r->t);
    r->d = vc_balloon_create(&r->t.tm.mem, NULL);
    VC_CHECK_EQ(r->d->nqueues, 5);
    VC_CHECK(vc_th_start(&r->t, r->d, f, r->d->nqueues, 16));
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
    put_stat(s, 200, 1);         /* unknown tag: skipped */
    put_stat(s + 10, 5, 1 << 30); /* MEMTOT, out of tag order */
    put_stat(s + 20, 4, 12345);  /* MEMFREE */
    vc_gmem_write(&r.t.tm.mem, r.buf, s, 30);
    vc_seg sg = { r.buf, 30, false };
    VC_CHECK(vc_th_post(&r.t, 2, &sg, 1, 0, 1));
    uint32_t tok, len;
    VC_CHECK(!vc_th_used(&r.t, 2, &tok, &len)); /* held until the host asks */
    uint64_t v = 0;
    VC_CONFORMS(REQ_DEV_BALLOON_STATS_1);
    VC_CONFORMS(REQ_DEV_BALLOON_STATS_2);
    VC_CHECK(vc_balloon_stat(r.d, 4, &v));
    VC_CHECK_EQ(v, 12345);
    VC_CHECK(vc_balloon_stat(r.d, 5, &v));
    VC_CHECK_EQ(v, 1 << 30);
    VC_CHECK(!vc_balloon_stat(r.d, 0, &v));
    VC_CONFORMS(NULL);
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
    rig_init(&r, F_V1 | F_STATS | F_REPORT | F_POISON);
    vc_gmem_fill(&r.t.tm.mem, r.pages, 0x3c, 8 * 4096);
    vc_seg rep = { r.pages, 8 * 4096, true };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, Q_REPORT, &rep, 0, 1, false), 0);
    VC_CONFORMS(REQ_DEV_BALLOON_REPORT_2); /* reported pages are left as they were */
    for (unsigned i = 0; i < 8 * 4096; i += 4093) {
        uint8_t b = 0;
        vc_gmem_read(&r.t.tm.mem, r.pages + i, &b, 1);
        VC_CHECK_EQ(b, 0x3c);
    }
    VC_CONFORMS(NULL);
    vc_seg bad = { r.pages, 4096, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, Q_REPORT, &bad, 1, 0, false), 0);
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

static void hint_cmd(rig *r, uint32_t id)
{
    vc_gmem_write(&r->t.tm.mem, r->buf, &id, 4);
    vc_seg sg = { r->buf, 4, false };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, Q_HINT, &sg, 1, 0, false), 0);
}

static void hint_pages(rig *r, uint32_t bytes)
{
    vc_seg sg = { r->pages, bytes, true };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, Q_HINT, &sg, 0, 1, false), 0);
}

static uint32_t cmd_id(rig *r)
{
    uint32_t id;
    vc_dev_config_read(r->d, 8, &id, 4);
    return id;
}

VC_TEST(free_page_hinting)
{
    rig r;
    rig_init(&r, F_V1 | F_HINT);
    VC_CHECK_EQ(cmd_id(&r), 0); /* STOP until the host asks */
    unsigned irqs = r.t.irqs;
    uint32_t id = vc_balloon_hint_start(r.d);
    VC_CHECK(id >= 2);
    VC_CHECK_EQ(cmd_id(&r), id);
    VC_CHECK(r.t.irqs > irqs);
    hint_cmd(&r, id);
    hint_pages(&r, 8 * 4096);
    hint_pages(&r, 4 * 4096);
    hint_cmd(&r, 0); /* the driver ends the run */
    uint64_t ignored = 0;
    VC_CHECK_EQ(vc_balloon_hinted_bytes(r.d, &ignored), 12 * 4096);
    VC_CHECK_EQ(ignored, 0);
    VC_CHECK_EQ(r.d->nfaults, 0);
    /* a new run gets a fresh id; hints still tagged with the old one are
     * ignored, which is no driver fault */
    VC_CONFORMS(REQ_DEV_BALLOON_HINT_2);
    uint32_t id2 = vc_balloon_hint_start(r.d);
    VC_CHECK(id2 != id && id2 >= 2);
    VC_CONFORMS(REQ_DEV_BALLOON_HINT_3);
    hint_cmd(&r, id);
    hint_pages(&r, 4096);
    VC_CHECK_EQ(vc_balloon_hinted_bytes(r.d, &ignored), 0);
    VC_CHECK_EQ(ignored, 4096);
    hint_cmd(&r, id2);
    hint_pages(&r, 2 * 4096);
    VC_CHECK_EQ(vc_balloon_hinted_bytes(r.d, NULL), 2 * 4096);
    VC_CONFORMS(REQ_DEV_BALLOON_HINT_6);
    vc_balloon_hint_end(r.d, true);
    VC_CHECK_EQ(cmd_id(&r), 1); /* DONE */
    VC_CONFORMS(NULL);
    vc_gmem_fill(&r.t.tm.mem, r.pages, 0x3c, 4096);
    hint_pages(&r, 4096); /* after DONE: ignored */
    VC_CHECK_EQ(vc_balloon_hinted_bytes(r.d, NULL), 2 * 4096);
    VC_CONFORMS(REQ_DEV_BALLOON_HINT_5);
    uint8_t page[4096], want[4096];
    memset(want, 0x3c, sizeof(want));
    vc_gmem_read(&r.t.tm.mem, r.pages, page, sizeof(page));
    VC_CHECK(memcmp(page, want, sizeof(page)) == 0);
    VC_CONFORMS(NULL);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(free_page_hinting_rejects)
{
    rig r;
    rig_init(&r, F_V1 | F_HINT | F_POISON);
    uint32_t id = vc_balloon_hint_start(r.d);
    hint_pages(&r, 4096); /* no command id first (drv.balloon_hint.2) */
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_HINT_NOT_STARTED"));
    vc_seg wide = { r.buf, 8, false }; /* 8-byte command (drv.balloon_hint.1) */
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, Q_HINT, &wide, 1, 0, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_HINT_LAYOUT"));
    hint_cmd(&r, id);
    hint_cmd(&r, id); /* the same id twice (drv.balloon_hint.3) */
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_HINT_ID_TWICE"));
    hint_cmd(&r, id + 7); /* an id the device never issued */
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_HINT_ID_UNKNOWN"));
    uint32_t poison = 0xaa;
    vc_dev_config_write(r.d, 12, &poison, 4); /* while DRIVER_OK (drv.balloon_poison.3) */
    VC_CHECK(vc_th_fault(&r.t, "BALLOON_POISON_LATE"));
    VC_CHECK(!(vc_dev_status(r.d) & VC_STATUS_NEEDS_RESET));
    rig_free(&r);
}

VC_TEST(queue_layout_follows_offer)
{
    /* without hinting offered, reporting moves up to queue 3 */
    vc_th t;
    vc_th_mem(&t);
    vc_model_opts o = { .features_off = F_HINT };
    vc_dev *d = vc_balloon_create(&t.tm.mem, &o);
    VC_CHECK_EQ(d->nqueues, 4);
    VC_CHECK(vc_th_negotiate(&t, d, F_V1 | F_REPORT) & VC_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < 4; q++)
        vc_th_queue(&t, q, 16);
    vc_th_driver_ok(&t);
    uint64_t pages = vc_testmem_alloc(&t.tm, 4096, 4096);
    vc_seg rep = { pages, 4096, true };
    VC_CHECK_EQ(vc_th_roundtrip(&t, 3, &rep, 0, 1, false), 0);
    VC_CHECK_EQ(d->nfaults, 0);
    vc_model_free(d);
    vc_th_free(&t);
}

int main(void) { return vc_test_main(); }
