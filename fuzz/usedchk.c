/* Used-ring oracle (see usedchk.h), moved out of the executor so the guest
 * probe checks real devices with the same rules. */
#include "usedchk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc/req_ids.h"
#include "vc/ring.h"

bool vc_usedchk_alloc(vc_usedchk *u)
{
    u->wr = calloc(VC_MAX_QUEUE_SIZE, sizeof(*u->wr));
    u->slots = calloc(VC_MAX_QUEUE_SIZE, sizeof(*u->slots));
    u->count = calloc(VC_MAX_QUEUE_SIZE, sizeof(*u->count));
    return u->wr && u->slots && u->count;
}

void vc_usedchk_free(vc_usedchk *u)
{
    free(u->wr);
    free(u->slots);
    free(u->count);
    u->wr = NULL;
    u->slots = u->count = NULL;
}

void vc_usedchk_start(vc_usedchk *u, const vc_gmem *mem, uint16_t size, bool packed, uint64_t desc,
                      uint64_t device)
{
    memset(u->count, 0, size * sizeof(*u->count));
    u->mem = mem;
    u->size = size;
    u->packed = packed;
    u->desc = desc;
    u->device = device;
    u->ninflight = 0;
    u->lost = false;
    u->seen = u->pos = 0;
    u->wrap = true;
    u->nwrote = u->nread = 0;
    u->slots_lost = false;
}

bool vc_usedchk_took(vc_usedchk *u, uint16_t id, uint64_t writable, uint16_t slots)
{
    if (id >= u->size)
        return false;
    /* Taken twice (the driver's fault). Split: keep the larger writable
     * space. Packed: slot skipping depends on which copy is used. */
    bool dup = u->count[id] > 0;
    u->ninflight++;
    if (u->count[id] < UINT16_MAX)
        u->count[id]++;
    if (!dup || writable > u->wr[id])
        u->wr[id] = writable;
    u->slots[id] = slots;
    if (dup && u->packed)
        u->lost = true;
    return dup;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

void vc_usedchk_driver_wrote(vc_usedchk *u, uint64_t gpa, uint64_t len)
{
    if (u->packed ? u->ninflight > 0 && overlaps(gpa, len, u->desc, 16ull * u->size)
                  : overlaps(gpa, len, u->device, vc_split_used_bytes(u->size)))
        u->lost = true;
}

void vc_usedchk_writable(vc_usedchk *u, uint64_t gpa, uint64_t len)
{
    if (overlaps(gpa, len, u->desc, 16ull * u->size) || overlaps(gpa, len, u->device, vc_split_used_bytes(u->size)))
        u->lost = true;
}

static __attribute__((format(printf, 4, 5))) void finding(vc_usedchk *u, const char *kind, const char *req,
                                                          const char *fmt, ...)
{
    char d[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d, sizeof d, fmt, ap);
    va_end(ap);
    u->finding(u->ctx, kind, req, d);
}

static void entry(vc_usedchk *u, uint32_t id, uint32_t len)
{
    if (u->used)
        u->used(u->ctx, (uint16_t)id, len);
    if (id >= u->size || !u->count[id]) {
        /* packed: the device used a descriptor that was never made available */
        finding(u, "used-unknown-chain", u->packed ? REQ_DEV_PACKED_DESC_2 : REQ_DEV_IMPLIED_USED_KNOWN,
                "used entry for chain %u, not taken", id);
        return;
    }
    if (len > u->wr[id])
        finding(u, "used-length-too-large", REQ_DEV_VQ_USED_2, "chain %u: used length %u, writable space %llu",
                id, len, (unsigned long long)u->wr[id]);
    u->count[id]--;
    u->ninflight--;
}

static void note_slot(vc_usedchk *u, uint16_t *list, unsigned *n, uint16_t slot)
{
    if (*n && list[*n - 1] == slot)
        return;
    if (*n < VC_USEDCHK_SLOTS)
        list[(*n)++] = slot;
    else
        u->slots_lost = true;
}

void vc_usedchk_device_wrote(vc_usedchk *u, uint64_t gpa, uint64_t len)
{
    uint64_t base = u->packed ? u->desc : u->device + 4, unit = u->packed ? 16 : 8;
    uint64_t end = base + unit * u->size;
    if (gpa + len < gpa || gpa < base || gpa + len > end) {
        /* only partly over the used area: a buffer of the driver's making */
        if (gpa < end && gpa + len > base)
            u->slots_lost = true;
        return;
    }
    for (uint64_t s = (gpa - base) / unit; s <= (gpa + len - 1 - base) / unit; s++)
        note_slot(u, u->wrote, &u->nwrote, (uint16_t)s);
}

void vc_usedchk_slots(vc_usedchk *u)
{
    uint16_t next = u->packed ? u->pos : (uint16_t)(u->seen % u->size);
    for (unsigned i = 0; i < u->nwrote && !u->lost && !u->slots_lost; i++) {
        bool ok = u->wrote[i] == next;
        for (unsigned k = 0; k < u->nread && !ok; k++)
            ok = u->wrote[i] == u->read[k];
        if (!ok) {
            finding(u, "used-wrong-slot", REQ_DEV_IMPLIED_USED_SLOT,
                    "the device wrote used ring slot %u; the driver reads used entries from slot %u on",
                    u->wrote[i], next);
            break;
        }
    }
    u->nwrote = u->nread = 0;
    u->slots_lost = false;
}

static void poll_split(vc_usedchk *u)
{
    uint16_t idx;
    vc_gmem_ld16_acquire(u->mem, u->device + VC_SPLIT_USED_IDX, &idx);
    uint16_t moved = (uint16_t)(idx - u->seen);
    if (moved > u->ninflight) {
        finding(u, "used-index-jump", REQ_DEV_IMPLIED_USED_KNOWN, "used idx moved by %u with %u chains outstanding", moved,
                u->ninflight);
        u->seen = idx;
        return;
    }
    for (; u->seen != idx; u->seen++) {
        uint64_t e = u->device + VC_SPLIT_USED_RING + 8ull * (u->seen % u->size);
        uint32_t id, len;
        vc_gmem_ld32(u->mem, e, &id);
        vc_gmem_ld32(u->mem, e + 4, &len);
        note_slot(u, u->read, &u->nread, (uint16_t)(u->seen % u->size));
        entry(u, id, len);
    }
}

/* Reads used descriptors only while chains are outstanding: past that point
 * a slot may hold a descriptor the driver wrote, whose flags can look used. */
static void poll_packed(vc_usedchk *u)
{
    for (unsigned n = 0; n < u->size && u->ninflight > 0 && !u->lost; n++) {
        uint64_t d = u->desc + 16ull * u->pos;
        uint16_t flags, id;
        uint32_t len;
        vc_gmem_ld16_acquire(u->mem, d + VC_PACKED_DESC_FLAGS, &flags);
        bool av = flags & VC_DESC_F_AVAIL, us = flags & VC_DESC_F_USED;
        if (av != u->wrap || us != u->wrap)
            return;
        vc_gmem_ld16(u->mem, d + VC_PACKED_DESC_ID, &id);
        vc_gmem_ld32(u->mem, d + VC_PACKED_DESC_LEN, &len);
        uint16_t slots = id < u->size && u->count[id] ? u->slots[id] : 1;
        note_slot(u, u->read, &u->nread, u->pos);
        entry(u, id, len);
        u->pos = (uint16_t)(u->pos + slots);
        if (u->pos >= u->size) {
            u->pos = (uint16_t)(u->pos - u->size);
            u->wrap = !u->wrap;
        }
    }
}

void vc_usedchk_poll(vc_usedchk *u)
{
    if (u->lost)
        return;
    if (u->packed)
        poll_packed(u);
    else
        poll_split(u);
}
