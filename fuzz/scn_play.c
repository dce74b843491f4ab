/* Driver side of a scenario (see scn_play.h), moved out of the executor. */
#include "scn_play.h"

#include <endian.h>
#include <string.h>

#include "vc/ring.h"
#include "vc/vq_drv.h"
#include "vc/vq_dev.h"

void vc_scn_layout(const vc_scenario *s, uint64_t *desc, uint64_t *driver, uint64_t *device)
{
    bool packed = s->features & VC_SCN_F_PACKED;
    *desc = VC_SCN_RINGS;
    *driver = (*desc + 16ull * s->qsize + 63) & ~63ull;
    *device = (*driver + (packed ? 64 : vc_split_avail_bytes(s->qsize)) + 4095) & ~4095ull;
}

uint64_t vc_scn_table_entry(uint16_t a16)
{
    unsigned table = (a16 >> 11) % VC_SCN_NTABLES, entry = a16 & (VC_SCN_TABLE_ENTRIES - 1);
    return VC_SCN_TABLES + (table * VC_SCN_TABLE_ENTRIES + entry) * 16ull;
}

void vc_scn_play_init(vc_scn_play *p, const vc_gmem *mem, const vc_scenario *s)
{
    p->mem = mem;
    p->size = s->qsize;
    p->packed = s->features & VC_SCN_F_PACKED;
    vc_scn_layout(s, &p->desc, &p->driver, &p->device);
    p->work = 0;
    vc_scn_play_restart(p);
}

void vc_scn_play_restart(vc_scn_play *p)
{
    p->avail_idx = p->pos = 0;
    p->wrap = true;
}

static void ring_write(vc_scn_play *p, uint64_t gpa, uint64_t len)
{
    if (p->ring_write)
        p->ring_write(p->ctx, gpa, len);
}

static void op_desc(vc_scn_play *p, const vc_scn_op *o)
{
    uint16_t idx = (uint16_t)(o->a16 % p->size);
    uint16_t flags = o->a8 & 7;
    if (p->packed) {
        ring_write(p, p->desc + 16ull * idx, 16);
        flags |= (o->a8 & 8 ? VC_DESC_F_AVAIL : 0) | (o->a8 & 16 ? VC_DESC_F_USED : 0);
        vc_packed_put_desc(p->mem, p->desc, idx, o->a64, o->a32, idx, flags);
    } else {
        vc_split_put_desc(p->mem, p->desc, idx, o->a64, o->a32, flags, (uint16_t)((idx + 1) % p->size));
    }
}

static void op_idesc(vc_scn_play *p, const vc_scn_op *o)
{
    uint64_t at = vc_scn_table_entry(o->a16);
    uint16_t entry = o->a16 & (VC_SCN_TABLE_ENTRIES - 1);
    vc_split_put_desc(p->mem, at, 0, o->a64, o->a32, o->a8 & 7, (uint16_t)(entry + 1));
}

static void op_next(vc_scn_play *p, const vc_scn_op *o)
{
    uint16_t v = (uint16_t)o->a32;
    if (o->a8 & 1)
        vc_gmem_st16(p->mem, vc_scn_table_entry(o->a16) + VC_SPLIT_DESC_NEXT, v);
    else if (p->packed)
        vc_gmem_st16(p->mem, p->desc + 16ull * (o->a16 % p->size) + VC_PACKED_DESC_ID, v);
    else
        vc_gmem_st16(p->mem, p->desc + 16ull * (o->a16 % p->size) + VC_SPLIT_DESC_NEXT, v);
}

/* count linked descriptors in one go; the last one ends the chain */
static void op_fill(vc_scn_play *p, const vc_scn_op *o)
{
    bool main_table = o->a8 & 0x80;
    uint32_t count = o->a32 & 0xffff, len = (o->a32 >> 16) << 2 * ((o->a8 >> 3) & 7);
    uint64_t stride = o->a8 & 0x40 ? 0 : len;
    uint16_t flags = o->a8 & (VC_DESC_F_WRITE | VC_DESC_F_INDIRECT);
    uint32_t limit = main_table ? p->size : VC_SCN_TABLE_ENTRIES;
    uint32_t first = main_table ? o->a16 % p->size : (o->a16 & (VC_SCN_TABLE_ENTRIES - 1));
    uint64_t base = main_table ? p->desc : vc_scn_table_entry(o->a16) - 16ull * first;
    if (count > limit)
        count = limit;
    p->work += count / 8; /* one memcpy of 16 bytes each: cheap beside a device access */
    /* built here and written in one access per stretch up to the table's end;
     * every one links on, the last one's NEXT flag is cleared after */
    bool packed = main_table && p->packed;
    uint16_t fl = flags | VC_DESC_F_NEXT;
    uint64_t addr = o->a64;
    for (uint32_t i = 0, at = first; i < count; i++, addr += stride) {
        uint32_t next = at + 1 == limit ? 0 : at + 1; /* no division: FILL runs hot */
        if (packed)
            vc_desc_bytes(p->fill + 16 * i, addr, len, (uint16_t)at, fl);
        else
            vc_desc_bytes(p->fill + 16 * i, addr, len, fl, (uint16_t)next);
        at = next;
    }
    if (count > 0) {
        uint8_t *last = p->fill + 16 * (count - 1) + (packed ? VC_PACKED_DESC_FLAGS : VC_SPLIT_DESC_FLAGS);
        uint16_t end = htole16(flags);
        memcpy(last, &end, 2);
    }
    for (uint32_t i = 0; i < count;) {
        uint32_t at = (first + i) % limit, n = count - i < limit - at ? count - i : limit - at;
        if (main_table)
            ring_write(p, base + 16ull * at, 16ull * n);
        vc_gmem_write(p->mem, base + 16ull * at, p->fill + 16 * i, 16ull * n);
        i += n;
    }
}

static void packed_step(vc_scn_play *p, unsigned k)
{
    p->pos = (uint16_t)(p->pos + k);
    if (p->pos == p->size) {
        p->pos = 0;
        p->wrap = !p->wrap;
    }
}

static uint16_t avail_flags(uint16_t flags, bool wrap)
{
    flags &= ~(VC_DESC_F_AVAIL | VC_DESC_F_USED);
    return flags | (wrap ? VC_DESC_F_AVAIL : VC_DESC_F_USED);
}

/* Packed: makes the next n descriptors available, the first one last (its
 * flags hand the batch over). The others are rewritten a stretch at a time
 * up to the ring's end, in one read and one write each. */
static void packed_avail(vc_scn_play *p, unsigned n)
{
    uint16_t first = p->pos;
    bool first_wrap = p->wrap;
    p->work += n / 8;
    packed_step(p, 1);
    for (unsigned left = n - 1; left > 0;) {
        unsigned k = p->size - p->pos;
        k = k < left ? k : left;
        k = k < VC_SCN_TABLE_ENTRIES ? k : VC_SCN_TABLE_ENTRIES; /* what p->fill holds */
        uint64_t at = p->desc + 16ull * p->pos;
        vc_gmem_read(p->mem, at, p->fill, 16ull * k);
        for (unsigned i = 0; i < k; i++) {
            uint8_t *q = p->fill + 16 * i + VC_PACKED_DESC_FLAGS;
            uint16_t fl;
            memcpy(&fl, q, 2);
            fl = htole16(avail_flags(le16toh(fl), p->wrap));
            memcpy(q, &fl, 2);
        }
        vc_gmem_write(p->mem, at, p->fill, 16ull * k);
        packed_step(p, k);
        left -= k;
    }
    uint64_t fl = p->desc + 16ull * first + VC_PACKED_DESC_FLAGS;
    uint16_t flags;
    vc_gmem_ld16(p->mem, fl, &flags);
    vc_gmem_st16_release(p->mem, fl, avail_flags(flags, first_wrap));
}

/* which 4 names an event relative to where the driver stands, as drivers
 * do (the next used entry, or a few further): split, used_event at the
 * available index plus value (the entry of the value-th chain made available
 * from now, when every earlier one has come back); packed, the slot value
 * places past the next one to make available, on its lap, with flags DESC. */
static void op_event_relative(vc_scn_play *p, uint16_t ahead)
{
    if (!p->packed) {
        vc_gmem_st16(p->mem, p->driver + vc_split_used_event_off(p->size),
                     (uint16_t)(p->avail_idx + ahead));
        return;
    }
    uint32_t at = p->pos + ahead % (2u * p->size);
    bool wrap = p->wrap;
    for (; at >= p->size; at -= p->size)
        wrap = !wrap;
    vc_gmem_st16(p->mem, p->driver + VC_PACKED_EVENT_OFF_WRAP, (uint16_t)(at | (uint32_t)wrap << 15));
    vc_gmem_st16(p->mem, p->driver + VC_PACKED_EVENT_FLAGS, VC_PACKED_EVENT_F_DESC);
}

static void op_event(vc_scn_play *p, const vc_scn_op *o)
{
    switch (o->a8 % 5) {
    case 0:
        vc_gmem_st16(p->mem, p->driver + VC_SPLIT_AVAIL_FLAGS, o->a16);
        break;
    case 1:
        if (!p->packed)
            vc_gmem_st16(p->mem, p->driver + vc_split_used_event_off(p->size), o->a16);
        break;
    case 2:
        if (p->packed)
            vc_gmem_st16(p->mem, p->driver + VC_PACKED_EVENT_OFF_WRAP, o->a16);
        break;
    case 3:
        if (p->packed)
            vc_gmem_st16(p->mem, p->driver + VC_PACKED_EVENT_FLAGS, o->a16);
        break;
    default:
        op_event_relative(p, o->a16);
        break;
    }
}

static void op_mem(vc_scn_play *p, const vc_scn_op *o)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)(o->a64 >> (8 * i));
    ring_write(p, o->a32, o->a8 % 8 + 1);
    vc_gmem_write(p->mem, o->a32, b, o->a8 % 8 + 1);
}

bool vc_scn_play_op(vc_scn_play *p, const vc_scn_op *o)
{
    switch (o->op) {
    case VC_SCN_DESC: op_desc(p, o); break;
    case VC_SCN_IDESC: op_idesc(p, o); break;
    case VC_SCN_NEXT: op_next(p, o); break;
    case VC_SCN_AVAIL:
        if (p->packed) {
            packed_avail(p, o->a16 % p->size + 1);
        } else {
            vc_split_put_avail(p->mem, p->driver, p->size, p->avail_idx, o->a16);
            p->avail_idx++;
        }
        break;
    case VC_SCN_AIDX:
        if (!p->packed) {
            p->avail_idx = o->a16;
            vc_gmem_st16_release(p->mem, p->driver + VC_SPLIT_AVAIL_IDX, o->a16);
        }
        break;
    case VC_SCN_WRAP: p->wrap = !p->wrap; break;
    case VC_SCN_EVENT: op_event(p, o); break;
    case VC_SCN_MEM: op_mem(p, o); break;
    case VC_SCN_FILL: op_fill(p, o); break;
    default: return false; /* KICK, RESET */
    }
    return true;
}
