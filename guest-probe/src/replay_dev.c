/* Replay targets, set-up and liveness (replay_dev.h). */
#include "replay_dev.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "drv.h"
#include "refdev/device.h"
#include "vc/vq_dev.h"

/* One queue per type whose device reads chains as soon as they come:
 * requests, transmits, deflates, LED status. Inflate is never replayed: a
 * device may discard the pages it names, which are the guest's. */
static const rp_target targets[] = {
    {"rng", 0, true, true, "request queue"},
    {"blk", 0, false, false, "request queue"},
    {"net", 1, false, false, "transmit queue"},
    {"console", 1, true, false, "port 0 transmit queue"},
    {"balloon", 1, true, false, "deflate queue"},
    {"scsi", 2, false, false, "request queue"},
    {"input", 1, true, false, "status queue"},
};

const rp_target *rp_target_find(const char *type)
{
    for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (!strcmp(targets[i].type, type))
            return &targets[i];
    return NULL;
}

void rp_sleep_us(unsigned us)
{
    struct timespec ts = {0, (long)us * 1000};
    nanosleep(&ts, NULL);
}

bool rp_reset(vp_tp *t, unsigned timeout_ms)
{
    vp_tp_set_status(t, 0);
    double end = vp_now_ms() + timeout_ms;
    uint8_t s;
    while ((s = vp_tp_status(t)) != 0 && !t->io_err && vp_now_ms() < end)
        rp_sleep_us(100);
    return s == 0 && !t->io_err;
}

static const char *feature_name(unsigned bit)
{
    switch (bit) {
    case VC_F_INDIRECT_DESC: return "VIRTIO_F_INDIRECT_DESC";
    case VC_F_EVENT_IDX: return "VIRTIO_F_EVENT_IDX";
    case VC_F_VERSION_1: return "VIRTIO_F_VERSION_1";
    case VC_F_RING_PACKED: return "VIRTIO_F_RING_PACKED";
    case VC_F_IN_ORDER: return "VIRTIO_F_IN_ORDER";
    default: return "a ring feature";
    }
}

bool rp_negotiate(vp_tp *t, uint64_t want, unsigned timeout_ms, char *why, size_t n)
{
    if (!rp_reset(t, timeout_ms)) {
        snprintf(why, n, "status 0x%02x after a reset", vp_tp_status(t));
        return false;
    }
    uint8_t s = VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER;
    vp_tp_set_status(t, VC_STATUS_ACKNOWLEDGE);
    vp_tp_set_status(t, s);
    uint64_t offered = vp_tp_device_features(t);
    if (!t->legacy)
        want |= 1ull << VC_F_VERSION_1;
    uint64_t missing = want & ~offered;
    if (missing) {
        snprintf(why, n, "the device does not offer %s%s", feature_name((unsigned)__builtin_ctzll(missing)),
                 t->legacy ? " through the legacy interface" : "");
        return false;
    }
    vp_tp_set_driver_features(t, want);
    if (t->legacy)
        return !t->io_err;
    vp_tp_set_status(t, s | VC_STATUS_FEATURES_OK);
    if (!(vp_tp_status(t) & VC_STATUS_FEATURES_OK)) {
        snprintf(why, n, "the device refused FEATURES_OK for features 0x%llx", (unsigned long long)want);
        return false;
    }
    return !t->io_err;
}

void rp_driver_ok(vp_tp *t)
{
    uint8_t s = VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_DRIVER_OK;
    vp_tp_set_status(t, t->legacy ? s : s | VC_STATUS_FEATURES_OK);
}

void rp_known_good(const char *type, bool legacy, uint64_t page_gpa, kg *k)
{
    memset(k, 0, sizeof *k);
    if (!strcmp(type, "rng")) {
        k->in[k->nin++] = 16;
    } else if (!strcmp(type, "blk")) { /* read sector 0 */
        k->nout = 16;
        k->in[k->nin++] = 512;
        k->in[k->nin++] = 1;
    } else if (!strcmp(type, "net")) { /* header, then a broadcast frame of a local ethertype */
        unsigned hdr = legacy ? 10 : 12;
        memset(k->out + hdr, 0xff, 6);
        memcpy(k->out + hdr + 6, "\x52\x54\x00\x76\x63\x01\x88\xb5", 8);
        k->nout = hdr + 46;
    } else if (!strcmp(type, "console")) {
        k->out[0] = '\n';
        k->nout = 1;
    } else if (!strcmp(type, "balloon")) { /* deflate a page of the probe's own */
        uint32_t pfn = (uint32_t)(page_gpa >> 12);
        memcpy(k->out, &pfn, 4);
        k->nout = 4;
    } else if (!strcmp(type, "scsi")) { /* TEST UNIT READY to target 0, LUN 0 */
        k->out[0] = 1;
        k->nout = 19 + 32;
        k->in[k->nin++] = 12 + 96;
    } else if (!strcmp(type, "input")) { /* an LED event */
        k->out[0] = 0x11;
        k->nout = 8;
    }
}

bool rp_alive(vp_ctx *c, vp_dev *d, vp_tp *t, const rp_target *tg, char *why, size_t n)
{
    vp_drv v;
    char err[128];
    if (!vp_drv_reset(&v, c, d, t, t->legacy ? "legacy" : "modern")) {
        snprintf(why, n, "status 0x%02x after a reset", vp_tp_status(t));
        return false;
    }
    uint8_t st = vp_drv_negotiate(&v, t->legacy ? 0 : 1ull << VC_F_VERSION_1);
    bool ok = t->legacy || (st & VC_STATUS_FEATURES_OK);
    if (!ok)
        snprintf(why, n, "FEATURES_OK refused after a reset (status 0x%02x)", st);
    else if (!(ok = vp_drv_queue(&v, tg->queue, 16, err, sizeof err)))
        snprintf(why, n, "%s", err);
    if (!ok) {
        vp_drv_done(&v);
        return false;
    }
    vp_drv_driver_ok(&v);
    v.bad_len[tg->queue] = true; /* lengths are the scenario checks' business, not liveness's */
    uint64_t page = vp_drv_alloc(&v, 4096, 4096), buf = vp_drv_alloc(&v, 1024, 64);
    kg k;
    rp_known_good(d->type, t->legacy, page, &k);
    vc_seg sg[3];
    unsigned ns = 0;
    if (k.nout) {
        memcpy(vp_drv_host(&v, buf, k.nout), k.out, k.nout);
        sg[ns++] = (vc_seg){buf, k.nout, false};
    }
    uint64_t at = buf + 128;
    for (unsigned i = 0; i < k.nin; at += k.in[i], i++)
        sg[ns++] = (vc_seg){at, k.in[i], true};
    uint32_t len;
    vp_rt rt = vp_drv_roundtrip(&v, tg->queue, sg, k.nout ? 1 : 0, k.nin, false, &len, err, sizeof err);
    if (rt != VP_RT_OK)
        snprintf(why, n, "a known-good request on the %s: %s (%s)", tg->what, vp_rt_name(rt), err);
    vp_drv_done(&v);
    return rt == VP_RT_OK;
}
