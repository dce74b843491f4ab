/* Test driver for the reference device: brings a vc_dev up through the
 * transport-neutral calls (as a modern or legacy driver would) and runs
 * requests through the library's driver side. */
#ifndef VC_DEVHARNESS_H
#define VC_DEVHARNESS_H

#include "refdev/device.h"
#include "testmem.h"
#include "vc/vq_drv.h"

typedef struct vc_th {
    vc_testmem tm;
    vc_dev *dev;
    uint64_t features; /* negotiated */
    vc_vq_drv q[VC_DEV_MAX_QUEUES];
    unsigned irqs;
} vc_th;

/* Initialises memory (call before creating the device with &t->tm.mem). */
void vc_th_mem(vc_th *t);
/* Runs the init sequence accepting want & offered; returns the status read
 * back after FEATURES_OK (modern) and leaves DRIVER_OK unset. */
uint8_t vc_th_negotiate(vc_th *t, vc_dev *d, uint64_t want);
/* Sets up queue qi with the negotiated ring type and indirect tables. */
void vc_th_queue(vc_th *t, unsigned qi, uint16_t size);
void vc_th_driver_ok(vc_th *t);
/* The whole bring-up: negotiate, queues 0..nqueues-1 of size entries,
 * DRIVER_OK. Returns whether the device accepted FEATURES_OK. */
bool vc_th_start(vc_th *t, vc_dev *d, uint64_t want, unsigned nqueues, uint16_t size);
/* Adds one buffer, notifies, and collects its used entry. Returns the used
 * length, or -1 when nothing came back. */
long vc_th_roundtrip(vc_th *t, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in,
                     bool indirect);
/* Adds one buffer and notifies when the device asks for it (no wait). */
bool vc_th_post(vc_th *t, unsigned qi, const vc_seg *sg, unsigned n_out, unsigned n_in,
                uint32_t token);
/* Collects one used buffer: its token and length; false when none. */
bool vc_th_used(vc_th *t, unsigned qi, uint32_t *token, uint32_t *len);
void vc_th_free(vc_th *t);
/* True when the device logged a fault with this code. */
bool vc_th_fault(const vc_th *t, const char *code);

#endif
