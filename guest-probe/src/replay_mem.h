/* Where a scenario's guest memory lives when the probe replays it against a
 * real device. The scenario is written for a fixed map (fuzz/scenario.h);
 * the device can only reach the probe's DMA arena. Three copies:
 *
 *   shadow  the map at the scenario's own addresses: the shared driver side
 *           (fuzz/scn_play.c) writes here, exactly as on the host;
 *   arena   the replay area of the DMA arena, what the device reads and writes:
 *           each region of the map at an offset of its own, with guard
 *           bytes around it;
 *   image   what the arena must hold: the projection of the shadow, where
 *           every descriptor's address is translated (a region's address to
 *           its place in the arena, an address outside the map to an
 *           unbacked hole at 2^46, never guest RAM). The verdict oracle walks
 *           the image; after a kick every byte the device changed outside
 *           what it may write is a finding.
 *
 * What cannot be placed (the 64 MiB big region, a buffer that wraps past the
 * top of the address space or reaches past a guard) makes the scenario a
 * skip with the reason, and so does one whose descriptors could lead the
 * device outside the arena (a raw address written with MEM, a device-writable
 * buffer over descriptor memory). */
#ifndef VP_REPLAY_MEM_H
#define VP_REPLAY_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/gmem.h"

#define RP_GROUPS 4            /* rings, tables, data A+B (adjacent), data C */
#define RP_GUARD (16u << 10)   /* arena bytes before and after each group */
#define RP_HOLE (1ull << 46)   /* unbacked: addresses outside the map go here */
#define RP_MAX_DIRTY 128
#define RP_MAX_TABLES 64       /* indirect tables outside the tables region */

typedef struct rp_range {
    uint64_t gpa, len;
} rp_range;

typedef struct rp_mem {
    uint64_t base, len;        /* the replay area: arena guest-physical address, bytes */
    uint8_t *arena;            /* its host mapping (the device's view) */
    uint8_t *img;              /* what it must hold */
    uint8_t *sh[RP_GROUPS];    /* shadow groups */
    vc_gmem shadow;            /* scenario addresses over sh */
    vc_gmem img_mem;           /* arena addresses over img, groups only: the oracle's view */
    vc_gmem dev_mem;           /* arena addresses over arena, whole area: the used ring */
    /* the queue (scenario addresses) whose descriptor table is translated */
    uint64_t desc;
    uint16_t size;
    bool packed;               /* descriptor layout: flags at byte 14, else 12 */
    rp_range dirty[RP_MAX_DIRTY];
    unsigned ndirty;
    bool dirty_all;
    /* descriptor memory the safety scan found (arena addresses): the main
     * table, the tables region and indirect tables elsewhere */
    rp_range dmem[RP_MAX_TABLES + 2];
    unsigned ndmem;
    char why[200];             /* first reason the scenario cannot be placed, "" */
} rp_mem;

/* Bytes of arena the replay area needs. */
uint64_t rp_mem_need(void);
/* Sets up the copies over [base, base+len) of the arena; false (why set)
 * when the area is too small or memory runs out. */
bool rp_mem_init(rp_mem *m, uint64_t base, uint8_t *host, uint64_t len);
void rp_mem_free(rp_mem *m);
/* The shadow as a scenario starts: rings and tables zero, data canary. */
void rp_mem_shadow_reset(rp_mem *m);
/* A fresh scenario: the shadow reset, guards filled with the canary, the
 * arena rewritten whole (the device is reset). */
void rp_mem_begin(rp_mem *m, uint64_t desc, uint16_t size, bool packed);
/* The scenario address of an arena address, and the region's name; 0 and
 * "guard" between regions. */
uint64_t rp_mem_scn(const rp_mem *m, uint64_t arena, const char **region);
/* Arena address of a scenario address inside the map (ring addresses). */
uint64_t rp_mem_arena(const rp_mem *m, uint64_t scn);
/* Writes what the driver side changed since the last call into the image
 * and the arena; false (why set) when a descriptor cannot be placed. */
bool rp_mem_sync(rp_mem *m);
/* The safety scan on the image: every descriptor the device can reach
 * names the arena, the hole or nothing, and no device-writable buffer lies
 * over descriptor memory; false (why set) otherwise. Also fills dmem. */
bool rp_mem_safe(rp_mem *m, unsigned depth_max);
/* The buffers of every WRITE descriptor in descriptor memory (a device that
 * took a forbidden chain may write any of them); returns the count. */
unsigned rp_mem_write_buffers(const rp_mem *m, rp_range *out, unsigned max);
/* Compares arena and image outside the allowed ranges: calls bad() for each
 * run of changed bytes (in_desc: inside descriptor memory), then takes the
 * arena's bytes into the image everywhere. Returns the number of runs. */
unsigned rp_mem_diff(rp_mem *m, const rp_range *allowed, unsigned nallowed,
                     void (*bad)(void *ctx, uint64_t gpa, uint64_t len, bool in_desc), void *ctx);

#endif
