/* Split ring rules: valid chains pass through the driver and device sides;
 * each malformed chain class is rejected with its code and requirement. */
#include <sys/mman.h>

#include "testmem.h"
#include "vc/ring.h"
#include "vc/vq_drv.h"
#include "vc_test.h"

#define F_BASE (1ull << VC_F_VERSION_1)
#define F_IND (1ull << VC_F_INDIRECT_DESC)
#define F_EVT (1ull << VC_F_EVENT_IDX)

typedef struct rig {
    vc_testmem tm;
    vc_vq_drv drv;
    vc_vq_dev dev;
    vc_seg segs[64];
    vc_chain c;
    uint64_t desc, avail, used, buf;
    uint16_t size;
} rig;

static void rig_init(rig *r, uint16_t size, uint64_t features)
{
    memset(r, 0, sizeof(*r));
    vc_testmem_init(&r->tm);
    r->size = size;
    r->desc = vc_testmem_alloc(&r->tm, vc_split_desc_bytes(size), 16);
    r->avail = vc_testmem_alloc(&r->tm, vc_split_avail_bytes(size), 2);
    r->used = vc_testmem_alloc(&r->tm, vc_split_used_bytes(size), 4);
    uint64_t ind = vc_testmem_alloc(&r->tm, 16ull * size * 32, 16);
    r->buf = vc_testmem_alloc(&r->tm, 1 << 20, 4096);
    VC_CHECK_EQ(vc_vq_drv_init(&r->drv, &r->tm.mem, features, size, r->desc, r->avail, r->used,
                               ind, 32), VC_DRV_OK);
    VC_CHECK_EQ(vc_vq_dev_init(&r->dev, &r->tm.mem, features, size, r->desc, r->avail, r->used),
                VC_OK);
    r->c.seg = r->segs;
    r->c.cap = 64;
}

static void rig_free(rig *r)
{
    vc_vq_drv_free(&r->drv);
    vc_vq_dev_free(&r->dev);
    vc_testmem_free(&r->tm);
}

/* Makes raw descriptor `head` available at the next avail slot. */
static void publish(rig *r, uint16_t head)
{
    uint16_t idx;
    vc_gmem_ld16(&r->tm.mem, r->avail + VC_SPLIT_AVAIL_IDX, &idx);
    vc_split_put_avail(&r->tm.mem, r->avail, r->size, idx, head);
}

static vc_err pop(rig *r, bool *got)
{
    return vc_vq_dev_pop(&r->dev, &r->c, got);
}

/* Expects the next pop to fail with e, citing req for the split ring. */
static void expect_reject(rig *r, vc_err e, const char *req)
{
    bool got = true;
    VC_CHECK_STR(vc_err_name(pop(r, &got)), vc_err_name(e));
    VC_CHECK(!got);
    VC_CHECK_STR(vc_err_req(e, false), req);
    /* the queue stays broken with the first error */
    VC_CHECK_EQ(pop(r, &got), e);
}

static void roundtrip(unsigned nout, unsigned nin, bool indirect)
{
    rig r;
    rig_init(&r, 32, F_BASE | F_IND);
    vc_seg sg[16];
    for (unsigned i = 0; i < nout + nin; i++) {
        sg[i] = (vc_seg){ r.buf + i * 4096, 100 + i, i >= nout };
        vc_gmem_fill(&r.tm.mem, sg[i].addr, (uint8_t)(i + 1), sg[i].len);
    }
    for (int round = 0; round < 70; round++) { /* wraps the 32-entry rings twice */
        VC_CHECK_EQ(vc_vq_drv_add(&r.drv, sg, nout, nin, 77 + round, indirect), VC_DRV_OK);
        bool got = false;
        VC_CHECK_EQ(pop(&r, &got), VC_OK);
        VC_CHECK(got);
        VC_CHECK_EQ(r.c.nseg, nout + nin);
        VC_CHECK_EQ(r.c.n_out, nout);
        uint64_t out_total = 0, in_total = 0;
        for (unsigned i = 0; i < nout + nin; i++) {
            VC_CHECK_EQ(r.c.seg[i].addr, sg[i].addr);
            VC_CHECK_EQ(r.c.seg[i].write, i >= nout);
            *(i < nout ? &out_total : &in_total) += sg[i].len;
        }
        VC_CHECK_EQ(r.c.out_bytes, out_total);
        VC_CHECK_EQ(r.c.in_bytes, in_total);
        if (nout) {
            uint8_t b = 0;
            VC_CHECK_EQ(vc_chain_read(&r.tm.mem, &r.c, 0, &b, 1), 1);
            VC_CHECK_EQ(b, 1);
        }
        VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &r.c, (uint32_t)in_total), VC_OK);
        uint32_t token = 0, len = 0;
        VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &token, &len), VC_DRV_OK);
        VC_CHECK_EQ(token, 77 + round);
        VC_CHECK_EQ(len, in_total);
        VC_CHECK_EQ(pop(&r, &got), VC_OK);
        VC_CHECK(!got);
    }
    rig_free(&r);
}

VC_TEST(roundtrip_1) { roundtrip(1, 0, false); roundtrip(0, 1, false); }
VC_TEST(roundtrip_4) { roundtrip(2, 2, false); }
VC_TEST(roundtrip_16) { roundtrip(8, 8, false); }
VC_TEST(roundtrip_indirect_1) { roundtrip(0, 1, true); }
VC_TEST(roundtrip_indirect_4) { roundtrip(1, 3, true); }
VC_TEST(roundtrip_indirect_16) { roundtrip(15, 1, true); }

VC_TEST(index_wraps_at_2_16)
{
    rig r;
    rig_init(&r, 2, F_BASE);
    vc_seg sg = { r.buf, 8, true };
    for (unsigned i = 0; i < 70000; i++) {
        bool got;
        vc_vq_drv_add(&r.drv, &sg, 0, 1, i, false);
        if (pop(&r, &got) != VC_OK || !got) {
            VC_CHECK(0);
            break;
        }
        vc_vq_dev_push(&r.dev, &r.c, 8);
        uint32_t t, l;
        if (vc_vq_drv_get_used(&r.drv, &t, &l) != VC_DRV_OK || t != i) {
            VC_CHECK(0);
            break;
        }
    }
    rig_free(&r);
}

VC_TEST(direct_then_indirect_allowed)
{
    /* plain descriptors may precede one indirect descriptor */
    VC_CONFORMS(REQ_DEV_VQ_INDIRECT_2);
    rig r;
    rig_init(&r, 8, F_BASE | F_IND);
    uint64_t table = vc_testmem_alloc(&r.tm, 32, 16);
    vc_split_put_desc(&r.tm.mem, table, 0, r.buf + 100, 10, VC_DESC_F_NEXT, 1);
    vc_split_put_desc(&r.tm.mem, table, 1, r.buf + 200, 20, VC_DESC_F_WRITE, 0);
    vc_split_put_desc(&r.tm.mem, r.desc, 3, r.buf, 5, VC_DESC_F_NEXT, 5);
    /* WRITE on the indirect descriptor itself is ignored */
    VC_CONFORMS(REQ_DEV_VQ_INDIRECT_1);
    vc_split_put_desc(&r.tm.mem, r.desc, 5, table, 32, VC_DESC_F_INDIRECT | VC_DESC_F_WRITE, 0);
    publish(&r, 3);
    bool got;
    VC_CHECK_EQ(pop(&r, &got), VC_OK);
    VC_CHECK(got);
    VC_CHECK_EQ(r.c.nseg, 3);
    VC_CHECK_EQ(r.c.n_out, 2);
    VC_CHECK_EQ(r.c.in_bytes, 20);
    VC_CHECK_EQ(r.c.id, 3);
    rig_free(&r);
}

VC_TEST(reject_avail_jump)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, r.buf, 8, 0, 0);
    vc_gmem_st16(&r.tm.mem, r.avail + VC_SPLIT_AVAIL_IDX, 5);
    expect_reject(&r, VC_E_AVAIL_IDX_JUMP, REQ_DRV_VQ_AVAIL_1);
    rig_free(&r);
}

VC_TEST(reject_head_range)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    publish(&r, 4);
    expect_reject(&r, VC_E_HEAD_RANGE, REQ_DRV_IMPLIED_HEAD_RANGE);
    rig_free(&r);
}

VC_TEST(reject_next_range)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, r.buf, 8, VC_DESC_F_NEXT, 9);
    publish(&r, 0);
    expect_reject(&r, VC_E_NEXT_RANGE, REQ_DRV_IMPLIED_NEXT_RANGE);
    rig_free(&r);
}

VC_TEST(reject_loop)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, r.buf, 8, VC_DESC_F_NEXT, 1);
    vc_split_put_desc(&r.tm.mem, r.desc, 1, r.buf, 8, VC_DESC_F_NEXT, 0);
    publish(&r, 0);
    r.c.cap = 64; /* the loop, not the segment limit, must stop it */
    vc_err e;
    bool got;
    e = pop(&r, &got);
    VC_CHECK(e == VC_E_LOOP || e == VC_E_CHAIN_TOO_LONG);
    rig_free(&r);
}

VC_TEST(reject_loop_in_indirect_table)
{
    rig r;
    rig_init(&r, 16, F_BASE | F_IND);
    uint64_t table = vc_testmem_alloc(&r.tm, 48, 16);
    vc_split_put_desc(&r.tm.mem, table, 0, r.buf, 8, VC_DESC_F_NEXT, 1);
    vc_split_put_desc(&r.tm.mem, table, 1, r.buf, 8, VC_DESC_F_NEXT, 2);
    vc_split_put_desc(&r.tm.mem, table, 2, r.buf, 8, VC_DESC_F_NEXT, 0);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, table, 48, VC_DESC_F_INDIRECT, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_LOOP, REQ_DRV_VQ_DESC_1);
    rig_free(&r);
}

VC_TEST(reject_chain_longer_than_queue)
{
    /* 5 descriptors through an indirect table on a 4-entry queue */
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t table = vc_testmem_alloc(&r.tm, 5 * 16, 16);
    for (unsigned i = 0; i < 5; i++)
        vc_split_put_desc(&r.tm.mem, table, i, r.buf, 8, i < 4 ? VC_DESC_F_NEXT : 0, i + 1);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, table, 5 * 16, VC_DESC_F_INDIRECT, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_CHAIN_TOO_LONG, REQ_DRV_VQ_INDIRECT_3);
    rig_free(&r);
}

VC_TEST(accept_chain_equal_to_queue)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t table = vc_testmem_alloc(&r.tm, 4 * 16, 16);
    for (unsigned i = 0; i < 4; i++)
        vc_split_put_desc(&r.tm.mem, table, i, r.buf, 8, i < 3 ? VC_DESC_F_NEXT : 0, i + 1);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, table, 4 * 16, VC_DESC_F_INDIRECT, 0);
    publish(&r, 0);
    bool got;
    VC_CHECK_EQ(pop(&r, &got), VC_OK);
    VC_CHECK_EQ(r.c.nseg, 4);
    rig_free(&r);
}

VC_TEST(reject_indirect_not_negotiated)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, r.buf, 16, VC_DESC_F_INDIRECT, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_INDIRECT_NOT_NEGOTIATED, REQ_DRV_VQ_INDIRECT_1);
    rig_free(&r);
}

VC_TEST(reject_nested_indirect)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 16, 16), t2 = vc_testmem_alloc(&r.tm, 16, 16);
    vc_split_put_desc(&r.tm.mem, t2, 0, r.buf, 8, 0, 0);
    vc_split_put_desc(&r.tm.mem, t1, 0, t2, 16, VC_DESC_F_INDIRECT, 0);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, t1, 16, VC_DESC_F_INDIRECT, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_INDIRECT_NESTED, REQ_DRV_VQ_INDIRECT_2);
    rig_free(&r);
}

VC_TEST(reject_indirect_with_next)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 16, 16);
    vc_split_put_desc(&r.tm.mem, t1, 0, r.buf, 8, 0, 0);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, t1, 16, VC_DESC_F_INDIRECT | VC_DESC_F_NEXT, 1);
    vc_split_put_desc(&r.tm.mem, r.desc, 1, r.buf, 8, 0, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_INDIRECT_NEXT, REQ_DRV_VQ_INDIRECT_4);
    rig_free(&r);
}

static void indirect_len_case(uint32_t len)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 64, 16);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, t1, len, VC_DESC_F_INDIRECT, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_INDIRECT_LEN, REQ_DRV_IMPLIED_INDIRECT_LEN);
    rig_free(&r);
}

VC_TEST(reject_indirect_len_zero) { indirect_len_case(0); }
VC_TEST(reject_indirect_len_not_16) { indirect_len_case(24); }

VC_TEST(reject_write_before_read)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, r.buf, 8, VC_DESC_F_WRITE | VC_DESC_F_NEXT, 1);
    vc_split_put_desc(&r.tm.mem, r.desc, 1, r.buf + 8, 8, 0, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_WRITE_BEFORE_READ, REQ_DRV_FRAMING_1);
    rig_free(&r);
}

VC_TEST(reject_buffer_outside_memory)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    /* ends in the gap between the two regions */
    vc_split_put_desc(&r.tm.mem, r.desc, 0, VC_TESTMEM_R0 + VC_TESTMEM_R0_SIZE - 4, 8, 0, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_BUF_ADDR, REQ_DRV_RESERVED_FEATURES_4);
    rig_free(&r);
}

VC_TEST(reject_buffer_address_wrap)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_split_put_desc(&r.tm.mem, r.desc, 0, UINT64_MAX - 3, 16, 0, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_BUF_ADDR, REQ_DRV_RESERVED_FEATURES_4);
    rig_free(&r);
}

VC_TEST(reject_total_length_over_4g)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    /* 6 GiB of untouched guest memory so each buffer is valid on its own */
    uint64_t big = 6ull << 30, base = 0x200000000ull;
    void *host = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
    VC_CHECK(host != MAP_FAILED);
    if (host == MAP_FAILED)
        return;
    VC_CHECK(vc_gmem_add(&r.tm.mem, base, big, host));
    vc_split_put_desc(&r.tm.mem, r.desc, 0, base, 0xffffffffu, VC_DESC_F_NEXT, 1);
    vc_split_put_desc(&r.tm.mem, r.desc, 1, base, 2, 0, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_TOTAL_LEN, REQ_DRV_VQ_DESC_1);
    munmap(host, big);
    rig_free(&r);
}

VC_TEST(reject_in_order_next)
{
    rig r;
    rig_init(&r, 4, F_BASE | (1ull << VC_F_IN_ORDER));
    vc_split_put_desc(&r.tm.mem, r.desc, 0, r.buf, 8, VC_DESC_F_NEXT, 2);
    vc_split_put_desc(&r.tm.mem, r.desc, 2, r.buf, 8, 0, 0);
    publish(&r, 0);
    expect_reject(&r, VC_E_IN_ORDER_NEXT, REQ_DRV_VQ_DESC_1);
    rig_free(&r);
}

VC_TEST(reject_bad_queue_setup)
{
    vc_testmem tm;
    vc_testmem_init(&tm);
    vc_vq_dev q = { 0 };
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 3, VC_TESTMEM_R0, VC_TESTMEM_R0 + 4096,
                               VC_TESTMEM_R0 + 8192), VC_E_QUEUE_SIZE);
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 4, VC_TESTMEM_R0 + 8, VC_TESTMEM_R0 + 4096,
                               VC_TESTMEM_R0 + 8192), VC_E_RING_ALIGN);
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 4, 0x1000, VC_TESTMEM_R0 + 4096,
                               VC_TESTMEM_R0 + 8192), VC_E_RING_ADDR);
    vc_vq_dev_free(&q);
    vc_testmem_free(&tm);
}

VC_TEST(push_checks)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_seg sg = { r.buf, 16, true };
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    bool got;
    pop(&r, &got);
    vc_chain other = r.c;
    other.id = 2; /* never made available */
    VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &other, 0), VC_E_USED_UNKNOWN);
    rig_free(&r);
    rig_init(&r, 4, F_BASE);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    pop(&r, &got);
    VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &r.c, 17), VC_E_USED_LEN);
    rig_free(&r);
}

VC_TEST(driver_validates_device_answers)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_seg sg = { r.buf, 16, true };
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    /* a used entry naming a descriptor that is not outstanding */
    vc_gmem_st32(&r.tm.mem, r.used + VC_SPLIT_USED_RING, 3);
    vc_gmem_st16(&r.tm.mem, r.used + VC_SPLIT_USED_IDX, 1);
    uint32_t t, l;
    VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &t, &l), VC_DRV_DEV_BAD_ID);
    vc_gmem_st16(&r.tm.mem, r.used + VC_SPLIT_USED_IDX, 3);
    VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &t, &l), VC_DRV_DEV_BAD_IDX);
    vc_gmem_st16(&r.tm.mem, r.used + VC_SPLIT_USED_IDX, 1);
    vc_gmem_st32(&r.tm.mem, r.used + VC_SPLIT_USED_RING, 0);
    vc_gmem_st32(&r.tm.mem, r.used + VC_SPLIT_USED_RING + 4, 17);
    VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &t, &l), VC_DRV_DEV_BAD_LEN);
    rig_free(&r);
}

VC_TEST(used_notification_flags)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_seg sg = { r.buf, 16, true };
    bool got;
    vc_vq_drv_want_interrupts(&r.drv, false);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    pop(&r, &got);
    vc_vq_dev_push(&r.dev, &r.c, 1);
    VC_CONFORMS(REQ_DEV_VQ_USED_SUPP_2);
    VC_CHECK(!vc_vq_dev_should_notify(&r.dev));
    vc_vq_drv_want_interrupts(&r.drv, true);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 2, false);
    pop(&r, &got);
    vc_vq_dev_push(&r.dev, &r.c, 1);
    VC_CONFORMS(REQ_DEV_VQ_USED_SUPP_3);
    VC_CHECK(vc_vq_dev_should_notify(&r.dev));
    VC_CHECK(!vc_vq_dev_should_notify(&r.dev)); /* nothing new since */
    rig_free(&r);
}

VC_TEST(used_notification_event_idx)
{
    rig r;
    rig_init(&r, 8, F_BASE | F_EVT);
    vc_seg sg = { r.buf, 16, true };
    bool got;
    /* driver wants to hear when used idx passes 2 (used_event = 2) */
    vc_gmem_st16(&r.tm.mem, r.avail + vc_split_used_event_off(8), 2);
    int notified_at = -1;
    for (int i = 0; i < 4; i++) {
        vc_vq_drv_add(&r.drv, &sg, 0, 1, (uint32_t)i, false);
        pop(&r, &got);
        vc_vq_dev_push(&r.dev, &r.c, 1);
        if (vc_vq_dev_should_notify(&r.dev) && i > 0 && notified_at < 0)
            notified_at = i;
        uint32_t t, l;
        vc_vq_drv_get_used(&r.drv, &t, &l);
    }
    VC_CONFORMS(REQ_DEV_VQ_USED_SUPP_5);
    VC_CHECK_EQ(notified_at, 2); /* entry index 2 written */
    rig_free(&r);
}

VC_TEST(avail_notification_suppression)
{
    rig r;
    rig_init(&r, 8, F_BASE);
    vc_seg sg = { r.buf, 16, true };
    vc_vq_dev_want_notify(&r.dev, false);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    VC_CHECK(!vc_vq_drv_kick_needed(&r.drv));
    vc_vq_dev_want_notify(&r.dev, true);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 2, false);
    VC_CHECK(vc_vq_drv_kick_needed(&r.drv));
    rig_free(&r);

    rig_init(&r, 8, F_BASE | F_EVT);
    bool got;
    vc_vq_dev_want_notify(&r.dev, true); /* avail_event = 0 */
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    VC_CHECK(vc_vq_drv_kick_needed(&r.drv));
    pop(&r, &got);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 2, false);
    VC_CHECK(!vc_vq_drv_kick_needed(&r.drv)); /* device did not ask again */
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
