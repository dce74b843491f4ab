/* SCSI model: the commands of one LUN, sense data for errors, addressing,
 * control and event queues, and malformed requests. */
#include <stdlib.h>
#include <string.h>

#include "devharness.h"
#include "refdev/models.h"
#include "vc_test.h"

#define F_V1 (1ull << VC_F_VERSION_1)
#define F_PACKED (1ull << VC_F_RING_PACKED)
#define F_HOTPLUG (1ull << 1)
#define DISK_BYTES (64u * 512u)
#define REQ 51u   /* 19 + cdb_size 32 */
#define RESP 108u /* 12 + sense_size 96 */

typedef struct rig {
    vc_th t;
    vc_dev *d;
    uint8_t *disk;
    uint64_t req, resp, data;
} rig;

typedef struct result {
    long used;
    uint32_t sense_len, residual;
    uint8_t status, response, key, asc;
} result;

static void rig_init(rig *r, uint64_t f, bool ro)
{
    vc_th_mem(&r->t);
    r->disk = malloc(DISK_BYTES);
    for (uint32_t i = 0; i < DISK_BYTES; i++)
        r->disk[i] = (uint8_t)(i ^ (i >> 9));
    vc_model_opts o = { .disk = r->disk, .disk_bytes = DISK_BYTES, .read_only = ro };
    r->d = vc_scsi_create(&r->t.tm.mem, &o);
    VC_CHECK(vc_th_start(&r->t, r->d, f, 3, 16));
    r->req = vc_testmem_alloc(&r->t.tm, 64, 16);
    r->resp = vc_testmem_alloc(&r->t.tm, 128, 16);
    r->data = vc_testmem_alloc(&r->t.tm, 65536, 4096);
}

static void rig_free(rig *r)
{
    vc_model_free(r->d);
    vc_th_free(&r->t);
    free(r->disk);
}

/* Runs one command; dlen > 0 adds data (out = device-readable). */
static result cmd(rig *r, const uint8_t *cdb, unsigned cdb_len, uint8_t target, uint16_t lun,
                  uint32_t dlen, bool out)
{
    uint8_t h[REQ] = { 1, target, (uint8_t)(0x40 | lun >> 8), (uint8_t)lun };
    memcpy(h + 19, cdb, cdb_len);
    vc_gmem_write(&r->t.tm.mem, r->req, h, REQ);
    vc_gmem_fill(&r->t.tm.mem, r->resp, 0xee, RESP);
    vc_seg sg[3] = { { r->req, REQ, false } };
    unsigned n_out = 1, n_in = 0, n = 1;
    if (dlen && out) {
        sg[n++] = (vc_seg){ r->data, dlen, false };
        n_out++;
    }
    sg[n++] = (vc_seg){ r->resp, RESP, true };
    n_in++;
    if (dlen && !out) {
        sg[n++] = (vc_seg){ r->data, dlen, true };
        n_in++;
    }
    result res = { .used = vc_th_roundtrip(&r->t, 2, sg, n_out, n_in, false) };
    uint8_t rb[32];
    vc_gmem_read(&r->t.tm.mem, r->resp, rb, 32);
    memcpy(&res.sense_len, rb, 4);
    memcpy(&res.residual, rb + 4, 4);
    res.status = rb[10];
    res.response = rb[11];
    res.key = rb[12 + 2];
    res.asc = rb[12 + 12];
    return res;
}

static void io_case(uint64_t f)
{
    rig r;
    rig_init(&r, f, false);
    uint8_t tur[6] = { 0 };
    result x = cmd(&r, tur, 6, 0, 0, 0, false);
    VC_CHECK_EQ(x.response, 0);
    VC_CHECK_EQ(x.status, 0);
    VC_CHECK_EQ(x.used, RESP);
    uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
    x = cmd(&r, inq, 6, 0, 0, 96, false);
    VC_CHECK_EQ(x.status, 0);
    VC_CHECK_EQ(x.used, RESP + 36);
    VC_CHECK_EQ(x.residual, 96 - 36);
    uint8_t d[36];
    vc_gmem_read(&r.t.tm.mem, r.data, d, 36);
    VC_CHECK_EQ(d[0], 0);
    VC_CHECK(memcmp(d + 8, "VCONFORM", 8) == 0);
    uint8_t cap10[10] = { 0x25 };
    x = cmd(&r, cap10, 10, 0, 0, 8, false);
    vc_gmem_read(&r.t.tm.mem, r.data, d, 8);
    VC_CHECK_EQ(d[3], 63); /* last LBA, big-endian */
    VC_CHECK_EQ(d[6], 2);  /* 512-byte blocks */
    uint8_t cap16[16] = { 0x9e, 0x10, [13] = 32 };
    x = cmd(&r, cap16, 16, 0, 0, 32, false);
    VC_CHECK_EQ(x.status, 0);
    vc_gmem_read(&r.t.tm.mem, r.data, d, 12);
    VC_CHECK_EQ(d[7], 63);
    /* READ(10) of LBA 5, 2 blocks: the disk's bytes */
    uint8_t rd10[10] = { 0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0 };
    x = cmd(&r, rd10, 10, 0, 0, 1024, false);
    VC_CHECK_EQ(x.status, 0);
    VC_CHECK_EQ(x.used, RESP + 1024);
    uint8_t got[1024];
    vc_gmem_read(&r.t.tm.mem, r.data, got, 1024);
    VC_CHECK(memcmp(got, r.disk + 5 * 512, 1024) == 0);
    /* WRITE(16) then READ(16) */
    vc_gmem_fill(&r.t.tm.mem, r.data, 0x5a, 512);
    uint8_t wr16[16] = { 0x8a, [9] = 7, [13] = 1 };
    x = cmd(&r, wr16, 16, 0, 0, 512, true);
    VC_CHECK_EQ(x.status, 0);
    VC_CHECK_EQ(x.residual, 0);
    VC_CHECK_EQ(r.disk[7 * 512 + 100], 0x5a);
    uint8_t rl[12] = { 0xa0, [9] = 16 };
    x = cmd(&r, rl, 12, 0, 0, 16, false);
    vc_gmem_read(&r.t.tm.mem, r.data, d, 16);
    VC_CHECK_EQ(d[3], 8); /* one LUN */
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(io_split) { io_case(F_V1); }
VC_TEST(io_packed) { io_case(F_V1 | F_PACKED); }

VC_TEST(errors_with_sense)
{
    rig r;
    rig_init(&r, F_V1, true);
    uint8_t bad_op[6] = { 0xc7 };
    result x = cmd(&r, bad_op, 6, 0, 0, 0, false);
    VC_CONFORMS(REQ_DEV_SCSI_REQ_1);
    VC_CHECK_EQ(x.response, 0);
    VC_CHECK_EQ(x.status, 2); /* CHECK CONDITION */
    VC_CHECK_EQ(x.sense_len, 18);
    VC_CHECK_EQ(x.key, 5);
    VC_CHECK_EQ(x.asc, 0x20);
    uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 63, 0, 0, 2, 0 }; /* past the end */
    x = cmd(&r, rd, 10, 0, 0, 1024, false);
    VC_CHECK_EQ(x.asc, 0x21);
    uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0 };
    x = cmd(&r, wr, 10, 0, 0, 512, true);
    VC_CHECK_EQ(x.key, 7); /* write protected */
    uint8_t big[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 4, 0 };
    x = cmd(&r, big, 10, 0, 0, 1024, false); /* 2 KiB into 1 KiB */
    VC_CONFORMS(REQ_DEV_SCSI_REQ_2);
    VC_CHECK_EQ(x.response, 1);             /* OVERRUN */
    uint8_t tur[6] = { 0 };
    x = cmd(&r, tur, 6, 3, 0, 0, false);
    VC_CHECK_EQ(x.response, 3); /* BAD_TARGET */
    VC_CONFORMS(NULL);
    x = cmd(&r, tur, 6, 0, 4, 0, false);
    VC_CHECK_EQ(x.asc, 0x25); /* LUN not supported */
    uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
    x = cmd(&r, inq, 6, 0, 4, 36, false);
    uint8_t pq = 0;
    vc_gmem_read(&r.t.tm.mem, r.data, &pq, 1);
    VC_CHECK_EQ(pq, 0x7f);
    VC_CHECK_EQ(r.d->nfaults, 0); /* all of these are legal requests */
    /* malformed: short header, both directions without INOUT */
    vc_seg shortreq[2] = { { r.req, 20, false }, { r.resp, RESP, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 2, shortreq, 1, 1, false), 0);
    VC_CHECK(vc_th_fault(&r.t, "SCSI_REQ_LAYOUT"));
    vc_seg both[4] = { { r.req, REQ, false }, { r.data, 512, false }, { r.resp, RESP, true },
                       { r.data + 4096, 512, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 2, both, 2, 2, false), RESP);
    VC_CHECK(vc_th_fault(&r.t, "SCSI_INOUT"));
    rig_free(&r);
}

VC_TEST(config_sizes)
{
    rig r;
    rig_init(&r, F_V1, false);
    uint32_t v = 0;
    vc_dev_config_read(r.d, 20, &v, 4);
    VC_CHECK_EQ(v, 96);
    uint32_t small_cdb = 16;
    VC_CHECK(vc_dev_config_write(r.d, 24, &small_cdb, 4));
    /* a 35-byte header now: TEST UNIT READY still works */
    uint8_t h[35] = { 1, 0, 0x40, 0 };
    vc_gmem_write(&r.t.tm.mem, r.req, h, 35);
    vc_seg sg[2] = { { r.req, 35, false }, { r.resp, RESP, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 2, sg, 1, 1, false), RESP);
    VC_CHECK_EQ(r.d->nfaults, 0);
    vc_dev_config_write(r.d, 0, &v, 4);
    VC_CHECK(vc_th_fault(&r.t, "SCSI_CONFIG_WRITE")); /* drv.scsi_cfg.1 */
    vc_dev_reset(r.d);
    VC_CONFORMS(REQ_DEV_SCSI_CFG_1);
    vc_dev_config_read(r.d, 24, &v, 4);
    VC_CHECK_EQ(v, 32); /* defaults again after reset */
    vc_dev_config_read(r.d, 20, &v, 4);
    VC_CHECK_EQ(v, 96);
    rig_free(&r);
}

VC_TEST(control_and_events)
{
    rig r;
    rig_init(&r, F_V1 | F_HOTPLUG, false);
    uint8_t tmf[24] = { 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0x40, 0 }; /* LUN reset */
    vc_gmem_write(&r.t.tm.mem, r.req, tmf, 24);
    vc_seg sg[2] = { { r.req, 24, false }, { r.resp, 1, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&r.t, 0, sg, 1, 1, false), 1);
    uint8_t resp = 0xee;
    vc_gmem_read(&r.t.tm.mem, r.resp, &resp, 1);
    VC_CHECK_EQ(resp, 0); /* FUNCTION_COMPLETE */
    tmf[4] = 42;
    vc_gmem_write(&r.t.tm.mem, r.req, tmf, 24);
    vc_th_roundtrip(&r.t, 0, sg, 1, 1, false);
    vc_gmem_read(&r.t.tm.mem, r.resp, &resp, 1);
    VC_CHECK_EQ(resp, 11); /* FUNCTION_REJECTED */
    uint8_t junk[4] = { 9 };
    vc_gmem_write(&r.t.tm.mem, r.req, junk, 4);
    vc_th_roundtrip(&r.t, 0, sg, 1, 1, false);
    VC_CHECK(vc_th_fault(&r.t, "SCSI_CTRL_LAYOUT"));
    /* events: the first is lost for want of a buffer; the next buffer
     * comes back at once as NO_EVENT with EVENTS_MISSED */
    VC_CHECK(!vc_scsi_send_event(r.d, 1, 0));
    vc_seg ev = { r.data, 16, true };
    VC_CHECK(vc_th_post(&r.t, 1, &ev, 0, 1, 1));
    VC_CONFORMS(REQ_DEV_SCSI_EVENT_1);
    uint32_t tok, len, e = 0;
    VC_CHECK(vc_th_used(&r.t, 1, &tok, &len));
    VC_CHECK_EQ(len, 16);
    vc_gmem_read(&r.t.tm.mem, r.data, &e, 4);
    VC_CHECK_EQ(e, 0x80000000u); /* NO_EVENT | EVENTS_MISSED */
    VC_CONFORMS(NULL);
    /* the next event, with a buffer waiting, carries no flag */
    VC_CHECK(vc_th_post(&r.t, 1, &ev, 0, 1, 3));
    VC_CHECK(vc_scsi_send_event(r.d, 1, 1));
    VC_CHECK(vc_th_used(&r.t, 1, &tok, &len));
    vc_gmem_read(&r.t.tm.mem, r.data, &e, 4);
    VC_CHECK_EQ(e, 1u);
    vc_seg small = { r.data, 8, true };
    VC_CHECK(vc_th_post(&r.t, 1, &small, 0, 1, 2));
    VC_CHECK(vc_th_fault(&r.t, "SCSI_EVENT_BUFFER"));
    rig_free(&r);
}

/* A request posted while the host holds it; the TMF at r.req + 64. */
static void post_read(rig *r, uint64_t at, uint64_t tag, uint32_t token)
{
    uint8_t h[REQ] = { 1, 0, 0x40, 0, [19] = 0x28, [27] = 1 }; /* READ(10) LBA 0, 1 block */
    memcpy(h + 8, &tag, 8);
    vc_gmem_write(&r->t.tm.mem, at, h, REQ);
    vc_gmem_fill(&r->t.tm.mem, at + 64, 0xee, RESP);
    vc_seg sg[3] = { { at, REQ, false }, { at + 64, RESP, true }, { r->data + token * 512, 512, true } };
    VC_CHECK(vc_th_post(&r->t, 2, sg, 1, 2, token));
}

static uint8_t task_mgmt(rig *r, uint32_t sub, uint64_t tag)
{
    uint8_t tmf[24] = { 0, 0, 0, 0, (uint8_t)sub, 0, 0, 0, 1, 0, 0x40, 0 };
    memcpy(tmf + 16, &tag, 8);
    vc_gmem_write(&r->t.tm.mem, r->req, tmf, 24);
    vc_gmem_fill(&r->t.tm.mem, r->resp, 0xee, 1);
    vc_seg sg[2] = { { r->req, 24, false }, { r->resp, 1, true } };
    VC_CHECK_EQ(vc_th_roundtrip(&r->t, 0, sg, 1, 1, false), 1);
    uint8_t resp = 0xee;
    vc_gmem_read(&r->t.tm.mem, r->resp, &resp, 1);
    return resp;
}

/* The used request: its token and response byte (header at base + 64). */
static uint8_t used_response(rig *r, uint32_t *token)
{
    uint32_t len = 0;
    if (!vc_th_used(&r->t, 2, token, &len))
        return 0xff;
    uint8_t rb[12];
    vc_gmem_read(&r->t.tm.mem, r->data + 16384 + *token * 256 + 64, rb, 12);
    return rb[11];
}

VC_TEST(task_management_in_flight)
{
    rig r;
    rig_init(&r, F_V1, false);
    vc_scsi_hold(r.d, true);
    uint64_t base = r.data + 16384;
    for (uint32_t i = 0; i < 3; i++)
        post_read(&r, base + i * 256, 100 + i, i);
    uint32_t tok;
    VC_CHECK(!vc_th_used(&r.t, 2, &tok, &tok)); /* all three in flight */
    VC_CHECK_EQ(task_mgmt(&r, 6, 101), 10);     /* QUERY TASK: FUNCTION SUCCEEDED */
    VC_CHECK_EQ(task_mgmt(&r, 6, 999), 0);      /* not there: FUNCTION COMPLETE */
    /* ABORT TASK: the request comes back ABORTED, before the answer */
    VC_CONFORMS(REQ_DEV_SCSI_REQ_2);
    VC_CHECK_EQ(task_mgmt(&r, 0, 101), 0);
    VC_CHECK_EQ(used_response(&r, &tok), 2);
    VC_CHECK_EQ(tok, 1);
    VC_CHECK(!vc_th_used(&r.t, 2, &tok, &tok));
    /* LOGICAL UNIT RESET: the other two come back RESET */
    VC_CHECK_EQ(task_mgmt(&r, 5, 0), 0);
    VC_CHECK_EQ(used_response(&r, &tok), 4);
    VC_CHECK_EQ(used_response(&r, &tok), 4);
    VC_CONFORMS(NULL);
    /* released: a held request finishes normally, with the disk's data */
    post_read(&r, base, 200, 0);
    VC_CHECK_EQ(task_mgmt(&r, 99, 0), 11); /* unknown function: REJECTED, nothing touched */
    VC_CHECK(!vc_th_used(&r.t, 2, &tok, &tok));
    vc_scsi_hold(r.d, false);
    VC_CHECK_EQ(used_response(&r, &tok), 0);
    uint8_t got[512];
    vc_gmem_read(&r.t.tm.mem, r.data, got, 512);
    VC_CHECK(memcmp(got, r.disk, 512) == 0);
    /* a reset forgets what was in flight */
    vc_scsi_hold(r.d, true);
    post_read(&r, base, 300, 0);
    vc_dev_reset(r.d);
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

/* The next event: its event field, reason and target; false when none. */
static bool next_event(rig *r, uint32_t *event, uint32_t *reason, uint8_t *target)
{
    uint32_t tok, len;
    if (!vc_th_used(&r->t, 1, &tok, &len))
        return false;
    uint8_t e[16];
    vc_gmem_read(&r->t.tm.mem, r->data + 8192 + tok * 16, e, 16);
    memcpy(event, e, 4);
    memcpy(reason, e + 12, 4);
    *target = e[5];
    return len == 16;
}

static void post_event_buf(rig *r, uint32_t token)
{
    vc_seg ev = { r->data + 8192 + token * 16, 16, true };
    VC_CHECK(vc_th_post(&r->t, 1, &ev, 0, 1, token));
}

VC_TEST(hotplug_target)
{
    rig r;
    rig_init(&r, F_V1, false);
    uint8_t tur[6] = { 0 };
    post_event_buf(&r, 0);
    VC_CHECK_EQ(cmd(&r, tur, 6, 1, 0, 0, false).response, 3); /* nothing at target 1 yet */
    VC_CONFORMS(REQ_DEV_SCSI_EVENT_2);
    VC_CHECK(vc_scsi_hotplug(r.d, true));
    VC_CHECK(!vc_scsi_hotplug(r.d, true));
    uint32_t ev, reason;
    uint8_t target;
    VC_CHECK(!next_event(&r, &ev, &reason, &target)); /* no HOTPLUG: no event */
    VC_CONFORMS(NULL);
    result x = cmd(&r, tur, 6, 1, 0, 0, false);
    VC_CHECK_EQ(x.response, 0);
    VC_CHECK_EQ(x.status, 0);
    uint8_t wr[10] = { 0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0 };
    VC_CHECK_EQ(cmd(&r, wr, 10, 1, 0, 512, true).key, 7); /* the view is read-only */
    VC_CHECK(vc_scsi_hotplug(r.d, false));
    VC_CHECK_EQ(cmd(&r, tur, 6, 1, 0, 0, false).response, 3);
    rig_free(&r);

    rig_init(&r, F_V1 | F_HOTPLUG, false);
    VC_CHECK(vc_scsi_hotplug(r.d, true)); /* no buffer: lost */
    VC_CONFORMS(REQ_DEV_SCSI_EVENT_1);
    post_event_buf(&r, 0);
    VC_CHECK(next_event(&r, &ev, &reason, &target));
    VC_CHECK_EQ(ev, 0x80000000u); /* NO_EVENT | EVENTS_MISSED */
    VC_CONFORMS(NULL);
    post_event_buf(&r, 1);
    VC_CHECK(vc_scsi_hotplug(r.d, false));
    VC_CHECK(next_event(&r, &ev, &reason, &target));
    VC_CHECK_EQ(ev, 1u); /* TRANSPORT_RESET */
    VC_CHECK_EQ(reason, 2u); /* REMOVED */
    VC_CHECK_EQ(target, 1);
    post_event_buf(&r, 2);
    VC_CHECK(vc_scsi_hotplug(r.d, true));
    VC_CHECK(next_event(&r, &ev, &reason, &target));
    VC_CHECK_EQ(reason, 1u); /* RESCAN */
    VC_CHECK_EQ(r.d->nfaults, 0);
    rig_free(&r);
}

VC_TEST(no_hotplug_events_without_feature)
{
    rig r;
    rig_init(&r, F_V1, false);
    vc_seg ev = { r.data, 16, true };
    VC_CHECK(vc_th_post(&r.t, 1, &ev, 0, 1, 1));
    VC_CONFORMS(REQ_DEV_SCSI_EVENT_2);
    VC_CHECK(!vc_scsi_send_event(r.d, 1, 0));
    uint32_t tok, len;
    VC_CHECK(!vc_th_used(&r.t, 1, &tok, &len));
    rig_free(&r);
}

int main(void) { return vc_test_main(); }
