/* The driver's side of a scenario: writes descriptors, indirect tables, the
 * available ring and raw memory into guest memory at the scenario's fixed
 * addresses (scenario.h). Shared by the host executor (fuzz/exec.c), which
 * plays into memory a backend sees directly, and the guest probe's replay,
 * which plays into a shadow and places it in its DMA arena. */
#ifndef VC_SCN_PLAY_H
#define VC_SCN_PLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"
#include "vc/gmem.h"

typedef struct vc_scn_play {
    const vc_gmem *mem;
    uint16_t size;
    bool packed;
    uint64_t desc, driver, device;
    uint16_t avail_idx;   /* split: next avail idx */
    uint16_t pos;         /* packed: next ring slot */
    bool wrap;            /* packed: driver wrap counter */
    uint64_t work;        /* descriptors and ring slots written (the run budget's share) */
    /* Told before a write that may land on the rings (main-table
     * descriptors, raw MEM writes): the executor stops trusting a used
     * ring the driver scribbled on. May be NULL. */
    void (*ring_write)(void *ctx, uint64_t gpa, uint64_t len);
    void *ctx;
    uint8_t fill[VC_SCN_TABLE_ENTRIES * 16]; /* FILL and packed AVAIL build here */
} vc_scn_play;

/* Ring addresses of a scenario's queue (inside the rings region when the
 * queue is small enough: 256 KiB hold a split queue of 8192 entries). */
void vc_scn_layout(const vc_scenario *s, uint64_t *desc, uint64_t *driver, uint64_t *device);
/* Guest address of indirect table entry a16 (table << 11 | entry). */
uint64_t vc_scn_table_entry(uint16_t a16);
void vc_scn_play_init(vc_scn_play *p, const vc_gmem *mem, const vc_scenario *s);
/* Driver indices back to the start (queue reset); the rings are the caller's. */
void vc_scn_play_restart(vc_scn_play *p);
/* Plays one operation that only writes memory; false for KICK and RESET,
 * which the caller carries out. */
bool vc_scn_play_op(vc_scn_play *p, const vc_scn_op *o);

#endif
