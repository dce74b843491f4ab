/* Packed ring rules: valid lists (direct, indirect, across the ring's wrap)
 * pass through the driver and device sides with buffer ids and wrap counters
 * kept straight; each malformed list class is rejected with its code and the
 * packed-ring requirement it enforces. */
#include "testmem.h"
#include "vc/ring.h"
#include "vc/vq_drv.h"
#include "vc_test.h"

#define F_BASE ((1ull << VC_F_VERSION_1) | (1ull << VC_F_RING_PACKED))
#define F_IND (1ull << VC_F_INDIRECT_DESC)
#define F_EVT (1ull << VC_F_EVENT_IDX)

/* Flags that make a descriptor available under driver wrap counter w. */
#define AV(w) ((w) ? VC_DESC_F_AVAIL : VC_DESC_F_USED)

typedef struct rig {
    vc_testmem tm;
    vc_vq_drv drv;
    vc_vq_dev dev;
    vc_seg segs[64];
    vc_chain c;
    uint64_t ring, drv_ev, dev_ev, buf;
    uint16_t size;
} rig;

static void rig_init(rig *r, uint16_t size, uint64_t features)
{
    memset(r, 0, sizeof(*r));
    vc_testmem_init(&r->tm);
    r->size = size;
    r->ring = vc_testmem_alloc(&r->tm, vc_packed_desc_bytes(size), 16);
    r->drv_ev = vc_testmem_alloc(&r->tm, VC_PACKED_EVENT_SIZE, 4);
    r->dev_ev = vc_testmem_alloc(&r->tm, VC_PACKED_EVENT_SIZE, 4);
    uint64_t ind = vc_testmem_alloc(&r->tm, 16ull * size * 32, 16);
    r->buf = vc_testmem_alloc(&r->tm, 1 << 20, 4096);
    VC_CHECK_EQ(vc_vq_drv_init(&r->drv, &r->tm.mem, features, size, r->ring, r->drv_ev, r->dev_ev,
                               ind, 32), VC_DRV_OK);
    VC_CHECK_EQ(vc_vq_dev_init(&r->dev, &r->tm.mem, features, size, r->ring, r->drv_ev, r->dev_ev),
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

static vc_err pop(rig *r, bool *got)
{
    *got = false;
    return vc_vq_dev_pop(&r->dev, &r->c, got);
}

/* Raw descriptor at ring slot pos, made available for the first lap. */
static void put(rig *r, uint16_t pos, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
    vc_packed_put_desc(&r->tm.mem, r->ring, pos, addr, len, id, (uint16_t)(flags | AV(true)));
}

/* Expects the next pop to fail with e, citing the packed-ring req. */
static void expect_reject(rig *r, vc_err e, const char *req)
{
    bool got = true;
    VC_CHECK_STR(vc_err_name(pop(r, &got)), vc_err_name(e));
    VC_CHECK(!got);
    VC_CHECK_STR(vc_err_req(e, true), req);
    VC_CHECK_EQ(pop(r, &got), e); /* the queue stays broken with the first error */
}

static void roundtrip(uint16_t size, unsigned nout, unsigned nin, bool indirect)
{
    rig r;
    rig_init(&r, size, F_BASE | F_IND);
    vc_seg sg[16];
    for (unsigned i = 0; i < nout + nin; i++) {
        sg[i] = (vc_seg){ r.buf + i * 4096, 100 + i, i >= nout };
        vc_gmem_fill(&r.tm.mem, sg[i].addr, (uint8_t)(i + 1), sg[i].len);
    }
    bool wrapped = false;
    for (int round = 0; round < 5 * size; round++) { /* several laps of the ring */
        VC_CHECK_EQ(vc_vq_drv_add(&r.drv, sg, nout, nin, 500 + round, indirect), VC_DRV_OK);
        bool got;
        VC_CHECK_EQ(pop(&r, &got), VC_OK);
        VC_CHECK(got);
        VC_CHECK_EQ(r.c.nseg, nout + nin);
        VC_CHECK_EQ(r.c.n_out, nout);
        VC_CHECK_EQ(r.c.ndesc, indirect ? 1 : nout + nin);
        uint64_t in_total = 0;
        for (unsigned i = 0; i < nout + nin; i++) {
            VC_CHECK_EQ(r.c.seg[i].addr, sg[i].addr);
            VC_CHECK_EQ(r.c.seg[i].len, sg[i].len);
            VC_CHECK_EQ(r.c.seg[i].write, i >= nout);
            if (i >= nout)
                in_total += sg[i].len;
        }
        VC_CHECK_EQ(r.c.in_bytes, in_total);
        wrapped |= !r.dev.avail_wrap;
        VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &r.c, (uint32_t)in_total), VC_OK);
        uint32_t token = 0, len = 0;
        VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &token, &len), VC_DRV_OK);
        VC_CHECK_EQ(token, 500 + round);
        VC_CHECK_EQ(len, in_total);
        VC_CHECK_EQ(pop(&r, &got), VC_OK);
        VC_CHECK(!got);
        VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &token, &len), VC_DRV_EMPTY);
    }
    VC_CHECK(wrapped); /* the wrap counters flipped at least once */
    VC_CHECK_EQ(r.dev.avail_wrap, r.drv.avail_wrap);
    VC_CHECK_EQ(r.dev.used_wrap, r.drv.used_wrap);
    rig_free(&r);
}

/* Sizes that are not powers of two are legal for packed rings. */
VC_TEST(roundtrip_1) { roundtrip(7, 1, 0, false); roundtrip(7, 0, 1, false); }
VC_TEST(roundtrip_4) { roundtrip(6, 2, 2, false); }
VC_TEST(roundtrip_16) { roundtrip(24, 8, 8, false); }
VC_TEST(roundtrip_16_full_ring) { roundtrip(16, 15, 1, false); }
VC_TEST(roundtrip_indirect_1) { roundtrip(5, 0, 1, true); }
VC_TEST(roundtrip_indirect_4) { roundtrip(5, 1, 3, true); }
VC_TEST(roundtrip_indirect_16) { roundtrip(16, 15, 1, true); }

VC_TEST(reject_indirect_16_on_small_queue)
{
    /* a table may not hold more entries than the queue has slots */
    rig r;
    rig_init(&r, 3, F_BASE | F_IND);
    vc_seg sg[16];
    for (unsigned i = 0; i < 16; i++)
        sg[i] = (vc_seg){ r.buf + i * 64, 64, i == 15 };
    VC_CHECK_EQ(vc_vq_drv_add(&r.drv, sg, 15, 1, 1, true), VC_DRV_OK);
    expect_reject(&r, VC_E_CHAIN_TOO_LONG, REQ_DRV_PACKED_SG_2);
    rig_free(&r);
}

VC_TEST(out_of_order_completion)
{
    /* ids come back in any order; the used ring is filled in completion order */
    rig r;
    rig_init(&r, 8, F_BASE);
    vc_seg sg[2] = { { r.buf, 8, false }, { r.buf + 64, 32, true } };
    vc_chain taken[3];
    vc_seg store[3][4];
    for (unsigned i = 0; i < 3; i++) {
        VC_CHECK_EQ(vc_vq_drv_add(&r.drv, sg, 1, 1, 10 + i, false), VC_DRV_OK);
        taken[i] = (vc_chain){ .seg = store[i], .cap = 4 };
        bool got = false;
        VC_CHECK_EQ(vc_vq_dev_pop(&r.dev, &taken[i], &got), VC_OK);
        VC_CHECK(got);
    }
    VC_CHECK(taken[0].id != taken[1].id && taken[1].id != taken[2].id);
    static const unsigned order[3] = { 2, 0, 1 };
    for (unsigned k = 0; k < 3; k++)
        VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &taken[order[k]], 4 + order[k]), VC_OK);
    for (unsigned k = 0; k < 3; k++) {
        uint32_t t = 0, l = 0;
        VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &t, &l), VC_DRV_OK);
        VC_CHECK_EQ(t, 10 + order[k]);
        VC_CHECK_EQ(l, 4 + order[k]);
    }
    /* a used id cannot be returned twice */
    VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &taken[0], 0), VC_E_USED_UNKNOWN);
    rig_free(&r);
}

VC_TEST(wrong_wrap_counter_not_available)
{
    /* a descriptor whose AVAIL/USED bits do not match the device's wrap
     * counter is not the driver's yet */
    VC_CONFORMS(REQ_DEV_PACKED_DESC_2);
    rig r;
    rig_init(&r, 4, F_BASE);
    bool got;
    vc_packed_put_desc(&r.tm.mem, r.ring, 0, r.buf, 8, 0, AV(false)); /* previous lap */
    VC_CHECK_EQ(pop(&r, &got), VC_OK);
    VC_CHECK(!got);
    vc_packed_put_desc(&r.tm.mem, r.ring, 0, r.buf, 8, 0, VC_DESC_F_AVAIL | VC_DESC_F_USED);
    VC_CHECK_EQ(pop(&r, &got), VC_OK); /* a used descriptor of this lap */
    VC_CHECK(!got);
    put(&r, 0, r.buf, 8, 0, 0);
    VC_CHECK_EQ(pop(&r, &got), VC_OK);
    VC_CHECK(got);
    rig_free(&r);
}

VC_TEST(list_across_ring_end)
{
    /* a list that starts in the last slot continues in slot 0 with the
     * flipped wrap counter */
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_seg sg = { r.buf, 8, true };
    bool got;
    uint32_t t, l;
    for (unsigned i = 0; i < 3; i++) {
        vc_vq_drv_add(&r.drv, &sg, 0, 1, i, false);
        pop(&r, &got);
        vc_vq_dev_push(&r.dev, &r.c, 0);
        vc_vq_drv_get_used(&r.drv, &t, &l);
    }
    vc_packed_put_desc(&r.tm.mem, r.ring, 0, r.buf + 8, 8, 2, AV(false) | VC_DESC_F_WRITE);
    vc_packed_put_desc(&r.tm.mem, r.ring, 3, r.buf, 8, 0, AV(true) | VC_DESC_F_NEXT);
    VC_CHECK_EQ(pop(&r, &got), VC_OK);
    VC_CHECK(got);
    VC_CHECK_EQ(r.c.ndesc, 2);
    VC_CHECK_EQ(r.c.id, 2); /* the id comes from the last descriptor */
    VC_CHECK_EQ(r.dev.avail_pos, 1);
    VC_CHECK(!r.dev.avail_wrap);
    rig_free(&r);
}

VC_TEST(reject_buffer_id_range)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    put(&r, 0, r.buf, 8, 4, 0);
    expect_reject(&r, VC_E_HEAD_RANGE, REQ_DRV_IMPLIED_BUFFER_ID_RANGE);
    rig_free(&r);
}

VC_TEST(reject_partial_list)
{
    /* drv.packed_sg.6: the list's second descriptor is not made available */
    rig r;
    rig_init(&r, 4, F_BASE);
    put(&r, 0, r.buf, 8, 0, VC_DESC_F_NEXT);
    vc_packed_put_desc(&r.tm.mem, r.ring, 1, r.buf, 8, 0, 0);
    expect_reject(&r, VC_E_PACKED_PARTIAL, REQ_DRV_PACKED_SG_6);
    rig_free(&r);
}

VC_TEST(reject_list_never_ends)
{
    /* every slot available with NEXT: the list runs round the whole ring */
    rig r;
    rig_init(&r, 4, F_BASE);
    for (uint16_t i = 0; i < 4; i++)
        put(&r, i, r.buf, 8, 0, VC_DESC_F_NEXT);
    expect_reject(&r, VC_E_CHAIN_TOO_LONG, REQ_DRV_PACKED_SG_2);
    rig_free(&r);
}

VC_TEST(reject_indirect_table_longer_than_queue)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t table = vc_testmem_alloc(&r.tm, 5 * 16, 16);
    for (unsigned i = 0; i < 5; i++)
        vc_packed_put_desc(&r.tm.mem, table, i, r.buf, 8, 0, 0);
    put(&r, 0, table, 5 * 16, 0, VC_DESC_F_INDIRECT);
    expect_reject(&r, VC_E_CHAIN_TOO_LONG, REQ_DRV_PACKED_SG_2);
    rig_free(&r);
}

VC_TEST(accept_indirect_table_equal_to_queue)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t table = vc_testmem_alloc(&r.tm, 4 * 16, 16);
    for (unsigned i = 0; i < 4; i++)
        vc_packed_put_desc(&r.tm.mem, table, i, r.buf + i * 8, 8, 0, i >= 2 ? VC_DESC_F_WRITE : 0);
    put(&r, 0, table, 4 * 16, 3, VC_DESC_F_INDIRECT);
    bool got;
    VC_CHECK_EQ(pop(&r, &got), VC_OK);
    VC_CHECK(got);
    VC_CHECK_EQ(r.c.nseg, 4);
    VC_CHECK_EQ(r.c.n_out, 2);
    VC_CHECK_EQ(r.c.ndesc, 1);
    VC_CHECK_EQ(r.c.id, 3);
    rig_free(&r);
}

VC_TEST(reject_indirect_not_negotiated)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    uint64_t table = vc_testmem_alloc(&r.tm, 16, 16);
    put(&r, 0, table, 16, 0, VC_DESC_F_INDIRECT);
    expect_reject(&r, VC_E_INDIRECT_NOT_NEGOTIATED, REQ_DRV_PACKED_INDIRECT_1);
    rig_free(&r);
}

VC_TEST(reject_nested_indirect)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 16, 16), t2 = vc_testmem_alloc(&r.tm, 16, 16);
    vc_packed_put_desc(&r.tm.mem, t2, 0, r.buf, 8, 0, 0);
    vc_packed_put_desc(&r.tm.mem, t1, 0, t2, 16, 0, VC_DESC_F_INDIRECT);
    put(&r, 0, t1, 16, 0, VC_DESC_F_INDIRECT);
    expect_reject(&r, VC_E_INDIRECT_NESTED, REQ_DRV_PACKED_INDIRECT_2);
    rig_free(&r);
}

VC_TEST(reject_indirect_with_next)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 16, 16);
    vc_packed_put_desc(&r.tm.mem, t1, 0, r.buf, 8, 0, 0);
    put(&r, 0, t1, 16, 0, VC_DESC_F_INDIRECT | VC_DESC_F_NEXT);
    put(&r, 1, r.buf, 8, 0, 0);
    expect_reject(&r, VC_E_INDIRECT_NEXT, REQ_DRV_PACKED_INDIRECT_4);
    rig_free(&r);
}

VC_TEST(reject_indirect_after_direct)
{
    /* in a packed list an indirect descriptor must stand alone */
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 16, 16);
    vc_packed_put_desc(&r.tm.mem, t1, 0, r.buf, 8, 0, 0);
    put(&r, 0, r.buf, 8, 0, VC_DESC_F_NEXT);
    put(&r, 1, t1, 16, 0, VC_DESC_F_INDIRECT);
    expect_reject(&r, VC_E_INDIRECT_NEXT, REQ_DRV_PACKED_INDIRECT_4);
    rig_free(&r);
}

static void indirect_len_case(uint32_t len)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 64, 16);
    put(&r, 0, t1, len, 0, VC_DESC_F_INDIRECT);
    expect_reject(&r, VC_E_INDIRECT_LEN, REQ_DRV_IMPLIED_INDIRECT_LEN);
    rig_free(&r);
}

VC_TEST(reject_indirect_len_zero) { indirect_len_case(0); }
VC_TEST(reject_indirect_len_not_16) { indirect_len_case(40); }

VC_TEST(reject_indirect_table_outside_memory)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    put(&r, 0, VC_TESTMEM_R0 + VC_TESTMEM_R0_SIZE - 16, 32, 0, VC_DESC_F_INDIRECT);
    bool got;
    VC_CHECK_EQ(pop(&r, &got), VC_E_BUF_ADDR);
    rig_free(&r);
}

VC_TEST(reject_write_before_read)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    put(&r, 0, r.buf, 8, 0, VC_DESC_F_WRITE | VC_DESC_F_NEXT);
    put(&r, 1, r.buf + 8, 8, 0, 0);
    expect_reject(&r, VC_E_WRITE_BEFORE_READ, REQ_DRV_PACKED_SG_3);
    rig_free(&r);
}

VC_TEST(reject_write_before_read_in_table)
{
    rig r;
    rig_init(&r, 4, F_BASE | F_IND);
    uint64_t t1 = vc_testmem_alloc(&r.tm, 32, 16);
    vc_packed_put_desc(&r.tm.mem, t1, 0, r.buf, 8, 0, VC_DESC_F_WRITE);
    vc_packed_put_desc(&r.tm.mem, t1, 1, r.buf + 8, 8, 0, 0);
    put(&r, 0, t1, 32, 0, VC_DESC_F_INDIRECT);
    expect_reject(&r, VC_E_WRITE_BEFORE_READ, REQ_DRV_PACKED_SG_3);
    rig_free(&r);
}

VC_TEST(reject_buffer_outside_memory)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    put(&r, 0, VC_TESTMEM_R0 + VC_TESTMEM_R0_SIZE - 4, 8, 0, 0); /* ends in the gap */
    expect_reject(&r, VC_E_BUF_ADDR, REQ_DRV_RESERVED_FEATURES_4);
    rig_free(&r);
}

VC_TEST(reject_buffer_address_wrap)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    put(&r, 0, UINT64_MAX - 7, 16, 0, 0);
    expect_reject(&r, VC_E_BUF_ADDR, REQ_DRV_RESERVED_FEATURES_4);
    rig_free(&r);
}

VC_TEST(queue_setup)
{
    vc_testmem tm;
    vc_testmem_init(&tm);
    vc_vq_dev q = { 0 };
    uint64_t base = VC_TESTMEM_R0;
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 0, base, base + 4096, base + 8192),
                VC_E_QUEUE_SIZE);
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 5, base, base + 4096, base + 8192), VC_OK);
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 5, base + 8, base + 4096, base + 8192),
                VC_E_RING_ALIGN);
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 5, base, base + 4098, base + 8192),
                VC_E_RING_ALIGN);
    VC_CHECK_EQ(vc_vq_dev_init(&q, &tm.mem, F_BASE, 5, base, base + 4096, 0x1000),
                VC_E_RING_ADDR);
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
    VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &r.c, 17), VC_E_USED_LEN);
    vc_chain other = r.c;
    other.id = (uint16_t)((r.c.id + 1) % 4); /* never made available */
    VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &other, 0), VC_E_USED_UNKNOWN);
    VC_CHECK_STR(vc_err_req(VC_E_USED_UNKNOWN, true), REQ_DEV_IMPLIED_USED_KNOWN);
    VC_CHECK_EQ(vc_vq_dev_push(&r.dev, &r.c, 16), VC_OK);
    rig_free(&r);
}

VC_TEST(driver_validates_device_answers)
{
    rig r;
    rig_init(&r, 4, F_BASE);
    vc_seg sg = { r.buf, 16, true };
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    uint32_t t, l;
    uint16_t used = VC_DESC_F_AVAIL | VC_DESC_F_USED; /* used in the first lap */
    vc_packed_put_desc(&r.tm.mem, r.ring, 0, 0, 4, 3, used); /* id 3 is not outstanding */
    VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &t, &l), VC_DRV_DEV_BAD_ID);
    vc_packed_put_desc(&r.tm.mem, r.ring, 0, 0, 17, r.drv.free_ids[r.drv.nfree_ids], used);
    VC_CHECK_EQ(vc_vq_drv_get_used(&r.drv, &t, &l), VC_DRV_DEV_BAD_LEN);
    rig_free(&r);
}

VC_TEST(used_notification_suppression)
{
    rig r;
    rig_init(&r, 8, F_BASE);
    vc_seg sg = { r.buf, 16, true };
    bool got;
    vc_vq_drv_want_interrupts(&r.drv, false);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 1, false);
    pop(&r, &got);
    vc_vq_dev_push(&r.dev, &r.c, 1);
    VC_CHECK(!vc_vq_dev_should_notify(&r.dev)); /* driver disabled events */
    vc_vq_drv_want_interrupts(&r.drv, true);
    vc_vq_drv_add(&r.drv, &sg, 0, 1, 2, false);
    pop(&r, &got);
    vc_vq_dev_push(&r.dev, &r.c, 1);
    VC_CHECK(vc_vq_dev_should_notify(&r.dev));
    VC_CHECK(!vc_vq_dev_should_notify(&r.dev)); /* nothing new since */
    rig_free(&r);
}

VC_TEST(used_notification_desc_event)
{
    /* with EVENT_IDX the driver can ask for an event at one ring position */
    rig r;
    rig_init(&r, 8, F_BASE | F_EVT);
    vc_seg sg = { r.buf, 16, true };
    bool got;
    vc_gmem_st16(&r.tm.mem, r.drv_ev + VC_PACKED_EVENT_OFF_WRAP, (uint16_t)(0x8000 | 2));
    vc_gmem_st16(&r.tm.mem, r.drv_ev + VC_PACKED_EVENT_FLAGS, VC_PACKED_EVENT_F_DESC);
    int notified_at = -1;
    for (int i = 0; i < 4; i++) {
        vc_vq_drv_add(&r.drv, &sg, 0, 1, (uint32_t)i, false);
        pop(&r, &got);
        vc_vq_dev_push(&r.dev, &r.c, 1);
        if (vc_vq_dev_should_notify(&r.dev) && notified_at < 0)
            notified_at = i;
        uint32_t t, l;
        vc_vq_drv_get_used(&r.drv, &t, &l);
    }
    VC_CHECK_EQ(notified_at, 2); /* the used descriptor at position 2 was written */
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
    VC_CHECK(!vc_vq_drv_kick_needed(&r.drv)); /* nothing added since */
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
