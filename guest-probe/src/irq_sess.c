/* One-queue driver sessions and each device type's cheapest request. */
#include "irq_sess.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "refdev/device.h"
#include "vc/spec_features.h"

#define BALLOON_PAGES 16u /* more than any session makes requests */
#define PAGE 4096u

/* type, queue, what the request is: every one of them is completed by the
 * device without waiting for anything outside (a disk read, a transmitted
 * frame, a page handed to the balloon, a LED write, a console write that a
 * missing port discards). */
static const struct { const char *type; unsigned q; } QUEUES[] = {
    {"rng", 0}, {"blk", 0}, {"net", 1}, {"console", 1}, {"balloon", 0}, {"scsi", 2}, {"input", 1},
};

int vp_isess_queue(const char *type)
{
    for (unsigned i = 0; i < sizeof QUEUES / sizeof QUEUES[0]; i++)
        if (!strcmp(QUEUES[i].type, type))
            return (int)QUEUES[i].q;
    return -1;
}

static void le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The request of s's device type in s->buf: segments in sg, device-readable first. */
static unsigned build(vp_isess *s, vc_seg *sg, unsigned *n_out)
{
    vp_drv *v = &s->v;
    const char *type = v->d->type;
    uint8_t *b = vp_drv_host(v, s->buf, PAGE);
    uint64_t a = s->buf;
    memset(b, 0, PAGE);
    *n_out = 1;
    if (!strcmp(type, "rng")) {
        *n_out = 0;
        sg[0] = (vc_seg){a, 64, true};
        return 1;
    }
    if (!strcmp(type, "blk")) { /* read sector 0 */
        sg[0] = (vc_seg){a, 16, false};
        sg[1] = (vc_seg){a + 512, 512, true};
        sg[2] = (vc_seg){a + 1024, 1, true};
        return 3;
    }
    if (!strcmp(type, "net")) { /* a frame to nobody's address */
        uint32_t hl = v->features >> VC_F_VERSION_1 & 1 ? 12 : 10;
        memcpy(b + 64, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xb5", 14);
        sg[0] = (vc_seg){a, hl, false};
        sg[1] = (vc_seg){a + 64, 60, false};
        *n_out = 2;
        return 2;
    }
    if (!strcmp(type, "console")) {
        memcpy(b, "vconform", 8);
        sg[0] = (vc_seg){a, 8, false};
        return 1;
    }
    if (!strcmp(type, "balloon")) { /* a fresh page each time: no page inflated twice */
        le32(b, (uint32_t)((s->pages + (uint64_t)PAGE * (s->n % BALLOON_PAGES)) >> 12));
        sg[0] = (vc_seg){a, 4, false};
        return 1;
    }
    if (!strcmp(type, "scsi")) { /* TEST UNIT READY, target 0 LUN 0 */
        uint32_t sense = (uint32_t)vp_tp_cfg(&s->t, 20, 4), cdb = (uint32_t)vp_tp_cfg(&s->t, 24, 4);
        sense = sense > 256 ? 256 : sense;
        cdb = cdb > 256 ? 256 : cdb;
        b[0] = 1;
        b[2] = 0x40;
        sg[0] = (vc_seg){a, 19 + cdb, false};
        sg[1] = (vc_seg){a + 1024, 12 + sense, true};
        return 2;
    }
    /* input: a LED status write (EV_LED, code 0, off) */
    b[0] = 0x11;
    sg[0] = (vc_seg){a, 8, false};
    return 1;
}

bool vp_isess_reset(vp_tp *t, unsigned ms)
{
    vp_tp_set_status(t, 0);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (vp_tp_status(t) == 0 && !t->io_err)
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > ms || t->io_err)
            return false;
    }
}

bool vp_isess_open(vp_isess *s, vp_ctx *c, vp_dev *d, vp_is_kind kind, uint64_t extra, uint16_t qsize, bool no_ok,
                   const char *id)
{
    memset(s, 0, sizeof *s);
    char err[160], ob[64];
    s->who = kind == VP_IS_LEGACY ? "legacy" : kind == VP_IS_PACKED ? "modern-packed" : "modern";
    vp_report_set(c->rep, d->fn->addr, s->who);
    int q = vp_isess_queue(d->type);
    bool have = kind == VP_IS_LEGACY ? vp_tp_legacy(&s->t, d, err, sizeof err)
                                     : vp_tp_modern(&s->t, d, err, sizeof err);
    if (!have || q < 0) {
        vp_check(c->rep, id, "", VP_ERROR, NULL, NULL, "%s", have ? "no request for this device type" : err);
        return false;
    }
    /* vp_drv_reset without clearing the whole arena: the rings are zeroed
     * when set up and requests are written whole, and a session is short */
    s->v.c = c;
    s->v.d = d;
    s->v.t = &s->t;
    s->v.who = s->who;
    if (!vp_isess_reset(&s->t, c->opt.timeout_ms)) {
        vp_check(c->rep, id, "", VP_ERROR, "status 0 after reset", "not 0", NULL);
        return false;
    }
    uint64_t want = extra;
    if (kind != VP_IS_LEGACY)
        want |= 1ull << VC_F_VERSION_1 | (kind == VP_IS_PACKED ? 1ull << VC_F_RING_PACKED : 0);
    uint8_t st = vp_drv_negotiate(&s->v, want);
    if (kind != VP_IS_LEGACY && !(st & VC_STATUS_FEATURES_OK)) {
        snprintf(ob, sizeof ob, "status 0x%02x", st);
        vp_check(c->rep, id, "", VP_ERROR, "FEATURES_OK", ob, "features 0x%llx", (unsigned long long)s->v.features);
        return false;
    }
    s->q = (unsigned)q;
    s->indirect = extra & s->v.features & 1ull << VC_F_INDIRECT_DESC;
    s->buf = vp_drv_alloc(&s->v, PAGE, PAGE);
    if (!strcmp(d->type, "balloon"))
        s->pages = vp_drv_alloc(&s->v, (uint64_t)PAGE * BALLOON_PAGES, PAGE);
    s->max = vp_tp_queue_max(&s->t, s->q);
    if (!s->buf || !vp_drv_queue(&s->v, s->q, qsize ? qsize : 64, err, sizeof err)) {
        vp_check(c->rep, id, "", VP_ERROR, NULL, NULL, "%s", s->buf ? err : "DMA arena exhausted");
        vp_drv_done(&s->v);
        return false;
    }
    s->v.bad_len[s->q] = true; /* a used length the data path checks judged already */
    if (!no_ok)
        vp_drv_driver_ok(&s->v);
    return true;
}

bool vp_isess_requeue(vp_isess *s, uint16_t qsize, char *err, size_t errlen)
{
    if (s->v.q_live[s->q])
        vc_vq_drv_free(&s->v.q[s->q]);
    s->v.q_live[s->q] = false;
    return vp_drv_queue(&s->v, s->q, qsize, err, errlen);
}

bool vp_isess_post(vp_isess *s, uint32_t *token, char *err, size_t errlen)
{
    vc_seg sg[3];
    unsigned n_out, n = build(s, sg, &n_out);
    s->n++;
    return vp_drv_post(&s->v, s->q, sg, n_out, n - n_out, s->indirect, token, err, errlen) == VP_RT_OK;
}

bool vp_isess_req(vp_isess *s, char *err, size_t errlen)
{
    uint32_t token, got = 0, len;
    if (!vp_isess_post(s, &token, err, errlen))
        return false;
    vp_rt rt = vp_drv_wait(&s->v, s->q, s->v.c->opt.timeout_ms, &got, &len, err, errlen);
    if (rt == VP_RT_OK && got != token)
        snprintf(err, errlen, "used token 0x%x, expected 0x%x", got, token);
    return rt == VP_RT_OK && got == token;
}

void vp_isess_vectors(vp_isess *s, uint16_t cfg, uint16_t qv, uint16_t *cfg_back, uint16_t *q_back)
{
    vp_tp *t = &s->t;
    if (t->legacy) { /* with MSI-X on, the vector registers sit at 20 and 22 */
        vp_tp_wr(t, &t->common, VC_LG_CFGVEC, 2, cfg);
        vp_tp_wr(t, &t->common, VC_LG_QSEL, 2, s->q);
        vp_tp_wr(t, &t->common, VC_LG_QVEC, 2, qv);
        *cfg_back = (uint16_t)vp_tp_rd(t, &t->common, VC_LG_CFGVEC, 2);
        *q_back = (uint16_t)vp_tp_rd(t, &t->common, VC_LG_QVEC, 2);
        return;
    }
    vp_tp_wr(t, &t->common, VC_CC_MSIX, 2, cfg);
    vp_tp_wr(t, &t->common, VC_CC_QSELECT, 2, s->q);
    vp_tp_wr(t, &t->common, VC_CC_QMSIX, 2, qv);
    *cfg_back = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_MSIX, 2);
    *q_back = (uint16_t)vp_tp_rd(t, &t->common, VC_CC_QMSIX, 2);
}

void vp_isess_close(vp_isess *s)
{
    vp_drv_done(&s->v);
}
