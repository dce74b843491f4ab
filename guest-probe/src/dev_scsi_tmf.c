/* SCSI host: task management on the control queue, with a READ in flight
 * (made available and notified, not yet seen used) when the function comes:
 * ABORT TASK naming its tag, then LOGICAL UNIT RESET. The READ may have
 * finished first (a fast backend) or been cancelled: either way it must come
 * back with a response code that says which (OK with GOOD, or ABORTED /
 * RESET), and before the function's own answer. Then the answers with
 * nothing to act on: an unknown tag, an absent target, an unknown function.
 * Last, the event queue: nothing was plugged or unplugged, so none of the
 * posted event buffers may have come back. */
#include <stdio.h>
#include <string.h>

#include "dev_scsi.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define TMF_OUT 24u /* type, subtype, lun[8], id */
#define READ_BLOCKS 8u
enum { T_TMF = 0 };
enum { TMF_ABORT_TASK = 0, TMF_LUN_RESET = 5, TMF_BOGUS = 99 };
enum { TARGET_ABSENT = 77 };
enum { EV_TRANSPORT_RESET = 1, REASON_RESCAN = 1, REASON_REMOVED = 2 };

typedef struct tmf_bufs {
    uint64_t tmf;                 /* TMF_OUT readable, then the response byte at +32 */
    uint64_t req, resp, data;     /* the request left in flight */
} tmf_bufs;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One task management function; *resp its response byte. false after a
 * reported failed round-trip. */
static bool tmf(vp_scsi *s, const tmf_bufs *b, const char *id, uint32_t subtype, uint8_t target, uint64_t tag,
                uint8_t *resp)
{
    char err[128];
    uint8_t *m = vp_drv_host(s->v, b->tmf, 40);
    memset(m, 0, 40);
    m[4] = (uint8_t)subtype; /* type T_TMF: 0 */
    m[8] = 1;
    m[9] = target;
    m[10] = 0x40;
    for (unsigned i = 0; i < 8; i++)
        m[16 + i] = (uint8_t)(tag >> (8 * i));
    m[32] = 0xee;
    vc_seg sg[2] = {{b->tmf, TMF_OUT, false}, {b->tmf + 32, 1, true}};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(s->v, VP_SCSI_Q_CTRL, sg, 1, 1, false, &used, err, sizeof err);
    if (!vp_report_rt(s->v, id, REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, rt, err))
        return false;
    *resp = m[32];
    return true;
}

/* A READ of the pattern's first blocks left in flight while function
 * subtype names it (its tag, or its LUN). */
static void in_flight(vp_scsi *s, const tmf_bufs *b, const char *id, uint32_t subtype, uint64_t tag)
{
    vp_report *r = s->v->c->rep;
    char err[128], ob[160], rid[64], oid[64];
    static const uint8_t rd10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, READ_BLOCKS, 0};
    uint32_t req_len = 19 + s->cdb_size, resp_len = 12 + s->sense_size, tok, used;
    vp_scsi_build(s, b->req, b->resp, 0, tag, rd10, sizeof rd10);
    vc_seg sg[3] = {{b->req, req_len, false}, {b->resp, resp_len, true}, {b->data, READ_BLOCKS * 512, true}};
    if (!vp_report_rt(s->v, id, REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT,
                      vp_drv_post(s->v, VP_SCSI_Q_REQ, sg, 1, 2, false, &tok, err, sizeof err), err))
        return;
    uint8_t fr;
    if (!tmf(s, b, id, subtype, 0, tag, &fr))
        return;
    /* the function's effects come before its own completion */
    uint32_t t;
    vp_rt rt = vp_drv_wait(s->v, VP_SCSI_Q_REQ, 0, &t, &used, err, sizeof err);
    bool before = rt == VP_RT_OK;
    if (rt == VP_RT_TIMEOUT)
        rt = vp_drv_wait(s->v, VP_SCSI_Q_REQ, s->v->c->opt.timeout_ms, &t, &used, err, sizeof err);
    snprintf(rid, sizeof rid, "%s.request", id);
    snprintf(oid, sizeof oid, "%s.order", id);
    if (!vp_report_rt(s->v, rid, "", rt, err))
        return;
    vp_scsi_answer a;
    vp_scsi_parse(s, b->resp, used, &a);
    bool reset = subtype == TMF_LUN_RESET;
    bool cancelled = a.response == VP_SCSI_S_ABORTED || (reset && a.response == VP_SCSI_S_RESET);
    bool done = a.response == VP_SCSI_S_OK && a.status == 0;
    snprintf(ob, sizeof ob, "function response %u; request response %u, status 0x%02x (%s)", fr, a.response,
             a.status, cancelled ? "cancelled" : done ? "finished first" : "neither");
    vp_expect(r, id, "", fr == VP_SCSI_S_OK || fr == VP_SCSI_S_FUNCTION_SUCCEEDED,
              "FUNCTION COMPLETE (0) or SUCCEEDED (10)", ob, NULL);
    vp_expect(r, rid, REQ_DEV_SCSI_REQ_1 "," REQ_DEV_SCSI_REQ_2, t == tok && (cancelled || done),
              reset ? "OK with GOOD, or RESET/ABORTED" : "OK with GOOD, or ABORTED", ob, NULL);
    vp_expect(r, oid, "", before, "request used before the function's answer",
              before ? "used before" : "used after", NULL);
}

static void answer_only(vp_scsi *s, const tmf_bufs *b, const char *id, uint32_t subtype, uint8_t target,
                        uint8_t want, const char *expected, const char *detail)
{
    char ob[48];
    uint8_t fr;
    if (!tmf(s, b, id, subtype, target, 0x5c5c, &fr))
        return;
    snprintf(ob, sizeof ob, "response %u", fr);
    vp_expect(s->v->c->rep, id, "", fr == want, expected, ob, detail);
}

void vp_scsi_tmf(vp_scsi *s)
{
    vp_drv *v = s->v;
    tmf_bufs b = {vp_drv_alloc(v, 40, 16), vp_drv_alloc(v, 19 + s->cdb_size, 16),
                  vp_drv_alloc(v, 12 + s->sense_size, 16), vp_drv_alloc(v, READ_BLOCKS * 512, 512)};
    if (!b.tmf || !b.req || !b.resp || !b.data) {
        vp_check(v->c->rep, "scsi.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    in_flight(s, &b, "scsi.tmf.abort_task", TMF_ABORT_TASK, 0x7a11);
    answer_only(s, &b, "scsi.tmf.abort_unknown", TMF_ABORT_TASK, 0, VP_SCSI_S_OK, "FUNCTION COMPLETE (0)",
                "a tag with nothing in flight");
    in_flight(s, &b, "scsi.tmf.lun_reset", TMF_LUN_RESET, 0x7a12);
    answer_only(s, &b, "scsi.tmf.bad_target", TMF_LUN_RESET, TARGET_ABSENT, VP_SCSI_S_BAD_TARGET,
                "BAD_TARGET (3)", "target 77");
    answer_only(s, &b, "scsi.tmf.rejected", TMF_BOGUS, 0, VP_SCSI_S_FUNCTION_REJECTED, "FUNCTION REJECTED (11)",
                "subtype 99");
}

void vp_scsi_events_quiet(vp_scsi *s)
{
    vp_drv *v = s->v;
    char err[128], ob[96];
    uint32_t t, len;
    vp_rt rt = vp_drv_wait(v, VP_SCSI_Q_EVENT, 0, &t, &len, err, sizeof err);
    if (rt == VP_RT_TIMEOUT) {
        vp_check(v->c->rep, "scsi.event.quiet", REQ_DEV_SCSI_EVENT_2, VP_PASS, "no event", "none",
                 "nothing plugged, HOTPLUG not negotiated");
        return;
    }
    if (!vp_report_rt(v, "scsi.event.quiet", "", rt, err))
        return;
    unsigned i = 0;
    while (i < VP_SCSI_EVENT_BUFS && s->ev_tok[i] != t)
        i++;
    const uint8_t *e = vp_drv_host(v, s->ev + VP_SCSI_EVENT_SIZE * (i < VP_SCSI_EVENT_BUFS ? i : 0),
                                   VP_SCSI_EVENT_SIZE);
    uint32_t event = le32(e), reason = le32(e + 12);
    bool hotplug = v->features >> VIRTIO_SCSI_F_HOTPLUG_BIT & 1;
    bool forbidden = !hotplug && (event & 0x7fffffffu) == EV_TRANSPORT_RESET &&
                     (reason == REASON_REMOVED || reason == REASON_RESCAN);
    snprintf(ob, sizeof ob, "event 0x%08x, reason %u, used length %u", event, reason, len);
    vp_check(v->c->rep, "scsi.event.quiet", forbidden ? REQ_DEV_SCSI_EVENT_2 : "", VP_FAIL, "no event", ob,
             "nothing plugged, HOTPLUG %s", hotplug ? "negotiated" : "not negotiated");
}
