/* Input device with absolute axes (a tablet): each axis's ABS_INFO answer,
 * and whole updates. For the updates the probe asks the runner (a note,
 * "input-abs-batch") to inject two through QEMU's monitor: A = ABS_X 0x1234,
 * ABS_Y 0x2345, SYN_REPORT; then B = ABS_X 0x777, SYN_REPORT. First with two
 * event buffers posted: A does not fit, so it must be dropped whole (or held
 * whole), and B fits; then with six more posted, when both fit. Every run of
 * events the device delivers must be one of the updates, complete. */
#include <stdio.h>
#include <string.h>

#include "dev_input.h"
#include "dev_note.h"
#include "vc/req_ids.h"

enum { EV_SYN = 0, EV_ABS = 3, EV_BITS = 0x11, ABS_INFO = 0x12, ABS_X = 0, ABS_Y = 1, SYN_REPORT = 0 };
#define AXES 64u          /* ABS_MAX + 1 */
#define EV_SIZE 8u
#define BATCH_BUFS 8u
#define FIRST_WAIT_MS 1000u /* the runner answers within tens of ms */
#define NEXT_WAIT_MS 100u
#define A_X 0x1234u
#define A_Y 0x2345u
#define B_X 0x777u

static int32_t s32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

void vp_input_abs_ranges(vp_drv *v)
{
    vp_report *r = v->c->rep;
    uint8_t bits[129] = {0}, u[129];
    char ob[160];
    unsigned nb = vp_input_query(v, EV_BITS, EV_ABS, bits), axes = 0, bad = 0, absent = AXES;
    for (unsigned a = 0; a < AXES; a++) {
        bool has = a / 8 < nb && (bits[a / 8] >> (a % 8) & 1);
        if (!has) {
            if (absent == AXES)
                absent = a;
            continue;
        }
        axes++;
        memset(u, 0, sizeof u);
        unsigned n = vp_input_query(v, ABS_INFO, (uint8_t)a, u);
        int32_t min = s32(u), max = s32(u + 4), fuzz = s32(u + 8), flat = s32(u + 12), res = s32(u + 16);
        int64_t span = (int64_t)max - min;
        bool ok = n == 20 && span >= 0 && fuzz >= 0 && flat >= 0 && fuzz <= span && flat <= span && res >= 0;
        if (!ok || !bad) { /* every bad axis, and the first good one as a sample */
            snprintf(ob, sizeof ob, "axis %u: size %u, min %d, max %d, fuzz %d, flat %d, res %d", a, n, min, max,
                     fuzz, flat, res);
            if (!ok || axes == 1)
                vp_expect(r, "input.config.abs_info", "", ok,
                          "size 20, min <= max, fuzz and flat within the range", ob, NULL);
        }
        bad += !ok;
    }
    if (!axes) {
        vp_check(r, "input.config.abs_info", "", VP_FAIL, "ABS_INFO for each absolute axis", "no axis in EV_BITS",
                 "EV_ABS has a bitmap of size %u", nb);
        return;
    }
    if (absent == AXES)
        return;
    unsigned n = vp_input_query(v, ABS_INFO, (uint8_t)absent, u);
    snprintf(ob, sizeof ob, "size %u", n);
    char detail[48];
    snprintf(detail, sizeof detail, "ABS_INFO for axis %u, not in EV_BITS", absent);
    vp_expect(r, "input.config.abs_info_absent", REQ_DEV_INPUT_INIT_1, n == 0, "size 0", ob, detail);
}

typedef struct batch {
    vp_drv *v;
    uint64_t buf;
    uint32_t tok[BATCH_BUFS];
    unsigned posted;
    uint8_t ev[2 * BATCH_BUFS][EV_SIZE]; /* what came back, in used order */
    unsigned got;
} batch;

static bool post(batch *b, unsigned n)
{
    char err[128];
    for (; n && b->posted < BATCH_BUFS; n--, b->posted++) {
        vc_seg sg = {b->buf + EV_SIZE * b->posted, EV_SIZE, true};
        memset(vp_drv_host(b->v, sg.addr, EV_SIZE), 0xee, EV_SIZE);
        if (!vp_report_rt(b->v, "input.batch.post", REQ_DRV_INPUT_OP_2,
                          vp_drv_post(b->v, VP_INPUT_Q_EVENT, &sg, 0, 1, false, &b->tok[b->posted], err,
                                      sizeof err), err))
            return false;
    }
    return true;
}

/* Takes used event buffers until syns SYN_REPORTs came in this call, or
 * nothing more comes in time. false after a reported failure. */
static bool collect(batch *b, unsigned syns)
{
    char err[128];
    unsigned seen = 0, wait = FIRST_WAIT_MS;
    while (seen < syns && b->got < 2 * BATCH_BUFS) {
        uint32_t t, len;
        vp_rt rt = vp_drv_wait(b->v, VP_INPUT_Q_EVENT, wait, &t, &len, err, sizeof err);
        if (rt == VP_RT_TIMEOUT)
            return true;
        if (!vp_report_rt(b->v, "input.batch.event", "", rt, err))
            return false;
        unsigned i = 0;
        while (i < b->posted && b->tok[i] != t)
            i++;
        if (i == b->posted || len != EV_SIZE) {
            char ob[48];
            snprintf(ob, sizeof ob, "token 0x%x, length %u", t, len);
            vp_check(b->v->c->rep, "input.batch.event", REQ_DEV_VQ_USED_2, VP_FAIL, "a posted buffer, 8 bytes", ob,
                     NULL);
            return false;
        }
        const uint8_t *e = vp_drv_host(b->v, b->buf + EV_SIZE * i, EV_SIZE);
        memcpy(b->ev[b->got++], e, EV_SIZE);
        seen += e[0] == EV_SYN && e[1] == 0 && e[2] == SYN_REPORT && e[3] == 0;
        wait = NEXT_WAIT_MS;
    }
    return true;
}

/* Splits events [from, to) at SYN_REPORT; counts the updates A and B and
 * anything else (a partial update). Describes them in ob. */
static unsigned judge(const batch *b, unsigned from, unsigned to, unsigned *na, unsigned *nb, char *ob, size_t len)
{
    unsigned other = 0, start = from;
    size_t o = 0;
    ob[0] = 0;
    *na = *nb = 0;
    for (unsigned i = from; i < to; i++) {
        const uint8_t *e = b->ev[i];
        uint16_t type = (uint16_t)(e[0] | e[1] << 8), code = (uint16_t)(e[2] | e[3] << 8);
        int32_t val = s32(e + 4);
        if (o < len)
            o += (size_t)snprintf(ob + o, len - o, "%s%u/%u/0x%x", i > from ? " " : "", type, code, (unsigned)val);
        bool syn = type == EV_SYN && code == SYN_REPORT;
        if (!syn && i + 1 < to)
            continue;
        unsigned n = i - start + (syn ? 0 : 1);
        const uint8_t *f = b->ev[start];
        bool is_x = n >= 1 && f[0] == EV_ABS && f[2] == ABS_X;
        bool a = syn && n == 2 && is_x && (uint32_t)s32(f + 4) == A_X && b->ev[start + 1][0] == EV_ABS &&
                 b->ev[start + 1][2] == ABS_Y && (uint32_t)s32(b->ev[start + 1] + 4) == A_Y;
        bool bb = syn && n == 1 && is_x && (uint32_t)s32(f + 4) == B_X;
        *na += a;
        *nb += bb;
        other += !a && !bb;
        start = i + 1;
    }
    if (from == to)
        snprintf(ob, len, "nothing");
    return other;
}

void vp_input_batches(vp_drv *v)
{
    static char done[sizeof v->d->fn->addr]; /* one device's personalities run in a row: once per device */
    vp_report *r = v->c->rep;
    char ob[256], ex[96];
    if (!strcmp(done, v->d->fn->addr))
        return;
    snprintf(done, sizeof done, "%s", v->d->fn->addr);
    batch b = {.v = v, .buf = vp_drv_alloc(v, EV_SIZE * BATCH_BUFS, 8)};
    if (!b.buf) {
        vp_check(r, "input.arena", "", VP_ERROR, NULL, NULL, "DMA arena exhausted");
        return;
    }
    if (!post(&b, 2))
        return;
    if (!vp_note_ask(v->c, v->d, "input-abs-batch")) {
        vp_check(r, "input.batch.short_queue", "", VP_SKIP, NULL, NULL, "no runner injects input events");
        vp_check(r, "input.batch.whole", "", VP_SKIP, NULL, NULL, "no runner injects input events");
        return;
    }
    if (!collect(&b, 1))
        return;
    unsigned first = b.got, na, nb;
    unsigned other = judge(&b, 0, first, &na, &nb, ob, sizeof ob);
    /* A (3 events) cannot fit in 2 buffers: dropped whole, or held whole */
    vp_expect(r, "input.batch.short_queue", REQ_DEV_INPUT_OP_2 "," REQ_DEV_INPUT_OP_3, !other && !na,
              "update B whole (A dropped or held whole), or nothing", ob,
              "two event buffers for updates of 3 and 2 events");
    if (!post(&b, BATCH_BUFS - 2) || !vp_note_ask(v->c, v->d, "input-abs-batch") || !collect(&b, 2))
        return;
    other += judge(&b, first, b.got, &na, &nb, ob, sizeof ob);
    snprintf(ex, sizeof ex, "A then B, whole (A: 3/0/0x%x 3/1/0x%x 0/0/0x0)", A_X, A_Y);
    if (!other && !na && !nb && b.got == 0) {
        vp_check(r, "input.batch.whole", "", VP_SKIP, ex, ob, "no event came: the runner did not answer");
        return;
    }
    vp_expect(r, "input.batch.whole", REQ_DEV_INPUT_OP_2 "," REQ_DEV_INPUT_OP_3, !other && na >= 1 && nb >= 1, ex,
              ob, "type/code/value; eight event buffers");
}
