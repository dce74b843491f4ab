/* The used-ring oracle shared by the host executor (fuzz/exec.c) and the
 * guest probe's scenario replay: given the chains a conforming device may
 * have taken (id, writable bytes, ring slots), it reads the used ring the
 * device published and reports each entry for a chain not taken, or with a
 * length beyond the chain's writable space. Who decides which chains were
 * taken differs (the backend's events on the host, the verdict oracle's
 * walk in the guest); the rules read here are the same. */
#ifndef VC_USEDCHK_H
#define VC_USEDCHK_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/gmem.h"

#define VC_USEDCHK_SLOTS 64

typedef struct vc_usedchk {
    const vc_gmem *mem;
    uint16_t size;
    bool packed;
    uint64_t desc, device;
    uint16_t seen;     /* split: used idx read so far */
    uint16_t pos;      /* packed: next used slot */
    bool wrap;         /* packed: its wrap counter */
    /* the used ring can no longer be read (the driver wrote over it, or a
     * packed id was taken twice): no more findings from it */
    bool lost;
    unsigned ninflight; /* chains taken and not yet used (an id may be taken twice) */
    uint64_t *wr;       /* per id: writable bytes */
    uint16_t *slots;    /* per id: packed ring slots */
    uint16_t *count;    /* per id: times taken and not yet used */
    /* slot oracle, per kick: used-area slots the device wrote, and the slots
     * the driver read used entries from (overflow: not judged this time) */
    uint16_t wrote[VC_USEDCHK_SLOTS], read[VC_USEDCHK_SLOTS];
    unsigned nwrote, nread;
    bool slots_lost;
    /* a used entry that breaks a rule: kind (stable name), requirement, text */
    void (*finding)(void *ctx, const char *kind, const char *req, const char *detail);
    void (*used)(void *ctx, uint16_t id, uint32_t len); /* every entry read (may be NULL) */
    void *ctx;
} vc_usedchk;

bool vc_usedchk_alloc(vc_usedchk *u); /* per-id tables for the largest queue */
void vc_usedchk_free(vc_usedchk *u);
/* A fresh queue: nothing taken, the used ring read from its start. */
void vc_usedchk_start(vc_usedchk *u, const vc_gmem *mem, uint16_t size, bool packed, uint64_t desc,
                      uint64_t device);
/* The device took chain id; true when the id was already in flight (the
 * driver made it available twice: packed used slots are then unknowable). */
bool vc_usedchk_took(vc_usedchk *u, uint16_t id, uint64_t writable, uint16_t slots);
/* The driver wrote [gpa, gpa+len) (a descriptor, raw bytes): over a split
 * used ring, or over the packed ring while chains are in flight (a slot it
 * wrote can look used), the used ring can no longer be read. */
void vc_usedchk_driver_wrote(vc_usedchk *u, uint64_t gpa, uint64_t len);
/* A chain taken has a writable buffer at [gpa, gpa+len): over the rings,
 * the device's data may land on used entries (the driver's fault). */
void vc_usedchk_writable(vc_usedchk *u, uint64_t gpa, uint64_t len);
/* Reads what the device published since the last call. */
void vc_usedchk_poll(vc_usedchk *u);
/* The device wrote [gpa, gpa+len): into a used ring entry (split) or a
 * descriptor ring slot (packed), the slot is noted for vc_usedchk_slots. */
static inline bool vc_usedchk_in_used_area(const vc_usedchk *u, uint64_t gpa)
{
    return u->packed ? gpa - u->desc < 16ull * u->size : gpa - (u->device + 4) < 8ull * u->size;
}
void vc_usedchk_device_wrote(vc_usedchk *u, uint64_t gpa, uint64_t len);
/* After a poll: every slot the device wrote since the last call must be one
 * the driver read a used entry from, or the next one it will read (written,
 * not yet published); anything else is a used entry where the driver does
 * not look. Then starts a new round. */
void vc_usedchk_slots(vc_usedchk *u);

#endif
