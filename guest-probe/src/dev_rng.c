/* Entropy device: two requests must each come back with fresh bytes. */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "vc/req_ids.h"

#define RNG_BUF 64

void vp_devtest_rng(vp_drv *v, vp_seen *seen)
{
    vp_report *r = v->c->rep;
    char err[128], ob[96];
    uint8_t got[2][RNG_BUF];
    uint32_t len[2] = {0, 0};
    if (!vp_drv_queues(v, 0, 0, "rng.queue"))
        return;
    vp_drv_driver_ok(v);
    uint64_t buf = vp_drv_alloc(v, RNG_BUF, 64);
    uint8_t *host = vp_drv_host(v, buf, RNG_BUF);
    seen->ran = true;
    for (unsigned i = 0; i < 2; i++) {
        memset(host, 0xa5, RNG_BUF);
        vc_seg sg = {buf, RNG_BUF, true};
        vp_rt rt = vp_drv_roundtrip(v, 0, &sg, 0, 1, i == 1, &len[i], err, sizeof err);
        if (!vp_report_rt(v, i ? "rng.request.indirect" : "rng.request", "", rt, err))
            return;
        memcpy(got[i], host, RNG_BUF);
        snprintf(ob, sizeof ob, "%u", len[i]);
        if (!vp_expect(r, i ? "rng.used_len.2" : "rng.used_len", REQ_DEV_RNG_OP_1,
                       len[i] >= 1 && len[i] <= RNG_BUF, "1-64", ob, NULL))
            return;
    }
    /* Fresh bytes: the two answers differ and do not echo the fill pattern. */
    uint32_t n = len[0] < len[1] ? len[0] : len[1];
    bool differ = memcmp(got[0], got[1], n) != 0;
    unsigned fill = 0;
    for (uint32_t i = 0; i < len[0]; i++)
        fill += got[0][i] == 0xa5;
    snprintf(ob, sizeof ob, "%s, %u of %u bytes still 0xa5", differ ? "answers differ" : "answers equal",
             fill, len[0]);
    seen->ok = vp_expect(r, "rng.fresh_bytes", REQ_DEV_IMPLIED_RNG_FILL, differ && (len[0] < 8 || fill < len[0]),
                         "differing, written bytes", ob, NULL);
}
