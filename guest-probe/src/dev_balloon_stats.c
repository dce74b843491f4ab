/* Balloon statistics over time. The device holds the driver's statistics
 * buffer until the host wants numbers; then it gives it back and the driver
 * posts a fresh one. The probe asks the runner (a note,
 * "balloon-stats-poll") to want numbers twice; the runner first reads what
 * the device took from the last buffer (QMP guest-stats), then makes it
 * poll. Each buffer carries total and free memory around a tag no device
 * knows, in another order each round: the host must show the values the
 * driver sent (the runner compares them with this check's observed value). */
#include <stdio.h>
#include <string.h>

#include "dev_balloon.h"
#include "dev_note.h"
#include "vc/req_ids.h"

enum { S_MEMFREE = 4, S_MEMTOT = 5, S_UNKNOWN = 0x7ff0 };
#define POLL_WAIT_MS 1000u /* the runner answers within tens of ms */

static const uint64_t FREE[2] = {0x11110000u, 0x33330000u}, TOTAL[2] = {0x22220000u, 0x44440000u};

static void entry(uint8_t *e, uint16_t tag, uint64_t val)
{
    e[0] = (uint8_t)tag;
    e[1] = (uint8_t)(tag >> 8);
    for (unsigned i = 0; i < 8; i++)
        e[2 + i] = (uint8_t)(val >> (8 * i));
}

void vp_balloon_stats_fill(uint8_t *buf, unsigned round)
{
    round &= 1;
    /* the same set each round (drv.balloon_stats.8), never the same order */
    const uint16_t order[2][3] = {{S_MEMTOT, S_UNKNOWN, S_MEMFREE}, {S_UNKNOWN, S_MEMFREE, S_MEMTOT}};
    for (unsigned i = 0; i < 3; i++) {
        uint16_t tag = order[round][i];
        entry(buf + 10 * i, tag, tag == S_MEMFREE ? FREE[round] : tag == S_MEMTOT ? TOTAL[round] : 0x5a5a5a5au);
    }
}

/* Asks for a poll and waits for the held buffer (token) to come back. */
static bool poll_once(vp_drv *v, const char *id, uint32_t token, unsigned round)
{
    char err[128], ob[64];
    if (!vp_note_ask(v->c, v->d, "balloon-stats-poll")) {
        vp_check(v->c->rep, id, "", VP_SKIP, NULL, NULL, "no runner asks the device for statistics");
        return false;
    }
    uint32_t t, len;
    vp_rt rt = vp_drv_wait(v, VP_BAL_Q_STATS, POLL_WAIT_MS, &t, &len, err, sizeof err);
    if (rt == VP_RT_TIMEOUT) {
        vp_check(v->c->rep, id, "", VP_SKIP, NULL, NULL, "the buffer was not given back within %u ms "
                 "(no runner answering, or a device that ignores the host)", POLL_WAIT_MS);
        return false;
    }
    if (!vp_report_rt(v, id, "", rt, err))
        return false;
    snprintf(ob, sizeof ob, "buffer %s, used length %u", t == token ? "given back" : "another token", len);
    char detail[48];
    snprintf(detail, sizeof detail, "round %u, after the host asked", round);
    return vp_expect(v->c->rep, id, "", t == token && len == 0, "the held buffer, used length 0", ob, detail);
}

void vp_balloon_stats_poll(vp_drv *v, uint64_t buf, uint32_t token)
{
    static char done[sizeof v->d->fn->addr]; /* one device's personalities run in a row: once per device */
    char err[128], ob[128];
    if (!strcmp(done, v->d->fn->addr))
        return;
    snprintf(done, sizeof done, "%s", v->d->fn->addr);
    if (!poll_once(v, "balloon.stats.request", token, 0))
        return;
    vp_balloon_stats_fill(vp_drv_host(v, buf, VP_BAL_STATS_LEN), 1);
    vc_seg sg = {buf, VP_BAL_STATS_LEN, false};
    if (!vp_report_rt(v, "balloon.stats.post", REQ_DRV_BALLOON_STATS_3,
                      vp_drv_post(v, VP_BAL_Q_STATS, &sg, 1, 0, false, &token, err, sizeof err), err))
        return;
    if (!poll_once(v, "balloon.stats.again", token, 1))
        return;
    snprintf(ob, sizeof ob, "free 0x%llx total 0x%llx; free 0x%llx total 0x%llx", (unsigned long long)FREE[0],
             (unsigned long long)TOTAL[0], (unsigned long long)FREE[1], (unsigned long long)TOTAL[1]);
    vp_check(v->c->rep, "balloon.stats.host", REQ_DEV_BALLOON_STATS_1 "," REQ_DEV_BALLOON_STATS_2, VP_PASS,
             "the host shows these values", ob,
             "the runner compares them with what the host read after each buffer (QMP guest-stats)");
}
