/* A scenario's memory map placed in the probe's DMA arena (replay_mem.h). */
#include "replay_mem.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "vc/ring.h"

#define CANARY 0x5a
#define SCAN_MAX_ENTRIES 32768u /* entries read per indirect table at most */

_Static_assert(VC_SCN_DATA_B == VC_SCN_DATA_A + VC_SCN_DATA_SIZE, "data A and B are one group");

static const struct {
    uint64_t scn, size;
    const char *name;
} groups[RP_GROUPS] = {
    {VC_SCN_RINGS, VC_SCN_RINGS_SIZE, "rings"},
    {VC_SCN_TABLES, VC_SCN_TABLES_SIZE, "indirect tables"},
    {VC_SCN_DATA_A, 2ull * VC_SCN_DATA_SIZE, "data A and B"},
    {VC_SCN_DATA_C, VC_SCN_DATA_SIZE, "data C"},
};

/* Offset of group g in the replay area: a guard before each, one after the last. */
static uint64_t group_off(unsigned g)
{
    uint64_t off = RP_GUARD;
    for (unsigned i = 0; i < g; i++)
        off += groups[i].size + RP_GUARD;
    return off;
}

uint64_t rp_mem_need(void)
{
    return group_off(RP_GROUPS);
}

static void note_dirty(void *opaque, uint64_t gpa, uint64_t len, bool is_write)
{
    rp_mem *m = opaque;
    if (!is_write || m->dirty_all)
        return;
    if (m->ndirty) { /* most writes continue the last one */
        rp_range *r = &m->dirty[m->ndirty - 1];
        if (gpa >= r->gpa && gpa <= r->gpa + r->len) {
            if (gpa + len > r->gpa + r->len)
                r->len = gpa + len - r->gpa;
            return;
        }
    }
    if (m->ndirty == RP_MAX_DIRTY)
        m->dirty_all = true;
    else
        m->dirty[m->ndirty++] = (rp_range){gpa, len};
}

bool rp_mem_init(rp_mem *m, uint64_t base, uint8_t *host, uint64_t len)
{
    memset(m, 0, sizeof *m);
    if (len < rp_mem_need()) {
        snprintf(m->why, sizeof m->why, "the DMA arena leaves %llu KiB for the scenario map, which needs %llu",
                 (unsigned long long)(len >> 10), (unsigned long long)(rp_mem_need() >> 10));
        return false;
    }
    m->base = base;
    m->len = rp_mem_need();
    m->arena = host;
    m->img = malloc(m->len);
    vc_gmem_init(&m->shadow);
    vc_gmem_init(&m->img_mem);
    vc_gmem_init(&m->dev_mem);
    bool ok = m->img && vc_gmem_add(&m->dev_mem, base, m->len, host);
    for (unsigned g = 0; ok && g < RP_GROUPS; g++) {
        m->sh[g] = malloc(groups[g].size);
        ok = m->sh[g] && vc_gmem_add(&m->shadow, groups[g].scn, groups[g].size, m->sh[g]) &&
             vc_gmem_add(&m->img_mem, base + group_off(g), groups[g].size, m->img + group_off(g));
    }
    if (!ok) {
        snprintf(m->why, sizeof m->why, "out of memory for the scenario map");
        rp_mem_free(m);
        return false;
    }
    m->shadow.observer = note_dirty;
    m->shadow.observer_opaque = m;
    return true;
}

void rp_mem_free(rp_mem *m)
{
    free(m->img);
    for (unsigned g = 0; g < RP_GROUPS; g++)
        free(m->sh[g]);
    m->img = NULL;
    memset(m->sh, 0, sizeof m->sh);
}

static int group_of(uint64_t scn)
{
    for (unsigned g = 0; g < RP_GROUPS; g++)
        if (scn >= groups[g].scn && scn - groups[g].scn < groups[g].size)
            return (int)g;
    return -1;
}

uint64_t rp_mem_arena(const rp_mem *m, uint64_t scn)
{
    int g = group_of(scn);
    return g < 0 ? 0 : m->base + group_off((unsigned)g) + (scn - groups[g].scn);
}

static bool fail(rp_mem *m, const char *fmt, uint64_t a, uint64_t b, const char *what)
{
    if (!m->why[0])
        snprintf(m->why, sizeof m->why, fmt, (unsigned long long)a, (unsigned long long)b, what);
    return false;
}

/* A descriptor's address in the arena: inside a group (or its guards) the
 * same offset there, outside the map the hole, never guest RAM. */
static bool translate(rp_mem *m, uint64_t a, uint32_t len, uint64_t *out)
{
    if (a + len < a)
        return fail(m, "a buffer at 0x%llx+0x%llx wraps past the top of the address space%s", a, len, "");
    if (a < VC_SCN_BIG + VC_SCN_BIG_SIZE && a + len > VC_SCN_BIG)
        return fail(m, "a buffer at 0x%llx+0x%llx needs the 64 MiB big region (the arena holds %s)", a, len,
                    "about 1 MiB");
    for (unsigned g = 0; g < RP_GROUPS; g++) {
        uint64_t lo = groups[g].scn - RP_GUARD, hi = groups[g].scn + groups[g].size + RP_GUARD;
        if (a >= lo && a + len <= hi) {
            *out = m->base + group_off(g) + a - groups[g].scn;
            return true;
        }
        if (a < hi && a + len > lo)
            return fail(m, "a buffer at 0x%llx+0x%llx reaches past the guard around the %s region", a, len,
                        groups[g].name);
    }
    uint64_t h = a < RP_HOLE ? RP_HOLE + a : a;
    if (h + len < h)
        return fail(m, "a buffer at 0x%llx+0x%llx wraps past the top of the address space%s", a, len, "");
    *out = h;
    return true;
}

static bool desc_slot(const rp_mem *m, uint64_t scn)
{
    return (scn >= m->desc && scn < m->desc + 16ull * m->size) ||
           (scn >= VC_SCN_TABLES && scn < VC_SCN_TABLES + VC_SCN_TABLES_SIZE);
}

static uint64_t next_slot_zone(const rp_mem *m, uint64_t p)
{
    uint64_t n = UINT64_MAX;
    if (m->desc > p)
        n = m->desc;
    if (VC_SCN_TABLES > p && VC_SCN_TABLES < n)
        n = VC_SCN_TABLES;
    return n;
}

static void put(rp_mem *m, uint64_t scn, const uint8_t *src, uint64_t n)
{
    uint64_t off = rp_mem_arena(m, scn) - m->base;
    memcpy(m->img + off, src, n);
    memcpy(m->arena + off, src, n);
}

/* Projects shadow bytes [lo, hi) of one group: descriptor slots translated. */
static bool project(rp_mem *m, unsigned g, uint64_t lo, uint64_t hi)
{
    const uint8_t *sh = m->sh[g];
    uint64_t gs = groups[g].scn;
    for (uint64_t p = lo; p < hi;) {
        if (desc_slot(m, p)) {
            uint64_t s = p & ~15ull, a;
            uint8_t d[16];
            memcpy(d, sh + (s - gs), 16);
            uint64_t addr;
            uint32_t len;
            memcpy(&addr, d, 8);
            memcpy(&len, d + 8, 4);
            if (!translate(m, le64toh(addr), le32toh(len), &a))
                return false;
            a = htole64(a);
            memcpy(d, &a, 8);
            put(m, s, d, 16);
            p = s + 16;
        } else {
            uint64_t q = next_slot_zone(m, p);
            q = q < hi ? q : hi;
            put(m, p, sh + (p - gs), q - p);
            p = q;
        }
    }
    return true;
}

static bool project_range(rp_mem *m, uint64_t gpa, uint64_t len)
{
    for (unsigned g = 0; g < RP_GROUPS; g++) {
        uint64_t s = groups[g].scn, e = s + groups[g].size;
        uint64_t lo = gpa > s ? gpa : s, hi = gpa + len < e ? gpa + len : e;
        if (lo < hi && !project(m, g, lo, hi))
            return false;
    }
    return true;
}

bool rp_mem_sync(rp_mem *m)
{
    bool ok = true;
    if (m->dirty_all) {
        for (unsigned g = 0; g < RP_GROUPS && ok; g++)
            ok = project(m, g, groups[g].scn, groups[g].scn + groups[g].size);
    } else {
        for (unsigned i = 0; i < m->ndirty && ok; i++)
            ok = project_range(m, m->dirty[i].gpa, m->dirty[i].len);
    }
    m->ndirty = 0;
    m->dirty_all = false;
    return ok;
}

void rp_mem_shadow_reset(rp_mem *m)
{
    for (unsigned g = 0; g < RP_GROUPS; g++)
        memset(m->sh[g], groups[g].scn >= VC_SCN_DATA_A ? CANARY : 0, groups[g].size);
}

uint64_t rp_mem_scn(const rp_mem *m, uint64_t arena, const char **region)
{
    for (unsigned g = 0; g < RP_GROUPS; g++) {
        uint64_t s = m->base + group_off(g);
        if (arena >= s && arena - s < groups[g].size) {
            *region = groups[g].name;
            return groups[g].scn + (arena - s);
        }
    }
    *region = "guard";
    return 0;
}

void rp_mem_begin(rp_mem *m, uint64_t desc, uint16_t size, bool packed)
{
    m->desc = desc;
    m->size = size;
    m->packed = packed;
    m->why[0] = 0;
    rp_mem_shadow_reset(m);
    memset(m->img, CANARY, m->len);
    m->ndirty = 0;
    m->dirty_all = true;
    rp_mem_sync(m); /* zeros and canary translate; why stays empty */
    memcpy(m->arena, m->img, m->len);
}

/* ---- the safety scan ---- */

static bool in_area(const rp_mem *m, uint64_t a, uint64_t len)
{
    return a >= m->base && len <= m->len && a - m->base <= m->len - len;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

typedef struct ent {
    uint64_t addr;
    uint32_t len;
    uint16_t flags; /* where the queue's layout has them: what a device reads */
} ent;

static ent read_ent(const rp_mem *m, uint64_t gpa)
{
    const uint8_t *p = m->img + (gpa - m->base);
    uint64_t a;
    uint32_t l;
    uint16_t f;
    memcpy(&a, p, 8);
    memcpy(&l, p + 8, 4);
    memcpy(&f, p + (m->packed ? VC_PACKED_DESC_FLAGS : VC_SPLIT_DESC_FLAGS), 2);
    return (ent){le64toh(a), le32toh(l), le16toh(f)};
}

static bool known_dmem(const rp_mem *m, uint64_t a, uint64_t len)
{
    for (unsigned i = 0; i < m->ndmem; i++)
        if (a >= m->dmem[i].gpa && a + len <= m->dmem[i].gpa + m->dmem[i].len)
            return true;
    return false;
}

static bool scan(rp_mem *m, rp_range t, unsigned depth, unsigned depth_max)
{
    uint64_t n = t.len / 16 < SCAN_MAX_ENTRIES ? t.len / 16 : SCAN_MAX_ENTRIES;
    for (uint64_t i = 0; i < n; i++) {
        ent e = read_ent(m, t.gpa + 16 * i);
        if (e.len == 0)
            continue;
        if (!in_area(m, e.addr, e.len) && !(e.addr >= RP_HOLE && e.addr + e.len > e.addr))
            return fail(m, "a descriptor names 0x%llx+0x%llx, guest memory outside the probe's arena%s", e.addr,
                        e.len, " (a raw address, e.g. written with MEM)");
        if (!(e.flags & VC_DESC_F_INDIRECT) || !in_area(m, e.addr, e.len) || known_dmem(m, e.addr, e.len))
            continue;
        if (depth >= depth_max || m->ndmem == sizeof m->dmem / sizeof m->dmem[0])
            return fail(m, "indirect tables nested %llu deep or %llu of them: more than the probe follows%s",
                        depth + 1, m->ndmem, "");
        rp_range nt = {e.addr, e.len};
        m->dmem[m->ndmem++] = nt;
        if (!scan(m, nt, depth + 1, depth_max))
            return false;
    }
    return true;
}

bool rp_mem_safe(rp_mem *m, unsigned depth_max)
{
    m->ndmem = 0;
    rp_range main_t = {rp_mem_arena(m, m->desc), 16ull * m->size};
    rp_range tables = {rp_mem_arena(m, VC_SCN_TABLES), VC_SCN_TABLES_SIZE};
    m->dmem[m->ndmem++] = main_t;
    m->dmem[m->ndmem++] = tables;
    if (!scan(m, main_t, 0, depth_max) || !scan(m, tables, 0, depth_max))
        return false;
    /* a device's data in descriptor memory would become descriptors */
    for (unsigned k = 0; k < m->ndmem; k++) {
        uint64_t n = m->dmem[k].len / 16 < SCAN_MAX_ENTRIES ? m->dmem[k].len / 16 : SCAN_MAX_ENTRIES;
        for (uint64_t i = 0; i < n; i++) {
            ent e = read_ent(m, m->dmem[k].gpa + 16 * i);
            if (!(e.flags & VC_DESC_F_WRITE) || (e.flags & VC_DESC_F_INDIRECT) || !e.len)
                continue;
            for (unsigned j = 0; j < m->ndmem; j++)
                if (overlaps(e.addr, e.len, m->dmem[j].gpa, m->dmem[j].len))
                    return fail(m, "a device-writable buffer at 0x%llx+0x%llx lies over %s", e.addr, e.len,
                                "descriptor memory: the device's data would become descriptors");
        }
    }
    return true;
}

unsigned rp_mem_write_buffers(const rp_mem *m, rp_range *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned k = 0; k < m->ndmem; k++) {
        uint64_t cnt = m->dmem[k].len / 16 < SCAN_MAX_ENTRIES ? m->dmem[k].len / 16 : SCAN_MAX_ENTRIES;
        for (uint64_t i = 0; i < cnt && n < max; i++) {
            ent e = read_ent(m, m->dmem[k].gpa + 16 * i);
            if ((e.flags & VC_DESC_F_WRITE) && e.len)
                out[n++] = (rp_range){e.addr, e.len};
        }
    }
    return n;
}

/* ---- what the device changed ---- */

static void report_run(rp_mem *m, uint64_t lo, uint64_t hi, const rp_range *allowed, unsigned nallowed,
                       void (*bad)(void *, uint64_t, uint64_t, bool), void *ctx, unsigned *runs)
{
    /* the parts of [lo, hi) no allowed range covers */
    while (lo < hi) {
        uint64_t cut = hi;
        bool covered = false;
        for (unsigned i = 0; i < nallowed; i++) {
            uint64_t s = allowed[i].gpa, e = s + allowed[i].len;
            if (lo >= s && lo < e) {
                covered = true;
                lo = e;
                break;
            }
            if (s > lo && s < cut)
                cut = s;
        }
        if (covered)
            continue;
        bool in_desc = false;
        for (unsigned i = 0; i < m->ndmem; i++)
            in_desc = in_desc || overlaps(lo, cut - lo, m->dmem[i].gpa, m->dmem[i].len);
        bad(ctx, lo, cut - lo, in_desc);
        (*runs)++;
        lo = cut;
    }
}

unsigned rp_mem_diff(rp_mem *m, const rp_range *allowed, unsigned nallowed,
                     void (*bad)(void *ctx, uint64_t gpa, uint64_t len, bool in_desc), void *ctx)
{
    unsigned runs = 0;
    for (uint64_t pg = 0; pg < m->len; pg += 4096) {
        uint64_t n = m->len - pg < 4096 ? m->len - pg : 4096;
        uint8_t snap[4096];
        memcpy(snap, m->arena + pg, n); /* the device may still be writing: judge one copy */
        if (!memcmp(snap, m->img + pg, n))
            continue;
        for (uint64_t i = 0; i < n;) {
            if (snap[i] == m->img[pg + i]) {
                i++;
                continue;
            }
            uint64_t j = i;
            while (j < n && snap[j] != m->img[pg + j])
                j++;
            report_run(m, m->base + pg + i, m->base + pg + j, allowed, nallowed, bad, ctx, &runs);
            i = j;
        }
        memcpy(m->img + pg, snap, n);
    }
    return runs;
}
