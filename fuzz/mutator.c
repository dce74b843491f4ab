/* Structure-aware scenario mutation, shared by the libFuzzer custom mutator
 * and the AFL++ custom mutator library. Byte flips cannot build a
 * 1025-descriptor chain or a table that straddles two regions; these
 * mutations make such shapes one step away. */
#include "mutator.h"

#include <string.h>

#include "scenario.h"
#include "vc/ring.h"

typedef struct rng { uint64_t s; } rng;

static uint32_t rnd(rng *r, uint32_t n)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return n ? (uint32_t)(r->s % n) : 0;
}

/* Addresses worth trying: inside data, at region edges, across the A|B seam,
 * into the gap, and wrapping the address space. */
static uint64_t pick_addr(rng *r)
{
    static const uint64_t edges[] = {
        VC_SCN_DATA_A, VC_SCN_DATA_B - 8, VC_SCN_DATA_B + VC_SCN_DATA_SIZE - 8,
        VC_SCN_DATA_C + VC_SCN_DATA_SIZE - 4, VC_SCN_TABLES, UINT64_MAX - 7, 0,
        VC_SCN_RINGS,
    };
    if (rnd(r, 4))
        return VC_SCN_DATA_A + rnd(r, 2 * VC_SCN_DATA_SIZE - 64);
    return edges[rnd(r, sizeof(edges) / sizeof(edges[0]))];
}

static uint32_t pick_len(rng *r)
{
    static const uint32_t odd[] = { 0, 1, 15, 16, 17, 24, 0x7fffffff, 0xffffffff, 0x80000000 };
    if (rnd(r, 4))
        return 1 + rnd(r, 512);
    return odd[rnd(r, sizeof(odd) / sizeof(odd[0]))];
}

static uint64_t table_addr(unsigned table)
{
    return VC_SCN_TABLES + (uint64_t)(table % VC_SCN_NTABLES) * VC_SCN_TABLE_ENTRIES * 16;
}

static bool insert(vc_scenario *s, uint32_t at, vc_scn_op op)
{
    if (s->nops >= VC_SCN_MAX_OPS)
        return false;
    if (at > s->nops)
        at = s->nops;
    memmove(&s->ops[at + 1], &s->ops[at], (s->nops - at) * sizeof(op));
    s->ops[at] = op;
    s->nops++;
    return true;
}

/* Index of a random op of the given kind, or -1. */
static int find(const vc_scenario *s, rng *r, uint8_t kind)
{
    if (!s->nops)
        return -1;
    uint32_t start = rnd(r, s->nops);
    for (uint32_t i = 0; i < s->nops; i++) {
        uint32_t k = (start + i) % s->nops;
        if (s->ops[k].op == kind)
            return (int)k;
    }
    return -1;
}

static vc_scn_op random_op(rng *r, const vc_scenario *s)
{
    vc_scn_op o = { .op = (uint8_t)rnd(r, VC_SCN_NOPS) };
    o.a8 = (uint8_t)rnd(r, 8);
    o.a16 = (uint16_t)rnd(r, s->qsize + 2);
    o.a32 = pick_len(r);
    o.a64 = pick_addr(r);
    if (o.op == VC_SCN_FILL)
        o.a32 = (uint32_t)(1 + rnd(r, s->qsize + 2)) | (uint32_t)(1 + rnd(r, 64)) << 16;
    return o;
}

/* Where the driver stands before op at: split, heads published so far;
 * packed, the next slot to make available and its wrap counter. */
static void driver_at(const vc_scenario *s, uint32_t at, uint16_t *pos, bool *wrap)
{
    uint32_t p = 0;
    bool w = true;
    for (uint32_t i = 0; i < at && i < s->nops; i++) {
        const vc_scn_op *o = &s->ops[i];
        if (o->op == VC_SCN_RESET) {
            p = 0;
            w = true;
        } else if (o->op == VC_SCN_WRAP) {
            w = !w;
        } else if (o->op == VC_SCN_AVAIL) {
            p += (s->features & VC_SCN_F_PACKED) ? o->a16 % s->qsize + 1u : 1u;
            for (; (s->features & VC_SCN_F_PACKED) && p >= s->qsize; p -= s->qsize)
                w = !w;
        }
    }
    *pos = (uint16_t)(p % s->qsize);
    *wrap = w;
}

/* A run of well-formed chains of n descriptors each, from where the driver
 * stands, kicked every `every` chains: long enough to wrap a small ring, so
 * used positions and notification events get to laps and wrap counters. */
static bool chain_run(vc_scenario *s, rng *r, uint32_t at)
{
    uint16_t pos;
    bool wrap, packed = s->features & VC_SCN_F_PACKED;
    driver_at(s, at, &pos, &wrap);
    uint32_t n = 1 + rnd(r, 3), chains = 1 + rnd(r, 2u * s->qsize / n + 2), every = 1 + rnd(r, 4);
    if (n > s->qsize)
        n = 1;
    if (chains > 10)
        chains = 10; /* wraps a ring of 8 (the seeds'); longer runs slow every execution */
    uint8_t write = rnd(r, 4) ? VC_DESC_F_WRITE : 0;
    for (uint32_t k = 0; k < chains; k++) {
        /* split: heads spread so a batch's chains do not share descriptors */
        uint16_t first = packed ? pos : (uint16_t)((k * n) % s->qsize);
        vc_scn_op fill = { VC_SCN_FILL, (uint8_t)(0x80 | write), first, n | 16u << 16,
                           VC_SCN_DATA_A + 64ull * k * n };
        vc_scn_op avail = { VC_SCN_AVAIL, 0, (uint16_t)(packed ? n - 1 : first), 0, 0 };
        if (!insert(s, at++, fill) || !insert(s, at++, avail))
            return false;
        if (((k + 1) % every == 0 || k + 1 == chains) && !insert(s, at++, (vc_scn_op){ .op = VC_SCN_KICK }))
            return false;
        pos = (uint16_t)((pos + n) % s->qsize);
    }
    return true;
}

/* The driver's notification suppression: flags, used_event, the packed
 * event structure, or an event a few entries ahead (scenario.h, EVENT). */
static bool event_op(vc_scenario *s, rng *r, uint32_t at)
{
    static const uint16_t flags[] = { 0, 1, VC_PACKED_EVENT_F_DESC, 3 };
    vc_scn_op o = { .op = VC_SCN_EVENT, .a8 = (uint8_t)rnd(r, 5) };
    switch (o.a8) {
    case 0: o.a16 = (uint16_t)rnd(r, 2); break;
    case 3: o.a16 = flags[rnd(r, 4)]; break;
    case 4: o.a16 = (uint16_t)rnd(r, 4); break;
    default: o.a16 = (uint16_t)(rnd(r, s->qsize) | (rnd(r, 2) ? 0x8000 : 0)); break;
    }
    if (rnd(r, 2))
        s->features |= VC_SCN_F_EVENT_IDX;
    return insert(s, at, o);
}

/* One structural change; returns false when it did not apply. */
static bool mutate_once(vc_scenario *s, rng *r)
{
    uint32_t pos = s->nops ? rnd(r, s->nops + 1) : 0;
    int k;
    switch (rnd(r, 19)) {
    case 16:
        return event_op(s, r, pos);
    case 17:
        return chain_run(s, r, pos);
    case 18: /* how many chains the backend takes before using them */
        s->reserved[9] = (uint8_t)((s->reserved[9] & 0xf0) | rnd(r, 16));
        return true;
    case 0: /* insert a plausible operation */
        return insert(s, pos, random_op(r, s));
    case 1: /* delete one */
        if (!s->nops)
            return false;
        pos = rnd(r, s->nops);
        memmove(&s->ops[pos], &s->ops[pos + 1], (s->nops - pos - 1) * sizeof(s->ops[0]));
        s->nops--;
        return true;
    case 2: { /* swap two */
        if (s->nops < 2)
            return false;
        uint32_t a = rnd(r, s->nops), b = rnd(r, s->nops);
        vc_scn_op t = s->ops[a];
        s->ops[a] = s->ops[b];
        s->ops[b] = t;
        return true;
    }
    case 3: /* grow a chain by one descriptor */
        if ((k = find(s, r, VC_SCN_DESC)) < 0)
            return false;
        s->ops[k].a8 |= VC_DESC_F_NEXT;
        return insert(s, (uint32_t)k + 1,
                      (vc_scn_op){ VC_SCN_DESC, (uint8_t)(s->ops[k].a8 & VC_DESC_F_WRITE),
                                   (uint16_t)(s->ops[k].a16 + 1), pick_len(r), pick_addr(r) });
    case 4: /* shrink: end a chain early */
        if ((k = find(s, r, rnd(r, 2) ? VC_SCN_DESC : VC_SCN_IDESC)) < 0)
            return false;
        s->ops[k].a8 &= (uint8_t)~VC_DESC_F_NEXT;
        return true;
    case 5: /* splice a loop: a next link pointing back */
        if ((k = find(s, r, VC_SCN_DESC)) < 0)
            return false;
        return insert(s, (uint32_t)k + 1,
                      (vc_scn_op){ VC_SCN_NEXT, 0, s->ops[k].a16,
                                   (uint32_t)(s->ops[k].a16 - rnd(r, 3)), 0 });
    case 6: { /* nest or chain indirect tables */
        unsigned t = rnd(r, VC_SCN_NTABLES);
        uint32_t entries = 1 + rnd(r, 8);
        vc_scn_op ind = { VC_SCN_IDESC, VC_DESC_F_INDIRECT | (rnd(r, 2) ? VC_DESC_F_NEXT : 0),
                          (uint16_t)(t << 11 | rnd(r, 4)), entries * 16, table_addr(t + 1) };
        return insert(s, pos, ind);
    }
    case 7: { /* an indirect table that straddles two regions or runs into the gap */
        static const uint64_t seams[] = { VC_SCN_DATA_B - 32, VC_SCN_DATA_B + VC_SCN_DATA_SIZE - 32,
                                          VC_SCN_DATA_C - 16, UINT64_MAX - 15 };
        vc_scn_op d = { VC_SCN_DESC, VC_DESC_F_INDIRECT, (uint16_t)rnd(r, s->qsize), 64,
                        seams[rnd(r, 4)] };
        return insert(s, pos, d);
    }
    case 8: { /* push an index past the queue size */
        uint16_t past = (uint16_t)(s->qsize + rnd(r, 3));
        static const uint8_t kinds[] = { VC_SCN_AIDX, VC_SCN_AVAIL, VC_SCN_NEXT };
        vc_scn_op o = { kinds[rnd(r, 3)], 0, past, past, 0 };
        if (o.op == VC_SCN_NEXT)
            o.a16 = (uint16_t)rnd(r, s->qsize);
        return insert(s, pos, o);
    }
    case 9: /* flip the driver's wrap counter */
        return insert(s, pos, (vc_scn_op){ .op = VC_SCN_WRAP });
    case 10: { /* a chain around the queue-size limit, through an indirect table */
        unsigned t = rnd(r, VC_SCN_NTABLES);
        uint32_t count = s->qsize + rnd(r, 3) - 1u;
        if (count == 0 || count > VC_SCN_TABLE_ENTRIES)
            count = 1;
        vc_scn_op fill = { VC_SCN_FILL, (uint8_t)rnd(r, 2) * VC_DESC_F_WRITE, (uint16_t)(t << 11),
                           count | 8u << 16, VC_SCN_DATA_A };
        vc_scn_op head = { VC_SCN_DESC, VC_DESC_F_INDIRECT, (uint16_t)rnd(r, s->qsize),
                           count * 16, table_addr(t) };
        return insert(s, pos, fill) && insert(s, pos + 1, head) &&
               insert(s, pos + 2, (vc_scn_op){ VC_SCN_AVAIL, 0, head.a16, 0, 0 }) &&
               insert(s, pos + 3, (vc_scn_op){ .op = VC_SCN_KICK });
    }
    case 11: /* header: feature bits or queue size */
        if (rnd(r, 2))
            s->features ^= (uint8_t)(1u << rnd(r, 4));
        else
            s->raw_qsize = (uint16_t)(rnd(r, 2) ? rnd(r, 11) : rnd(r, 1024));
        return true;
    case 12: /* extreme length or address on an existing descriptor */
        if ((k = find(s, r, rnd(r, 2) ? VC_SCN_DESC : VC_SCN_IDESC)) < 0)
            return false;
        if (rnd(r, 2))
            s->ops[k].a32 = pick_len(r);
        else
            s->ops[k].a64 = pick_addr(r);
        return true;
    case 13: /* make available and kick */
        return insert(s, pos, (vc_scn_op){ VC_SCN_AVAIL, 0, (uint16_t)rnd(r, s->qsize), 0, 0 }) &&
               insert(s, pos + 1, (vc_scn_op){ .op = VC_SCN_KICK });
    case 14: { /* one chain of 63-65 buffers of about 64 MiB: about 4 GiB in total */
        bool packed = s->features & VC_SCN_F_PACKED;
        if (s->qsize < 66) {
            s->raw_qsize = packed ? 127 : 7;
            s->qsize = 128;
        }
        uint32_t count = 64 + rnd(r, 3) - 1u;
        uint32_t len = 0x4000u + rnd(r, 3) - 1u; /* << 12 */
        vc_scn_op fill = { VC_SCN_FILL, (uint8_t)(0x80 | 0x40 | 6 << 3 | rnd(r, 2) * VC_DESC_F_WRITE),
                           0, count | len << 16, VC_SCN_BIG };
        vc_scn_op avail = { VC_SCN_AVAIL, 0, (uint16_t)(packed ? count - 1 : 0), 0, 0 };
        return insert(s, pos, fill) && insert(s, pos + 1, avail) &&
               insert(s, pos + 2, (vc_scn_op){ .op = VC_SCN_KICK });
    }
    default: /* flip a flag bit on some descriptor */
        if ((k = find(s, r, VC_SCN_DESC)) < 0 && (k = find(s, r, VC_SCN_IDESC)) < 0)
            return false;
        s->ops[k].a8 ^= (uint8_t)(1u << rnd(r, 5));
        return true;
    }
}

size_t vc_scn_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    static vc_scenario s;
    vc_scn_decode(data, size, &s);
    rng r = { (uint64_t)seed * 0x9e3779b97f4a7c15ull | 1 };
    unsigned rounds = 1 + rnd(&r, 3);
    for (unsigned i = 0, done = 0; done < rounds && i < 16; i++)
        done += mutate_once(&s, &r);
    /* keep the encoded form within the engine's limit */
    size_t cap_ops = max_size > VC_SCN_HDR ? (max_size - VC_SCN_HDR) / VC_SCN_REC : 0;
    if (s.nops > cap_ops)
        s.nops = (uint32_t)cap_ops;
    s.qsize = 0; /* recomputed on decode */
    return vc_scn_encode(&s, data, max_size);
}
