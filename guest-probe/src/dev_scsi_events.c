/* SCSI host: the event queue across hot-plug. The probe asks the runner
 * (notes "scsi-hotplug", "scsi-unplug": QMP device_add / device_del of a
 * disk at target 1, LUN 0) and sees the target come and go by TEST UNIT
 * READY. First in the session without HOTPLUG: a plugged disk must bring no
 * transport reset event (dev.scsi_event.2). Then the device is reset and
 * HOTPLUG negotiated: an unplug with no event buffer posted loses its
 * event, so the next event must carry EVENTS_MISSED (dev.scsi_event.1: a
 * NO_EVENT event as soon as a buffer comes, or the flag on the next real
 * one); a plug with buffers posted brings TRANSPORT_RESET / RESCAN for
 * target 1, an unplug TRANSPORT_RESET / REMOVED. Once per device. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dev_note.h"
#include "dev_scsi.h"
#include "judge_planted.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

#define HP_TARGET 1u
#define CHANGE_WAIT_MS 1000u /* the runner answers within tens of ms */
#define EVENTS_MISSED 0x80000000u
enum { EV_NO_EVENT = 0, EV_TRANSPORT_RESET = 1, EV_PARAM_CHANGE = 3, REASON_RESCAN = 1, REASON_REMOVED = 2 };
enum { SCSI_UNIT_ATTENTION = 6, PDT_MMC = 5 }; /* a sense key, SPC's peripheral device type of a CD/DVD */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* TEST UNIT READY to target until it is there (present) or gone, within
 * CHANGE_WAIT_MS: 1 it moved, 0 not in time, -1 error (reported). */
static int await_target(vp_scsi *s, const char *id, bool present)
{
    static const uint8_t tur[6] = {0};
    char err[128];
    double end = vp_now_ms() + CHANGE_WAIT_MS;
    do {
        uint32_t used;
        vp_scsi_build(s, s->req, s->resp, HP_TARGET, 0x40 + s->v->roundtrips, tur, sizeof tur);
        vc_seg sg[2] = {{s->req, 19 + s->cdb_size, false}, {s->resp, 12 + s->sense_size, true}};
        vp_rt rt = vp_drv_roundtrip(s->v, VP_SCSI_Q_REQ, sg, 1, 1, false, &used, err, sizeof err);
        if (!vp_report_rt(s->v, id, REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, rt, err))
            return -1;
        vp_scsi_answer a;
        vp_scsi_parse(s, s->resp, used, &a);
        if ((a.response != VP_SCSI_S_BAD_TARGET) == present)
            return 1;
        struct timespec nap = {0, 500000};
        nanosleep(&nap, NULL);
    } while (vp_now_ms() < end);
    return 0;
}

/* Asks for a plug or unplug and waits for it; false (reported as a skip or
 * an error under id) when it did not happen. */
static bool change_by(vp_scsi *s, const char *id, const char *want, bool plug)
{
    if (!vp_note_ask(s->v->c, s->v->d, want)) {
        vp_check(s->v->c->rep, id, "", VP_SKIP, NULL, NULL, "no runner plugs disks");
        return false;
    }
    int got = await_target(s, id, plug);
    if (got == 0)
        vp_check(s->v->c->rep, id, "", VP_SKIP, NULL, NULL, "target %u did not %s within %u ms (no runner answering)",
                 HP_TARGET, plug ? "appear" : "go", CHANGE_WAIT_MS);
    return got > 0;
}

static bool change(vp_scsi *s, const char *id, bool plug)
{
    return change_by(s, id, plug ? "scsi-hotplug" : "scsi-unplug", plug);
}

static bool post_events(vp_scsi *s, unsigned from, unsigned to)
{
    char err[128];
    for (unsigned i = from; i < to; i++) {
        vc_seg sg = {s->ev + VP_SCSI_EVENT_SIZE * i, VP_SCSI_EVENT_SIZE, true};
        memset(vp_drv_host(s->v, sg.addr, sg.len), 0xee, sg.len);
        if (!vp_report_rt(s->v, "scsi.event.post", REQ_DRV_SCSI_EVENT_1,
                          vp_drv_post(s->v, VP_SCSI_Q_EVENT, &sg, 0, 1, false, &s->ev_tok[i], err, sizeof err),
                          err))
            return false;
    }
    return true;
}

typedef struct event {
    uint32_t event, reason, len;
    uint8_t lun[8];
} event;

/* The next event within wait_ms: 1 got one, 0 none, -1 error (reported). */
static int next_event(vp_scsi *s, const char *id, unsigned wait_ms, event *e)
{
    char err[128];
    uint32_t t;
    vp_rt rt = vp_drv_wait(s->v, VP_SCSI_Q_EVENT, wait_ms, &t, &e->len, err, sizeof err);
    if (rt == VP_RT_TIMEOUT)
        return 0;
    if (!vp_report_rt(s->v, id, "", rt, err))
        return -1;
    unsigned i = 0;
    while (i < VP_SCSI_EVENT_BUFS && s->ev_tok[i] != t)
        i++;
    if (i == VP_SCSI_EVENT_BUFS || e->len < VP_SCSI_EVENT_SIZE) {
        char ob[48];
        snprintf(ob, sizeof ob, "token 0x%x, used length %u", t, e->len);
        vp_check(s->v->c->rep, id, REQ_DEV_VQ_USED_2, VP_FAIL, "a posted event buffer, 16 bytes written", ob, NULL);
        return -1;
    }
    const uint8_t *b = vp_drv_host(s->v, s->ev + VP_SCSI_EVENT_SIZE * i, VP_SCSI_EVENT_SIZE);
    e->event = le32(b);
    memcpy(e->lun, b + 4, 8);
    e->reason = le32(b + 12);
    s->ev_tok[i] = UINT32_MAX; /* taken */
    return 1;
}

static void describe(const event *e, char *ob, size_t n)
{
    snprintf(ob, n, "event 0x%08x, reason %u, lun %02x %02x %02x %02x", e->event, e->reason, e->lun[0], e->lun[1],
             e->lun[2], e->lun[3]);
}

/* A transport reset for target 1, LUN 0 with the given reason, within the
 * bound; missed: events were lost before, so the flag must be on it. */
static void expect_reset(vp_scsi *s, const char *id, uint32_t reason, bool missed)
{
    char ob[96], ex[96];
    event e;
    int got = next_event(s, id, VP_QUICK_WAIT_MS, &e);
    if (got < 0)
        return;
    if (!got) {
        vp_check(s->v->c->rep, id, "", VP_FAIL, "an event", "none", "HOTPLUG negotiated, buffers posted");
        return;
    }
    describe(&e, ob, sizeof ob);
    snprintf(ex, sizeof ex, "event 0x%08x, reason %u, target %u LUN 0", EV_TRANSPORT_RESET | (missed ? EVENTS_MISSED : 0),
             reason, HP_TARGET);
    bool ok = e.event == (EV_TRANSPORT_RESET | (missed ? EVENTS_MISSED : 0)) && e.reason == reason &&
              e.lun[0] == 1 && e.lun[1] == HP_TARGET && (e.lun[2] & 0x3f) == 0 && e.lun[3] == 0;
    vp_expect(s->v->c->rep, id, missed ? REQ_DEV_SCSI_EVENT_1 : "", ok, ex, ob, NULL);
}

/* One command to target 1 with data_in bytes into data; false after reporting. */
static bool cmd1(vp_scsi *s, const char *id, const uint8_t *cdb, unsigned len, uint64_t data, uint32_t data_in,
                 vp_scsi_answer *a)
{
    char err[128];
    uint32_t used;
    vp_scsi_build(s, s->req, s->resp, HP_TARGET, 0x60 + s->v->roundtrips, cdb, len);
    vc_seg sg[3] = {{s->req, 19 + s->cdb_size, false}, {s->resp, 12 + s->sense_size, true}, {data, data_in, true}};
    vp_rt rt = vp_drv_roundtrip(s->v, VP_SCSI_Q_REQ, sg, 1, data_in ? 2 : 1, false, &used, err, sizeof err);
    if (!vp_report_rt(s->v, id, REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT, rt, err))
        return false;
    vp_scsi_parse(s, s->resp, used, a);
    return true;
}

/* TEST UNIT READY to target 1 until GOOD (its unit attentions answered),
 * within CHANGE_WAIT_MS: 1 ready, 0 not in time, -1 error (reported). */
static int await_ready(vp_scsi *s, const char *id, uint64_t data)
{
    static const uint8_t tur[6] = {0};
    struct timespec nap = {0, 500000};
    double end = vp_now_ms() + CHANGE_WAIT_MS;
    vp_scsi_answer a;
    do {
        if (!cmd1(s, id, tur, sizeof tur, data, 0, &a))
            return -1;
        if (a.response == VP_SCSI_S_OK && a.status == 0)
            return 1;
        nanosleep(&nap, NULL);
    } while (vp_now_ms() < end);
    return 0;
}

/* The CD's new medium answers reads after CD_LATENCY_MS (the runner's
 * null-co latency): a READ left in flight while the runner unplugs the
 * drive. It must come back, aborted (ABORTED, RESET) or with FAILURE
 * (dev.scsi_req.3); OK (with any status) means it finished before the
 * unplug (no verdict). The unplug itself ends the CD's check. */
static void unplug_in_flight(vp_scsi *s, uint64_t data)
{
    static const uint8_t rd10[10] = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    vp_drv *v = s->v;
    vp_report *r = v->c->rep;
    const char *id = "scsi.req.unplug_in_flight";
    char err[128], ob[128];
    vp_scsi_answer a;
    /* ready again: the new medium in, the tray closed, its unit attentions answered */
    int ready = await_ready(s, id, data);
    if (ready <= 0) {
        if (ready == 0) {
            vp_check(r, id, "", VP_SKIP, NULL, NULL, "the CD not ready within %u ms", CHANGE_WAIT_MS);
            change(s, "scsi.event.unplug", false);
        }
        return;
    }
    uint32_t tok, t, used;
    vp_scsi_build(s, s->req, s->resp, HP_TARGET, 0x7e00 + v->roundtrips, rd10, sizeof rd10);
    vc_seg sg[3] = {{s->req, 19 + s->cdb_size, false}, {s->resp, 12 + s->sense_size, true}, {data, 2048, true}};
    if (!vp_report_rt(v, id, REQ_DRV_IMPLIED_SCSI_REQ_LAYOUT,
                      vp_drv_post(v, VP_SCSI_Q_REQ, sg, 1, 2, false, &tok, err, sizeof err), err))
        return;
    double t0 = vp_now_ms();
    bool asked = vp_note_ask(v->c, v->d, "scsi-unplug");
    vp_rt rt = vp_drv_wait(v, VP_SCSI_Q_REQ, v->c->opt.timeout_ms, &t, &used, err, sizeof err);
    double took = vp_now_ms() - t0;
    if (!vp_report_rt(v, id, REQ_DEV_SCSI_REQ_3, rt, err))
        return;
    vp_scsi_parse(s, s->resp, used, &a);
    bool cut = a.response == VP_SCSI_S_ABORTED || a.response == VP_SCSI_S_RESET || a.response == VP_SCSI_S_FAILURE;
    snprintf(ob, sizeof ob, "response %u, status 0x%02x, after %.0f ms", a.response, a.status, took);
    if (!asked || t != tok || a.response == VP_SCSI_S_OK) /* OK: a status, so done before the unplug */
        vp_check(r, id, "", t != tok ? VP_FAIL : VP_SKIP, "ABORTED, RESET or FAILURE", ob, "%s",
                 !asked ? "no runner unplugs the drive" : t != tok ? "another buffer came back"
                                                        : "the READ finished before the unplug");
    else
        vp_expect(r, id, REQ_DEV_SCSI_REQ_3, cut, "ABORTED, RESET or FAILURE", ob, "a READ in flight when the CD was unplugged");
    await_target(s, id, false); /* gone before the next session */
}

/* A CD drive (an MMC device) plugged at target 1 by the runner, its medium
 * then swapped for a larger one: a capacity change, which a disk would
 * report with PARAM_CHANGE; for the MMC device no event may be one
 * (dev.scsi_event.3). CHANGE is negotiated in this session when offered. */
/* Whether path is one of list's ('+' between). */
static bool listed(const char *list, const char *path)
{
    size_t n = strlen(path);
    for (const char *p = list; p && *p && n;) {
        const char *end = strchr(p, '+');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, path, n))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static void mmc_change(vp_scsi *s)
{
    static const uint8_t inquiry[6] = {0x12, 0, 0, 0, 36, 0}, tur[6] = {0};
    vp_drv *v = s->v;
    vp_report *r = v->c->rep;
    const char *id = "scsi.event.mmc_param_change";
    char ob[128];
    if (!v->c->opt.scsi_cd && !listed(v->c->opt.scsi_cd_at, v->d->fn->slot_path)) {
        vp_check(r, id, "", VP_SKIP, NULL, NULL, "no runner plugs a CD drive here (--scsi-cd, --scsi-cd-at)");
        return;
    }
    uint64_t data = vp_drv_alloc(v, 64, 16);
    if (!data || !change_by(s, id, "scsi-cd-hotplug", true))
        return;
    vp_scsi_answer a;
    if (!cmd1(s, id, inquiry, sizeof inquiry, data, 36, &a))
        return;
    unsigned pdt = *(const uint8_t *)vp_drv_host(v, data, 1) & 0x1f;
    if (a.response != VP_SCSI_S_OK || a.status != 0 || pdt != PDT_MMC) {
        vp_check(r, id, "", VP_SKIP, NULL, NULL, "target 1 is no MMC device (response %u, status 0x%02x, type %u)",
                 a.response, a.status, pdt);
        change(s, "scsi.event.unplug", false);
        return;
    }
    for (unsigned i = 0; i < VP_SCSI_EVENT_BUFS; i++) /* every buffer posted again: room for what comes */
        if (s->ev_tok[i] == UINT32_MAX && !post_events(s, i, i + 1))
            return;
    event e;
    unsigned n = 0, param = 0;
    int got;
    while ((got = next_event(s, id, 0, &e)) > 0) /* the plug's own (RESCAN) */
        n++;
    if (got >= 0 && (got = await_ready(s, id, data)) == 0) { /* the plug's unit attention answered first */
        vp_check(r, id, "", VP_SKIP, NULL, NULL, "the CD not ready within %u ms", CHANGE_WAIT_MS);
        change(s, "scsi.event.unplug", false);
        return;
    }
    if (got < 0 || !vp_note_ask(v->c, v->d, "scsi-cd-change")) {
        if (got >= 0)
            vp_check(r, id, "", VP_SKIP, NULL, NULL, "no runner changes the medium");
        return;
    }
    /* the change is made once TEST UNIT READY reports a unit attention */
    struct timespec nap = {0, 500000};
    double end = vp_now_ms() + CHANGE_WAIT_MS;
    bool seen = false;
    while (!seen && vp_now_ms() < end) {
        if (!cmd1(s, id, tur, sizeof tur, data, 0, &a))
            return;
        seen = a.response == VP_SCSI_S_OK && a.key == SCSI_UNIT_ATTENTION;
        if (!seen)
            nanosleep(&nap, NULL);
    }
    if (!seen) {
        vp_check(r, id, "", VP_SKIP, NULL, NULL, "no unit attention within %u ms: the medium was not changed",
                 CHANGE_WAIT_MS);
        change(s, "scsi.event.unplug", false);
        return;
    }
    /* the READ across the unplug gives the device time to send what it
     * would for the change; then every event since it, the unplug's too */
    unplug_in_flight(s, data);
    char first[64] = "";
    unsigned after = 0;
    while ((got = next_event(s, id, 0, &e)) > 0) {
        n++, after++;
        if ((e.event & ~EVENTS_MISSED) == EV_PARAM_CHANGE && e.lun[1] == HP_TARGET && !param++)
            describe(&e, first, sizeof first);
    }
    if (got < 0)
        return;
    snprintf(ob, sizeof ob, "%u event(s) after the change, %u PARAM_CHANGE for target 1%s%s", after, param,
             param ? ": " : "", first);
    vp_expect(r, id, REQ_DEV_SCSI_EVENT_3, param == 0, "no PARAM_CHANGE for the MMC device", ob,
              (v->features >> VIRTIO_SCSI_F_CHANGE_BIT & 1)
                  ? "CD medium swapped for a larger one, then the CD unplugged; CHANGE negotiated"
                  : "CD medium swapped for a larger one, then the CD unplugged");
}

static void hotplug(vp_scsi *s)
{
    vp_drv *v = s->v;
    static char done[sizeof v->d->fn->addr]; /* one device's personalities run in a row: once per device */
    vp_report *r = v->c->rep;
    char ob[96];
    if (!strcmp(done, v->d->fn->addr))
        return;
    snprintf(done, sizeof done, "%s", v->d->fn->addr);
    /* without HOTPLUG: a plug brings no transport reset */
    if (!change(s, "scsi.event.plug_without_hotplug", true))
        return;
    event e;
    int got = next_event(s, "scsi.event.plug_without_hotplug", 0, &e);
    if (got < 0)
        return;
    if (got)
        describe(&e, ob, sizeof ob);
    bool forbidden = got && (e.event & ~EVENTS_MISSED) == EV_TRANSPORT_RESET &&
                     (e.reason == REASON_REMOVED || e.reason == REASON_RESCAN);
    vp_expect(r, "scsi.event.plug_without_hotplug", forbidden ? REQ_DEV_SCSI_EVENT_2 : "", !got,
              "no event", got ? ob : "none", "disk plugged at target 1, HOTPLUG not negotiated");
    if (!(v->offered >> VIRTIO_SCSI_F_HOTPLUG_BIT & 1)) {
        vp_check(r, "scsi.event.missed", "", VP_SKIP, NULL, NULL, "HOTPLUG not offered");
        change(s, "scsi.event.unplug", false); /* leave the host as it was */
        return;
    }
    /* a fresh session with HOTPLUG, no event buffer posted */
    vp_ctx *c = v->c;
    vp_dev *d = v->d;
    vp_tp *t = v->t;
    const char *who = v->who;
    uint64_t want = v->features | 1ull << VIRTIO_SCSI_F_HOTPLUG_BIT | (v->offered & 1ull << VIRTIO_SCSI_F_CHANGE_BIT);
    vp_drv_done(v);
    if (!vp_drv_reset(v, c, d, t, who)) {
        vp_check(r, "scsi.event.reset", "", VP_FAIL, "status 0 after reset", "not 0", NULL);
        return;
    }
    vp_drv_negotiate(v, want);
    if (!(v->features >> VIRTIO_SCSI_F_HOTPLUG_BIT & 1) || !vp_drv_queues(v, VP_SCSI_Q_CTRL, VP_SCSI_Q_REQ,
                                                                          "scsi.event.queue"))
        return;
    s->cdb_size = (uint32_t)vp_tp_cfg(t, 24, 4);
    s->sense_size = (uint32_t)vp_tp_cfg(t, 20, 4);
    s->req = vp_drv_alloc(v, 19 + s->cdb_size, 16);
    s->resp = vp_drv_alloc(v, 12 + s->sense_size, 16);
    s->ev = vp_drv_alloc(v, VP_SCSI_EVENT_BUFS * VP_SCSI_EVENT_SIZE, 16);
    if (!s->req || !s->resp || !s->ev || s->cdb_size < 16 || s->cdb_size > 256 || s->sense_size > 256) {
        vp_check(r, "scsi.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted, or sizes out of range");
        return;
    }
    vp_drv_driver_ok(v);
    if (!change(s, "scsi.event.missed", false))
        return;
    /* the unplug's event had no buffer: flagged as missed, on a NO_EVENT
     * when a buffer comes, or on the next event */
    if (!post_events(s, 0, 1))
        return;
    got = next_event(s, "scsi.event.missed", VP_QUICK_WAIT_MS, &e);
    if (got < 0)
        return;
    bool flagged = false;
    if (got) {
        describe(&e, ob, sizeof ob);
        flagged = e.event & EVENTS_MISSED;
        vp_expect(r, "scsi.event.missed", REQ_DEV_SCSI_EVENT_1, flagged, "EVENTS_MISSED (bit 31) set", ob,
                  "the unplug's event found no buffer");
    }
    if (!post_events(s, 1, VP_SCSI_EVENT_BUFS) || !change(s, "scsi.event.rescan", true))
        return;
    expect_reset(s, "scsi.event.rescan", REASON_RESCAN, !got);
    if (!change(s, "scsi.event.removed", false))
        return;
    expect_reset(s, "scsi.event.removed", REASON_REMOVED, false);
    mmc_change(s);
}

/* The session with no event buffer posted breaks a driver rule on purpose
 * (drv.scsi_event.1): under the reference device's judge that one is
 * expected, what was judged before and anything else is reported. */
void vp_scsi_hotplug(vp_scsi *s)
{
    static const char *const planted[] = {"SCSI_EVENTQ_EMPTY"};
    vp_judge_planted(s->v, NULL, 0);
    hotplug(s);
    vp_judge_planted(s->v, planted, 1);
}
