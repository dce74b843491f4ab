/* Control-plane sequence player (ctl_play.h). */
#include "ctl_play.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_player.h"
#include "ctl_seq.h"
#include "ctl_text.h"
#include "drv.h"
#include "refdev/device.h"
#include "replay_dev.h"
#include "vc/ring.h"

#define MAX_WAIT_MS 1000u       /* any one wait of a sequence, whatever it asks */
/* A whole sequence: the runner takes 5 s without a record for a hung VMM,
 * and the liveness check after the sequence needs its share. */
#define BUDGET_MS 2500u
#define MAX_FILE (VC_CTL_HDR + VC_CTL_REQ_LEN * VC_CTL_MAX_REQS + VC_CTL_REC * VC_CTL_MAX_OPS)
#define MSIX_ENABLE 0x8000u
#define MSIX_FMASK 0x4000u

static void checked(ctl_player *p, const char *req)
{
    p->evaluated++;
    if (!req || !*req || !strcmp(req, VC_CTL_REQ_NONE))
        return;
    for (unsigned i = 0; i < p->nchecked; i++)
        if (!strcmp(p->checked[i], req))
            return;
    if (p->nchecked < VC_CTL_MAX_REQS)
        p->checked[p->nchecked++] = req;
}

static __attribute__((format(printf, 5, 6))) void violate(ctl_player *p, const vc_ctl_op *o, const char *expected,
                                                          const char *observed, const char *fmt, ...)
{
    const char *req = vc_ctl_op_req(p->s, o);
    p->vreq = *req && strcmp(req, VC_CTL_REQ_NONE) != 0 ? req : NULL;
    snprintf(p->expected, sizeof p->expected, "%s", expected);
    snprintf(p->observed, sizeof p->observed, "%s", observed);
    int n = snprintf(p->detail, sizeof p->detail, "op %u (%s", p->at + 1, vc_ctl_op_name(o->op));
    if (vc_ctl_op_named(o->op))
        n += snprintf(p->detail + n, sizeof p->detail - (size_t)n, " %s", vc_ctl_reg_get(o->target)->name);
    else if (o->op == VC_CTL_READ)
        n += snprintf(p->detail + n, sizeof p->detail - (size_t)n, " %s+0x%" PRIx32 "/%u%s",
                      vc_ctl_space_name(o->target), o->off, o->width,
                      o->flags & VC_CTL_OF_WINDOW ? " via window" : "");
    n += snprintf(p->detail + n, sizeof p->detail - (size_t)n, "): ");
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof p->detail)
        vsnprintf(p->detail + n, sizeof p->detail - (size_t)n, fmt, ap);
    va_end(ap);
    /* no rule named: a request, reset or init that failed means the device
     * stopped doing its job; any other expectation gives no verdict */
    bool liveness = o->op == VC_CTL_REQUEST || o->op == VC_CTL_RESET || o->op == VC_CTL_INIT;
    if (!p->vreq && liveness)
        snprintf(p->wedged, sizeof p->wedged, "during the sequence: %s", p->detail);
    else if (!p->vreq)
        snprintf(p->skip, sizeof p->skip, "an expectation naming no requirement did not hold: %s", p->detail);
    p->stop = true;
}

static unsigned bound_ms(const vc_ctl_op *o)
{
    return o->aux < MAX_WAIT_MS ? o->aux : MAX_WAIT_MS;
}

/* The op's value with what plus= makes it relative to. */
static uint64_t rel(const ctl_player *p, const vc_ctl_op *o, uint64_t v)
{
    if (o->flags & VC_CTL_OF_PLUS_TQ)
        v += p->tq;
    if (o->flags & VC_CTL_OF_PLUS_NQ)
        v += p->nq;
    if (o->flags & VC_CTL_OF_PLUS_NV)
        v += p->nv;
    return v;
}

/* ---- expectations ---- */

static ctl_seen *find_seen(ctl_player *p, const vc_ctl_op *o)
{
    for (unsigned i = 0; i < p->nseen; i++) {
        ctl_seen *s = &p->seen[i];
        if (s->op == (vc_ctl_op_named(o->op) ? 1 : 2) && s->target == o->target && s->width == o->width &&
            s->off == o->off && s->aux == o->aux && s->queue == o->queue)
            /* a place, whichever way it is reached: direct or through the window */
            return s;
    }
    return NULL;
}

static void judge_read(ctl_player *p, const vc_ctl_op *o, uint64_t v)
{
    ctl_seen *s = find_seen(p, o);
    uint64_t m = vc_ctl_op_mask(o), want = rel(p, o, o->value);
    unsigned rw = vc_ctl_op_named(o->op) ? vc_ctl_reg_width(o->target, p->t->legacy) : 8;
    if (rw < 8)
        m &= (1ull << (8 * rw)) - 1; /* a named register is as wide as it is */
    char ex[96], ob[96];
    snprintf(ob, sizeof ob, "0x%" PRIx64, v);
    switch (o->expect) {
    case VC_CTL_E_eq:
    case VC_CTL_E_ne:
        checked(p, vc_ctl_op_req(p->s, o));
        if (((v & m) == (want & m)) != (o->expect == VC_CTL_E_eq)) {
            snprintf(ex, sizeof ex, "%s0x%" PRIx64 " under mask 0x%" PRIx64, o->expect == VC_CTL_E_eq ? "" : "not ",
                     want & m, m);
            violate(p, o, ex, ob, "read 0x%" PRIx64 ", expected %s", v, ex);
        }
        break;
    case VC_CTL_E_oneof: {
        checked(p, vc_ctl_op_req(p->s, o));
        bool ok = (v & m) == (want & m);
        int n = snprintf(ex, sizeof ex, "one of 0x%" PRIx64, want & m);
        for (uint32_t i = p->at + 1; i < p->s->nops && p->s->ops[i].op == VC_CTL_ALSO; i++) {
            uint64_t a = rel(p, &p->s->ops[i], p->s->ops[i].value) & m;
            ok |= (v & m) == a;
            if (n > 0 && (size_t)n < sizeof ex)
                n += snprintf(ex + n, sizeof ex - (size_t)n, ", 0x%" PRIx64, a);
        }
        if (!ok)
            violate(p, o, ex, ob, "read 0x%" PRIx64 ", expected %s", v, ex);
        break;
    }
    case VC_CTL_E_unchanged:
        if (s) {
            checked(p, vc_ctl_op_req(p->s, o));
            if (s->v != v) {
                snprintf(ex, sizeof ex, "0x%" PRIx64 " (as read before)", s->v);
                violate(p, o, ex, ob, "read 0x%" PRIx64 ", earlier 0x%" PRIx64, v, s->v);
            }
        }
        break;
    default: break;
    }
    if (!s && p->nseen < CTL_MAX_SEEN)
        s = &p->seen[p->nseen++];
    if (s)
        *s = (ctl_seen){(uint8_t)(vc_ctl_op_named(o->op) ? 1 : 2), o->target, o->width, o->flags, o->queue, o->off,
                    o->aux, v};
}

/* ---- operations ---- */

static bool reset_wait(ctl_player *p, unsigned ms, uint8_t *st)
{
    vp_tp *t = p->t;
    vp_tp_set_status(t, 0);
    double end = vp_now_ms() + ms;
    while ((*st = vp_tp_status(t)) != 0 && !t->io_err && vp_now_ms() < end)
        rp_sleep_us(100);
    memset(p->qset, 0, sizeof p->qset);
    return *st == 0 && !t->io_err;
}

/* A fresh driver session: the arena cleared, the ring area first in it. */
static bool session(ctl_player *p)
{
    ctl_forget_queues(p);
    bool ok = vp_drv_reset(&p->v, p->c, p->d, p->t, p->t->legacy ? "legacy" : "modern");
    p->ring = vp_drv_alloc(&p->v, CTL_RING_AREA, 4096);
    return ok && p->ring;
}

static void op_init(ctl_player *p, const vc_ctl_op *o)
{
    if (!session(p)) {
        checked(p, vc_ctl_op_req(p->s, o));
        violate(p, o, "status 0 after a reset", "non-zero", "the device did not reset");
        return;
    }
    uint64_t want = o->value & p->offered;
    if (p->t->legacy)
        want &= 0xffffffffull & ~(1ull << VC_F_VERSION_1);
    else
        want |= p->offered & 1ull << VC_F_VERSION_1;
    uint8_t st = vp_drv_negotiate(&p->v, want);
    if (p->t->io_err) {
        ctl_skip(p, "BAR access failed");
        return;
    }
    if (p->t->legacy || (o->expect != VC_CTL_E_eq && o->expect != VC_CTL_E_ne))
        return; /* no FEATURES_OK in legacy */
    checked(p, vc_ctl_op_req(p->s, o));
    bool kept = st & VC_STATUS_FEATURES_OK;
    if (kept != (o->expect == VC_CTL_E_eq)) {
        char ob[32];
        snprintf(ob, sizeof ob, "status 0x%02x", st);
        violate(p, o, kept ? "FEATURES_OK refused" : "FEATURES_OK kept", ob, "features 0x%" PRIx64 ": %s", want,
                kept ? "FEATURES_OK stayed set" : "the device refused FEATURES_OK");
    }
}

static void op_qsetup(ctl_player *p, const vc_ctl_op *o)
{
    unsigned q = ctl_queue_of(p, o);
    char err[128];
    if (q >= VP_DRV_QUEUES) {
        ctl_skip(p, "queue %u is beyond the probe's %u", q, VP_DRV_QUEUES);
        return;
    }
    if (p->v.q_live[q]) {
        vc_vq_drv_free(&p->v.q[q]);
        p->v.q_live[q] = false;
    }
    uint64_t size = rel(p, o, o->value);
    if (!vp_drv_queue(&p->v, q, size && size < 0x10000 ? (uint16_t)size : 0xffff, err, sizeof err)) {
        ctl_skip(p, "QSETUP: %s", err);
        return;
    }
    p->qset[q] = true;
}

static void op_notify(ctl_player *p, const vc_ctl_op *o)
{
    unsigned q = ctl_queue_of(p, o);
    char why[200];
    if (!ctl_rings_safe(p, q, false, why, sizeof why)) {
        ctl_skip(p, "not notified: %s", why);
        return;
    }
    uint64_t v = o->value ? rel(p, o, o->value) : q;
    vp_tp *t = p->t;
    if (t->legacy) {
        ctl_bar_wr(p, 0, VC_LG_NOTIFY, 2, v);
        return;
    }
    uint64_t sel = vp_tp_rd(t, &t->common, VC_CC_QSELECT, 2);
    vp_tp_wr(t, &t->common, VC_CC_QSELECT, 2, q);
    uint64_t noff = vp_tp_rd(t, &t->common, VC_CC_QNOTIFYOFF, 2);
    vp_tp_wr(t, &t->common, VC_CC_QSELECT, 2, sel);
    ctl_bar_wr(p, t->notify.bar, t->notify.off + noff * t->notify_mult, 2, v);
}

static void op_request(ctl_player *p, const vc_ctl_op *o)
{
    unsigned q = ctl_queue_of(p, o);
    if (q != p->tq) {
        ctl_skip(p, "the known-good request goes to the %s (queue %u), not queue %u", p->tg->what, p->tq, q);
        return;
    }
    if (!p->v.q_live[q]) { /* the player's ring; whether the device still knows it is the test's business */
        ctl_skip(p, "REQUEST needs QSETUP of queue %u first", q);
        return;
    }
    kg k;
    uint64_t page = vp_drv_alloc(&p->v, 4096, 4096), buf = vp_drv_alloc(&p->v, 1024, 64);
    if (!page || !buf) {
        ctl_skip(p, "the DMA arena is exhausted");
        return;
    }
    rp_known_good(p->d->type, p->t->legacy, page, &k);
    vc_seg sg[3];
    unsigned ns = 0;
    if (k.nout) {
        memcpy(vp_drv_host(&p->v, buf, k.nout), k.out, k.nout);
        sg[ns++] = (vc_seg){buf, k.nout, false};
    }
    uint64_t at = buf + 128;
    for (unsigned i = 0; i < k.nin; at += k.in[i], i++)
        sg[ns++] = (vc_seg){at, k.in[i], true};
    char err[128] = "";
    uint32_t token, got = 0, len;
    p->v.bad_len[q] = true; /* lengths are not what a control-plane sequence judges */
    vp_rt rt = vp_drv_post(&p->v, q, sg, k.nout ? 1 : 0, k.nin, false, &token, err, sizeof err);
    if (rt == VP_RT_DRIVER) {
        ctl_skip(p, "REQUEST: %s", err);
        return;
    }
    if (o->expect != VC_CTL_E_eq && o->expect != VC_CTL_E_ne)
        return; /* sent, not waited for */
    if (rt == VP_RT_OK)
        rt = vp_drv_wait(&p->v, q, bound_ms(o), &got, &len, err, sizeof err);
    checked(p, vc_ctl_op_req(p->s, o));
    bool done = rt == VP_RT_OK || rt == VP_RT_DEVICE_BAD;
    if (o->expect == VC_CTL_E_eq && !done)
        violate(p, o, "the request completes", vp_rt_name(rt), "the known-good request on the %s did not complete "
                "within %u ms (%s)", p->tg->what, bound_ms(o), err);
    else if (o->expect == VC_CTL_E_ne && done)
        violate(p, o, "the request stays unused", "used", "the device served the known-good request on the %s",
                p->tg->what);
}

static void op_msix(ctl_player *p, const vc_ctl_op *o)
{
    vp_dev *d = p->d;
    if (d->msix_pos < 0) {
        ctl_skip(p, "the device has no MSI-X capability");
        return;
    }
    uint16_t ctl = 0;
    vp_cfg16(d->fn, (unsigned)d->msix_pos + 2, &ctl);
    if (!p->msix_touched)
        p->msix_ctl0 = ctl, p->msix_touched = true;
    /* on with every vector masked: no message is ever sent */
    ctl = o->value ? (uint16_t)(ctl | MSIX_ENABLE | MSIX_FMASK) : (uint16_t)(ctl & ~(MSIX_ENABLE | MSIX_FMASK));
    if (!d->fn->ops->cfg_write(d->fn, (unsigned)d->msix_pos + 2, 2, ctl)) {
        ctl_skip(p, "the MSI-X control write failed");
        return;
    }
    d->msix_enabled = o->value != 0;
    if (p->t->legacy) { /* device configuration moves with MSI-X */
        p->t->legacy_cfg = d->msix_enabled ? VC_LG_CFG_MSIX : VC_LG_CFG;
        p->t->device.off = p->t->legacy_cfg;
        p->t->device.len = p->t->bar0_size > p->t->legacy_cfg ? p->t->bar0_size - p->t->legacy_cfg : 0;
    }
}

static void msix_restore(ctl_player *p)
{
    if (!p->msix_touched)
        return;
    vp_dev *d = p->d;
    d->fn->ops->cfg_write(d->fn, (unsigned)d->msix_pos + 2, 2, p->msix_ctl0 & (MSIX_ENABLE | MSIX_FMASK));
    vc_ctl_op off = {.op = VC_CTL_MSIX, .value = (p->msix_ctl0 & MSIX_ENABLE) != 0};
    op_msix(p, &off);
}

static void op_wait(ctl_player *p, const vc_ctl_op *o)
{
    uint64_t v = 0, m = vc_ctl_op_mask(o), want = rel(p, o, o->value);
    double end = vp_now_ms() + bound_ms(o);
    unsigned backoff = 50;
    for (;;) {
        if (!ctl_reg_rd(p, o->target, &v))
            return;
        if ((v & m) == (want & m))
            break;
        if (vp_now_ms() > end) {
            if (o->flags & VC_CTL_OF_SOFT)
                return;
            checked(p, vc_ctl_op_req(p->s, o));
            char ex[64], ob[32];
            snprintf(ex, sizeof ex, "0x%" PRIx64 " under mask 0x%" PRIx64 " within %u ms", want & m, m, bound_ms(o));
            snprintf(ob, sizeof ob, "0x%" PRIx64, v);
            violate(p, o, ex, ob, "still 0x%" PRIx64 " after %u ms", v, bound_ms(o));
            return;
        }
        rp_sleep_us(backoff);
        if (backoff < 1000)
            backoff *= 2;
    }
    if (!(o->flags & VC_CTL_OF_SOFT))
        checked(p, vc_ctl_op_req(p->s, o));
}

static void play_op(ctl_player *p, const vc_ctl_op *o)
{
    uint64_t v;
    uint8_t st;
    switch (o->op) {
    case VC_CTL_RD:
        if (ctl_reg_rd(p, o->target, &v))
            judge_read(p, o, v);
        break;
    case VC_CTL_WR: ctl_reg_wr(p, o->target, rel(p, o, o->value)); break;
    case VC_CTL_READ:
        if (ctl_raw(p, o, false, &v))
            judge_read(p, o, v);
        break;
    case VC_CTL_WRITE:
        v = rel(p, o, o->value);
        ctl_raw(p, o, true, &v);
        break;
    case VC_CTL_ALSO: break; /* read with the oneof before it */
    case VC_CTL_WAIT: op_wait(p, o); break;
    case VC_CTL_SLEEP: rp_sleep_us(bound_ms(o) * 1000u); break;
    case VC_CTL_RESET:
        if (!reset_wait(p, bound_ms(o), &st)) {
            checked(p, vc_ctl_op_req(p->s, o));
            char ob[32];
            snprintf(ob, sizeof ob, "status 0x%02x", st);
            violate(p, o, "status 0 after the reset", ob, "status 0x%02x %u ms after writing 0", st, bound_ms(o));
        } else if (o->expect != VC_CTL_E_none) {
            checked(p, vc_ctl_op_req(p->s, o));
        }
        break;
    case VC_CTL_INIT: op_init(p, o); break;
    case VC_CTL_QSETUP: op_qsetup(p, o); break;
    case VC_CTL_NOTIFY: op_notify(p, o); break;
    case VC_CTL_REQUEST: op_request(p, o); break;
    case VC_CTL_MSIX: op_msix(p, o); break;
    case VC_CTL_FEATURES: vp_tp_set_driver_features(p->t, rel(p, o, o->value)); break;
    default: break;
    }
    if (p->t->io_err && !p->stop)
        ctl_skip(p, "a BAR access failed");
}

/* ---- one sequence ---- */

static bool is_text(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((b[i] < 0x20 && b[i] != '\n' && b[i] != '\t' && b[i] != '\r') || b[i] >= 0x7f)
            return false;
    return n > 0;
}

static bool load(const char *path, vc_ctl_seq *s, char *err, size_t n)
{
    static uint8_t buf[MAX_FILE + 1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, n, "%s", strerror(errno));
        return false;
    }
    size_t len = fread(buf, 1, MAX_FILE, f);
    fclose(f);
    if (!is_text(buf, len)) {
        vc_ctl_decode(buf, len, s);
        return true;
    }
    FILE *mf = fmemopen(buf, len, "r");
    if (!mf) {
        snprintf(err, n, "%s", strerror(errno));
        return false;
    }
    bool ok = vc_ctl_parse(mf, s, err, n);
    fclose(mf);
    return ok;
}

bool vp_ctl_is_seq(const char *name, const char *path)
{
    size_t n = strlen(name);
    if (n > 4 && !strcmp(name + n - 4, ".ctl"))
        return true;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char head[64] = "";
    size_t got = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[got] = 0;
    const char *p = head;
    while (*p == '#' || *p == '\n' || *p == ' ' || *p == '\t' || *p == '\r') { /* comments first */
        if (*p == '#')
            p += strcspn(p, "\n");
        else
            p++;
    }
    return !strncmp(p, "ctl", 3) && (p[3] == ' ' || p[3] == '\n' || p[3] == '\t' || p[3] == '\r' || !p[3]);
}

static unsigned mode_bit(const char *mode)
{
    return !strcmp(mode, "legacy") ? VC_CTL_M_LEGACY : !strcmp(mode, "transitional") ? VC_CTL_M_TRANSITIONAL
                                                                                     : VC_CTL_M_MODERN;
}

/* Whether the sequence applies here; why not in p->skip. */
static bool applies(ctl_player *p, vp_tp *tm, vp_tp *tl)
{
    const vc_ctl_seq *s = p->s;
    bool legacy;
    if (!vc_ctl_plays_in(s, mode_bit(p->d->mode), &legacy)) {
        snprintf(p->skip, sizeof p->skip, "the sequence is not for %s devices (modes 0x%x, interface %s)", p->d->mode,
                 s->modes, vc_ctl_iface_name(s->iface));
        return false;
    }
    if (s->types) {
        unsigned i = 0;
        while (vc_ctl_type_name(i) && strcmp(vc_ctl_type_name(i), p->d->type) != 0)
            i++;
        if (!vc_ctl_type_name(i) || !(s->types & 1u << i)) {
            snprintf(p->skip, sizeof p->skip, "the sequence is not for %s devices", p->d->type);
            return false;
        }
    }
    p->t = legacy ? tl : tm;
    if (!p->t) {
        snprintf(p->skip, sizeof p->skip, "the %s interface is not usable here", legacy ? "legacy" : "modern");
        return false;
    }
    return true;
}

/* Whether the sequence ended with what the liveness check does: a reset
 * (INIT), the request queue set up, DRIVER_OK, and a known-good request
 * that had to complete and did (the player stopped otherwise). Then the
 * check after it would only repeat that (TCG makes each one cost). */
static bool ends_alive(const vc_ctl_seq *s)
{
    uint32_t i = s->nops;
    if (!i || s->ops[i - 1].op != VC_CTL_REQUEST || s->ops[i - 1].expect != VC_CTL_E_eq)
        return false;
    while (i-- > 0) {
        const vc_ctl_op *o = &s->ops[i];
        if (o->op == VC_CTL_INIT)
            return true;
        bool setup = o->op == VC_CTL_QSETUP || (o->op == VC_CTL_WR && o->target == VC_CTL_R_status) ||
                     (o->op == VC_CTL_REQUEST && o->expect == VC_CTL_E_eq);
        if (!setup)
            return false;
    }
    return false;
}

static void note_begin(vp_report *rep, const char *addr, const char *name)
{
    vp_json j;
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "note");
    vp_json_str(&j, "event", "begin");
    vp_json_str(&j, "addr", addr);
    vp_json_str(&j, "scenario", name);
    vp_report_record(rep, vp_json_close(&j));
}

static void emit(ctl_player *p)
{
    vp_report *rep = p->c->rep;
    rep->scenario = p->name;
    const char *spec = p->s ? vc_ctl_spec_name(p->s->spec) : "?";
    if (p->vreq) {
        rep->outcome = "violates";
        vp_check(rep, "ctl.expect", p->vreq, VP_FAIL, p->expected, p->observed, "%s (spec: %s)", p->detail, spec);
    }
    if (p->wedged[0]) {
        rep->outcome = "wedged";
        vp_check(rep, "ctl.wedged", "", VP_FAIL, "an answer after a reset", "none", "%s", p->wedged);
    }
    if (!p->vreq && !p->wedged[0]) {
        if (p->skip[0]) {
            rep->outcome = "skipped";
            vp_check(rep, "ctl", "", VP_SKIP, NULL, NULL, "%s", p->skip);
        } else {
            char reqs[VC_CTL_MAX_REQS * (VC_CTL_REQ_LEN + 1) + 1] = "";
            for (unsigned i = 0; i < p->nchecked; i++)
                snprintf(reqs + strlen(reqs), sizeof reqs - strlen(reqs), "%s%s", i ? "," : "", p->checked[i]);
            char ob[64];
            snprintf(ob, sizeof ob, "%u expectation(s) held, alive after", p->evaluated);
            rep->outcome = "conforms";
            vp_check(rep, "ctl", reqs, VP_PASS, NULL, ob, "%u op(s); spec: %s", p->s->nops, spec);
        }
    }
    rep->scenario = rep->outcome = NULL;
}

bool vp_ctl_play_file(vp_ctx *c, vp_dev *d, vp_tp *tm, vp_tp *tl, const char *name, const char *path)
{
    static vc_ctl_seq s;
    static ctl_player p;
    bool dead = false; /* not even a reset and one request after it: the device is not judged further */
    memset(&p, 0, sizeof p);
    p.c = c, p.d = d, p.tm = tm, p.name = name;
    p.tg = rp_target_find(d->type);
    char err[200];
    note_begin(c->rep, d->fn->addr, name);
    if (!load(path, &s, err, sizeof err)) {
        snprintf(p.skip, sizeof p.skip, "does not parse: %s", err);
        emit(&p);
        return false;
    }
    p.s = &s;
    if (!p.tg) {
        snprintf(p.skip, sizeof p.skip, "the probe has no known-good request for %s devices", d->type);
    } else if (!c->have_dma) {
        snprintf(p.skip, sizeof p.skip, "%s", c->dma_err);
    } else if (applies(&p, tm, tl)) {
        p.tq = p.tg->queue;
        p.nv = d->msix_pos >= 0 ? d->msix_size : 0;
        if (!session(&p)) {
            snprintf(p.skip, sizeof p.skip, "the device did not reset before the sequence");
        } else {
            p.offered = vp_tp_device_features(p.t);
            p.nq = vp_tp_num_queues(p.t);
            uint64_t missing = s.features & ~p.offered;
            if (missing)
                snprintf(p.skip, sizeof p.skip, "the device does not offer feature bit %d%s", __builtin_ctzll(missing),
                         p.t->legacy ? " through the legacy interface" : "");
            double deadline = vp_now_ms() + BUDGET_MS;
            for (p.at = 0; !missing && p.at < s.nops && !p.stop; p.at++) {
                const vc_ctl_op *o = &s.ops[p.at];
                bool waits = o->op == VC_CTL_WAIT || o->op == VC_CTL_SLEEP || o->op == VC_CTL_RESET ||
                             o->op == VC_CTL_REQUEST;
                if (vp_now_ms() + (waits ? bound_ms(o) : 0) > deadline) { /* never a wait cut short */
                    ctl_skip(&p, "the sequence would run past its %u ms budget", BUDGET_MS);
                    break;
                }
                play_op(&p, o);
            }
            bool proven = !missing && !p.stop && !p.msix_touched && ends_alive(&s);
            msix_restore(&p);
            vp_drv_done(&p.v);
            char why[160];
            if (!proven && !rp_alive(c, d, p.t, p.tg, why, sizeof why)) {
                snprintf(p.wedged, sizeof p.wedged, "after the sequence: %s", why);
                dead = true;
            }
        }
    }
    emit(&p);
    return dead;
}
