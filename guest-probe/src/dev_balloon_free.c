/* Balloon free page hinting and reporting, where offered (QEMU:
 * free-page-hint=on with an iothread, free-page-reporting=on; neither by
 * default). The device is reset and set up again with the features, and
 * PAGE_POISON when offered (poison_val written before DRIVER_OK). Hinting:
 * with no host asking for hints (QEMU asks only while migrating), the
 * command id must read STOP or DONE. Reporting: one page of the probe's own
 * arena, filled with the poison value, reported and given back; with
 * PAGE_POISON it must still hold the poison value. Once per device. */
#include <stdio.h>
#include <string.h>

#include "dev_balloon.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

enum { C_HINT_CMD_ID = 8, C_POISON = 12 };
enum { CMD_ID_STOP = 0, CMD_ID_DONE = 1 };
#define PAGE 4096u
#define POISON 0xa5a5a5a5u

static void hint_idle(vp_drv *v)
{
    char ob[48];
    uint32_t id = (uint32_t)vp_tp_cfg(v->t, C_HINT_CMD_ID, 4);
    snprintf(ob, sizeof ob, "command id %u", id);
    vp_expect(v->c->rep, "balloon.hint.idle", REQ_DEV_BALLOON_HINT_1, id == CMD_ID_STOP || id == CMD_ID_DONE,
              "STOP (0) or DONE (1)", ob, "no hinting asked for by the host");
}

static void report(vp_drv *v, unsigned q, bool poison)
{
    vp_report *r = v->c->rep;
    char err[128], ob[96];
    uint64_t page = vp_drv_alloc(v, PAGE, PAGE);
    if (!page) {
        vp_check(r, "balloon.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    uint8_t *h = vp_drv_host(v, page, PAGE);
    memset(h, POISON & 0xff, PAGE); /* the driver fills reported pages with poison_val */
    vc_seg sg = {page, PAGE, true};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(v, q, &sg, 0, 1, false, &used, err, sizeof err);
    if (!vp_report_rt(v, "balloon.report", "", rt, err))
        return;
    snprintf(ob, sizeof ob, "page given back, used length %u", used);
    vp_check(r, "balloon.report", "", VP_PASS, "the reported page given back", ob, "queue %u", q);
    unsigned changed = 0, first = PAGE;
    for (unsigned i = 0; i < PAGE; i++)
        if (h[i] != (POISON & 0xff)) {
            changed++;
            first = first < i ? first : i;
        }
    snprintf(ob, sizeof ob, "%u byte(s) changed%s", changed, changed ? "" : ": all poison_val");
    if (poison)
        vp_expect(r, "balloon.report.poison", REQ_DEV_BALLOON_REPORT_2, !changed, "all poison_val (0xa5)", ob,
                  "PAGE_POISON negotiated");
    else /* without PAGE_POISON the device may have dropped it (dev.balloon_report.1) */
        vp_check(r, "balloon.report.poison", "", VP_INFO, NULL, ob, "PAGE_POISON not negotiated");
}

void vp_balloon_free_pages(vp_drv *v)
{
    static char done[sizeof v->d->fn->addr]; /* one device's personalities run in a row: once per device */
    uint64_t hint = 1ull << VIRTIO_BALLOON_F_FREE_PAGE_HINT_BIT, rep = 1ull << VIRTIO_BALLOON_F_PAGE_REPORTING_BIT,
             poison = 1ull << VIRTIO_BALLOON_F_PAGE_POISON_BIT;
    if (!(v->offered & (hint | rep)) || !strcmp(done, v->d->fn->addr))
        return;
    snprintf(done, sizeof done, "%s", v->d->fn->addr);
    vp_report *r = v->c->rep;
    char err[128];
    vp_ctx *c = v->c;
    vp_dev *d = v->d;
    vp_tp *t = v->t;
    const char *who = v->who;
    uint64_t want = v->features | (v->offered & (hint | rep | poison));
    vp_drv_done(v);
    if (!vp_drv_reset(v, c, d, t, who)) {
        vp_check(r, "balloon.free.reset", "", VP_FAIL, "status 0 after reset", "not 0", NULL);
        return;
    }
    vp_drv_negotiate(v, want);
    unsigned nq = vp_tp_num_queues(t);
    bool stats = v->features >> VIRTIO_BALLOON_F_STATS_VQ_BIT & 1;
    if (nq < 3 || nq > VP_DRV_QUEUES || !vp_drv_queues(v, 0, nq - 1, "balloon.free.queue"))
        return;
    bool poisoned = v->features & poison;
    if (poisoned) /* before DRIVER_OK (drv.balloon_poison.2) */
        vp_tp_cfg_write(t, C_POISON, 4, POISON);
    uint64_t sbuf = vp_drv_alloc(v, VP_BAL_STATS_LEN, 16);
    if (!sbuf) {
        vp_check(r, "balloon.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    vp_drv_driver_ok(v);
    if (stats) { /* a driver keeps a statistics buffer posted (drv.balloon_stats.2) */
        vp_balloon_stats_fill(vp_drv_host(v, sbuf, VP_BAL_STATS_LEN), 0);
        vc_seg sg = {sbuf, VP_BAL_STATS_LEN, false};
        uint32_t tok;
        if (!vp_report_rt(v, "balloon.stats.post", REQ_DRV_BALLOON_STATS_5,
                          vp_drv_post(v, VP_BAL_Q_STATS, &sg, 1, 0, false, &tok, err, sizeof err), err))
            return;
    }
    if (v->features & hint)
        hint_idle(v);
    if (v->features & rep) /* the last queue, whether absent queues are counted or not */
        report(v, nq - 1, poisoned);
}
