/* Memory balloon: one page inflated and deflated again (with MUST_TELL_HOST
 * the deflate comes before the page is used), actual updated and read back,
 * and a statistics buffer handed to the device, which keeps it until the
 * host wants numbers. The page is one of the probe's own, used for nothing
 * else: a device may discard its contents once inflated. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "dev_balloon.h"
#include "vc/req_ids.h"
#include "vc/spec_features.h"

enum { Q_INFLATE = VP_BAL_Q_INFLATE, Q_DEFLATE = VP_BAL_Q_DEFLATE, Q_STATS = VP_BAL_Q_STATS };
enum { C_NUM_PAGES = 0, C_ACTUAL = 4 };

static bool send_pfn(vp_drv *v, unsigned q, uint64_t buf, uint32_t pfn)
{
    char err[128];
    uint8_t *p = vp_drv_host(v, buf, 4);
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(pfn >> (8 * i));
    vc_seg sg = {buf, 4, false};
    uint32_t used;
    vp_rt rt = vp_drv_roundtrip(v, q, &sg, 1, 0, false, &used, err, sizeof err);
    return vp_report_rt(v, q == Q_INFLATE ? "balloon.inflate" : "balloon.deflate",
                        REQ_DRV_IMPLIED_BALLOON_PFN_LAYOUT, rt, err);
}

static bool set_actual(vp_drv *v, uint32_t pages)
{
    char ex[32], ob[32];
    vp_tp_cfg_write(v->t, C_ACTUAL, 4, pages);
    uint32_t got = (uint32_t)vp_tp_cfg(v->t, C_ACTUAL, 4);
    snprintf(ex, sizeof ex, "%u", pages);
    snprintf(ob, sizeof ob, "%u", got);
    return vp_expect(v->c->rep, pages ? "balloon.actual.inflated" : "balloon.actual.deflated",
                     "", got == pages, ex, ob, "written by the driver (drv.balloon_op.11), read back");
}

void vp_devtest_balloon(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[96];
    bool stats = v->features >> VIRTIO_BALLOON_F_STATS_VQ_BIT & 1;
    if (!vp_drv_queues(v, Q_INFLATE, (stats ? Q_STATS : Q_DEFLATE), "balloon.queue"))
        return;
    uint32_t target = (uint32_t)vp_tp_cfg(v->t, C_NUM_PAGES, 4);
    snprintf(ob, sizeof ob, "num_pages %u, actual %u", target, (uint32_t)vp_tp_cfg(v->t, C_ACTUAL, 4));
    vp_check(r, "balloon.config", "", VP_INFO, NULL, ob, NULL);
    seen->ran = true;
    seen->value = target;
    uint64_t page = vp_drv_alloc(v, 4096, 4096), buf = vp_drv_alloc(v, 32, 16);
    uint64_t sbuf = vp_drv_alloc(v, VP_BAL_STATS_LEN, 16);
    uint32_t stok = 0;
    if (!page || !buf || !sbuf) {
        vp_check(r, "balloon.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    vp_drv_driver_ok(v);
    if (stats) { /* the initial statistics buffer: free and total memory, and a tag nobody knows */
        vp_balloon_stats_fill(vp_drv_host(v, sbuf, VP_BAL_STATS_LEN), 0);
        vc_seg sg = {sbuf, VP_BAL_STATS_LEN, false};
        uint32_t t, len;
        if (!vp_report_rt(v, "balloon.stats.post", REQ_DRV_BALLOON_STATS_5,
                          vp_drv_post(v, Q_STATS, &sg, 1, 0, false, &stok, err, sizeof err), err))
            return;
        /* QEMU answers a notify before the write returns: 10 ms tells "held" from "at once" */
        vp_rt rt = vp_drv_wait(v, Q_STATS, 10, &t, &len, err, sizeof err);
        vp_check(r, "balloon.stats", "", rt == VP_RT_OK || rt == VP_RT_TIMEOUT ? VP_INFO : VP_ERROR, NULL,
                 rt == VP_RT_TIMEOUT ? "held by the device" : rt == VP_RT_OK ? "returned at once" : err,
                 "a device keeps the buffer until the host asks for statistics");
        if (rt == VP_RT_OK && t == stok) { /* given back already (a host polling): the next one */
            vp_balloon_stats_fill(vp_drv_host(v, sbuf, VP_BAL_STATS_LEN), 0);
            if (!vp_report_rt(v, "balloon.stats.post", REQ_DRV_BALLOON_STATS_3,
                              vp_drv_post(v, Q_STATS, &sg, 1, 0, false, &stok, err, sizeof err), err))
                return;
        }
    }
    uint32_t pfn = (uint32_t)(page >> 12);
    if (!send_pfn(v, Q_INFLATE, buf, pfn) || !set_actual(v, 1))
        return;
    if (!send_pfn(v, Q_DEFLATE, buf, pfn) || !set_actual(v, 0))
        return;
    snprintf(ob, sizeof ob, "page frame 0x%x", pfn);
    vp_check(r, "balloon.inflate_deflate", "", VP_PASS, "both used", ob, NULL);
    seen->ok = true;
    if (stats)
        vp_balloon_stats_poll(v, sbuf, stok);
    vp_balloon_free_pages(v);
}
