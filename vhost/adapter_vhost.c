/* Executor adapter over vhost-user (see adapter_vhost.h).
 *
 * A kick: the driver's changes go into the shared memory, the chains the
 * driver offers are read (by the library's ring layer, a shadow queue, from
 * the executor's copy: the back-end cannot have changed it yet), the kick
 * eventfd fires, and a fence goes out on the socket. We wait (bounded, on
 * the call eventfd and the socket) until every chain out has a used entry,
 * or the fence is answered and the used ring then stands still settle_us,
 * or the back-end hangs up. The used entries say which chains the back-end
 * took: each used id is matched to the offered chains in ring order and
 * those are reported taken, in that order (completions may come in any
 * order). Then the back-end's changes on the pages it may write go through
 * the executor's gate, cut at the taken chains' buffer edges so that one
 * run of bytes over two adjacent buffers is not judged as one write; the
 * rest of the memory is compared once at the end of the run, where any
 * change is a write outside every buffer. A hang-up is a refusal: the
 * offered chains count as taken (their completions are lost with the
 * connection), and the refusal stands at the chain the ring layer refuses,
 * or at the end.
 *
 * One connection serves run after run: the ring is stopped and started
 * again in one round trip. A run that leaves chains out (libvhost-user
 * keeps counting them in flight across a ring restart) or a back-end that
 * hung up gets a new connection, also in one round trip (the offers of the
 * first one are checked, not asked for again). */
#define _GNU_SOURCE
#include "adapter_vhost.h"

#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>

#include "vc/ring.h"
#include "vc/req_ids.h"
#include "vc/vq_dev.h"
#include "scenario.h"
#include "vh_idle.h"
#include "vh_mirror.h"
#include "vu_front.h"
#include "vu_sock.h"

/* Loops over memory and buffer edges are mechanics, not the back-end's
 * behaviour: no coverage feedback from them in the fuzz build (a traced
 * comparison per step would cost more than the loop). */
#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define MAX_NOTES 8
#define MAX_CUTS 2048
#define DEVICE_BITS 0xffffffull /* feature bits 0-23 belong to the device type */
#define RING_BITS ((1ull << VC_F_INDIRECT_DESC) | (1ull << VC_F_EVENT_IDX) | (1ull << VC_F_RING_PACKED) | \
                   (1ull << VC_F_IN_ORDER) | (1ull << VC_F_VERSION_1))
#define POLL_SLICE_US 50 /* when the driver asked for no calls, the used ring is looked at this often */
/* a busy back-end is looked at again after each of IDLE_YIELDS yields, then
 * after 20 us, twice as long each time up to 640 us (opts.idle): on a loaded
 * machine it may wait long for a CPU, and every look costs system calls */
#define IDLE_SLICE_US 20
#define IDLE_YIELDS 16 /* yields to a busy back-end before sleeping in slices */
#define IDLE_SLICE_MAX_US 640
#define IDLE_GIVE_UP_US 50000 /* a watched back-end not seen asleep this long after a kick: settle on time */
#define IDLE_MISSES 3    /* waits in a row it never slept through: it polls, stop watching it */

typedef struct offer {
    uint16_t id, slots;
} offer;

typedef struct vh_be {
    vu_guest_mem mem;
    vh_mirror mirror;
    vc_gmem exec_view; /* the executor's memory without its observer: the shadow queue reads it */
    vu_front f;
    vu_front known; /* the offers of the first connection */
    bool have_known;
    bool connected, live;
    uint64_t features;
    uint16_t size;
    bool packed;
    uint64_t desc, driver, device;
    vc_vq_dev shadow;
    vc_seg *segs;
    /* chains the ring layer read at the kicks, not yet reported taken (ring order) */
    offer *offered;
    unsigned off_head, off_n;
    vc_err offer_err; /* the ring layer refuses the chain after them */
    uint16_t *slots;  /* ring slots of each buffer id offered (packed) */
    uint16_t used_seen; /* used entries seen (free running) */
    uint16_t upos;      /* packed: the next used slot, and its wrap counter */
    bool uwrap;
    /* chains reported taken and not yet used: count per id */
    uint16_t *out;
    unsigned nout;
    unsigned nlost; /* of those, presumed dropped: a kick settled without them */
    bool forbidden; /* a chain the ring layer refuses was reported taken */
    bool hangup;    /* the back-end hung up during the run */
    bool reused;    /* the driver made a head available again that the back-end may hold */
    bool refused;   /* the ring was refused (the executor was told): chains out need not come back */
    bool untracked; /* the run lost track of the back-end (it hung up, timed out or took a
                     * forbidden chain): late writes are not judged */
    bool used_lost; /* the driver wrote into the used ring: its index is not the back-end's alone */
    /* buffer edges of the chains out, where device writes are cut */
    uint64_t cut[MAX_CUTS];
    unsigned ncuts;
    bool cuts_lost;
    /* pages: written by the driver side this run (pushed before each kick;
     * the executor clears them unobserved before the next run), and those
     * the back-end may write (compared after each kick) */
    uint64_t *drv, *dev;
    bool new_run;
    bool full_mirror; /* VC_VHOST_FULL_MIRROR: compare everything every time */
    vc_gmem_observer exec_obs;
    void *exec_opaque;
    vc_fz_finding note[MAX_NOTES];
    unsigned nnotes;
    vh_idle idle;        /* the back-end process, watched for idleness (opts.idle) */
    unsigned idle_misses; /* waits in a row it did not sleep through */
    int never_pid;       /* a process that never slept (it polls): not watched; 0: none */
    bool ended_idle;     /* the last wait ended with the back-end idle */
} vh_be;

static vu_adapter_opts opts = { .timeout_ms = 2000, .settle_us = 20000 };
static vh_be *current;
static vu_adapter_stats stats;
static bool gone;

void vu_adapter_configure(const vu_adapter_opts *o)
{
    opts = *o;
    if (opts.idle) {
        /* short looks at a busy back-end are meant short: timer slack 1 us, not 50 */
        prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
        /* and a back-end that answers is not interrupted by our waking up
         * (no wakeup preemption for a batch task): it handles all it was
         * sent before we read its answers. Children get the normal policy
         * back (the fuzz target makes the back-end it starts a batch task
         * itself, target_vhost.c). */
        sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &(struct sched_param){ 0 });
    }
    gone = false; /* a new back-end (the fuzz target restarts a crashed one) */
    if (current) {
        current->have_known = false;
        current->never_pid = 0;
        current->idle_misses = 0;
    }
}

const vu_adapter_stats *vu_adapter_stats_get(void)
{
    return &stats;
}

bool vu_adapter_gone(void)
{
    return gone;
}

static uint64_t device_bits(uint64_t offered)
{
    return offered & DEVICE_BITS & (opts.device_mask ? opts.device_mask : DEVICE_BITS);
}

uint64_t vu_adapter_device_features(void)
{
    return current && current->have_known ? device_bits(current->known.dev_features) : 0;
}

bool vu_adapter_hung_up(void)
{
    return current && current->hangup;
}

bool vu_adapter_followed(void)
{
    return current && !current->forbidden && !current->used_lost && !current->reused;
}

uint64_t vu_adapter_offered(void)
{
    return current && current->have_known ? current->known.dev_features & RING_BITS : 0;
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

/* Adds the time since *t0 to *acc and restarts the clock. */
static void lap(long long *t0, unsigned long long *acc)
{
    long long now = vu_now_us();
    *acc += (unsigned long long)(now - *t0);
    *t0 = now;
}

static void free_be(vh_be *b)
{
    vh_idle_close(&b->idle);
    vc_vq_dev_free(&b->shadow);
    vh_mirror_free(&b->mirror);
    vu_mem_destroy(&b->mem);
    free(b->segs);
    free(b->out);
    free(b->offered);
    free(b->slots);
    free(b->drv);
    free(b->dev);
    free(b);
}

static void *vh_create(const vc_gmem *exec)
{
    vh_be *b = calloc(1, sizeof(*b));
    uint64_t layout[VU_MAX_REGIONS][2];
    if (!b)
        return NULL;
    b->mem.fd = -1;
    b->idle.stat = -1;
    if (exec->nregions > VU_MAX_REGIONS)
        goto fail;
    vc_gmem_init(&b->exec_view);
    for (unsigned i = 0; i < exec->nregions; i++) {
        layout[i][0] = exec->region[i].gpa;
        layout[i][1] = exec->region[i].size;
        if (!vc_gmem_add(&b->exec_view, exec->region[i].gpa, exec->region[i].size, exec->region[i].host))
            goto fail;
    }
    vu_front_init(&b->f, opts.timeout_ms);
    b->segs = calloc(VC_MAX_QUEUE_SIZE, sizeof(*b->segs));
    b->out = calloc(VC_MAX_QUEUE_SIZE, sizeof(*b->out));
    b->offered = calloc(VC_MAX_QUEUE_SIZE, sizeof(*b->offered));
    b->slots = calloc(VC_MAX_QUEUE_SIZE, sizeof(*b->slots));
    if (!b->segs || !b->out || !b->offered || !b->slots || !vu_mem_create(&b->mem, layout, exec->nregions) ||
        !vh_mirror_init(&b->mirror, exec, &b->mem) || !(b->drv = vh_mirror_set_new(&b->mirror)) ||
        !(b->dev = vh_mirror_set_new(&b->mirror)))
        goto fail;
    const char *full = getenv("VC_VHOST_FULL_MIRROR");
    b->full_mirror = full && *full && strcmp(full, "0") != 0;
    b->new_run = true;
    current = b;
    return b;
fail:
    free_be(b);
    return NULL;
}

static void disconnect(vh_be *b)
{
    if (b->connected)
        stats.disconnects++;
    vu_front_hang_up(&b->f); /* the eventfds serve the next connection */
    b->connected = b->live = false;
}

static void vh_destroy(void *be)
{
    vh_be *b = be;
    disconnect(b);
    vu_front_close(&b->f);
    /* the executor's observer back where it was */
    vc_gmem *m = (vc_gmem *)b->mirror.exec;
    if (m->observer_opaque == b) {
        m->observer = b->exec_obs;
        m->observer_opaque = b->exec_opaque;
    }
    if (current == b)
        current = NULL;
    free_be(b);
}

bool vu_adapter_answers(void)
{
    vh_be *b = current;
    if (!b || !b->connected)
        return true;
    /* a back-end that polls works on its own time: a fault it took in may
     * kill it after the run's verdict (DPDK: a worker thread's SIGSEGV) */
    struct timespec ts = { opts.settle_us / 1000000, opts.settle_us % 1000000 * 1000 };
    nanosleep(&ts, NULL);
    vu_msg m = { .request = VU_GET_FEATURES, .flags = VU_VERSION }, r;
    if (vu_front_request(&b->f, &m, &r) == VU_OK)
        return true;
    disconnect(b);
    return false;
}

/* Sits in front of the executor's observer on its guest memory: the pages
 * the driver side writes are the only ones a push needs to compare. */
NO_COVERAGE static void driver_observer(void *opaque, uint64_t gpa, uint64_t len, bool is_write)
{
    vh_be *b = opaque;
    if (is_write)
        vh_mirror_mark(&b->mirror, b->drv, gpa, len);
    if (b->exec_obs)
        b->exec_obs(b->exec_opaque, gpa, len, is_write);
}

static bool hooked(vh_be *b)
{
    vc_gmem *m = (vc_gmem *)b->mirror.exec;
    if (m->observer != driver_observer) {
        b->exec_obs = m->observer;
        b->exec_opaque = m->observer_opaque;
        m->observer = driver_observer;
        m->observer_opaque = b;
        return false; /* this once, compare everything */
    }
    return !b->full_mirror;
}

static void push(vh_be *b, vh_mirror_fn fn, void *ctx)
{
    if (hooked(b))
        vh_mirror_push_pages(&b->mirror, b->drv, fn, ctx);
    else
        vh_mirror_push(&b->mirror, fn, ctx);
}

/* The back-end process, found through the socket, watched for idleness
 * (opts.idle); kept across connections while it is the same process. */
static void watch(vh_be *b)
{
    int pid = b->f.peer_pid;
    /* given up on a process that never slept; another one (a fork
     * server's next child) gets its own chance */
    if (!opts.idle || (b->never_pid && pid == b->never_pid))
        return;
    if (pid && pid == b->idle.pid)
        return;
    vh_idle_close(&b->idle);
    b->idle_misses = 0;
    if (pid)
        vh_idle_open(&b->idle, pid);
}

static void unwatch(vh_be *b, bool never)
{
    if (never)
        b->never_pid = b->idle.pid;
    vh_idle_close(&b->idle);
}

/* The first connection: every question asked and its answer kept. */
static bool connect_backend(vh_be *b)
{
    vu_front_hang_up(&b->f);
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
    b->known = b->f;
    b->have_known = true;
    stats.connects++;
    b->connected = true;
    watch(b);
    return true;
}

/* The queues below the one played, set up empty (a back-end may wait for
 * a whole queue pair, as DPDK's vhost library does before it polls): split
 * rings of 16 entries at the end of the rings region, which scenarios do
 * not reach, and which stay zero. */
#define IDLE_RING_SIZE 16
#define IDLE_RING_STRIDE 1024u

static uint64_t idle_lo(void)
{
    return VC_SCN_RINGS + VC_SCN_RINGS_SIZE - IDLE_RING_STRIDE * opts.queue;
}

/* [gpa, gpa+len) lies in the idle rings' memory, which the executor does
 * not know: what the back-end writes there is its own business. */
static bool in_idle(uint64_t gpa, uint64_t len)
{
    return opts.queue && gpa >= idle_lo() && gpa + len <= VC_SCN_RINGS + VC_SCN_RINGS_SIZE;
}

static vu_err start_idle_rings(vh_be *b)
{
    for (unsigned q = 0; q < opts.queue; q++) {
        uint64_t gpa = VC_SCN_RINGS + VC_SCN_RINGS_SIZE - IDLE_RING_STRIDE * (q + 1);
        vu_ring r = { q, IDLE_RING_SIZE, vu_mem_uva(&b->mem, gpa, 256), vu_mem_uva(&b->mem, gpa + 256, 64),
                      vu_mem_uva(&b->mem, gpa + 512, 256), false };
        vu_err e = vu_front_ring_start(&b->f, &r);
        if (e != VU_OK)
            return e;
    }
    return VU_OK;
}

/* Connects again in one round trip, the ring started as r says. VU_OK,
 * or a reason to try the slow way (the offers changed), or the end. */
static vu_err reopen(vh_be *b, uint64_t want, const vu_ring *r)
{
    vu_front_hang_up(&b->f);
    /* one try: it listened before, so a refusal means its listener is gone
     * (it died), not that it is still starting (waiting for that would cost
     * every input after a crash the whole timeout) */
    vu_err e = vu_front_reopen(&b->f, opts.socket, 0, &b->known, want, &b->mem, r);
    if (e == VU_OK)
        e = start_idle_rings(b);
    if (e == VU_OK) {
        stats.connects++;
        stats.reopens++;
        b->connected = true;
        /* its offers checked: a new process (a fork server's next child)
         * is asked only once */
        b->known.peer_pid = b->f.peer_pid;
        watch(b);
        return e;
    }
    if (e == VU_E_MISMATCH || e == VU_E_VALUE) {
        b->have_known = false;
    } else {
        gone = gone || e == VU_E_CLOSED || e == VU_E_IO;
        note(b, "backend-unreachable", NULL, "%s", b->f.why);
    }
    vu_front_close(&b->f);
    return e;
}

/* The pages the back-end may write whatever the chains: the rings (the
 * descriptor and driver areas too: a write there is judged at the kick). */
static void mark_rings(vh_be *b)
{
    uint64_t *s = b->dev;
    if (opts.queue)
        vh_mirror_mark(&b->mirror, s, idle_lo(), IDLE_RING_STRIDE * opts.queue);
    if (b->packed) {
        vh_mirror_mark(&b->mirror, s, b->desc, vc_packed_desc_bytes(b->size));
        vh_mirror_mark(&b->mirror, s, b->driver, VC_PACKED_EVENT_SIZE);
        vh_mirror_mark(&b->mirror, s, b->device, VC_PACKED_EVENT_SIZE);
    } else {
        vh_mirror_mark(&b->mirror, s, b->desc, 16ull * b->size);
        vh_mirror_mark(&b->mirror, s, b->driver, vc_split_avail_bytes(b->size));
        vh_mirror_mark(&b->mirror, s, b->device, vc_split_used_bytes(b->size));
    }
}

/* Starts the queue on the connection (or a new one). held_used: used
 * entries seen since the ring last started; a back-end that took in more
 * chains than that (GET_VRING_BASE says how many) still holds some, which
 * it may count against the queue size: a new connection then. false: not
 * played. */
static bool start_ring(vh_be *b, uint64_t features, const vu_ring *r, uint16_t held_used)
{
    uint64_t want = features | (b->have_known ? device_bits(b->known.dev_features) : 0);
    long long t0 = vu_now_us();
    if (!b->connected && b->have_known) {
        vu_err e = reopen(b, want, r);
        lap(&t0, &stats.us_connect);
        if (e == VU_OK)
            return true;
        if (b->have_known || gone)
            return false;
    }
    bool fresh = !b->connected;
    if (!b->connected) {
        bool ok = connect_backend(b);
        lap(&t0, &stats.us_connect);
        if (!ok)
            return false;
        want = features | device_bits(b->f.dev_features);
    }
    if (features & ~b->f.dev_features)
        return false;
    vu_err e = VU_OK;
    uint32_t base;
    bool was_live = b->live, restarted = b->live;
    if (want != (b->f.features & ~(1ull << VU_F_PROTOCOL_FEATURES))) {
        if (b->live)
            e = vu_front_vring_stop(&b->f, opts.queue, &base);
        if (e == VU_OK && was_live && (b->packed || (uint16_t)base != held_used))
            e = VU_E_MISMATCH; /* chains held: a new connection below */
        if (e == VU_OK)
            e = vu_front_set_features(&b->f, want);
        b->live = restarted = false;
    }
    if (e == VU_OK && fresh)
        e = start_idle_rings(b);
    if (e == VU_OK)
        e = b->live ? vu_front_vring_restart(&b->f, r, &base) : vu_front_ring_start(&b->f, r);
    lap(&t0, &stats.us_ring);
    if ((e == VU_OK && restarted && (b->packed || (uint16_t)base != held_used)) || e == VU_E_MISMATCH) {
        /* packed: the base carries a wrap counter; played safe */
        stats.end_held++;
        disconnect(b);
        return start_ring(b, features, r, 0);
    }
    if (e != VU_OK && was_live && (e == VU_E_CLOSED || e == VU_E_IO)) {
        /* it hung up after the last run was over (a late refusal): that
         * run had its verdict; this one gets a new connection */
        stats.end_hangup++;
        disconnect(b);
        return start_ring(b, features, r, 0);
    }
    if (e == VU_E_NACK) { /* a geometry it refuses (a queue too big): not played */
        stats.nacked++;
        disconnect(b);
        return false;
    }
    if (e != VU_OK) {
        note(b, "backend-left", NULL, "starting the ring: %s", b->f.why);
        disconnect(b);
        return false;
    }
    return true;
}

static void reset_run_state(vh_be *b)
{
    b->nout = b->nlost = 0;
    b->forbidden = b->used_lost = b->untracked = b->refused = b->reused = b->hangup = false;
    b->ncuts = 0;
    b->cuts_lost = false;
    b->used_seen = 0;
    b->upos = 0;
    b->uwrap = true;
    b->off_head = b->off_n = 0;
    b->offer_err = VC_OK;
    /* ids count below the last ring's size only (32768 entries would be 64 KiB a run) */
    memset(b->out, 0, b->size * sizeof(*b->out));
}

static bool vh_setup(void *be, uint64_t features, uint16_t size, uint64_t desc, uint64_t driver,
                     uint64_t device)
{
    vh_be *b = be;
    long long t0 = vu_now_us();
    uint16_t held_used = b->used_seen;
    /* a queue reset with chains out: the back-end may count them in flight */
    if (b->nout || b->off_n || b->forbidden || b->used_lost)
        disconnect(b);
    /* what the back-end wrote after the last run was judged is not this
     * run's: undone, counted; the executor's clearing goes across */
    stats.late_bytes += b->full_mirror ? vh_mirror_pull(&b->mirror, NULL, NULL)
                                       : vh_mirror_pull_pages(&b->mirror, b->dev, NULL, NULL);
    push(b, NULL, NULL);
    if (b->new_run) {
        memset(b->drv, 0, b->mirror.nwords * sizeof(uint64_t));
        b->new_run = false;
    }
    memset(b->dev, 0, b->mirror.nwords * sizeof(uint64_t));
    lap(&t0, &stats.us_mirror);
    reset_run_state(b);
    b->live = b->live && b->connected;
    bool packed = features >> VC_F_RING_PACKED & 1;
    if (gone)
        return false;
    /* a geometry the back-end does not offer is refused, not a finding */
    if (b->have_known && (features & ~b->known.dev_features))
        return false;
    uint64_t dl = packed ? vc_packed_desc_bytes(size) : 16ull * size;
    uint64_t al = packed ? VC_PACKED_EVENT_SIZE : vc_split_avail_bytes(size);
    uint64_t ul = packed ? VC_PACKED_EVENT_SIZE : vc_split_used_bytes(size);
    vu_ring r = { opts.queue, size, vu_mem_uva(&b->mem, desc, dl), vu_mem_uva(&b->mem, driver, al),
                  vu_mem_uva(&b->mem, device, ul), packed };
    if (!r.desc || !r.avail || !r.used)
        return false;
    vc_vq_dev_free(&b->shadow);
    if (vc_vq_dev_init(&b->shadow, &b->exec_view, features, size, desc, driver, device) != VC_OK)
        return false; /* the executor's oracle refuses the geometry the same way */
    if (!start_ring(b, features, &r, held_used))
        return false;
    b->features = features;
    b->size = size;
    b->packed = packed;
    b->desc = desc;
    b->driver = driver;
    b->device = device;
    mark_rings(b);
    b->live = true;
    return true;
}

static void add_cut(vh_be *b, uint64_t at)
{
    if (b->ncuts < MAX_CUTS)
        b->cut[b->ncuts++] = at;
    else
        b->cuts_lost = true;
}

/* Split: the driver made a head available again that the back-end may
 * still hold (presumed dropped, never used: the driver's fault). A used
 * entry with that id could then be either chain's: what the back-end did
 * is no longer followed. */
static bool head_reused(vh_be *b)
{
    uint16_t idx;
    vc_gmem_ld16(&b->exec_view, b->driver + VC_SPLIT_AVAIL_IDX, &idx);
    uint16_t n = (uint16_t)(idx - b->shadow.last_avail);
    for (uint16_t k = 0; k < n && k < b->size && b->nout; k++) {
        uint16_t head;
        vc_gmem_ld16(&b->exec_view, b->driver + VC_SPLIT_AVAIL_RING + 2ull * ((b->shadow.last_avail + k) % b->size),
                     &head);
        if (head < b->size && b->out[head])
            return true;
    }
    return false;
}

/* Reads the chains the driver offers (up to the first the ring layer
 * refuses), before the back-end can see them. */
static void offer_all(vh_be *b)
{
    while (b->offer_err == VC_OK && b->off_n < VC_MAX_QUEUE_SIZE) {
        vc_chain c = { .seg = b->segs, .cap = VC_MAX_QUEUE_SIZE };
        bool got = false;
        b->offer_err = vc_vq_dev_pop(&b->shadow, &c, &got);
        if (b->offer_err != VC_OK || !got)
            break;
        b->offered[(b->off_head + b->off_n++) % VC_MAX_QUEUE_SIZE] = (offer){ c.id, c.ndesc ? c.ndesc : 1 };
        b->slots[c.id] = c.ndesc ? c.ndesc : 1;
        for (uint32_t i = 0; i < c.nseg; i++) {
            add_cut(b, c.seg[i].addr);
            add_cut(b, c.seg[i].addr + c.seg[i].len);
            vh_mirror_mark(&b->mirror, b->dev, c.seg[i].addr, c.seg[i].len);
        }
    }
}

/* The next offered chain, reported taken (with ev; without, bookkeeping
 * only). false: none left. */
static bool take_next(vh_be *b, const vc_adapter_events *ev)
{
    if (b->off_n == 0)
        return false;
    offer o = b->offered[b->off_head];
    b->off_head = (b->off_head + 1) % VC_MAX_QUEUE_SIZE;
    b->off_n--;
    if (ev)
        ev->took(ev->ctx, o.id);
    b->out[o.id]++;
    b->nout++;
    return true;
}

/* One used entry with this id: the chain out with it, else the offered
 * chains up to it are taken first. A used entry nothing accounts for is
 * reported taken as it is, so the executor's oracle names what the
 * back-end accepted. false: it could not be matched. */
static bool match_one(vh_be *b, const vc_adapter_events *ev, uint32_t id)
{
    while (id < b->size && !b->out[id] && take_next(b, ev))
        ;
    if (id < b->size && b->out[id]) {
        b->out[id]--;
        b->nout--;
        if (b->nlost > b->nout)
            b->nlost = b->nout;
        return true;
    }
    if (ev && !b->forbidden) {
        b->forbidden = true;
        ev->took(ev->ctx, (uint16_t)id);
    }
    return false;
}

static uint16_t used_idx_split(vh_be *b)
{
    uint16_t v;
    vc_gmem_ld16_acquire(&b->mem.view, b->device + VC_SPLIT_USED_IDX, &v);
    return v;
}

/* Packed: the used descriptor at the next used slot, if there is one. */
static bool packed_used_at(vh_be *b, uint16_t pos, bool wrap, uint16_t *id)
{
    uint64_t d = b->desc + (uint64_t)pos * VC_PACKED_DESC_SIZE;
    uint16_t flags;
    vc_gmem_ld16_acquire(&b->mem.view, d + VC_PACKED_DESC_FLAGS, &flags);
    bool avail = flags & VC_DESC_F_AVAIL, used = flags & VC_DESC_F_USED;
    if (avail != wrap || used != wrap)
        return false;
    vc_gmem_ld16(&b->mem.view, d + VC_PACKED_DESC_ID, id);
    return true;
}

/* Used entries the back-end has published: split, its used index; packed,
 * the used descriptors from our position on (walked without moving). */
static uint16_t used_count(vh_be *b)
{
    if (!b->packed)
        return used_idx_split(b);
    uint16_t n = b->used_seen, pos = b->upos, id;
    bool wrap = b->uwrap;
    for (unsigned k = 0; k < b->size && packed_used_at(b, pos, wrap, &id); k++) {
        unsigned slots = id < b->size && b->slots[id] ? b->slots[id] : 1;
        pos = (uint16_t)(pos + slots);
        if (pos >= b->size) {
            pos = (uint16_t)(pos - b->size);
            wrap = !wrap;
        }
        n++;
    }
    return n;
}

/* Matches the used entries that appeared since the last look to chains. */
static void match_used(vh_be *b, const vc_adapter_events *ev)
{
    if (b->packed) {
        uint16_t id;
        for (unsigned k = 0; k < b->size && packed_used_at(b, b->upos, b->uwrap, &id); k++) {
            if (!match_one(b, ev, id))
                break; /* where the next one starts is unknown */
            b->upos = (uint16_t)(b->upos + b->slots[id]);
            if (b->upos >= b->size) {
                b->upos = (uint16_t)(b->upos - b->size);
                b->uwrap = !b->uwrap;
            }
            b->used_seen++;
        }
        return;
    }
    uint16_t idx = used_idx_split(b);
    uint16_t n = (uint16_t)(idx - b->used_seen);
    if (n > b->size) /* a jump past the ring: the executor names it */
        n = b->size;
    for (uint16_t k = 0; k < n; k++) {
        uint32_t id;
        vc_gmem_ld32(&b->mem.view, b->device + VC_SPLIT_USED_RING + 8ull * ((b->used_seen + k) % b->size), &id);
        match_one(b, ev, id);
    }
    b->used_seen = idx;
}

/* After a kick settled with chains still offered: a device takes what a
 * kick offers, so they count as taken (dropped, or slow: a later used
 * entry still matches them). false: the ring layer refuses the next one
 * (its code in *e), which the back-end passed over without a word. */
static bool take_rest(vh_be *b, const vc_adapter_events *ev, vc_err *e)
{
    while (take_next(b, ev))
        ;
    b->nlost = b->nout;
    *e = b->offer_err;
    return *e == VC_OK;
}

/* Waits until want used entries appeared (and the fence sent after the
 * kick is answered), the fence is answered and the used ring stands still
 * settle_us, the back-end hangs up, or timeout_ms passes. Every wait is on
 * the call eventfd and the socket, or POLL_SLICE_US when calls may not
 * come. A watched back-end (opts.idle) gets no fence: the wait ends when
 * it is idle and its used ring did not move while we looked, whether the
 * chains came back or not; one that does not sleep for settle_us after
 * the last change is waited for no longer (a polling back-end: after
 * IDLE_MISSES such waits it is no longer watched). Returns the calls seen. */
static uint64_t wait_used(vh_be *b, unsigned want, bool kicked, bool *hung_up, bool *timed_out)
{
    uint64_t calls = 0;
    long long start = vu_now_us(), quiet = start;
    long long limit = 1000ll * opts.timeout_ms;
    bool watching = b->idle.pid != 0;
    long long slice_us = IDLE_SLICE_US;
    vu_msg fence = { .request = VU_GET_FEATURES };
    bool fence_out = !watching && vu_front_send_only(&b->f, &fence) == VU_OK;
    *hung_up = !watching && !fence_out;
    *timed_out = false;
    b->ended_idle = false;
    uint16_t last = b->used_seen;
    unsigned yields = 0;
    /* just kicked, on the CPU it shares with us: a back-end that does not
     * preempt us (a batch task, as the fuzz target starts it) has not run
     * yet, and a look now would only find it busy */
    if (watching && kicked && b->idle.one_cpu) {
        yields++;
        sched_yield();
    }
    while (!*hung_up) {
        /* the eventfd adds up: read once at the end, and here only where
         * the poll below would otherwise keep finding it readable */
        if (!watching)
            calls += vu_front_calls(&b->f, opts.queue);
        uint16_t n = used_count(b);
        bool done = (uint16_t)(n - b->used_seen) >= want;
        long long now = vu_now_us();
        if (n != last) {
            last = n;
            quiet = now;
        }
        if (watching) {
            int idle = vh_idle_check(&b->idle);
            stats.idle_checks++;
            if (idle == 1 && used_count(b) == n) {
                /* it may have hung up before it slept (a refusal) */
                *hung_up = vu_front_hung_up(&b->f);
                stats.idle_ends++;
                stats.settled += !done;
                b->ended_idle = true;
                b->idle_misses = 0;
                break;
            }
            if (idle < 0) { /* gone, or it cannot be read: settle on time */
                unwatch(b, false);
                watching = false;
            }
        }
        if (done && !fence_out && !watching)
            break;
        /* a watched back-end is waited for until it sleeps (it may be
         * runnable a long while on a loaded machine), unless it never does */
        if (!fence_out && now - quiet >= opts.settle_us && (!watching || now - start >= IDLE_GIVE_UP_US)) {
            stats.settled++;
            if (watching && ++b->idle_misses >= IDLE_MISSES)
                unwatch(b, true);
            break;
        }
        if (now - start >= limit) {
            *timed_out = true;
            break;
        }
        long long wait = fence_out || watching ? limit - (now - start) : opts.settle_us - (now - quiet);
        long long slice = watching ? slice_us : POLL_SLICE_US;
        if (wait > slice)
            wait = slice;
        if (wait < 1)
            wait = 1;
        /* a busy back-end gets the CPU now (where both share one) and we
         * are back as soon as it sleeps: a timed sleep would leave the CPU
         * idle for the rest of the slice, and a sleep and a wake-up cost
         * more than a few yields and looks where each has a CPU of its own */
        if (watching && yields < IDLE_YIELDS) {
            yields++;
            sched_yield();
            continue;
        }
        if (slice_us < IDLE_SLICE_MAX_US)
            slice_us *= 2;
        struct pollfd p[2] = { { .fd = watching ? -1 : b->f.vq[opts.queue].call, .events = POLLIN },
                               { .fd = b->f.sock, .events = POLLIN } };
        ppoll(p, 2, &(struct timespec){ 0, wait * 1000 }, NULL);
        if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (!fence_out) { /* nothing to read: only its end */
            *hung_up = vu_front_hung_up(&b->f);
            continue;
        }
        vu_msg r;
        if (vu_front_recv_reply(&b->f, VU_GET_FEATURES, &r) != VU_OK) {
            *hung_up = true;
            break;
        }
        fence_out = false;
        quiet = vu_now_us();
    }
    if (fence_out && !*hung_up) {
        stats.end_silent++;
        disconnect(b);
    } /* the answer may still come: the stream is out of step */
    return calls + vu_front_calls(&b->f, opts.queue);
}

typedef struct apply_ctx {
    vh_be *b;
    const vc_gmem *exec;
} apply_ctx;

/* One run of changed bytes, cut at the chain buffer edges and at the used
 * ring's ends, written through the executor's gate (observed, judged). */
NO_COVERAGE static void apply_write(void *ctx, uint64_t gpa, const uint8_t *bytes, uint64_t len)
{
    apply_ctx *a = ctx;
    vh_be *b = a->b;
    if (in_idle(gpa, len))
        return; /* taken into the snapshot, not the executor's business */
    uint64_t end = gpa + len, at = gpa;
    uint64_t lo = b->packed ? b->desc : b->device;
    uint64_t hi = b->packed ? b->desc + vc_packed_desc_bytes(b->size) : b->device + vc_split_used_bytes(b->size);
    while (at < end) {
        uint64_t next = end;
        for (unsigned i = 0; i < b->ncuts; i++)
            if (b->cut[i] > at && b->cut[i] < next)
                next = b->cut[i];
        if (lo > at && lo < next)
            next = lo;
        if (hi > at && hi < next)
            next = hi;
        if (b->cuts_lost && next - at > 16) /* edges unknown: small pieces */
            next = at + 16;
        vc_gmem_write(a->exec, at, bytes + (at - gpa), next - at);
        at = next;
    }
}

/* Did the used ring moving from old to now require a call (*req names the
 * rule), by what the driver wrote? Split: flags or used_event; packed: the
 * driver's event structure (positions in slots, with wrap counters). */
static bool call_required(vh_be *b, uint16_t old, bool old_wrap, const char **req, const char **quiet)
{
    if (b->packed) {
        uint16_t flags, off_wrap;
        vc_gmem_ld16(&b->mem.view, b->driver + VC_PACKED_EVENT_FLAGS, &flags);
        vc_gmem_ld16(&b->mem.view, b->driver + VC_PACKED_EVENT_OFF_WRAP, &off_wrap);
        *req = REQ_DEV_IMPLIED_PACKED_EVENT_ON;
        *quiet = REQ_DEV_IMPLIED_PACKED_EVENT_OFF;
        flags &= 3;
        if (flags == VC_PACKED_EVENT_F_DESC && (b->features & (1ull << VC_F_EVENT_IDX))) {
            /* slots on one line of 2 * size: wrap counter 1 is the first lap */
            unsigned two = 2u * b->size;
            unsigned lo = old + (old_wrap ? 0 : b->size), hi = b->upos + (b->uwrap ? 0 : b->size);
            unsigned ev = (off_wrap & 0x7fff) + ((off_wrap >> 15) ? 0 : b->size);
            return (ev + two - lo) % two < (hi + two - lo) % two;
        }
        return flags == VC_PACKED_EVENT_F_ENABLE;
    }
    if (b->features & (1ull << VC_F_EVENT_IDX)) {
        uint16_t ev;
        vc_gmem_ld16(&b->mem.view, b->driver + vc_split_used_event_off(b->size), &ev);
        *req = REQ_DEV_VQ_USED_SUPP_5;
        *quiet = REQ_DEV_VQ_USED_SUPP_6;
        return (uint16_t)(b->used_seen - ev - 1) < (uint16_t)(b->used_seen - old);
    }
    uint16_t flags;
    vc_gmem_ld16(&b->mem.view, b->driver + VC_SPLIT_AVAIL_FLAGS, &flags);
    *req = REQ_DEV_VQ_USED_SUPP_3;
    *quiet = REQ_DEV_VQ_USED_SUPP_2;
    return !(flags & 1);
}

static void check_calls(vh_be *b, uint16_t old_seen, uint16_t old_pos, bool old_wrap, uint64_t calls)
{
    if (b->used_seen == old_seen)
        return;
    const char *req, *quiet;
    bool need = call_required(b, b->packed ? old_pos : old_seen, old_wrap, &req, &quiet);
    if (need && !calls && !b->ended_idle) { /* the call may trail the used entry: give it the settle time */
        struct pollfd p = { .fd = b->f.vq[opts.queue].call, .events = POLLIN };
        if (poll(&p, 1, (opts.settle_us + 999) / 1000) > 0)
            calls = vu_front_calls(&b->f, opts.queue);
    }
    if (need && !calls)
        note(b, "missed-notification", req, "%u used entries without a call", (uint16_t)(b->used_seen - old_seen));
    else if (!need && calls)
        note(b, "unneeded-notification", quiet, "a call for %u used entries, which the driver did not ask for",
             (uint16_t)(b->used_seen - old_seen));
}

/* The back-end hung up: the offered chains count as taken, and the
 * refusal stands at the chain the ring layer refuses (or at the end). */
static void refused(vh_be *b, const vc_adapter_events *ev)
{
    vc_err e;
    take_rest(b, ev, &e);
    ev->rejected(ev->ctx, e != VC_OK ? vc_err_name(e) : "closed-connection");
    b->refused = true;
    stats.end_hangup++;
    disconnect(b);
}

/* A driver write into the used ring (the scenario's MEM): from then on
 * the used entries do not say what the back-end did. */
NO_COVERAGE static void driver_wrote(void *ctx, uint64_t gpa, const uint8_t *bytes, uint64_t len)
{
    vh_be *b = ctx;
    (void)bytes;
    uint64_t lo = b->packed ? b->desc : b->device;
    uint64_t hi = b->packed ? b->desc + vc_packed_desc_bytes(b->size) : b->device + vc_split_used_bytes(b->size);
    /* packed: the driver's own descriptors are that ring; only a write
     * over the slot the next used descriptor goes to, with chains out,
     * loses track */
    if (b->packed) {
        lo = b->desc + (uint64_t)b->upos * VC_PACKED_DESC_SIZE;
        hi = lo + VC_PACKED_DESC_SIZE;
        if (b->nout == 0 && b->off_n == 0)
            return;
    }
    if (gpa < hi && lo < gpa + len)
        b->used_lost = true;
}

/* The driver's changes go across in address order, but a back-end that
 * polls (DPDK) must not see a ring's publishing words before what they
 * publish: the split ring's available index, and the packed ring's
 * descriptor flags (in reverse ring order from the device's position, so
 * each chain's head comes after the rest of it), are held back and written
 * last, after a release fence. */
#define MAX_HELD 1024

NO_COVERAGE static void push_ordered(vh_be *b)
{
    static uint64_t held[MAX_HELD];
    static uint16_t value[MAX_HELD];
    unsigned n = 0;
    if (!b->packed) {
        held[n++] = b->driver + VC_SPLIT_AVAIL_IDX;
    } else {
        for (unsigned k = 0; k < b->size && n < MAX_HELD; k++) {
            unsigned pos = (b->shadow.avail_pos + b->size - 1u - k) % b->size;
            held[n++] = b->desc + (uint64_t)pos * VC_PACKED_DESC_SIZE + VC_PACKED_DESC_FLAGS;
        }
    }
    unsigned m = 0; /* the ones that changed, in order */
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *was = vh_mirror_snap_at(&b->mirror, held[i], 2);
        uint16_t now, old;
        if (!was || !vc_gmem_ld16(&b->exec_view, held[i], &now))
            continue;
        memcpy(&old, was, 2);
        if (now == old)
            continue;
        /* the old value back in the executor's copy while the rest goes
         * across (its view, no observer), the new one after */
        vc_gmem_st16(&b->exec_view, held[i], old);
        held[m] = held[i];
        value[m++] = now;
    }
    push(b, driver_wrote, b);
    for (unsigned i = 0; i < m; i++) {
        vc_gmem_st16(&b->exec_view, held[i], value[i]);
        uint8_t bytes[2];
        vc_gmem_read(&b->exec_view, held[i], bytes, 2);
        vh_mirror_put(&b->mirror, held[i], bytes, 2);
        driver_wrote(b, held[i], bytes, 2);
    }
}

static void vh_kick(void *be, const vc_adapter_events *ev, vc_used_policy policy)
{
    vh_be *b = be;
    (void)policy; /* the back-end decides its used lengths itself */
    if (!b->live)
        return;
    stats.kicks++;
    if (b->nout == 0 && b->off_n == 0) {
        b->ncuts = 0;
        b->cuts_lost = false;
    }
    long long t0 = vu_now_us();
    push_ordered(b);
    if (!b->packed && b->nlost && head_reused(b))
        b->used_lost = b->reused = true;
    offer_all(b);
    lap(&t0, &stats.us_mirror);
    unsigned want = b->nout - b->nlost + b->off_n;
    if (b->offer_err != VC_OK && !b->packed) {
        /* chains published past the one the ring layer refuses: the
         * back-end may take them all the same, and is waited for */
        uint16_t idx;
        vc_gmem_ld16(&b->exec_view, b->driver + VC_SPLIT_AVAIL_IDX, &idx);
        uint16_t more = (uint16_t)(idx - b->shadow.last_avail);
        want += more < b->size ? more : b->size;
    } else if (b->offer_err != VC_OK) {
        want++;
    }
    uint16_t old = b->used_seen, old_pos = b->upos;
    bool old_wrap = b->uwrap;
    vu_front_kick(&b->f, opts.queue);
    bool hung_up, timed_out;
    /* with the used ring overwritten, only settling tells the back-end is done */
    uint64_t calls = wait_used(b, b->used_lost ? UINT16_MAX : want, true, &hung_up, &timed_out);
    lap(&t0, &stats.us_wait);
    if (b->used_lost)
        b->used_seen = used_count(b);
    else
        match_used(b, ev);
    if (timed_out)
        note(b, "hang", NULL, "%u of %u chains back after %d ms", (unsigned)(uint16_t)(b->used_seen - old),
             want, opts.timeout_ms);
    bool hang = timed_out && b->connected;
    b->hangup = b->hangup || hung_up;
    b->untracked = b->untracked || hung_up || timed_out || b->forbidden || b->used_lost;
    vc_err e = VC_OK;
    if (hung_up && b->forbidden) { /* the executor has its finding: nothing more to say */
        stats.end_hangup++;
        disconnect(b);
    }
    else if (hung_up)
        refused(b, ev);
    else if (!b->forbidden && !take_rest(b, ev, &e)) {
        /* it stopped at a chain the spec forbids: that is its refusal
         * (whether it took that chain in and dropped it, the next ring
         * restart tells) */
        ev->rejected(ev->ctx, vc_err_name(e));
        /* what it wrote for a chain it took after all and used too late
         * is not judged either */
        b->refused = b->untracked = true;
    }
    apply_ctx a = { b, b->mirror.exec };
    /* after a forbidden chain the writes of this kick are not judged: the
     * executor knows no buffers for that chain, and already has a finding */
    /* nor after a head reused while the back-end may hold it: whose chain
     * a used entry is, is not known (undone, the executor sees nothing) */
    vh_mirror_fn fn = b->forbidden || b->reused ? NULL : apply_write;
    if (b->full_mirror)
        vh_mirror_pull(&b->mirror, fn, &a);
    else
        vh_mirror_pull_pages(&b->mirror, b->dev, fn, &a);
    lap(&t0, &stats.us_mirror);
    if (!hung_up && !b->used_lost && !b->forbidden && b->connected && !hang)
        check_calls(b, old, old_pos, old_wrap, calls);
    /* the rest of the run is not played: every wait would be as long */
    if (hang)
        disconnect(b);
    lap(&t0, &stats.us_wait);
}

typedef struct stray_ctx {
    vh_be *b;
    uint64_t bytes, first;
    unsigned runs;
} stray_ctx;

/* A change found at the end of a run: on a page the back-end may write,
 * a late write (discarded); anywhere else, a write outside every buffer. */
NO_COVERAGE static void end_change(void *ctx, uint64_t gpa, const uint8_t *bytes, uint64_t len)
{
    stray_ctx *s = ctx;
    (void)bytes;
    if (in_idle(gpa, len))
        return;
    uint64_t off = 0;
    for (unsigned i = 0; i < s->b->mem.n; i++)
        if (gpa >= s->b->mem.r[i].gpa && gpa - s->b->mem.r[i].gpa < s->b->mem.r[i].size)
            off = s->b->mem.r[i].mmap_offset + (gpa - s->b->mem.r[i].gpa);
    if (vh_mirror_has(s->b->dev, off)) {
        stats.late_bytes += len;
        return;
    }
    if (s->runs++ == 0)
        s->first = gpa;
    s->bytes += len;
}

unsigned vu_adapter_end_run(vc_fz_finding *out, unsigned cap)
{
    vh_be *b = current;
    if (!b)
        return 0;
    long long t0 = vu_now_us();
    if (b->live && b->connected && !b->forbidden) {
        bool hung_up = false, timed_out = false;
        if (b->nout || b->off_n)
            wait_used(b, b->nout + b->off_n, false, &hung_up, &timed_out);
        b->untracked = b->untracked || hung_up || timed_out;
        b->hangup = b->hangup || hung_up;
        if (!b->used_lost && b->connected)
            match_used(b, NULL);
        b->nout += b->off_n; /* offered and never used: out all the same */
        if (b->nout && !b->used_lost && !b->refused)
            note(b, "chain-not-returned", NULL,
                 "%u chains made available and kicked never came back (taken and dropped, or never taken)",
                 b->nout);
        /* chains the back-end may still count as in flight, or a state we
         * could not follow, would carry into the next run: start afresh */
        if (b->nout || b->used_lost) {
            stats.end_dropped += b->nout > 0;
            stats.end_lost += !b->nout;
            disconnect(b);
        }
    }
    if (b->forbidden && b->connected) {
        stats.end_lost++;
        disconnect(b);
    }
    lap(&t0, &stats.us_end);
    /* everything the back-end changed and we did not take in: found here,
     * undone (the next run starts from the executor's memory) */
    if (!b->full_mirror) {
        stray_ctx s = { .b = b };
        vh_mirror_undo(&b->mirror, end_change, &s);
        if (s.runs && b->untracked)
            stats.late_bytes += s.bytes;
        else if (s.runs)
            note(b, "wrote-outside-writable-buffers", REQ_DEV_VQ_DESC_1,
                 "%llu bytes in %u runs from 0x%llx, outside the rings and every buffer offered (found after the run)",
                 (unsigned long long)s.bytes, s.runs, (unsigned long long)s.first);
    }
    vh_mirror_trim(&b->mirror);
    lap(&t0, &stats.us_mirror);
    b->new_run = true;
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
