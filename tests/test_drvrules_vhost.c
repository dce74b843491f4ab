/* Driver rules the vhost-user back-end judges itself (vhostdev/vd_ring.c):
 * missed kicks, packed descriptors changed while the device holds them,
 * flags in packed indirect tables. The back-end is driven in-process with
 * its own messages over a memfd, and the test plays the driver on the same
 * memory: each rule breaks with its exact requirement, and a conforming
 * driver is judged kept. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vc/spec_features.h"
#include "vc/vq_drv.h"
#include "vc_test.h"
#include "vd_back.h"

#define MEM (1u << 20)
#define UVA 0x7f0000000000ull /* the front-end's address of guest address 0 */
#define QSIZE 16
#define BUF 0x80000u

typedef struct rig {
    vd_back b;
    vd_log log;
    FILE *null;
    int memfd, kick[2];
    vc_vq_drv q[2];
    unsigned nq;
} rig;

static uint64_t ring_base(unsigned qi) { return 0x10000ull * (qi + 1); }

static void msg(rig *r, vu_msg *m)
{
    vu_msg reply;
    bool has_reply;
    VC_CHECK(vd_back_handle(&r->b, m, &reply, &has_reply));
}

static void msg_u64(rig *r, uint32_t req, uint64_t v, int fd)
{
    vu_msg m = { .request = req, .u.u64 = v };
    if (fd >= 0) {
        m.nfds = 1;
        m.fds[0] = fd;
    }
    msg(r, &m);
    if (m.nfds) /* refused: not taken */
        close(fd);
}

/* A back-end for device type, rings 0..nq-1 set up with features f, the
 * driver side initialised on the same memory. */
/* Back-end options of the next rig_init (cleared by it). */
static struct {
    bool read_only, offers_mtu, provoke;
} rig_opt;

static void rig_init_as(rig *r, const char *type, uint64_t f, unsigned nq, bool modern_only, bool offers_packed)
{
    memset(r, 0, sizeof(*r));
    r->null = fopen("/dev/null", "w");
    vd_log_start(&r->log, r->null, type, 0, NULL);
    static uint8_t disk[1 << 16];
    vc_model_opts o = { .disk = disk, .disk_bytes = sizeof(disk), .read_only = rig_opt.read_only };
    VC_CHECK(vd_back_init(&r->b, vd_type_find(type), &o, &r->log));
    r->b.modern_only = modern_only;
    r->b.offers_packed = offers_packed;
    r->b.offers_mtu = rig_opt.offers_mtu;
    r->b.provoke = rig_opt.provoke;
    memset(&rig_opt, 0, sizeof(rig_opt));
    r->memfd = memfd_create("drvrules", MFD_CLOEXEC);
    VC_CHECK(r->memfd >= 0 && ftruncate(r->memfd, MEM) == 0);
    vu_msg m = { .request = VU_SET_MEM_TABLE, .nfds = 1 };
    m.u.mem.nregions = 1;
    m.u.mem.region[0] = (vu_region){ .gpa = 0, .size = MEM, .uva = UVA, .mmap_offset = 0 };
    m.fds[0] = dup(r->memfd);
    msg(r, &m);
    msg_u64(r, VU_SET_FEATURES, f, -1);
    r->nq = nq;
    for (unsigned qi = 0; qi < nq; qi++) {
        uint64_t base = ring_base(qi);
        VC_CHECK_EQ(vc_vq_drv_init(&r->q[qi], &r->b.mem.gmem, f, QSIZE, base, base + 0x1000, base + 0x2000,
                                   base + 0x4000, 8),
                    VC_DRV_OK);
        vu_msg n = { .request = VU_SET_VRING_NUM, .u.state = { qi, QSIZE } };
        msg(r, &n);
        vu_msg a = { .request = VU_SET_VRING_ADDR };
        a.u.addr = (vu_addr){ .index = qi, .desc = UVA + base, .avail = UVA + base + 0x1000,
                              .used = UVA + base + 0x2000 };
        msg(r, &a);
        /* packed: position 0 with the wrap counters at 1, as a fresh ring */
        vu_msg s = { .request = VU_SET_VRING_BASE, .u.state = { qi, f & 1ull << VC_F_RING_PACKED ? 0x8000u : 0 } };
        msg(r, &s);
        msg_u64(r, VU_SET_VRING_CALL, qi, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        r->kick[qi] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        msg_u64(r, VU_SET_VRING_KICK, qi, dup(r->kick[qi]));
    }
    VC_CHECK(r->b.running);
}

static void rig_init(rig *r, const char *type, uint64_t f, unsigned nq)
{
    rig_init_as(r, type, f, nq, false, false);
}

static void rig_free(rig *r)
{
    vd_back_end(&r->b, "test over");
    vd_back_destroy(&r->b);
    for (unsigned qi = 0; qi < r->nq; qi++) {
        vc_vq_drv_free(&r->q[qi]);
        close(r->kick[qi]);
    }
    close(r->memfd);
    fclose(r->null);
}

/* The session's tally of req: seen (kept or broken) and broken. */
static void tally(const rig *r, const char *req, uint64_t *seen, uint64_t *broken)
{
    *seen = *broken = 0;
    for (unsigned i = 0; i < r->b.rules.n; i++)
        if (!strcmp(r->b.rules.r[i].req, req)) {
            *seen = r->b.rules.r[i].seen;
            *broken = r->b.rules.r[i].broken;
        }
}

static uint64_t kept(const rig *r, const char *req)
{
    uint64_t s, b;
    tally(r, req, &s, &b);
    return s - b;
}

static uint64_t broken(const rig *r, const char *req)
{
    uint64_t s, b;
    tally(r, req, &s, &b);
    return b;
}

static void add(rig *r, unsigned qi, uint64_t addr, uint32_t len, bool write, bool indirect)
{
    vc_seg sg[2] = { { addr, len / 2, write }, { addr + len / 2, len - len / 2, write } };
    VC_CHECK_EQ(vc_vq_drv_add(&r->q[qi], sg, write ? 0 : 2, write ? 2 : 0, 1, indirect), VC_DRV_OK);
}

static void missed_kick_case(uint64_t f, const char *req)
{
    rig r;
    rig_init(&r, "rng", f, 1);
    add(&r, 0, BUF, 64, true, false);
    VC_CHECK(vc_vq_drv_kick_needed(&r.q[0]));
    vd_back_kick(&r.b, 0);
    VC_CHECK_EQ(kept(&r, req), 1); /* buffers after the device emptied the ring, and a kick */
    add(&r, 0, BUF, 64, true, false); /* no kick */
    vd_back_tick(&r.b, 10000);
    vd_back_tick(&r.b, 10000 + VD_KICK_GRACE_MS - 1);
    VC_CHECK_EQ(broken(&r, req), 0);
    vd_back_tick(&r.b, 10000 + VD_KICK_GRACE_MS);
    VC_CHECK_EQ(broken(&r, req), 1);
    uint32_t tok, len;
    VC_CHECK_EQ(vc_vq_drv_get_used(&r.q[0], &tok, &len), VC_DRV_OK); /* served all the same */
    VC_CHECK_EQ(vc_vq_drv_get_used(&r.q[0], &tok, &len), VC_DRV_OK);
    rig_free(&r);
}

VC_TEST(missed_kick_event_idx) { missed_kick_case(1ull << VC_F_VERSION_1 | 1ull << VC_F_EVENT_IDX, REQ_DRV_VQ_AVAIL_SUPP_6); }
VC_TEST(missed_kick_flags) { missed_kick_case(1ull << VC_F_VERSION_1, REQ_DRV_VQ_AVAIL_SUPP_4); }

VC_TEST(late_kick_in_the_fd_is_no_fault)
{
    rig r;
    rig_init(&r, "rng", 1ull << VC_F_VERSION_1 | 1ull << VC_F_EVENT_IDX, 1);
    add(&r, 0, BUF, 64, true, false);
    uint64_t one = 1;
    VC_CHECK(write(r.kick[0], &one, sizeof(one)) == sizeof(one)); /* kicked, not read yet */
    vd_back_tick(&r.b, 10000);
    vd_back_tick(&r.b, 10000 + 2 * VD_KICK_GRACE_MS);
    VC_CHECK_EQ(broken(&r, REQ_DRV_VQ_AVAIL_SUPP_6), 0);
    vd_back_kick(&r.b, 0);
    VC_CHECK_EQ(kept(&r, REQ_DRV_VQ_AVAIL_SUPP_6), 1);
    rig_free(&r);
}

/* Net over packed rings: a receive buffer the device holds until a frame
 * comes; changed (or not) by the driver meanwhile. */
static void packed_held_case(bool change)
{
    rig r;
    rig_init(&r, "net", 1ull << VC_F_VERSION_1 | 1ull << VC_F_RING_PACKED, 2);
    add(&r, 0, BUF, 2048, true, false);
    vd_back_kick(&r.b, 0);
    VC_CHECK_EQ(r.b.dev->q[0].vq.ninflight, 1);
    if (change) /* the length of the second descriptor, rewritten while held */
        VC_CHECK(vc_gmem_st32(&r.b.mem.gmem, ring_base(0) + VC_PACKED_DESC_SIZE + VC_PACKED_DESC_LEN, 100));
    uint8_t frame[12 + 60] = { 0 };
    memset(frame + 12, 0xff, 6);
    vc_gmem_write(&r.b.mem.gmem, BUF + 0x10000, frame, sizeof(frame));
    vc_seg sg = { BUF + 0x10000, sizeof(frame), false };
    VC_CHECK_EQ(vc_vq_drv_add(&r.q[1], &sg, 1, 0, 2, false), VC_DRV_OK);
    vd_back_kick(&r.b, 1); /* loops back into the held buffer */
    VC_CHECK_EQ(r.b.dev->q[0].vq.ninflight, 0);
    VC_CHECK_EQ(broken(&r, REQ_DRV_PACKED_DESC_TYPO_1), change ? 1u : 0u);
    VC_CHECK_EQ(broken(&r, REQ_DRV_PACKED_DESC_TYPO_2), change ? 1u : 0u);
    VC_CHECK_EQ(kept(&r, REQ_DRV_PACKED_DESC_TYPO_2), change ? 1u : 2u); /* and the transmitted one */
    rig_free(&r);
}

VC_TEST(packed_held_unchanged_kept) { packed_held_case(false); }
VC_TEST(packed_held_changed_breaks_typo) { packed_held_case(true); }

/* A transmitted frame in a packed indirect table whose entries carry
 * (or not) a flag besides WRITE. */
static void packed_table_case(uint16_t extra)
{
    rig r;
    rig_init(&r, "net", 1ull << VC_F_VERSION_1 | 1ull << VC_F_RING_PACKED | 1ull << VC_F_INDIRECT_DESC, 2);
    uint8_t frame[12 + 60] = { 0 };
    memset(frame + 12, 0xff, 6);
    vc_gmem_write(&r.b.mem.gmem, BUF, frame, sizeof(frame));
    add(&r, 1, BUF, sizeof(frame), false, true);
    uint64_t table;
    VC_CHECK(vc_gmem_ld64(&r.b.mem.gmem, ring_base(1) + VC_PACKED_DESC_ADDR, &table));
    uint16_t f0;
    VC_CHECK(vc_gmem_ld16(&r.b.mem.gmem, table + VC_PACKED_DESC_FLAGS, &f0));
    VC_CHECK(vc_gmem_st16(&r.b.mem.gmem, table + VC_PACKED_DESC_FLAGS, f0 | extra));
    vd_back_kick(&r.b, 1);
    VC_CHECK_EQ(broken(&r, REQ_DRV_PACKED_INDIRECT_2), extra ? 1u : 0u);
    VC_CHECK_EQ(kept(&r, REQ_DRV_PACKED_INDIRECT_2), extra ? 0u : 1u);
    VC_CHECK_EQ(kept(&r, REQ_DRV_PACKED_INDIRECT_1), 1);
    rig_free(&r);
}

VC_TEST(packed_table_write_only_kept) { packed_table_case(0); }
VC_TEST(packed_table_next_breaks_indirect2) { packed_table_case(VC_DESC_F_NEXT); }

/* What the front-end offered the guest, as the runner says: VERSION_1 on a
 * modern-only device, RING_PACKED with packed=on. */
static void offered_case(uint64_t f, bool modern_only, bool offers_packed, const char *req, bool ok)
{
    rig r;
    rig_init_as(&r, "rng", f, 1, modern_only, offers_packed);
    VC_CHECK_EQ(kept(&r, req), ok ? 1u : 0u);
    VC_CHECK_EQ(broken(&r, req), ok ? 0u : 1u);
    rig_free(&r);
}

VC_TEST(version_1_on_modern_only)
{
    offered_case(1ull << VC_F_VERSION_1, true, false, REQ_DRV_RESERVED_FEATURES_1, true);
    offered_case(0, true, false, REQ_DRV_RESERVED_FEATURES_1, false);
    rig r; /* a transitional device: a legacy driver is no fault */
    rig_init_as(&r, "rng", 0, 1, false, false);
    VC_CHECK_EQ(broken(&r, REQ_DRV_RESERVED_FEATURES_1) + kept(&r, REQ_DRV_RESERVED_FEATURES_1), 0);
    rig_free(&r);
}

VC_TEST(ring_packed_when_offered)
{
    uint64_t v1 = 1ull << VC_F_VERSION_1;
    offered_case(v1 | 1ull << VC_F_RING_PACKED, false, true, REQ_DRV_RESERVED_FEATURES_5, true);
    offered_case(v1, false, true, REQ_DRV_RESERVED_FEATURES_5, false);
    rig r; /* not offered: nothing to judge */
    rig_init_as(&r, "rng", v1, 1, false, false);
    VC_CHECK_EQ(broken(&r, REQ_DRV_RESERVED_FEATURES_5) + kept(&r, REQ_DRV_RESERVED_FEATURES_5), 0);
    rig_free(&r);
}

/* net offers GUEST_TSO4, which needs GUEST_CSUM: a legacy driver's set is
 * judged at DRIVER_OK (a modern one's at FEATURES_OK by the core). */
VC_TEST(feature_dependencies)
{
    uint64_t csum = 1ull << VIRTIO_NET_F_GUEST_CSUM_BIT, tso4 = 1ull << VIRTIO_NET_F_GUEST_TSO4_BIT;
    rig r;
    rig_init(&r, "net", tso4, 2);
    VC_CHECK_EQ(broken(&r, REQ_DRV_FEATURES_1), 1);
    rig_free(&r);
    rig_init(&r, "net", tso4 | csum, 2);
    VC_CHECK_EQ(kept(&r, REQ_DRV_FEATURES_1), 1);
    rig_free(&r);
    rig_init(&r, "net", 1ull << VC_F_VERSION_1 | tso4 | csum, 2);
    VC_CHECK_EQ(kept(&r, REQ_DRV_FEATURES_1), 1);
    rig_free(&r);
    rig_init(&r, "rng", 1ull << VC_F_VERSION_1, 1); /* nothing rng offers depends on anything */
    VC_CHECK_EQ(kept(&r, REQ_DRV_FEATURES_1) + broken(&r, REQ_DRV_FEATURES_1), 0);
    rig_free(&r);
}

/* Net receive buffers over a packed ring: the device holds them all; a
 * driver that miscounts its free slots writes a list over held ones. */
static void packed_room_case(bool overcommit)
{
    rig r;
    rig_init(&r, "net", 1ull << VC_F_VERSION_1 | 1ull << VC_F_RING_PACKED, 2);
    for (unsigned i = 0; i < QSIZE / 2; i++) /* two slots each: the ring full */
        add(&r, 0, BUF + i * 0x1000, 2048, true, false);
    vd_back_kick(&r.b, 0);
    VC_CHECK_EQ(r.b.dev->q[0].vq.ninflight, QSIZE / 2);
    VC_CHECK_EQ(broken(&r, REQ_DRV_PACKED_SG_5), 0);
    VC_CHECK_EQ(kept(&r, REQ_DRV_PACKED_SG_5), QSIZE / 2);
    if (overcommit) {
        r.q[0].num_free += 2; /* the miscount */
        add(&r, 0, BUF + 0x10000, 2048, true, false);
        vd_back_kick(&r.b, 0);
        VC_CHECK_EQ(broken(&r, REQ_DRV_PACKED_SG_5), 1);
    }
    rig_free(&r);
}

VC_TEST(packed_lists_in_free_slots_kept) { packed_room_case(false); }
VC_TEST(packed_list_over_held_slots_breaks_sg5) { packed_room_case(true); }

/* ---- notification suppression the device provokes (vd_quiet.c) ---- */

/* One buffer on rng's ring, kicked when the driver side thinks it must
 * (always: a driver that ignores the device's suppression). */
static void rng_buffer(rig *r, bool kick_always)
{
    add(r, 0, BUF, 64, true, false);
    if (vc_vq_drv_kick_needed(&r->q[0]) || kick_always)
        vd_back_kick(&r->b, 0);
    uint32_t tok, len;
    while (vc_vq_drv_get_used(&r->q[0], &tok, &len) == VC_DRV_OK) {
    }
}

/* The window: after VD_QUIET_AFTER kicks the device asks for none; a
 * driver that heeds it keeps the rule, one that kicks after the grace for
 * a buffer it published then breaks it. A kick within the grace is none. */
static void quiet_case(uint64_t f, const char *req, bool kick_always)
{
    rig r;
    rig_init(&r, "rng", f, 1);
    long long t0 = 10000;
    vd_back_tick(&r.b, t0);
    for (unsigned i = 0; i < VD_QUIET_AFTER; i++)
        rng_buffer(&r, false);
    VC_CHECK_EQ(r.b.ring[0].quiet, 1);
    VC_CHECK_EQ(vd_back_tick_ms(&r.b), VD_QUIET_POLL_MS);
    rng_buffer(&r, kick_always); /* within the grace: never a fault */
    VC_CHECK_EQ(broken(&r, req), 0);
    vd_back_tick(&r.b, t0 + VD_QUIET_GRACE_MS);
    VC_CHECK_EQ(r.b.dev->q[0].vq.last_avail, VD_QUIET_AFTER + 1); /* served by polling */
    rng_buffer(&r, kick_always);
    VC_CHECK_EQ(broken(&r, req), kick_always ? 1u : 0u);
    vd_back_tick(&r.b, t0 + VD_QUIET_GRACE_MS + 100);
    VC_CHECK_EQ(r.b.dev->q[0].vq.last_avail, VD_QUIET_AFTER + 2);
    vd_back_tick(&r.b, t0 + VD_QUIET_MS);
    VC_CHECK_EQ(r.b.ring[0].quiet, 0); /* closed; the next opens VD_QUIET_AFTER kicks later */
    VC_CHECK_EQ(kept(&r, req), kick_always ? 0u : 1u);
    rng_buffer(&r, false); /* kicks wanted again: the driver kicks */
    VC_CHECK_EQ(r.b.dev->q[0].vq.last_avail, VD_QUIET_AFTER + 3);
    rig_free(&r);
}

/* The ring stops inside the window (the guest shuts down): judged then. */
VC_TEST(quiet_window_judged_when_the_ring_stops)
{
    rig r;
    rig_init(&r, "rng", 1ull << VC_F_VERSION_1, 1);
    vd_back_tick(&r.b, 10000);
    for (unsigned i = 0; i < VD_QUIET_AFTER; i++)
        rng_buffer(&r, false);
    vd_back_tick(&r.b, 10000 + VD_QUIET_GRACE_MS);
    rng_buffer(&r, false);
    vd_back_end(&r.b, "guest gone");
    VC_CHECK_EQ(kept(&r, REQ_DRV_VQ_AVAIL_SUPP_3), 1);
    rig_free(&r);
}

VC_TEST(quiet_no_notify_heeded) { quiet_case(1ull << VC_F_VERSION_1, REQ_DRV_VQ_AVAIL_SUPP_3, false); }
VC_TEST(quiet_no_notify_kicked_breaks_supp3) { quiet_case(1ull << VC_F_VERSION_1, REQ_DRV_VQ_AVAIL_SUPP_3, true); }
VC_TEST(quiet_avail_event_heeded)
{
    quiet_case(1ull << VC_F_VERSION_1 | 1ull << VC_F_EVENT_IDX, REQ_DRV_VQ_AVAIL_SUPP_7, false);
}
VC_TEST(quiet_avail_event_kicked_breaks_supp7)
{
    quiet_case(1ull << VC_F_VERSION_1 | 1ull << VC_F_EVENT_IDX, REQ_DRV_VQ_AVAIL_SUPP_7, true);
}

/* The field the driver must disregard says "no kick" (avail_event without
 * EVENT_IDX; NO_NOTIFY with it, provoked): a kick that came keeps the rule,
 * a missed one breaks it with the kick rule. */
static void mislead_case(uint64_t f, bool provoke, const char *req)
{
    rig r;
    rig_opt.provoke = provoke;
    rig_init(&r, "rng", f, 1);
    uint16_t flags = 0, event = 0; /* the misleading field, as the device wrote it */
    VC_CHECK(vc_gmem_ld16(&r.b.mem.gmem, ring_base(0) + 0x2000 + VC_SPLIT_USED_FLAGS, &flags));
    VC_CHECK(vc_gmem_ld16(&r.b.mem.gmem, ring_base(0) + 0x2000 + vc_split_avail_event_off(QSIZE), &event));
    if (provoke)
        VC_CHECK_EQ(flags, VC_SPLIT_USED_F_NO_NOTIFY);
    else
        VC_CHECK_EQ(event, 0x8000);
    add(&r, 0, BUF, 64, true, false);
    VC_CHECK(vc_vq_drv_kick_needed(&r.q[0])); /* the test driver disregards it */
    vd_back_kick(&r.b, 0);
    VC_CHECK_EQ(kept(&r, req), 1);
    add(&r, 0, BUF, 64, true, false); /* as a driver that heeded it would: no kick */
    vd_back_tick(&r.b, 10000);
    vd_back_tick(&r.b, 10000 + VD_KICK_GRACE_MS);
    VC_CHECK_EQ(broken(&r, req), 1);
    rig_free(&r);
}

VC_TEST(mislead_avail_event_without_event_idx) { mislead_case(1ull << VC_F_VERSION_1, false, REQ_DRV_VQ_AVAIL_SUPP_2); }
VC_TEST(mislead_no_notify_with_event_idx)
{
    mislead_case(1ull << VC_F_VERSION_1 | 1ull << VC_F_EVENT_IDX, true, REQ_DRV_VQ_AVAIL_SUPP_5);
    rig r; /* not provoked: the device keeps the flags at 0 (dev.vq_avail_supp.3) */
    rig_init(&r, "rng", 1ull << VC_F_VERSION_1 | 1ull << VC_F_EVENT_IDX, 1);
    uint16_t flags = 1;
    VC_CHECK(vc_gmem_ld16(&r.b.mem.gmem, ring_base(0) + 0x2000 + VC_SPLIT_USED_FLAGS, &flags));
    VC_CHECK_EQ(flags, 0);
    rig_free(&r);
}

/* ---- features the guest saw offered (vd_accept.c) ---- */

static void blk_request(rig *r, uint32_t type)
{
    uint8_t hdr[16] = { (uint8_t)type };
    vc_gmem_write(&r->b.mem.gmem, BUF, hdr, sizeof(hdr));
    vc_seg sg[3] = { { BUF, 16, false }, { BUF + 0x200, 512, type == 0 }, { BUF + 0x400, 1, true } };
    if (type == 4) { /* flush: header and status */
        sg[1] = sg[2];
        VC_CHECK_EQ(vc_vq_drv_add(&r->q[0], sg, 1, 1, 1, false), VC_DRV_OK);
    } else {
        VC_CHECK_EQ(vc_vq_drv_add(&r->q[0], sg, type == 0 ? 1 : 2, type == 0 ? 2 : 1, 1, false), VC_DRV_OK);
    }
    vd_back_kick(&r->b, 0);
}

static void flush_case(bool flush_taken, bool write, bool flush, uint64_t want_kept, uint64_t want_broken)
{
    rig r;
    uint64_t f = 1ull << VC_F_VERSION_1 | (flush_taken ? 1ull << VIRTIO_BLK_F_FLUSH_BIT : 0);
    rig_init(&r, "blk", f, 1);
    if (write)
        blk_request(&r, 1);
    if (flush)
        blk_request(&r, 4);
    vd_back_end(&r.b, "session over"); /* the session's rules are judged as it ends */
    VC_CHECK_EQ(kept(&r, REQ_DRV_BLK_INIT_1), want_kept);
    VC_CHECK_EQ(broken(&r, REQ_DRV_BLK_INIT_1), want_broken);
    rig_free(&r);
}

VC_TEST(flush_taken_and_used)
{
    flush_case(true, true, true, 1, 0);
    flush_case(true, true, false, 0, 1); /* wrote, never flushed */
    flush_case(true, false, false, 0, 0); /* nothing written: nothing decided */
    flush_case(false, true, false, 0, 0);
}

/* FLUSH without CONFIG_WCE: the cache is writeback, the flush shows it. */
VC_TEST(flush_without_config_wce)
{
    uint64_t f = 1ull << VC_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH_BIT;
    for (unsigned flush = 0; flush < 2; flush++) {
        rig r;
        rig_init(&r, "blk", f, 1);
        blk_request(&r, 1);
        if (flush)
            blk_request(&r, 4);
        vd_back_end(&r.b, "session over");
        VC_CHECK_EQ(kept(&r, REQ_DRV_BLK_INIT_3), flush);
        VC_CHECK_EQ(broken(&r, REQ_DRV_BLK_INIT_3), !flush);
        rig_free(&r);
    }
    rig r; /* with CONFIG_WCE the driver reads the mode: not this rule */
    rig_init(&r, "blk", f | 1ull << VIRTIO_BLK_F_CONFIG_WCE_BIT, 1);
    blk_request(&r, 1);
    vd_back_end(&r.b, "session over");
    VC_CHECK_EQ(kept(&r, REQ_DRV_BLK_INIT_3) + broken(&r, REQ_DRV_BLK_INIT_3), 0);
    rig_free(&r);
}

/* Receive buffers the device still holds when the ring stops: as exposed,
 * or reclaimed (rewritten) by a driver that did not reset first. */
static void held_at_stop_case(bool reclaimed)
{
    rig r;
    rig_init(&r, "net", 1ull << VC_F_VERSION_1, 2);
    add(&r, 0, BUF, 2048, true, false);
    add(&r, 0, BUF + 0x1000, 2048, true, false);
    vd_back_kick(&r.b, 0);
    VC_CHECK_EQ(r.b.dev->q[0].vq.ninflight, 2);
    if (reclaimed) /* the second chain's first descriptor (head 2) gets another length */
        VC_CHECK(vc_gmem_st32(&r.b.mem.gmem, ring_base(0) + 2 * VC_SPLIT_DESC_SIZE + 8, 100));
    vd_back_end(&r.b, "reset");
    VC_CHECK_EQ(broken(&r, REQ_DRV_CLEANUP_2), reclaimed ? 1u : 0u);
    VC_CHECK_EQ(kept(&r, REQ_DRV_CLEANUP_2), reclaimed ? 1u : 2u);
    rig_free(&r);
}

VC_TEST(held_chains_unchanged_at_stop_kept) { held_at_stop_case(false); }
VC_TEST(held_chain_reclaimed_live_breaks_cleanup2) { held_at_stop_case(true); }

VC_TEST(read_only_taken)
{
    uint64_t v1 = 1ull << VC_F_VERSION_1, ro = 1ull << VIRTIO_BLK_F_RO_BIT;
    rig r;
    rig_opt.read_only = true;
    rig_init(&r, "blk", v1 | ro, 1);
    VC_CHECK_EQ(kept(&r, REQ_DRV_BLK_OP_3), 1);
    rig_free(&r);
    rig_opt.read_only = true;
    rig_init(&r, "blk", v1, 1);
    VC_CHECK_EQ(broken(&r, REQ_DRV_BLK_OP_3), 1);
    rig_free(&r);
    rig_init(&r, "blk", v1, 1); /* not offered */
    VC_CHECK_EQ(kept(&r, REQ_DRV_BLK_OP_3) + broken(&r, REQ_DRV_BLK_OP_3), 0);
    rig_free(&r);
}

VC_TEST(mtu_taken_when_offered)
{
    uint64_t v1 = 1ull << VC_F_VERSION_1, mtu = 1ull << VIRTIO_NET_F_MTU_BIT;
    rig r;
    rig_opt.offers_mtu = true;
    rig_init(&r, "net", v1 | mtu, 2);
    VC_CHECK_EQ(kept(&r, REQ_DRV_NET_CFG_6), 1);
    rig_free(&r);
    rig_opt.offers_mtu = true;
    rig_init(&r, "net", v1, 2);
    VC_CHECK_EQ(broken(&r, REQ_DRV_NET_CFG_6), 1);
    rig_free(&r);
    rig_init(&r, "net", v1, 2); /* QEMU without host_mtu: the guest never saw it */
    VC_CHECK_EQ(kept(&r, REQ_DRV_NET_CFG_6) + broken(&r, REQ_DRV_NET_CFG_6), 0);
    rig_free(&r);
}

VC_TEST(accepted_within_offered)
{
    rig r;
    rig_init(&r, "rng", 1ull << VC_F_VERSION_1, 1);
    VC_CHECK_EQ(kept(&r, REQ_DRV_FEATURES_3), 1);
    rig_free(&r);
    rig_init(&r, "rng", 1ull << VC_F_VERSION_1 | 1ull << 50, 1); /* a reserved bit came through */
    VC_CHECK_EQ(broken(&r, REQ_DRV_FEATURES_3), 1);
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
