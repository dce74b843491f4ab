/* The backend itself. Guest memory is reached through four helpers: in the
 * pointer build a region lookup and a plain dereference or memcpy (what the
 * fuzz build's instrumentation sees), in the PR_GMEM twin vc_gmem. The
 * checks on the ring are the backend's own, written from the spec's rules,
 * not taken from the reference device. */
#include "ptr_ring.h"

#include <stdlib.h>
#include <string.h>

#ifdef PR_GMEM
#include "vc/gmem.h"
#endif

#define F_NEXT 1u
#define F_WRITE 2u
#define F_INDIRECT 4u

static const char *const names[] = {"ok", "bad-map", "avail-jump", "bad-head", "bad-next", "loop",
                                    "bad-indirect", "write-before-read", "too-long"};

const char *pr_err_name(pr_err e)
{
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

void pr_init(pr_dev *d, const pr_region *reg, unsigned nreg, const void *gmem)
{
    memset(d, 0, sizeof(*d));
    d->nreg = nreg < PR_MAX_REGIONS ? nreg : PR_MAX_REGIONS;
    memcpy(d->reg, reg, d->nreg * sizeof(*reg));
    d->gmem = gmem;
}

/* ---- guest memory ---- */

#ifndef PR_GMEM
/* host address of gpa when [gpa, gpa+len) lies in one region, else NULL */
static uint8_t *map(const pr_dev *d, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < d->nreg; i++) {
        const pr_region *r = &d->reg[i];
        if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
            return r->hva + (gpa - r->gpa);
    }
    return NULL;
}

/* a range may run over into the next region (guest memory need not be one
 * mapping): piecewise, failing before touching anything */
static bool span(const pr_dev *d, uint64_t gpa, uint64_t len)
{
    while (len > 0) {
        uint64_t n = 0;
        for (unsigned i = 0; i < d->nreg && !n; i++) {
            const pr_region *r = &d->reg[i];
            if (gpa >= r->gpa && gpa - r->gpa < r->size)
                n = r->size - (gpa - r->gpa) < len ? r->size - (gpa - r->gpa) : len;
        }
        if (!n || gpa + n < gpa)
            return false;
        gpa += n;
        len -= n;
    }
    return true;
}

static bool rd(const pr_dev *d, uint64_t gpa, void *dst, uint64_t len)
{
    uint8_t *p = map(d, gpa, len);
    if (p) {
        memcpy(dst, p, len);
        return true;
    }
    if (!span(d, gpa, len))
        return false;
    for (uint64_t i = 0; i < len; i++) /* straddles regions: byte by byte */
        ((uint8_t *)dst)[i] = *map(d, gpa + i, 1);
    return true;
}

static bool wr(const pr_dev *d, uint64_t gpa, const void *src, uint64_t len)
{
    uint8_t *p = map(d, gpa, len);
    if (p) {
        memcpy(p, src, len);
        return true;
    }
    if (!span(d, gpa, len))
        return false;
    for (uint64_t i = 0; i < len; i++)
        *map(d, gpa + i, 1) = ((const uint8_t *)src)[i];
    return true;
}

/* an empty buffer still needs an address in guest memory (or a region's end) */
static bool valid(const pr_dev *d, uint64_t gpa, uint64_t len)
{
    return len ? span(d, gpa, len) : map(d, gpa, 0) != NULL;
}
#else
static bool rd(const pr_dev *d, uint64_t gpa, void *dst, uint64_t len)
{
    return vc_gmem_read(d->gmem, gpa, dst, len);
}

static bool wr(const pr_dev *d, uint64_t gpa, const void *src, uint64_t len)
{
    return vc_gmem_write(d->gmem, gpa, src, len);
}

static bool valid(const pr_dev *d, uint64_t gpa, uint64_t len)
{
    return vc_gmem_valid(d->gmem, gpa, len);
}
#endif

static uint16_t le16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t le32(const uint8_t *b) { return (uint32_t)le16(b) | (uint32_t)le16(b + 2) << 16; }
static uint64_t le64(const uint8_t *b) { return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32; }

/* Planted bugs, for showing that the harness sees a pointer-style backend's
 * accesses (tests/fuzz/check_ptr_twin.py): $PR_MUTANT = 1 peeks at the next
 * available chain's descriptor before it is available, 2 stores into a
 * device-readable buffer, 3 does that with memcpy. 0: none. */
static int mutant(void)
{
    static int m = -1;
    if (m < 0) {
        const char *e = getenv("PR_MUTANT");
        m = e ? atoi(e) : 0;
    }
    return m;
}

/* ---- the ring ---- */

bool pr_set_queue(pr_dev *d, bool indirect, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
    d->broken = true;
    if (size == 0 || size > 32768 || (size & (size - 1)) || desc % 16 || avail % 2 || used % 4)
        return false;
    if (!valid(d, desc, 16ull * size) || !valid(d, avail, 6 + 2ull * size) || !valid(d, used, 6 + 8ull * size))
        return false;
    d->size = size;
    d->indirect = indirect;
    d->desc = desc;
    d->avail = avail;
    d->used = used;
    d->last_avail = d->used_idx = 0;
    d->broken = false;
    return true;
}

typedef struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; } desc;

static bool read_desc(const pr_dev *d, uint64_t gpa, desc *out)
{
    uint8_t raw[16];
    if (!rd(d, gpa, raw, sizeof raw))
        return false;
    out->addr = le64(raw);
    out->len = le32(raw + 8);
    out->flags = le16(raw + 12);
    out->next = le16(raw + 14);
    return true;
}

/* Walks one table (the ring's or an indirect one) from index i. */
static pr_err walk(const pr_dev *d, uint64_t table, uint32_t n, uint16_t i, bool in_indirect, pr_elem *e,
                   uint64_t *total)
{
    for (uint32_t steps = 0;; steps++) {
        if (steps >= n)
            return PR_LOOP;
        desc x;
        if (!read_desc(d, table + 16ull * i, &x))
            return PR_BAD_MAP;
        if (x.flags & F_INDIRECT) {
            if (!d->indirect || in_indirect || (x.flags & F_NEXT) || x.len == 0 || x.len % 16)
                return PR_BAD_INDIRECT;
            if (!valid(d, x.addr, x.len))
                return PR_BAD_MAP;
            return walk(d, x.addr, x.len / 16, 0, true, e, total);
        }
        bool w = x.flags & F_WRITE;
        if (!w && e->nbuf && e->buf[e->nbuf - 1].write)
            return PR_ORDER;
        if (!valid(d, x.addr, x.len))
            return PR_BAD_MAP;
        if (e->nbuf == e->cap)
            return PR_TOO_LONG;
        *total += x.len;
        if (*total > (1ull << 32)) /* a chain may hold 4 GiB, not more */
            return PR_TOO_LONG;
        e->buf[e->nbuf++] = (pr_buf){x.addr, x.len, w};
        if (w)
            e->in_bytes += x.len;
        if (!(x.flags & F_NEXT))
            return PR_OK;
        if (x.next >= n)
            return PR_BAD_NEXT;
        i = x.next;
    }
}

int pr_pop(pr_dev *d, pr_elem *e)
{
    if (d->broken)
        return 0;
    uint8_t b[2];
    if (!rd(d, d->avail + 2, b, 2))
        return -PR_BAD_MAP;
    uint16_t avail_idx = le16(b);
    uint16_t pending = (uint16_t)(avail_idx - d->last_avail);
    if (pending > d->size) {
        d->broken = true;
        return -PR_AVAIL_JUMP;
    }
    if (pending == 0)
        return 0;
    if (!rd(d, d->avail + 4 + 2ull * (d->last_avail % d->size), b, 2))
        return -PR_BAD_MAP;
    uint16_t head = le16(b);
    e->nbuf = 0;
    e->in_bytes = 0;
    e->head = head;
    pr_err err = head >= d->size ? PR_BAD_HEAD : PR_OK;
    uint64_t total = 0;
    if (!err)
        err = walk(d, d->desc, d->size, head, false, e, &total);
    if (err) {
        d->broken = true;
        return -(int)err;
    }
    d->last_avail++;
    if (mutant() == 1) { /* a prefetch of the next head's descriptor, available or not */
        desc peek;
        if (rd(d, d->avail + 4 + 2ull * (d->last_avail % d->size), b, 2) && le16(b) < d->size)
            read_desc(d, d->desc + 16ull * le16(b), &peek);
    }
    return 1;
}

void pr_push(pr_dev *d, const pr_elem *e, uint32_t len, uint8_t byte)
{
    /* a small reply, like a real device's: never more than asked, than the
     * chain can hold, or than PR_REPLY_MAX; the used length says what landed */
    uint8_t fill[256];
    memset(fill, byte, sizeof fill);
    uint64_t want = len < e->in_bytes ? len : e->in_bytes;
    uint32_t left = want < PR_REPLY_MAX ? (uint32_t)want : PR_REPLY_MAX, done = 0;
    for (unsigned k = 0; k < e->nbuf && left; k++) {
        if (!e->buf[k].write)
            continue;
        for (uint32_t off = 0; off < e->buf[k].len && left;) {
            uint32_t n = e->buf[k].len - off < sizeof fill ? e->buf[k].len - off : (uint32_t)sizeof fill;
            n = n < left ? n : left;
            if (!wr(d, e->buf[k].gpa + off, fill, n))
                break;
            off += n;
            left -= n;
            done += n;
        }
    }
    for (unsigned k = 0; k < e->nbuf && mutant() >= 2; k++) {
        if (e->buf[k].write || !e->buf[k].len)
            continue;
#ifndef PR_GMEM
        uint8_t *p = map(d, e->buf[k].gpa, 1);
        if (p && mutant() == 2)
            *p ^= 1;
        else if (p)
            memcpy(p, fill, 1);
#else
        uint8_t one;
        if (rd(d, e->buf[k].gpa, &one, 1)) {
            one = mutant() == 2 ? one ^ 1 : fill[0];
            wr(d, e->buf[k].gpa, &one, 1);
        }
#endif
        break;
    }
    uint8_t ent[8] = {(uint8_t)e->head, (uint8_t)(e->head >> 8), 0, 0, (uint8_t)done, (uint8_t)(done >> 8),
                      (uint8_t)(done >> 16), (uint8_t)(done >> 24)};
    wr(d, d->used + 4 + 8ull * (d->used_idx % d->size), ent, sizeof ent);
    d->used_idx++;
    uint8_t idx[2] = {(uint8_t)d->used_idx, (uint8_t)(d->used_idx >> 8)};
    wr(d, d->used + 2, idx, sizeof idx);
}
