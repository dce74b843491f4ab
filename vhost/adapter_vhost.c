/* Executor adapter over vhost-user (see adapter_vhost.h).
 *
 * A kick: the driver's changes go into the shared memory, the kick eventfd
 * fires, and we wait (bounded) until every chain out has a used entry, the
 * used index stands still for settle_ms, or the back-end hangs up. The used
 * entries then say which chains the back-end took: the library's ring layer
 * walks the same ring in a shadow queue, so each used id is matched to the
 * next available chains in ring order and those are reported taken, in that
 * order (a split ring may complete them in any order). Then the back-end's
 * memory changes go through the executor's gate, cut at the taken chains'
 * buffer edges so that one run of bytes over two adjacent buffers is not
 * judged as one write. A hang-up is a refusal: chains the ring layer finds
 * valid before the first invalid one count as taken (their completions are
 * lost with the connection), and the refusal stands at that chain. */
#define _GNU_SOURCE
#include "adapter_vhost.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc/ring.h"
#include "vc/req_ids.h"
#include "vc/vq_dev.h"
#include "vh_mirror.h"
#include "vu_front.h"
#include "vu_sock.h"

#define MAX_NOTES 8
#define MAX_CUTS 2048
#define DEVICE_BITS 0xffffffull /* feature bits 0-23 belong to the device type */

typedef struct vh_be {
    vu_guest_mem mem;
    vh_mirror mirror;
    vu_front f;
    bool connected, live;
    uint64_t features;
    uint16_t size;
    uint64_t desc, driver, device;
    vc_vq_dev shadow;
    vc_seg *segs;
    uint16_t used_seen;
    /* chains reported taken and not yet used: count per id */
    uint16_t *out;
    unsigned nout;
    unsigned nlost; /* of those, presumed dropped: a kick settled without them */
    bool forbidden; /* a chain the ring layer refuses was reported taken */
    bool used_lost; /* the driver wrote into the used ring: its index is not the back-end's alone */
    /* buffer edges of the chains out, where device writes are cut */
    uint64_t cut[MAX_CUTS];
    unsigned ncuts;
    bool cuts_lost;
    vc_fz_finding note[MAX_NOTES];
    unsigned nnotes;
} vh_be;

static vu_adapter_opts opts = { .timeout_ms = 2000, .settle_ms = 20 };
static vh_be *current;
static vu_adapter_stats stats;
static bool gone;

void vu_adapter_configure(const vu_adapter_opts *o)
{
    opts = *o;
    gone = false; /* a new back-end (the fuzz target restarts a crashed one) */
}

const vu_adapter_stats *vu_adapter_stats_get(void)
{
    return &stats;
}

bool vu_adapter_gone(void)
{
    return gone;
}

static void note(vh_be *b, const char *kind, const char *req, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void note(vh_be *b, const char *kind, const char *req, const char *fmt, ...)
{
    if (b->nnotes >= MAX_NOTES)
        return;
    vc_fz_finding *x = &b->note[b->nnotes++];
    x->kind = kind;
    x->req = req;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
    va_end(ap);
}

static void *vh_create(const vc_gmem *exec)
{
    vh_be *b = calloc(1, sizeof(*b));
    uint64_t layout[VU_MAX_REGIONS][2];
    if (!b || exec->nregions > VU_MAX_REGIONS)
        goto fail;
    for (unsigned i = 0; i < exec->nregions; i++) {
        layout[i][0] = exec->region[i].gpa;
        layout[i][1] = exec->region[i].size;
    }
    vu_front_init(&b->f, opts.timeout_ms);
    b->segs = calloc(VC_MAX_QUEUE_SIZE, sizeof(*b->segs));
    b->out = calloc(VC_MAX_QUEUE_SIZE, sizeof(*b->out));
    if (!b->segs || !b->out || !vu_mem_create(&b->mem, layout, exec->nregions) ||
        !vh_mirror_init(&b->mirror, exec, &b->mem))
        goto fail;
    current = b;
    return b;
fail:
    if (b) {
        free(b->segs);
        free(b->out);
        vu_mem_destroy(&b->mem);
        free(b);
    }
    return NULL;
}

static void disconnect(vh_be *b)
{
    if (b->connected)
        stats.disconnects++;
    vu_front_close(&b->f);
    b->connected = b->live = false;
}

static void vh_destroy(void *be)
{
    vh_be *b = be;
    disconnect(b);
    vc_vq_dev_free(&b->shadow);
    vh_mirror_free(&b->mirror);
    vu_mem_destroy(&b->mem);
    free(b->segs);
    free(b->out);
    if (current == b)
        current = NULL;
    free(b);
}

static bool connect_backend(vh_be *b)
{
    vu_front_init(&b->f, opts.timeout_ms);
    vu_err e = vu_front_connect(&b->f, opts.socket, opts.timeout_ms);
    if (e == VU_OK)
        e = vu_front_hello(&b->f);
    if (e == VU_OK)
        e = vu_front_set_mem(&b->f, &b->mem);
    if (e != VU_OK) {
        /* nobody listens any more: the back-end is gone */
        gone = gone || e == VU_E_CLOSED || e == VU_E_IO;
        note(b, "backend-unreachable", NULL, "%s", b->f.why);
        vu_front_close(&b->f);
        return false;
    }
    stats.connects++;
    b->connected = true;
    return true;
}

static bool vh_setup(void *be, uint64_t features, uint16_t size, uint64_t desc, uint64_t driver,
                     uint64_t device)
{
    vh_be *b = be;
    if (b->live) {
        uint32_t base;
        if (vu_front_vring_stop(&b->f, 0, &base) != VU_OK) {
            note(b, "backend-left", NULL, "stopping the ring: %s", b->f.why);
            disconnect(b);
        }
        b->live = false;
    }
    /* what the back-end wrote after the last run was judged is not this
     * run's: undone, counted */
    stats.late_bytes += vh_mirror_pull(&b->mirror, NULL, NULL);
    vh_mirror_push(&b->mirror, NULL, NULL); /* the executor cleared the last run's memory */
    b->nout = b->nlost = 0;
    b->forbidden = b->used_lost = false;
    b->ncuts = 0;
    b->cuts_lost = false;
    b->used_seen = 0;
    memset(b->out, 0, VC_MAX_QUEUE_SIZE * sizeof(*b->out));
    if (!b->connected && (gone || !connect_backend(b)))
        return false;
    /* a geometry the back-end does not offer is refused, not a finding;
     * packed rings are not driven here yet */
    if ((features & ~b->f.dev_features) || (features & (1ull << VC_F_RING_PACKED)))
        return false;
    uint64_t want = features | (b->f.dev_features & DEVICE_BITS);
    if (want != (b->f.features & ~(1ull << VU_F_PROTOCOL_FEATURES)) &&
        vu_front_set_features(&b->f, want) != VU_OK) {
        note(b, "backend-left", NULL, "%s", b->f.why);
        disconnect(b);
        return false;
    }
    uint64_t d = vu_mem_uva(&b->mem, desc, 16ull * size);
    uint64_t a = vu_mem_uva(&b->mem, driver, vc_split_avail_bytes(size));
    uint64_t u = vu_mem_uva(&b->mem, device, vc_split_used_bytes(size));
    if (!d || !a || !u)
        return false;
    if (vu_front_vring_start(&b->f, 0, size, d, a, u) != VU_OK) {
        note(b, "backend-left", NULL, "starting the ring: %s", b->f.why);
        disconnect(b);
        return false;
    }
    b->features = features;
    b->size = size;
    b->desc = desc;
    b->driver = driver;
    b->device = device;
    vc_vq_dev_free(&b->shadow);
    if (vc_vq_dev_init(&b->shadow, &b->mem.view, features, size, desc, driver, device) != VC_OK)
        return false; /* the executor's oracle refuses the geometry the same way */
    b->live = true;
    return true;
}

static uint16_t used_idx(vh_be *b)
{
    uint16_t v;
    vc_gmem_ld16_acquire(&b->mem.view, b->device + VC_SPLIT_USED_IDX, &v);
    return v;
}

static uint16_t avail_idx(vh_be *b)
{
    uint16_t v;
    vc_gmem_ld16_acquire(&b->mem.view, b->driver + VC_SPLIT_AVAIL_IDX, &v);
    return v;
}

static void add_cut(vh_be *b, uint64_t at)
{
    if (b->ncuts < MAX_CUTS)
        b->cut[b->ncuts++] = at;
    else
        b->cuts_lost = true;
}

/* The shadow queue's next chain, reported taken (when ev is given: after a
 * run only its bookkeeping). false: none (empty, or the ring layer refuses
 * it: *err says why). */
static bool take_next(vh_be *b, const vc_adapter_events *ev, uint16_t *id, vc_err *err)
{
    vc_chain c = { .seg = b->segs, .cap = b->size };
    bool got;
    *err = vc_vq_dev_pop(&b->shadow, &c, &got);
    if (*err != VC_OK || !got)
        return false;
    if (ev)
        ev->took(ev->ctx, c.id);
    *id = c.id;
    b->out[c.id]++;
    b->nout++;
    for (uint32_t i = 0; i < c.nseg; i++) {
        add_cut(b, c.seg[i].addr);
        add_cut(b, c.seg[i].addr + c.seg[i].len);
    }
    return true;
}

/* Matches the used entries that appeared since the last look to chains:
 * ones already out, else the next available ones (reported taken). A used
 * entry the ring layer cannot account for (it refuses the next chain) is
 * reported taken as it is, so the executor's oracle names what the
 * back-end accepted. */
static void match_used(vh_be *b, const vc_adapter_events *ev)
{
    uint16_t idx = used_idx(b);
    uint16_t n = (uint16_t)(idx - b->used_seen);
    if (n > b->size) /* a jump past the ring: the executor names it */
        n = b->size;
    for (uint16_t k = 0; k < n; k++) {
        uint32_t id;
        vc_gmem_ld32(&b->mem.view, b->device + VC_SPLIT_USED_RING + 8ull * ((b->used_seen + k) % b->size), &id);
        uint16_t took;
        vc_err e = VC_OK;
        while (id < b->size && !b->out[id] && take_next(b, ev, &took, &e))
            ;
        if (id < b->size && b->out[id]) {
            b->out[id]--;
            b->nout--;
            if (b->nlost > b->nout)
                b->nlost = b->nout;
        } else if (e != VC_OK && ev && !b->forbidden) {
            b->forbidden = true;
            ev->took(ev->ctx, (uint16_t)id);
        }
    }
    b->used_seen = idx;
}

/* After a kick settled with chains still available: a device takes what a
 * kick offers, so the valid ones count as taken (dropped, or slow: a later
 * used entry still matches them). false: the ring layer refuses the next
 * one (its code in *e), which the back-end passed over without a word. */
static bool take_rest(vh_be *b, const vc_adapter_events *ev, vc_err *e)
{
    uint16_t id;
    *e = VC_OK;
    for (unsigned n = 0; n < b->size && take_next(b, ev, &id, e); n++)
        ;
    b->nlost = b->nout;
    return *e == VC_OK;
}

/* Waits until want used entries appeared, the index stood still settle_ms,
 * the back-end hung up or timeout_ms passed. Returns the calls seen. */
static uint64_t wait_used(vh_be *b, unsigned want, bool *hung_up, bool *timed_out)
{
    uint64_t calls = 0;
    long long start = vu_now_ms(), moved = start;
    uint16_t last = b->used_seen;
    *hung_up = *timed_out = false;
    while (want > 0) {
        calls += vu_front_calls(&b->f, 0);
        uint16_t idx = used_idx(b);
        if ((uint16_t)(idx - b->used_seen) >= want)
            break;
        long long now = vu_now_ms();
        if (idx != last) {
            last = idx;
            moved = now;
        }
        if (vu_front_hung_up(&b->f)) {
            *hung_up = true;
            break;
        }
        if (now - moved >= opts.settle_ms) {
            stats.settled++;
            break;
        }
        if (now - start >= opts.timeout_ms) {
            *timed_out = true;
            break;
        }
        struct pollfd p[2] = { { .fd = b->f.vq[0].call, .events = POLLIN },
                               { .fd = b->f.sock, .events = POLLIN } };
        ppoll(p, 2, &(struct timespec){ 0, 200 * 1000 }, NULL);
    }
    return calls + vu_front_calls(&b->f, 0);
}

typedef struct apply_ctx {
    vh_be *b;
    const vc_gmem *exec;
} apply_ctx;

/* One run of changed bytes, cut at the chain buffer edges and at the used
 * ring's ends, written through the executor's gate (observed, judged). */
static void apply_write(void *ctx, uint64_t gpa, const uint8_t *bytes, uint64_t len)
{
    apply_ctx *a = ctx;
    vh_be *b = a->b;
    uint64_t end = gpa + len, at = gpa;
    while (at < end) {
        uint64_t next = end;
        for (unsigned i = 0; i < b->ncuts; i++)
            if (b->cut[i] > at && b->cut[i] < next)
                next = b->cut[i];
        uint64_t used_end = b->device + vc_split_used_bytes(b->size);
        if (b->device > at && b->device < next)
            next = b->device;
        if (used_end > at && used_end < next)
            next = used_end;
        if (b->cuts_lost && next - at > 16) /* edges unknown: small pieces */
            next = at + 16;
        vc_gmem_write(a->exec, at, bytes + (at - gpa), next - at);
        at = next;
    }
}

/* The notification rules of the split ring, from what the driver wrote:
 * did the used index moving from old to now require a call? */
static bool call_required(vh_be *b, uint16_t old, uint16_t now, const char **req)
{
    if (b->features & (1ull << VC_F_EVENT_IDX)) {
        uint16_t ev;
        vc_gmem_ld16(&b->mem.view, b->driver + vc_split_used_event_off(b->size), &ev);
        *req = REQ_DEV_VQ_USED_SUPP_5;
        return (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
    }
    uint16_t flags;
    vc_gmem_ld16(&b->mem.view, b->driver + VC_SPLIT_AVAIL_FLAGS, &flags);
    *req = REQ_DEV_VQ_USED_SUPP_3;
    return !(flags & 1);
}

static void check_calls(vh_be *b, uint16_t old, uint64_t calls)
{
    uint16_t now = b->used_seen;
    if (now == old)
        return;
    const char *req;
    bool need = call_required(b, old, now, &req);
    if (need && !calls) { /* the call may trail the index: give it the settle time */
        struct pollfd p = { .fd = b->f.vq[0].call, .events = POLLIN };
        if (poll(&p, 1, opts.settle_ms) > 0)
            calls = vu_front_calls(&b->f, 0);
    }
    if (need && !calls)
        note(b, "missed-notification", req, "used index moved %u -> %u without a call", old, now);
    else if (!need && calls)
        note(b, "unneeded-notification",
             b->features & (1ull << VC_F_EVENT_IDX) ? REQ_DEV_VQ_USED_SUPP_6 : REQ_DEV_VQ_USED_SUPP_2,
             "a call for used index %u -> %u, which the driver did not ask for", old, now);
}

/* The back-end hung up: chains the ring layer finds valid count as taken,
 * and the refusal stands at the first chain it refuses (or at the end). */
static void refused(vh_be *b, const vc_adapter_events *ev)
{
    vc_err e;
    take_rest(b, ev, &e);
    ev->rejected(ev->ctx, e != VC_OK ? vc_err_name(e) : "closed-connection");
    disconnect(b);
}

/* A driver write into the used ring (the scenario's MEM): from then on
 * the used index does not say what the back-end did. */
static void driver_wrote(void *ctx, uint64_t gpa, const uint8_t *bytes, uint64_t len)
{
    vh_be *b = ctx;
    (void)bytes;
    uint64_t used_end = b->device + vc_split_used_bytes(b->size);
    if (gpa < used_end && b->device < gpa + len)
        b->used_lost = true;
}

static void vh_kick(void *be, const vc_adapter_events *ev, vc_used_policy policy)
{
    vh_be *b = be;
    (void)policy; /* the back-end decides its used lengths itself */
    if (!b->live)
        return;
    stats.kicks++;
    if (b->nout == 0) {
        b->ncuts = 0;
        b->cuts_lost = false;
    }
    vh_mirror_push(&b->mirror, driver_wrote, b);
    uint16_t pending = (uint16_t)(avail_idx(b) - b->shadow.last_avail);
    unsigned want = b->nout - b->nlost + (pending < b->size ? pending : b->size);
    uint16_t old = b->used_seen;
    vu_front_kick(&b->f, 0);
    bool hung_up, timed_out;
    /* with the used ring overwritten, only settling tells the back-end is done */
    uint64_t calls = wait_used(b, b->used_lost ? UINT16_MAX : want, &hung_up, &timed_out);
    if (b->used_lost)
        b->used_seen = used_idx(b);
    else
        match_used(b, ev);
    if (timed_out)
        note(b, "hang", NULL, "%u of %u chains back after %d ms", (unsigned)(uint16_t)(b->used_seen - old),
             want, opts.timeout_ms);
    vc_err e = VC_OK;
    if (hung_up && b->forbidden) /* the executor has its finding: nothing more to say */
        disconnect(b);
    else if (hung_up) {
        refused(b, ev);
    } else if (!b->forbidden && !take_rest(b, ev, &e)) {
        /* it stopped at a chain the spec forbids: that is its refusal (the
         * next run starts on a fresh connection) */
        ev->rejected(ev->ctx, vc_err_name(e));
        disconnect(b);
    }
    apply_ctx a = { b, b->mirror.exec };
    /* after a forbidden chain the writes of this kick are not judged: the
     * executor knows no buffers for that chain, and already has a finding */
    vh_mirror_pull(&b->mirror, b->forbidden ? NULL : apply_write, &a);
    if (!hung_up && !b->used_lost && !b->forbidden)
        check_calls(b, old, calls);
}

unsigned vu_adapter_end_run(vc_fz_finding *out, unsigned cap)
{
    vh_be *b = current;
    if (!b)
        return 0;
    if (b->live) {
        uint16_t pending = (uint16_t)(avail_idx(b) - b->shadow.last_avail);
        bool hung_up = false, timed_out;
        if (b->nout || pending)
            wait_used(b, b->nout + pending, &hung_up, &timed_out);
        if (!b->used_lost)
            match_used(b, NULL);
        if (b->nout && !b->used_lost)
            note(b, "chain-not-returned", NULL,
                 "%u chains made available and kicked never came back (taken and dropped, or never taken)",
                 b->nout);
        /* chains the back-end may still count as in flight, or a state we
         * could not follow, would carry into the next run: start afresh */
        if (b->nout || b->forbidden || b->used_lost)
            disconnect(b);
    }
    unsigned n = b->nnotes < cap ? b->nnotes : cap;
    memcpy(out, b->note, n * sizeof(*out));
    b->nnotes = 0;
    return n;
}

const vc_adapter vc_adapter_vhost = {
    .name = "vhost-user",
    .create = vh_create,
    .destroy = vh_destroy,
    .setup = vh_setup,
    .kick = vh_kick,
};
