/* The notification oracle (fuzz/notifychk.c): which decisions break the
 * split and packed suppression rules, across the 16-bit and the packed
 * ring's wrap. */
#include <string.h>

#include "notifychk.h"
#include "testmem.h"
#include "vc/ring.h"
#include "vc/vq_dev.h"
#include "vc_test.h"

typedef struct rig {
    vc_testmem tm;
    vc_notifychk n;
    uint64_t driver;
    char kind[64], req[64];
    unsigned count;
} rig;

static void on_finding(void *ctx, const char *kind, const char *req, const char *detail)
{
    rig *r = ctx;
    (void)detail;
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    snprintf(r->req, sizeof r->req, "%s", req ? req : "-");
    r->count++;
}

static void rig_init(rig *r, uint64_t features, uint16_t size)
{
    memset(r, 0, sizeof(*r));
    vc_testmem_init(&r->tm);
    r->driver = vc_testmem_alloc(&r->tm, 4096, 64);
    vc_notifychk_start(&r->n, &r->tm.mem, features, size, r->driver);
    r->n.finding = on_finding;
    r->n.ctx = r;
}

/* One decision from the rig's last position to now; the finding it gives
 * ("" when none). */
static const char *decide(rig *r, uint32_t now, bool sent)
{
    r->kind[0] = r->req[0] = 0;
    vc_notifychk_decision(&r->n, now, sent);
    return r->kind;
}

#define F(bit) (1ull << (bit))

VC_TEST(split_flags_without_event_idx)
{
    rig r;
    rig_init(&r, 0, 8);
    VC_CHECK_STR(decide(&r, 1, false), "missed-notification"); /* flags 0: a MUST */
    VC_CHECK_STR(r.req, REQ_DEV_VQ_USED_SUPP_3);
    VC_CHECK_STR(decide(&r, 2, true), "");
    vc_gmem_st16(&r.tm.mem, r.driver + VC_SPLIT_AVAIL_FLAGS, VC_SPLIT_AVAIL_F_NO_INTERRUPT);
    VC_CHECK_STR(decide(&r, 3, false), "");
    VC_CHECK_STR(decide(&r, 4, true), "unneeded-notification"); /* a SHOULD NOT */
    VC_CHECK_STR(r.req, REQ_DEV_VQ_USED_SUPP_2);
    /* used_event means nothing without the feature (dev.vq_used_supp.1) */
    vc_gmem_st16(&r.tm.mem, r.driver + vc_split_used_event_off(8), 4);
    VC_CHECK_STR(decide(&r, 5, false), "");
    vc_testmem_free(&r.tm);
}

VC_TEST(split_used_event_across_the_16_bit_wrap)
{
    rig r;
    rig_init(&r, F(VC_F_EVENT_IDX), 8);
    uint64_t ue = r.driver + vc_split_used_event_off(8);
    r.n.decided = 65534;
    vc_gmem_st16(&r.tm.mem, ue, 65535);
    /* flags are ignored with EVENT_IDX (dev.vq_used_supp.4) */
    vc_gmem_st16(&r.tm.mem, r.driver + VC_SPLIT_AVAIL_FLAGS, VC_SPLIT_AVAIL_F_NO_INTERRUPT);
    VC_CHECK_STR(decide(&r, 1, false), "missed-notification"); /* entries 65534, 65535, 0 */
    VC_CHECK_STR(r.req, REQ_DEV_VQ_USED_SUPP_5);
    vc_gmem_st16(&r.tm.mem, ue, 1);
    VC_CHECK_STR(decide(&r, 1, true), "unneeded-notification"); /* nothing new */
    VC_CHECK_STR(r.req, REQ_DEV_VQ_USED_SUPP_6);
    /* entry 1 is the one asked for: written when the index goes 1 -> 2, not 0 -> 1 */
    r.n.decided = 0;
    VC_CHECK_STR(decide(&r, 1, true), "unneeded-notification");
    VC_CHECK_STR(decide(&r, 2, false), "missed-notification");
    VC_CHECK_STR(decide(&r, 3, false), "");
    vc_testmem_free(&r.tm);
}

VC_TEST(packed_event_offset_and_wrap_counter)
{
    rig r;
    rig_init(&r, F(VC_F_RING_PACKED) | F(VC_F_EVENT_IDX), 8);
    uint64_t flags = r.driver + VC_PACKED_EVENT_FLAGS, ow = r.driver + VC_PACKED_EVENT_OFF_WRAP;
    VC_CHECK_STR(decide(&r, vc_notifychk_pos_packed(8, 2, true), false), "missed-notification");
    VC_CHECK_STR(r.req, REQ_DEV_IMPLIED_PACKED_EVENT_ON); /* ENABLE: every batch */
    vc_gmem_st16(&r.tm.mem, flags, VC_PACKED_EVENT_F_DISABLE);
    VC_CHECK_STR(decide(&r, vc_notifychk_pos_packed(8, 6, true), true), "unneeded-notification");
    VC_CHECK_STR(r.req, REQ_DEV_IMPLIED_PACKED_EVENT_OFF);
    /* DESC: slot 1 on the lap whose wrap counter is 0; the device moves
     * from slot 6 (wrap 1) to slot 2 (wrap 0), past slots 6, 7, 0, 1 */
    vc_gmem_st16(&r.tm.mem, flags, VC_PACKED_EVENT_F_DESC);
    vc_gmem_st16(&r.tm.mem, ow, 1);
    VC_CHECK_STR(decide(&r, vc_notifychk_pos_packed(8, 2, false), false), "missed-notification");
    /* the same offset with the other wrap counter is a lap away */
    r.n.decided = vc_notifychk_pos_packed(8, 6, true);
    vc_gmem_st16(&r.tm.mem, ow, 1 | 0x8000);
    VC_CHECK_STR(decide(&r, vc_notifychk_pos_packed(8, 2, false), true), "unneeded-notification");
    /* an offset past the ring names no slot: no rule either way */
    vc_gmem_st16(&r.tm.mem, ow, 9);
    VC_CHECK_STR(decide(&r, vc_notifychk_pos_packed(8, 4, false), true), "");
    /* DESC without EVENT_IDX is the driver's fault: no rule either way */
    vc_testmem_free(&r.tm);
    rig_init(&r, F(VC_F_RING_PACKED), 8);
    vc_gmem_st16(&r.tm.mem, r.driver + VC_PACKED_EVENT_FLAGS, VC_PACKED_EVENT_F_DESC);
    VC_CHECK_STR(decide(&r, vc_notifychk_pos_packed(8, 3, true), false), "");
    vc_testmem_free(&r.tm);
}

VC_TEST(sends_only_are_judged_at_the_end_of_a_kick)
{
    rig r;
    rig_init(&r, F(VC_F_EVENT_IDX), 8);
    vc_gmem_st16(&r.tm.mem, r.driver + vc_split_used_event_off(8), 2);
    vc_notifychk_sent(&r.n, 3); /* entry 2 among 0..2: allowed */
    VC_CHECK_EQ(r.count, 0u);
    vc_notifychk_kick_end(&r.n, 5, true); /* 3, 4: none asked for */
    VC_CHECK_EQ(r.count, 0u);
    vc_gmem_st16(&r.tm.mem, r.driver + vc_split_used_event_off(8), 6);
    vc_notifychk_kick_end(&r.n, 7, true); /* entry 6 written, nothing sent */
    VC_CHECK_EQ(r.count, 1u);
    VC_CHECK_STR(r.kind, "missed-notification");
    vc_notifychk_sent(&r.n, 7); /* nothing new since the end of that kick */
    VC_CHECK_STR(r.kind, "unneeded-notification");
    vc_testmem_free(&r.tm);
}

/* The reference device's own decision agrees with the oracle on every
 * event position around a packed ring wrap (the decision is after each push). */
VC_TEST(reference_packed_decision_agrees)
{
    for (uint16_t ev = 0; ev < 2 * 8; ev++) {
        rig r;
        rig_init(&r, F(VC_F_RING_PACKED) | F(VC_F_EVENT_IDX), 8);
        vc_gmem_st16(&r.tm.mem, r.driver + VC_PACKED_EVENT_FLAGS, VC_PACKED_EVENT_F_DESC);
        vc_gmem_st16(&r.tm.mem, r.driver + VC_PACKED_EVENT_OFF_WRAP,
                     (uint16_t)(ev % 8 | (ev < 8 ? 0x8000 : 0)));
        vc_vq_dev q = { .mem = &r.tm.mem, .size = 8, .packed = true, .event_idx = true,
                        .driver = r.driver, .used_wrap = true, .avail_wrap = true };
        uint16_t pos = 0;
        bool wrap = true;
        for (unsigned step = 0; step < 12; step++) { /* 3-slot lists: past the wrap */
            pos = (uint16_t)(pos + 3);
            if (pos >= 8) {
                pos = (uint16_t)(pos - 8);
                wrap = !wrap;
            }
            q.used_pos = pos;
            q.used_wrap = q.avail_wrap = wrap;
            q.signalled_used = 3;
            bool sent = vc_packed_dev_should_notify(&q);
            VC_CHECK_STR(decide(&r, vc_notifychk_pos_packed(8, pos, wrap), sent), "");
        }
        vc_testmem_free(&r.tm);
    }
}

int main(void)
{
    return vc_test_main();
}
