/* Scenario replay on one device (replay.h). */
#include "replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_play.h"
#include "oracle.h"
#include "refdev/device.h"
#include "replay_dev.h"
#include "replay_mem.h"
#include "scn_play.h"
#include "usedchk.h"
#include "vc/req_ids.h"
#include "vc/ring.h"

#define MAX_FINDINGS 4
#define MAX_ALLOWED 256
#define TABLE_DEPTH 3            /* indirect tables the safety scan follows */
#define ARENA_RESERVE (128u << 10) /* arena bytes before the replay area: the liveness requests' */
#define MAX_EXPECT_WAIT_MS 300u /* for chains that must come back: keeps a scenario within a few seconds */

typedef struct finding {
    const char *kind, *req;
    char detail[200];
} finding;

typedef struct rp {
    vp_ctx *c;
    vp_dev *d;
    vp_tp *t;
    const rp_target *tg;
    rp_mem *m;
    const vc_scenario *s;
    const vp_scnmeta *meta;
    const char *name;
    vc_scn_play play;
    vc_oracle o;
    vc_usedchk uc;
    uint64_t desc, driver, device; /* arena addresses of the rings */
    bool packed;
    uint64_t features;
    /* what the verdict oracle found made available */
    vc_err refusal;                /* the first forbidden chain's code, VC_OK none */
    vc_err first_refusal;          /* the same over the whole scenario (queue resets clear refusal) */
    unsigned nvalid, nused;
    uint16_t *expect;              /* per id: valid chains that must come back */
    unsigned expect_out;
    rp_range allowed[MAX_ALLOWED]; /* where the device may write */
    unsigned nallowed;
    bool allow_any_writable;       /* too many ranges, or past a forbidden chain */
    /* what happened */
    bool needs_reset, tolerated;
    bool saw_needs_reset;          /* at some kick (queue resets clear needs_reset) */
    bool halted;                   /* refused: ops wait for the scenario's next queue reset */
    bool stop;                     /* cannot go on (placement, BAR access) */
    unsigned kicks;
    finding f[MAX_FINDINGS];
    unsigned nf;
    char skip[200], wedged[200], note[160];
} rp;

static __attribute__((format(printf, 4, 5))) void add_finding(rp *r, const char *kind, const char *req,
                                                              const char *fmt, ...)
{
    for (unsigned i = 0; i < r->nf; i++)
        if (!strcmp(r->f[i].kind, kind))
            return; /* one of a kind per scenario is enough to name it */
    if (r->nf == MAX_FINDINGS)
        return;
    finding *x = &r->f[r->nf++];
    x->kind = kind;
    x->req = req;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof x->detail, fmt, ap);
    va_end(ap);
}

/* begin: before a scenario touches the device; kick: before each notify.
 * The runner pins a VMM crash or hang on the last one, and a VM whose
 * records stop for a few seconds is hung. */
static void note(vp_report *rep, const char *event, const char *addr, const char *name, unsigned kick)
{
    vp_json j;
    vp_json_open(&j);
    vp_json_uint(&j, "v", VP_PROTOCOL_VERSION);
    vp_json_str(&j, "type", "note");
    vp_json_str(&j, "event", event);
    vp_json_str(&j, "addr", addr);
    vp_json_str(&j, "scenario", name);
    if (kick)
        vp_json_uint(&j, "kick", kick);
    vp_report_record(rep, vp_json_close(&j));
}

/* ---- the used ring, as fuzz/usedchk.c reads it ---- */

static void on_used(void *ctx, uint16_t id, uint32_t len)
{
    rp *r = ctx;
    r->nused++;
    if (id < r->s->qsize && r->expect[id]) {
        r->expect[id]--;
        r->expect_out--;
    }
}

static void on_uc_finding(void *ctx, const char *kind, const char *req, const char *detail)
{
    rp *r = ctx;
    bool unknown = !strcmp(kind, "used-unknown-chain") || !strcmp(kind, "used-index-jump");
    if (unknown && r->refusal != VC_OK) {
        /* past a chain only the driver's rules forbid: the device took it */
        r->tolerated = true;
        r->uc.lost = true;
        if (r->c->opt.replay_strict)
            add_finding(r, "accepted-forbidden-chain", vc_err_req(r->refusal, r->packed),
                        "used a chain a conforming device refuses: %s (%s)", vc_err_name(r->refusal),
                        vc_err_text(r->refusal));
        return;
    }
    add_finding(r, kind, req, "%s", detail);
}

/* The driver side wrote at a scenario address: the used ring may be lost. */
static void on_driver_write(void *ctx, uint64_t gpa, uint64_t len)
{
    rp *r = ctx;
    uint64_t a = rp_mem_arena(r->m, gpa);
    if (a)
        vc_usedchk_driver_wrote(&r->uc, a, len);
}

/* ---- writes the device made ---- */

static void on_bad_write(void *ctx, uint64_t gpa, uint64_t len, bool in_desc)
{
    rp *r = ctx;
    const char *region;
    uint64_t scn = rp_mem_scn(r->m, gpa, &region);
    const char *kind = in_desc ? "wrote-descriptor-memory" : "wrote-readable-memory";
    const char *req = r->packed ? REQ_DEV_PACKED_DESC_1 : in_desc ? REQ_DEV_VQ_DESC_2 : REQ_DEV_VQ_DESC_1;
    add_finding(r, kind, req, "%llu byte(s) changed at 0x%llx (%s 0x%llx), outside every buffer it may write",
                (unsigned long long)len, (unsigned long long)gpa, region, (unsigned long long)scn);
}

static void allow(rp *r, uint64_t gpa, uint64_t len)
{
    if (r->nallowed == MAX_ALLOWED)
        r->allow_any_writable = true;
    else
        r->allowed[r->nallowed++] = (rp_range){gpa, len};
}

static void check_writes(rp *r)
{
    static rp_range all[MAX_ALLOWED + 2048];
    unsigned n = r->nallowed;
    memcpy(all, r->allowed, n * sizeof *all);
    if (r->allow_any_writable || r->refusal != VC_OK)
        n += rp_mem_write_buffers(r->m, all + n, (unsigned)(sizeof all / sizeof *all) - n);
    rp_mem_diff(r->m, all, n, on_bad_write, r);
}

/* ---- the queue ---- */

/* Reset, features, the queue at the arena's rings, DRIVER_OK. The rings
 * are cleared in between (clear: a queue reset of the scenario). */
static bool bring_up(rp *r, bool clear)
{
    char why[160];
    if (!rp_negotiate(r->t, r->features, r->c->opt.timeout_ms, why, sizeof why)) {
        snprintf(r->skip, sizeof r->skip, "%s", why);
        return false;
    }
    if (clear) {
        vc_gmem_fill(&r->m->shadow, VC_SCN_RINGS, 0, r->play.device + 4096 - VC_SCN_RINGS);
        rp_mem_sync(r->m);
    }
    if (!vp_tp_queue_setup(r->t, r->tg->queue, r->s->qsize, r->desc, r->driver, r->device)) {
        snprintf(r->skip, sizeof r->skip, "the %s interface refused the queue set-up%s",
                 r->t->legacy ? "legacy" : "modern", r->t->io_err ? " (BAR access failed)" : "");
        return false;
    }
    rp_driver_ok(r->t);
    vc_scn_play_restart(&r->play);
    vc_oracle_init(&r->o, &r->m->img_mem, r->features | 1ull << VC_F_VERSION_1, r->s->qsize, r->desc,
                   r->driver, r->device);
    vc_usedchk_start(&r->uc, &r->m->dev_mem, r->s->qsize, r->packed, r->desc, r->device);
    memset(r->expect, 0, r->s->qsize * sizeof *r->expect);
    r->expect_out = r->nvalid = r->nused = r->nallowed = 0;
    r->refusal = VC_OK;
    r->allow_any_writable = r->needs_reset = false;
    if (r->packed) {
        allow(r, r->desc, 16ull * r->s->qsize);
        allow(r, r->device, 4);
    } else {
        allow(r, r->device, vc_split_used_bytes(r->s->qsize));
    }
    return true;
}

/* The chains that became available, as the verdict oracle reads them. */
static void take_available(rp *r)
{
    static vc_oracle_chain ch; /* large: off the stack */
    for (unsigned n = 0; r->refusal == VC_OK && n < VC_MAX_QUEUE_SIZE; n++) {
        bool got;
        vc_err e = vc_oracle_next(&r->o, &ch, &got);
        if (e != VC_OK) {
            r->refusal = e;
            if (r->first_refusal == VC_OK)
                r->first_refusal = e;
            return;
        }
        if (!got)
            return;
        vc_usedchk_took(&r->uc, ch.id, ch.writable, ch.slots);
        r->nvalid++;
        if (ch.wr_overflow)
            r->allow_any_writable = true;
        for (unsigned i = 0; i < ch.nwr; i++) {
            allow(r, ch.wr[i].gpa, ch.wr[i].len);
            vc_usedchk_writable(&r->uc, ch.wr[i].gpa, ch.wr[i].len);
        }
        if (r->tg->answers_any && (!r->tg->needs_writable || ch.writable) && ch.id < r->s->qsize) {
            r->expect[ch.id]++;
            r->expect_out++;
        }
    }
}

/* Until the device has done what it will: every expected chain back, or
 * NEEDS_RESET, or nothing new for the quiet period. */
static void wait_device(rp *r)
{
    double start = vp_now_ms(), last = start;
    unsigned used0 = r->nused, nf0 = r->nf, backoff = 50;
    unsigned cap = r->c->opt.timeout_ms < MAX_EXPECT_WAIT_MS ? r->c->opt.timeout_ms : MAX_EXPECT_WAIT_MS;
    bool expected = r->expect_out > 0;
    for (;;) {
        uint8_t st = vp_tp_status(r->t);
        vc_usedchk_poll(&r->uc);
        if (r->t->io_err) {
            snprintf(r->wedged, sizeof r->wedged, "a BAR access failed at kick %u", r->kicks);
            r->stop = true;
            return;
        }
        if (st & VC_STATUS_NEEDS_RESET) {
            r->needs_reset = true;
            return;
        }
        double now = vp_now_ms();
        if (r->nused != used0 || r->nf != nf0) {
            last = now;
            used0 = r->nused;
            nf0 = r->nf;
        }
        if (expected && !r->expect_out && r->refusal == VC_OK)
            return;
        if (r->expect_out ? now - start > cap : now - last > r->c->opt.replay_quiet_ms)
            return;
        rp_sleep_us(backoff);
        if (backoff < 1000)
            backoff *= 2;
    }
}

static void unplaceable(rp *r)
{
    snprintf(r->skip, sizeof r->skip, "%s", r->m->why);
    r->stop = true;
}

static void kick(rp *r)
{
    if (!rp_mem_sync(r->m) || !rp_mem_safe(r->m, TABLE_DEPTH)) {
        unplaceable(r);
        return;
    }
    bool fresh = r->refusal == VC_OK; /* the forbidden chain is new at this kick */
    take_available(r);
    note(r->c->rep, "kick", r->d->fn->addr, r->name, r->kicks + 1);
    vp_tp_notify(r->t, r->tg->queue);
    r->kicks++;
    wait_device(r);
    if (fresh && r->refusal != VC_OK && !r->needs_reset && r->c->opt.replay_strict)
        add_finding(r, "accepted-forbidden-chain", vc_err_req(r->refusal, r->packed),
                    "no NEEDS_RESET for a chain a conforming device refuses: %s (%s)", vc_err_name(r->refusal),
                    vc_err_text(r->refusal));
    if (r->needs_reset) {
        r->halted = true;
        r->saw_needs_reset = true;
        if (!r->t->legacy) {
            /* a running device tells the driver through a configuration
             * change (ISR bit 1 with MSI-X off, as the probe leaves it) */
            uint8_t isr = vp_tp_isr(r->t);
            if (!(isr & VC_ISR_CONFIG) && !r->d->msix_enabled)
                add_finding(r, "needs-reset-silent", REQ_DEV_STATUS_3,
                            "NEEDS_RESET set after DRIVER_OK, ISR 0x%02x: no configuration change", isr);
        }
        snprintf(r->note, sizeof r->note, "refused at kick %u (NEEDS_RESET)", r->kicks);
    }
    check_writes(r);
}

/* ---- one scenario ---- */

/* What the verdict oracle says at each kick, folded: two sizes whose
 * folds agree mean the same to a conforming device. */
static uint32_t meaning(rp_mem *m, const vc_scenario *s)
{
    static vc_scn_play p;
    static vc_oracle_chain ch;
    vc_oracle o;
    uint32_t h = 2166136261u;
#define MIX(v) (h = (h ^ (uint32_t)(v)) * 16777619u)
    rp_mem_shadow_reset(m);
    vc_scn_play_init(&p, &m->shadow, s);
    uint64_t f = vc_scn_ring_features(s);
    vc_oracle_init(&o, &m->shadow, f, s->qsize, p.desc, p.driver, p.device);
    bool dead = false;
    for (uint32_t i = 0; i < s->nops; i++) {
        const vc_scn_op *op = &s->ops[i];
        if (op->op == VC_SCN_RESET) {
            vc_gmem_fill(&m->shadow, VC_SCN_RINGS, 0, p.device + 4096 - VC_SCN_RINGS);
            vc_scn_play_restart(&p);
            vc_oracle_init(&o, &m->shadow, f, s->qsize, p.desc, p.driver, p.device);
            dead = false;
            MIX(0xfffe);
        } else if (op->op != VC_SCN_KICK) {
            vc_scn_play_op(&p, op);
        } else {
            for (unsigned n = 0; !dead && n < VC_MAX_QUEUE_SIZE; n++) {
                bool got;
                vc_err e = vc_oracle_next(&o, &ch, &got);
                if (e != VC_OK || !got) {
                    MIX(e != VC_OK ? 0x10000u + e : 0xffffu);
                    dead = e != VC_OK;
                    break;
                }
                MIX(ch.id), MIX(ch.writable), MIX(ch.writable >> 32), MIX(ch.nseg);
            }
        }
    }
#undef MIX
    return h;
}

/* The size to replay at: the scenario's, or the device's (legacy queues
 * have a fixed size, modern ones a maximum) when that means the same. */
static bool choose_size(rp *r, vc_scenario *s, uint16_t max, char *why, size_t n)
{
    uint16_t want = s->qsize;
    if (!max) {
        snprintf(why, n, "the device has no queue %u", r->tg->queue);
        return false;
    }
    if (r->t->legacy ? want == max : want <= max)
        return true;
    uint32_t a = meaning(r->m, s);
    s->qsize = max;
    if (meaning(r->m, s) == a)
        return true;
    snprintf(why, n, "the scenario's queue of %u means something else at the device's %s %u", want,
             r->t->legacy ? "fixed size" : "maximum", max);
    return false;
}

static const char *ring_name(const rp *r)
{
    return r->packed ? "packed" : "split";
}

/* What a conforming replay checked and could have failed: the used ring
 * once something was used, writes after every kick, the interrupt that
 * comes with NEEDS_RESET, the scenario's own requirement. */
static void checked_reqs(const rp *r, char *out, size_t n)
{
    const char *used = r->nused ? (r->packed ? REQ_DEV_PACKED_DESC_2 "," REQ_DEV_VQ_USED_2 : REQ_DEV_VQ_USED_1 "," REQ_DEV_VQ_USED_2)
                                : "";
    const char *writes = !r->kicks ? "" : r->packed ? REQ_DEV_PACKED_DESC_1 : REQ_DEV_VQ_DESC_1 "," REQ_DEV_VQ_DESC_2;
    snprintf(out, n, "%s%s%s%s%s%s%s", used, *used && *writes ? "," : "", writes,
             r->saw_needs_reset && !r->t->legacy ? "," REQ_DEV_STATUS_3 : "",
             r->meta->use && r->tg->answers_any && r->nvalid ? "," : "",
             r->meta->use && r->tg->answers_any && r->nvalid ? r->meta->req : "", "");
}

static void emit(rp *r, const char *name)
{
    vp_report *rep = r->c->rep;
    rep->scenario = name;
    char ob[96];
    if (r->skip[0] && !r->nf) {
        rep->outcome = "skipped";
        vp_check(rep, "replay", "", VP_SKIP, NULL, NULL, "%s", r->skip);
    } else if (r->nf || r->wedged[0]) {
        for (unsigned i = 0; i < r->nf; i++) {
            rep->outcome = "violates";
            vp_check(rep, r->f[i].kind, r->f[i].req ? r->f[i].req : "", VP_FAIL, NULL, NULL, "%s (%s ring, %u kick(s))",
                     r->f[i].detail, ring_name(r), r->kicks);
        }
        if (r->wedged[0]) {
            rep->outcome = "wedged";
            vp_check(rep, "replay.wedged", "", VP_FAIL, "an answer after a reset", "none", "%s", r->wedged);
        }
    } else {
        rep->outcome = "conforms";
        snprintf(ob, sizeof ob, "%u valid chain(s), %u used", r->nvalid, r->nused);
        char reqs[160];
        checked_reqs(r, reqs, sizeof reqs);
        vp_check(rep, "replay", reqs, r->kicks ? VP_PASS : VP_INFO, NULL, ob, "%s ring, %u kick(s)%s%s%s%s%s", ring_name(r), r->kicks,
                 r->note[0] ? "; " : "", r->note, r->first_refusal != VC_OK ? "; oracle: " : "",
                 r->first_refusal != VC_OK ? vc_err_name(r->first_refusal) : "",
                 r->tolerated ? " (tolerated: the device used it, as the spec leaves it free to)" : "");
    }
    rep->scenario = rep->outcome = NULL;
}

/* Prefixes kinds with "replay." once, for check ids. */
static const char *check_id(const char *kind)
{
    static const char *const kinds[] = {"used-unknown-chain", "used-index-jump", "used-length-too-large",
                                        "wrote-descriptor-memory", "wrote-readable-memory",
                                        "needs-reset-silent", "accepted-forbidden-chain", "refused-valid-ring",
                                        "valid-chain-not-used"};
    static const char *const ids[] = {"replay.used_unknown", "replay.used_index_jump", "replay.used_len",
                                      "replay.wrote_descriptors", "replay.wrote_readable",
                                      "replay.needs_reset_silent", "replay.accepted_forbidden",
                                      "replay.refused_valid", "replay.valid_not_used"};
    for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i]))
            return ids[i];
    return "replay.finding";
}

static void judge_end(rp *r)
{
    const vp_opts *o = &r->c->opt;
    if (r->meta->use && r->tg->answers_any && r->expect_out)
        add_finding(r, "valid-chain-not-used", r->meta->req[0] ? r->meta->req : NULL,
                    "%u of %u chain(s) the ring rules allow did not come back%s", r->expect_out, r->nvalid,
                    r->needs_reset ? " (the device set NEEDS_RESET)" : "");
    if (!o->replay_strict)
        return;
    if (r->refusal == VC_OK && r->needs_reset && r->tg->answers_any && r->nvalid)
        add_finding(r, "refused-valid-ring", NULL, "NEEDS_RESET though every chain made available is valid");
}

static void play(rp *r)
{
    for (uint32_t i = 0; i < r->s->nops && !r->stop; i++) {
        const vc_scn_op *op = &r->s->ops[i];
        if (op->op == VC_SCN_RESET) {
            r->halted = false;
            r->stop = !bring_up(r, true);
        } else if (r->halted) {
            continue;
        } else if (op->op == VC_SCN_KICK) {
            kick(r);
        } else {
            vc_scn_play_op(&r->play, op);
        }
    }
}

static void run_one(rp *r, vp_tp *modern, vp_tp *legacy, vc_scenario *s, const vp_scnmeta *meta)
{
    r->s = s;
    r->meta = meta;
    r->packed = s->features & VC_SCN_F_PACKED;
    r->t = modern ? modern : legacy;
    if (!r->t || (r->packed && !modern)) {
        snprintf(r->skip, sizeof r->skip, "%s", r->packed ? "a packed ring needs the modern interface"
                                                           : "no interface to replay through");
        return;
    }
    r->features = vc_scn_ring_features(s) & ~(1ull << VC_F_VERSION_1);
    char why[200];
    if (!rp_negotiate(r->t, r->features, r->c->opt.timeout_ms, why, sizeof why) ||
        !choose_size(r, s, vp_tp_queue_max(r->t, r->tg->queue), why, sizeof why)) {
        snprintf(r->skip, sizeof r->skip, "%s", why);
        return;
    }
    vc_scn_play_init(&r->play, &r->m->shadow, s);
    r->play.ring_write = on_driver_write;
    r->play.ctx = r;
    uint64_t end = r->play.device + (r->packed ? 4 : vc_split_used_bytes(s->qsize));
    if (end > VC_SCN_RINGS + VC_SCN_RINGS_SIZE) {
        snprintf(r->skip, sizeof r->skip, "a queue of %u does not fit the 256 KiB ring region", s->qsize);
        return;
    }
    rp_mem_begin(r->m, r->play.desc, s->qsize, r->packed);
    r->desc = rp_mem_arena(r->m, r->play.desc);
    r->driver = rp_mem_arena(r->m, r->play.driver);
    r->device = rp_mem_arena(r->m, r->play.device);
    if (!bring_up(r, false))
        return;
    play(r);
    if (!r->skip[0])
        judge_end(r);
    char lw[160];
    if (!rp_alive(r->c, r->d, r->t, r->tg, lw, sizeof lw))
        snprintf(r->wedged, sizeof r->wedged, "after the scenario: %s", lw);
}

/* "3-5:9" -> omit[3..5], omit[9] */
static void parse_omit(const char *spec, bool *omit, unsigned n)
{
    for (const char *p = spec; p && *p;) {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b = a;
        if (*end == '-')
            b = strtoul(end + 1, &end, 10);
        for (unsigned long i = a; i <= b && i < n; i++)
            omit[i] = true;
        p = *end ? end + 1 : end;
    }
}

void vp_replay_device(vp_ctx *c, vp_dev *d, const vp_scnlist *l)
{
    vp_report *rep = c->rep;
    const rp_target *tg = rp_target_find(d->type);
    bool has_modern = !strcmp(d->mode, "modern") || !strcmp(d->mode, "transitional");
    bool has_legacy = !strcmp(d->mode, "legacy") || !strcmp(d->mode, "transitional");
    vp_tp tm, tl;
    char err[160];
    bool use_m = has_modern && c->opt.modern && vp_tp_modern(&tm, d, err, sizeof err);
    bool use_l = has_legacy && c->opt.legacy && vp_tp_legacy(&tl, d, err, sizeof err);
    vp_report_set(rep, d->fn->addr, use_m ? "modern" : "legacy");
    static rp_mem m;
    const char *why = !tg ? "the probe has no replay queue for this device type"
                      : !c->have_dma ? c->dma_err
                      : !use_m && !use_l ? "no usable interface"
                      : !rp_mem_init(&m, c->dma.gpa + ARENA_RESERVE, c->dma.host + ARENA_RESERVE,
                                     c->dma.size > ARENA_RESERVE ? c->dma.size - ARENA_RESERVE : 0) ? m.why
                      : NULL;
    if (why) {
        vp_check(rep, "replay.setup", "", VP_ERROR, NULL, NULL, "%s", why);
        return;
    }
    static vc_scenario s;
    static rp r;
    uint16_t *expect = calloc(VC_MAX_QUEUE_SIZE, sizeof *expect);
    static bool omit[VP_MAX_SCENARIOS];
    memset(omit, 0, sizeof omit);
    parse_omit(c->opt.replay_omit, omit, l->n);
    vc_usedchk uc = {.finding = on_uc_finding, .used = on_used};
    if (!expect || !vc_usedchk_alloc(&uc)) {
        vp_check(rep, "replay.setup", "", VP_ERROR, NULL, NULL, "out of memory");
        goto out;
    }
    unsigned last = c->opt.replay_count ? c->opt.replay_skip + c->opt.replay_count : l->n;
    /* a device that stopped answering is not judged further: the runner
     * goes on from the next scenario in a fresh VM */
    bool wedged = false;
    for (unsigned i = c->opt.replay_skip; i < l->n && i < last && !wedged; i++) {
        if (omit[i])
            continue;
        vp_scnmeta meta;
        memset(&r, 0, sizeof r);
        r.c = c, r.d = d, r.tg = tg, r.m = &m, r.expect = expect;
        r.uc = uc;
        r.uc.ctx = &r;
        r.name = l->name[i];
        if (c->opt.ctl_only || vp_ctl_is_seq(l->name[i], l->path[i])) { /* a control-plane sequence */
            wedged = vp_ctl_play_file(c, d, use_m ? &tm : NULL, use_l ? &tl : NULL, l->name[i], l->path[i]);
            continue;
        }
        note(rep, "begin", d->fn->addr, l->name[i], 0);
        if (!vp_scn_read(l, i, &s, &meta, err, sizeof err)) {
            snprintf(r.skip, sizeof r.skip, "does not parse: %s", err);
        } else {
            run_one(&r, use_m ? &tm : NULL, use_l ? &tl : NULL, &s, &meta);
        }
        for (unsigned k = 0; k < r.nf; k++)
            r.f[k].kind = check_id(r.f[k].kind);
        emit(&r, l->name[i]);
        wedged = r.wedged[0] != 0;
    }
out:
    rp_reset(use_m ? &tm : &tl, c->opt.timeout_ms);
    vc_usedchk_free(&uc);
    free(expect);
    rp_mem_free(&m);
}
