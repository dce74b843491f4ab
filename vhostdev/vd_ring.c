/* Sessions and rings of the back-end (see vd_back.h): the device core is
 * walked through initialisation when the first ring is ready, each ring
 * becomes a queue, chains are watched for the rules they were checked
 * against, and faults go to the log. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refdev/features.h"
#include "vc/req_ids.h"
#include "vc/ring.h"
#include "vd_back.h"

#define VHOST_F_LOG_ALL 26

void vd_front_fault(vd_back *b, const char *code, const char *fmt, ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    vd_log_fault(b->log, "front-end", b->session, code, "", -1, detail);
}

static void signal_fd(int fd)
{
    uint64_t one = 1;
    if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
        /* a full or closed eventfd: the front-end stopped listening */
    }
}

void vd_drain_faults(vd_back *b)
{
    vc_dev *d = b->dev;
    for (unsigned i = 0; i < d->nfaults; i++) {
        const vc_fault *f = &d->fault[i];
        bool drv = f->req && !strncmp(f->req, "drv.", 4);
        vd_log_fault(b->log, drv ? "driver" : "device", b->session, f->code, f->req, f->queue, f->detail);
        if (drv) {
            vd_rules_broken(&b->rules, f->req);
            b->faults++;
        }
        /* a broken ring: the front-end hears of it on the error eventfd
         * (the config change that says NEEDS_RESET has no way to QEMU) */
        if (f->queue >= 0 && (unsigned)f->queue < b->nrings && (d->status & VC_STATUS_NEEDS_RESET) &&
            !b->ring[f->queue].err_signalled) {
            b->ring[f->queue].err_signalled = true;
            signal_fd(b->ring[f->queue].err);
        }
    }
    uint64_t lost = d->faults_total - b->faults_seen - d->nfaults;
    if (lost)
        vd_log_fault(b->log, "device", b->session, "FAULTS_LOST", "", -1,
                     "more faults in one step than the device core keeps");
    b->faults_seen = d->faults_total;
    d->nfaults = 0; /* the log has them: the core's table is ours to empty */
}

/* ---- chains: the rules they were checked against, and their descriptors
 * while the device holds them ---- */

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Hashes an indirect table the descriptor raw points at (at most a queue's
 * worth: a longer table was refused). */
static uint64_t table_hash(const vc_vq_dev *q, uint64_t h, const uint8_t *raw)
{
    uint64_t addr, len = (uint32_t)(raw[8] | raw[9] << 8 | raw[10] << 16 | (uint32_t)raw[11] << 24);
    memcpy(&addr, raw, 8); /* little-endian hosts only, as the rest of the tree */
    if (len > (uint64_t)q->size * VC_SPLIT_DESC_SIZE)
        len = (uint64_t)q->size * VC_SPLIT_DESC_SIZE;
    uint8_t t[VC_SPLIT_DESC_SIZE];
    for (uint64_t off = 0; off < len; off += sizeof(t)) {
        uint64_t k = len - off < sizeof(t) ? len - off : sizeof(t);
        if (!vc_gmem_read(q->mem, addr + off, t, k))
            break;
        h = fnv(h, t, k);
    }
    return h;
}

/* Hash of the descriptors of the split chain at head (and of its indirect
 * table), read as the driver left them; never 0. */
static uint64_t chain_hash(const vc_vq_dev *q, uint16_t head)
{
    uint64_t h = 0xcbf29ce484222325ull;
    uint32_t idx = head;
    for (uint32_t n = 0; n <= q->size && idx < q->size; n++) {
        uint8_t raw[VC_SPLIT_DESC_SIZE];
        if (!vc_gmem_read(q->mem, q->desc + (uint64_t)idx * VC_SPLIT_DESC_SIZE, raw, sizeof(raw)))
            break;
        h = fnv(h, raw, sizeof(raw));
        uint16_t flags = (uint16_t)(raw[12] | raw[13] << 8), next = (uint16_t)(raw[14] | raw[15] << 8);
        if (flags & VC_DESC_F_INDIRECT) {
            h = table_hash(q, h, raw);
            break;
        }
        if (!(flags & VC_DESC_F_NEXT))
            break;
        idx = next;
    }
    return h ? h : 1;
}

/* Hash of the n packed ring slots from first (and of an indirect table the
 * first names), read as the driver left them; never 0. */
static uint64_t packed_hash(const vc_vq_dev *q, uint16_t first, uint16_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint16_t i = 0; i < n && i < q->size; i++) {
        uint8_t raw[VC_PACKED_DESC_SIZE];
        uint32_t slot = (first + i) % q->size;
        if (!vc_gmem_read(q->mem, q->desc + (uint64_t)slot * VC_PACKED_DESC_SIZE, raw, sizeof(raw)))
            break;
        h = fnv(h, raw, sizeof(raw));
        uint16_t flags = (uint16_t)(raw[VC_PACKED_DESC_FLAGS] | raw[VC_PACKED_DESC_FLAGS + 1] << 8);
        if (n == 1 && (flags & VC_DESC_F_INDIRECT))
            h = table_hash(q, h, raw);
    }
    return h ? h : 1;
}

/* The ring slot where a packed chain just taken begins. */
static uint16_t packed_first(const vc_vq_dev *q, const vc_chain *c)
{
    return (uint16_t)((q->avail_pos + q->size - c->ndesc % q->size) % q->size);
}

/* A packed indirect table carries no flag but WRITE. The walk tolerates
 * others (a device ignores them), so this is the check. */
static void packed_table_flags(vd_back *b, const vc_vq_dev *q, uint64_t head, const vc_chain *c)
{
    uint8_t raw[VC_PACKED_DESC_SIZE];
    if (!vc_gmem_read(q->mem, head, raw, sizeof(raw)))
        return;
    uint64_t addr;
    memcpy(&addr, raw + VC_PACKED_DESC_ADDR, 8);
    for (uint32_t i = 0; i < c->nseg; i++) { /* the walk took one segment per entry */
        uint16_t f;
        if (!vc_gmem_ld16(q->mem, addr + (uint64_t)i * VC_PACKED_DESC_SIZE + VC_PACKED_DESC_FLAGS, &f))
            return;
        if (f & ~VC_DESC_F_WRITE) {
            vc_dev_fault(b->dev, "DRV_PACKED_TABLE_FLAGS", REQ_DRV_PACKED_INDIRECT_2, -1, false,
                         "buffer %u: indirect entry %u has flags 0x%x", c->id, i, f);
            return;
        }
    }
    vd_rules_seen(&b->rules, REQ_DRV_PACKED_INDIRECT_2);
}

/* Ring-level rules the walk evaluated on a chain it took. */
static void ring_rules(vd_back *b, const vc_vq_dev *q, const vc_chain *c)
{
    vd_rules *r = &b->rules;
    vd_rules_seen(r, REQ_DRV_RESERVED_FEATURES_4); /* every buffer in guest memory */
    uint16_t flags;
    if (q->packed) {
        vd_rules_seen(r, REQ_DRV_PACKED_SG_2);
        vd_rules_seen(r, REQ_DRV_PACKED_SG_3);
        vd_rules_seen(r, REQ_DRV_IMPLIED_BUFFER_ID_RANGE);
        if (c->ndesc > 1)
            vd_rules_seen(r, REQ_DRV_PACKED_SG_6);
        uint64_t at = q->desc + (uint64_t)packed_first(q, c) * VC_PACKED_DESC_SIZE;
        if (c->ndesc == 1 && vc_gmem_ld16(q->mem, at + VC_PACKED_DESC_FLAGS, &flags) &&
            (flags & VC_DESC_F_INDIRECT)) {
            /* the walk refuses INDIRECT unnegotiated or with NEXT */
            vd_rules_seen(r, REQ_DRV_PACKED_INDIRECT_1);
            vd_rules_seen(r, REQ_DRV_PACKED_INDIRECT_4);
            vd_rules_seen(r, REQ_DRV_IMPLIED_INDIRECT_LEN);
            packed_table_flags(b, q, at, c);
        }
        return;
    }
    vd_rules_seen(r, REQ_DRV_VQ_AVAIL_1);
    vd_rules_seen(r, REQ_DRV_IMPLIED_HEAD_RANGE);
    vd_rules_seen(r, REQ_DRV_VQ_DESC_1);
    vd_rules_seen(r, REQ_DRV_FRAMING_1);
    vd_rules_seen(r, REQ_DRV_VQ_INDIRECT_3);
    if (c->nseg > 1)
        vd_rules_seen(r, REQ_DRV_IMPLIED_NEXT_RANGE);
    if (vc_gmem_ld16(q->mem, q->desc + (uint64_t)c->id * VC_SPLIT_DESC_SIZE + VC_SPLIT_DESC_FLAGS, &flags) &&
        (flags & VC_DESC_F_INDIRECT)) {
        vd_rules_seen(r, REQ_DRV_VQ_INDIRECT_1);
        vd_rules_seen(r, REQ_DRV_VQ_INDIRECT_2);
        vd_rules_seen(r, REQ_DRV_VQ_INDIRECT_4);
        vd_rules_seen(r, REQ_DRV_IMPLIED_INDIRECT_LEN);
    }
}

/* A packed chain the device returns: its slots as taken; the used
 * descriptor about to be written at used_pos ends the watch of any other
 * held chain that slot belongs to (the device, not the driver, changes it). */
static void packed_used(vd_back *b, unsigned qi, vd_ring *ring, const vc_vq_dev *q, const vc_chain *c)
{
    vd_snap *s = &ring->snap[c->id];
    if (s->hash) {
        if (packed_hash(q, s->first, s->n) == s->hash) {
            vd_rules_seen(&b->rules, REQ_DRV_PACKED_DESC_TYPO_1);
            vd_rules_seen(&b->rules, REQ_DRV_PACKED_DESC_TYPO_2);
        } else {
            /* one observation, two statements: changed before USED was
             * seen, and after AVAIL was set */
            vc_dev_fault(b->dev, "DRV_DESC_CHANGED", REQ_DRV_PACKED_DESC_TYPO_2, (int)qi, false,
                         "descriptors of buffer %u changed while the device held it", c->id);
            vc_dev_fault(b->dev, "DRV_DESC_CHANGED", REQ_DRV_PACKED_DESC_TYPO_1, (int)qi, false,
                         "descriptors of buffer %u rewritten before it was used", c->id);
        }
        s->hash = 0;
    }
    for (uint32_t i = 0; i < ring->nsnap; i++) {
        vd_snap *o = &ring->snap[i];
        if (o->hash && (uint16_t)((q->used_pos + q->size - o->first) % q->size) < o->n)
            o->hash = 0;
    }
}

/* drv.packed_sg.5: a list goes into free slots only. The slots a packed
 * ring has in flight are those of the chains the device took and has not
 * used (used_pos moves by a used chain's slots), as the driver counts
 * them; a list taken beyond size - in flight lies over descriptors the
 * device still holds. */
static void packed_room(vd_back *b, unsigned qi, vd_ring *ring, const vc_vq_dev *q, const vc_chain *c, bool used)
{
    if (used) {
        ring->packed_slots -= c->ndesc < ring->packed_slots ? c->ndesc : ring->packed_slots;
        return;
    }
    uint32_t held = ring->packed_slots;
    ring->packed_slots += c->ndesc;
    if (held + c->ndesc <= q->size)
        vd_rules_seen(&b->rules, REQ_DRV_PACKED_SG_5);
    else
        vc_dev_fault(b->dev, "DRV_PACKED_OVER_IN_FLIGHT", REQ_DRV_PACKED_SG_5, (int)qi, false,
                     "buffer %u: %u slots exposed with %u of %u still in flight", c->id, c->ndesc, held, q->size);
}

static void on_chain(void *opaque, unsigned qi, const vc_chain *c, bool used)
{
    vd_back *b = opaque;
    if (qi >= b->nrings)
        return;
    vd_ring *ring = &b->ring[qi];
    const vc_vq_dev *q = &b->dev->q[qi].vq;
    bool snap = ring->snap && c->id < ring->nsnap;
    if (q->packed)
        packed_room(b, qi, ring, q, c, used);
    if (!used) {
        b->chains++;
        ring_rules(b, q, c);
        b->type->classify(&b->rules, b->dev, qi, c);
        vd_accept_chain(b, c);
        if (snap && q->packed) {
            vd_snap *s = &ring->snap[c->id];
            s->first = packed_first(q, c);
            s->n = c->ndesc;
            s->hash = packed_hash(q, s->first, s->n);
        } else if (snap) {
            ring->snap[c->id].hash = chain_hash(q, c->id);
        }
        return;
    }
    if (snap && q->packed) {
        packed_used(b, qi, ring, q, c);
        return;
    }
    /* the driver must leave an exposed chain alone until it is used */
    if (!snap || !ring->snap[c->id].hash)
        return;
    if (chain_hash(q, c->id) == ring->snap[c->id].hash)
        vd_rules_seen(&b->rules, REQ_DRV_CLEANUP_1);
    else
        vc_dev_fault(b->dev, "DRV_DESC_CHANGED", REQ_DRV_CLEANUP_1, (int)qi, false,
                     "descriptors of chain %u changed while the device held it", c->id);
    ring->snap[c->id].hash = 0;
}

static void on_irq(void *opaque, uint16_t vector)
{
    vd_back *b = opaque;
    if (vector < b->nrings && b->ring[vector].call < 0)
        b->ring[vector].call_missed = true; /* given to the call fd when it comes */
    else if (vector < b->nrings)
        signal_fd(b->ring[vector].call);
    /* a config change (NEEDS_RESET) cannot reach QEMU: no back-end channel */
}

static bool ring_enabled(const vd_back *b, const vd_ring *r);
static void serve_queue(vd_back *b, unsigned qi);
static void note_waiting(vd_back *b, unsigned qi);

/* A rule the device type's checks evaluated and the driver kept
 * (refdev/drvrules.h); broken ones arrive as faults. */
static void on_rule(void *opaque, const char *req)
{
    vd_back *b = opaque;
    vd_rules_seen(&b->rules, req);
}

void vd_ring_attach(vd_back *b)
{
    b->dev->irq = on_irq;
    b->dev->irq_opaque = b;
    b->dev->on_chain = on_chain;
    b->dev->chain_opaque = b;
    b->dev->on_rule = on_rule;
    b->dev->rule_opaque = b;
}

/* ---- sessions ---- */

/* drv.features.1 as far as vhost-user shows it: the front-end drops bits
 * it did not offer (a front-end fault when it does not), so what is left is
 * the dependencies, judged only when some offered bit has one (otherwise no
 * choice of the driver could break the rule). The core checked them at
 * FEATURES_OK; a legacy driver has none, its set is final at DRIVER_OK. */
static void features_rule(vd_back *b, uint64_t f)
{
    vc_dev *d = b->dev;
    bool deps = false;
    for (unsigned bit = 0; bit < 64 && !deps; bit++)
        deps = (d->offered >> bit & 1) && vc_features_missing_deps(d->ops->device_id, 1ull << bit);
    if (!deps)
        return;
    uint64_t missing = vc_features_missing_deps(d->ops->device_id, f);
    if (!d->legacy) {
        if (!missing) /* refused at FEATURES_OK otherwise, with the fault */
            vd_rules_seen(&b->rules, REQ_DRV_FEATURES_1);
    } else if (missing) {
        vc_dev_fault(d, "DRV_FEATURES_DEPS", REQ_DRV_FEATURES_1, -1, false,
                     "features 0x%llx: 0x%llx without a feature they need", (unsigned long long)f,
                     (unsigned long long)missing);
    } else {
        vd_rules_seen(&b->rules, REQ_DRV_FEATURES_1);
    }
}

/* Features the guest saw offered must be accepted: VERSION_1 on a device
 * with no legacy interface, RING_PACKED (should) by a modern driver when the
 * front-end offers it. Both bits reach the back-end as the guest acked them
 * (every vhost-user front-end passes them through). */
static void offered_rules(vd_back *b, uint64_t f)
{
    bool v1 = f & (1ull << VC_F_VERSION_1);
    if (b->modern_only && !v1)
        vc_dev_fault(b->dev, "DRV_REFUSED_VERSION_1", REQ_DRV_RESERVED_FEATURES_1, -1, false,
                     "features 0x%llx on a device with no legacy interface", (unsigned long long)f);
    else if (b->modern_only)
        vd_rules_seen(&b->rules, REQ_DRV_RESERVED_FEATURES_1);
    if (!b->offers_packed || !v1 || !(b->dev->offered & (1ull << VC_F_RING_PACKED)))
        return;
    if (f & (1ull << VC_F_RING_PACKED))
        vd_rules_seen(&b->rules, REQ_DRV_RESERVED_FEATURES_5);
    else
        vc_dev_fault(b->dev, "DRV_REFUSED_RING_PACKED", REQ_DRV_RESERVED_FEATURES_5, -1, false,
                     "features 0x%llx: RING_PACKED offered and not taken", (unsigned long long)f);
}

static void begin_session(vd_back *b)
{
    vc_dev *d = b->dev;
    vc_dev_reset(d);
    vd_rules_clear(&b->rules);
    b->chains = 0;
    b->session++;
    uint64_t f = b->features & ~(1ull << VU_F_PROTOCOL_FEATURES | 1ull << VHOST_F_LOG_ALL);
    uint64_t unoffered = f & ~d->offered;
    if (unoffered) /* a front-end that passes the guest's features unfiltered */
        vd_front_fault(b, "FEATURES_NOT_OFFERED",
                       "SET_FEATURES 0x%llx has bits the back-end never offered: 0x%llx",
                       (unsigned long long)b->features, (unsigned long long)unoffered);
    vd_accept_session(b, f);
    f &= d->offered;
    d->legacy = !(f & (1ull << VC_F_VERSION_1));
    b->mode = d->legacy ? "legacy" : (f & (1ull << VC_F_RING_PACKED)) ? "modern-packed" : "modern";
    vd_log_session(b->log, b->session, f, unoffered, b->mode);
    uint8_t s = VC_STATUS_ACKNOWLEDGE;
    vc_dev_set_status(d, s);
    vc_dev_set_status(d, s |= VC_STATUS_DRIVER);
    vc_dev_set_driver_features(d, 0, (uint32_t)f);
    vc_dev_set_driver_features(d, 1, (uint32_t)(f >> 32));
    if (!d->legacy)
        vc_dev_set_status(d, s |= VC_STATUS_FEATURES_OK);
    features_rule(b, f);
    offered_rules(b, f);
    vc_dev_set_status(d, s | VC_STATUS_DRIVER_OK);
    b->running = (vc_dev_status(d) & VC_STATUS_DRIVER_OK) != 0;
    vd_drain_faults(b);
}

static void end_session(vd_back *b)
{
    vd_accept_end(b);
    vd_drain_faults(b);
    vd_log_rules(b->log, b->session, b->mode, b->chains, &b->rules);
    vc_dev_reset(b->dev);
    b->running = false;
}

/* The ring's parts as guest-physical addresses. */
static bool ring_gpas(vd_back *b, const vd_ring *r, bool packed, uint64_t *desc, uint64_t *drv, uint64_t *dev)
{
    uint64_t n = r->num;
    uint64_t dl = packed ? vc_packed_desc_bytes((uint32_t)n) : vc_split_desc_bytes((uint32_t)n);
    uint64_t al = packed ? VC_PACKED_EVENT_SIZE : vc_split_avail_bytes((uint32_t)n);
    uint64_t ul = packed ? VC_PACKED_EVENT_SIZE : vc_split_used_bytes((uint32_t)n);
    return vd_mem_gpa(&b->mem, r->desc, dl, desc) && vd_mem_gpa(&b->mem, r->avail, al, drv) &&
           vd_mem_gpa(&b->mem, r->used, ul, dev);
}

/* Where the ring stood (SET_VRING_BASE): split, the next available index;
 * packed, position and wrap counter of the next available (low 16 bits)
 * and used (high 16 bits) descriptor. */
static void restore_base(vc_vq_dev *q, uint32_t base)
{
    if (!q->packed) {
        q->last_avail = (uint16_t)base;
        vc_gmem_ld16(q->mem, q->device + VC_SPLIT_USED_IDX, &q->used_idx);
        q->signalled_used = q->used_idx;
        return;
    }
    q->avail_pos = (uint16_t)(base & 0x7fff) % q->size;
    q->avail_wrap = (base >> 15) & 1;
    uint32_t used = base >> 16 ? base >> 16 : base & 0xffff;
    q->used_pos = (uint16_t)(used & 0x7fff) % q->size;
    q->used_wrap = (used >> 15) & 1;
}

static void ring_live(vd_back *b, unsigned qi)
{
    vc_dev *d = b->dev;
    vd_ring *r = &b->ring[qi];
    vc_dev_queue *dq = &d->q[qi];
    bool packed = vc_dev_has(d, VC_F_RING_PACKED);
    if (r->num == 0 || r->num > dq->max_size || (!packed && !vc_is_pow2(r->num) && d->legacy)) {
        vd_front_fault(b, "RING_SIZE", "ring %u of %u entries (the model takes up to %u)", qi, r->num,
                       dq->max_size);
        return;
    }
    /* a modern driver picked the size: a split ring's must be a power of 2 */
    if (!vc_dev_queue_set_size(d, qi, (uint16_t)r->num)) {
        vd_drain_faults(b);
        return;
    }
    if (!d->legacy)
        vd_rules_seen(&b->rules, packed ? REQ_DRV_PCI_COMMON_2 : REQ_DRV_PCI_COMMON_3);
    uint64_t desc, drv, dev;
    if (!ring_gpas(b, r, packed, &desc, &drv, &dev)) {
        vd_front_fault(b, "RING_ADDR", "ring %u: an address outside the memory table", qi);
        return;
    }
    vc_dev_queue_set_addr(d, qi, desc, drv, dev);
    if (!vc_dev_queue_enable(d, qi)) {
        vd_drain_faults(b); /* misaligned (drv.vq.1, drv.packed.1) */
        return;
    }
    vd_rules_seen(&b->rules, packed ? REQ_DRV_PACKED_1 : REQ_DRV_VQ_1);
    restore_base(&dq->vq, r->base);
    if (!packed && dq->vq.used_idx == 0) {
        /* a fresh used ring: the driver zeroed its flags */
        uint16_t flags = 0;
        vc_gmem_ld16(&b->mem.gmem, dev + VC_SPLIT_USED_FLAGS, &flags);
        if (flags)
            vc_dev_fault(d, "DRV_USED_FLAGS", REQ_DRV_VQ_AVAIL_SUPP_1, (int)qi, false,
                         "used ring flags 0x%x when the ring started", flags);
        else
            vd_rules_seen(&b->rules, REQ_DRV_VQ_AVAIL_SUPP_1);
    }
    dq->msix_vector = (uint16_t)qi; /* on_irq's vector is the ring */
    free(r->snap);
    r->snap = calloc(r->num, sizeof(*r->snap)); /* ids and head indexes are below the size */
    r->nsnap = r->snap ? r->num : 0;
    r->live = true;
    r->packed_slots = 0;
    r->err_signalled = r->flags_faulted = false;
    r->kick_faulted = false;
    vd_quiet_ring_live(b, qi);
    serve_queue(b, qi); /* buffers made available before the kick fd came */
    note_waiting(b, qi);
    vd_drain_faults(b);
}

void vd_ring_serve(vd_back *b, unsigned qi)
{
    serve_queue(b, qi);
    note_waiting(b, qi);
    vd_drain_faults(b);
}

void vd_ring_try_start(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    if (r->live || !r->started || !ring_enabled(b, r) || !r->num || !r->addr_set || !b->features_set ||
        b->mem.n == 0)
        return;
    if (!b->running)
        begin_session(b);
    if (b->running)
        ring_live(b, qi);
}

void vd_ring_close_fds(vd_ring *r)
{
    int *fds[] = { &r->kick, &r->call, &r->err };
    for (unsigned i = 0; i < 3; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

/* drv.cleanup.2: the chains the device still holds when its ring stops
 * (the guest's reset, or QEMU going away) are as the driver exposed them:
 * a driver reclaims exposed buffers only after the reset, and QEMU stops
 * the ring inside the guest's reset write. */
static void held_at_stop(vd_back *b, unsigned qi, const vd_ring *r, const vc_vq_dev *q)
{
    for (uint32_t i = 0; i < r->nsnap; i++) {
        const vd_snap *s = &r->snap[i];
        if (!s->hash)
            continue;
        uint64_t now = q->packed ? packed_hash(q, s->first, s->n) : chain_hash(q, (uint16_t)i);
        if (now == s->hash) {
            vd_rules_seen(&b->rules, REQ_DRV_CLEANUP_2);
        } else {
            vc_dev_fault(b->dev, "DRV_RECLAIMED_LIVE", REQ_DRV_CLEANUP_2, (int)qi, false,
                         "%s %u the device held was changed before the ring stopped", q->packed ? "buffer" : "chain",
                         i);
            return; /* one is enough */
        }
    }
}

uint32_t vd_ring_stop(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    uint32_t base = r->base;
    if (r->live) {
        const vc_vq_dev *q = &b->dev->q[qi].vq;
        if (r->snap)
            held_at_stop(b, qi, r, q);
        base = q->packed ? (uint32_t)q->avail_pos | (uint32_t)q->avail_wrap << 15 |
                               (uint32_t)q->used_pos << 16 | (uint32_t)q->used_wrap << 31
                         : q->last_avail;
        vd_quiet_stop(b, qi);
        vc_dev_queue_reset(b->dev, qi); /* held chains are dropped, as a reset would */
        r->live = false;
    }
    r->started = r->call_missed = r->waiting = false;
    r->base = base;
    if (r->kick >= 0)
        close(r->kick);
    if (r->call >= 0)
        close(r->call);
    r->kick = r->call = -1;
    bool any = false;
    for (unsigned i = 0; i < b->nrings; i++)
        any |= b->ring[i].live;
    if (!any && b->running)
        end_session(b);
    return base;
}

static bool ring_enabled(const vd_back *b, const vd_ring *r)
{
    return r->enabled || !(b->features & (1ull << VU_F_PROTOCOL_FEATURES));
}

/* The available ring's flags: 0 or 1 without EVENT_IDX, 0 with it. */
static void check_avail_flags(vd_back *b, unsigned qi, vd_ring *r)
{
    const vc_vq_dev *q = &b->dev->q[qi].vq;
    if (q->packed)
        return;
    uint16_t flags = 0;
    vc_gmem_ld16(q->mem, q->driver + VC_SPLIT_AVAIL_FLAGS, &flags);
    const char *req = q->event_idx ? REQ_DRV_VQ_USED_SUPP_3 : REQ_DRV_VQ_USED_SUPP_1;
    if (q->event_idx ? flags == 0 : flags <= 1)
        vd_rules_seen(&b->rules, req);
    else if (!r->flags_faulted) { /* once a session: a driver does it on every kick */
        r->flags_faulted = true;
        vc_dev_fault(b->dev, "DRV_AVAIL_FLAGS", req, (int)qi, false, "available ring flags 0x%x%s", flags,
                     q->event_idx ? " with EVENT_IDX" : "");
    }
}

/* True when the driver has made a buffer available the device has not
 * taken yet. */
static bool more_available(const vc_vq_dev *q)
{
    uint16_t v = 0;
    if (q->packed) {
        vc_gmem_ld16_acquire(q->mem, q->desc + (uint64_t)q->avail_pos * VC_PACKED_DESC_SIZE + VC_PACKED_DESC_FLAGS, &v);
        return !!(v & VC_DESC_F_AVAIL) == q->avail_wrap && !!(v & VC_DESC_F_USED) != q->avail_wrap;
    }
    vc_gmem_ld16_acquire(q->mem, q->driver + VC_SPLIT_AVAIL_IDX, &v);
    return v != q->last_avail;
}

/* Serves a queue. The device core asks for the next kick (avail_event, or
 * the packed device area) when it finds the ring empty, then looks once
 * more; with the driver on another CPU that store must be visible before
 * the second look, or a buffer added meanwhile is never kicked (the driver
 * read the old avail_event) and never seen. The fence and the look here
 * close that window; a few rounds bound the work when a model leaves
 * buffers available on purpose (its held chains are full). */
static void serve_queue(vd_back *b, unsigned qi)
{
    for (unsigned round = 0; round < 4; round++) {
        vc_dev_notify(b->dev, qi);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        const vc_dev_queue *q = &b->dev->q[qi];
        if (!q->enabled || !more_available(&q->vq))
            break;
    }
}

/* The kick rule of a split ring: with EVENT_IDX the driver kicks when its
 * new entry passes avail_event (the device wrote the index it stopped at),
 * without it whenever the used ring's flags are 0 (the device never sets
 * them). */
static const char *kick_rule(const vc_vq_dev *q)
{
    return q->event_idx ? REQ_DRV_VQ_AVAIL_SUPP_6 : REQ_DRV_VQ_AVAIL_SUPP_4;
}

/* After serving: the device waits for a kick when it emptied the ring. */
static void note_waiting(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    const vc_dev_queue *q = &b->dev->q[qi];
    r->waiting = r->live && r->quiet != 1 && !q->vq.packed && q->enabled && q->vq.broken == VC_OK &&
                 !(b->dev->status & VC_STATUS_NEEDS_RESET) && !more_available(&q->vq);
    r->pending_since = 0;
}

void vd_back_kick(vd_back *b, unsigned qi)
{
    if (qi >= b->nrings)
        return;
    vd_ring *r = &b->ring[qi];
    if (!r->live) {
        vd_ring_try_start(b, qi); /* the kick starts a ring (vhost-user.rst, "Ring states") */
        return;
    }
    if (!b->running || !ring_enabled(b, r))
        return; /* a disabled ring's buffers wait for SET_VRING_ENABLE */
    const vc_vq_dev *q = &b->dev->q[qi].vq;
    check_avail_flags(b, qi, r);
    if (vd_quiet_kick(b, qi))
        return;
    if (r->waiting && more_available(q)) { /* new buffers, and the kick they needed */
        vd_rules_seen(&b->rules, kick_rule(q));
        const char *also = vd_quiet_mislead_rule(b, q);
        if (also)
            vd_rules_seen(&b->rules, also);
    }
    serve_queue(b, qi);
    note_waiting(b, qi);
    vd_quiet_after_kick(b, qi);
    vd_drain_faults(b);
}

int vd_back_tick_ms(const vd_back *b)
{
    if (vd_quiet_any(b))
        return VD_QUIET_POLL_MS;
    for (unsigned i = 0; i < b->nrings; i++)
        if (b->ring[i].waiting)
            return VD_KICK_GRACE_MS / 4;
    return -1;
}

/* True when ring r's kick fd has a kick not read yet. */
static bool kick_queued(const vd_ring *r)
{
    struct pollfd p = { .fd = r->kick, .events = POLLIN };
    return r->kick >= 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

void vd_back_tick(vd_back *b, long long now)
{
    b->now_ms = now;
    if (!b->running)
        return;
    for (unsigned qi = 0; qi < b->nrings; qi++) {
        vd_ring *r = &b->ring[qi];
        vd_quiet_tick(b, qi);
        if (!r->waiting || !r->live || !ring_enabled(b, r))
            continue;
        const vc_vq_dev *q = &b->dev->q[qi].vq;
        if (!more_available(q)) {
            r->pending_since = 0;
            continue;
        }
        if (!r->pending_since)
            r->pending_since = now ? now : 1;
        if (now - r->pending_since < VD_KICK_GRACE_MS || kick_queued(r))
            continue;
        if (!r->kick_faulted) { /* once a session: the rest follow from it */
            r->kick_faulted = true;
            uint16_t idx = 0;
            vc_gmem_ld16(q->mem, q->driver + VC_SPLIT_AVAIL_IDX, &idx);
            vc_dev_fault(b->dev, "DRV_KICK_MISSED", kick_rule(q), (int)qi, false,
                         "available index %u (device at %u) for %lld ms without a kick", idx, q->last_avail,
                         now - r->pending_since);
            const char *also = vd_quiet_mislead_rule(b, q);
            if (also) /* the disregarded field said no kick: the driver may have heeded it */
                vc_dev_fault(b->dev, "DRV_KICK_MISSED", also, (int)qi, false,
                             "no kick for available index %u while %s said none", idx,
                             q->event_idx ? "NO_NOTIFY" : "avail_event");
        }
        serve_queue(b, qi); /* the driver still gets its buffers served */
        note_waiting(b, qi);
        vd_drain_faults(b);
    }
}

void vd_back_kick_gone(vd_back *b, unsigned qi)
{
    vd_ring *r = &b->ring[qi];
    vd_front_fault(b, "KICK_FD_GONE", "ring %u: the kick fd hung up or failed; no more kicks from it", qi);
    if (r->kick >= 0)
        close(r->kick);
    r->kick = -1;
}
