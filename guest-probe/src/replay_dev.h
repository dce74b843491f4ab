/* The device side of a replay: which queue each device type replays on,
 * set-up through the real interface (modern common configuration or legacy
 * I/O), and the liveness test after each scenario (a reset and one
 * known-good request). Every wait is bounded by the probe's timeout. */
#ifndef VP_REPLAY_DEV_H
#define VP_REPLAY_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "probe.h"
#include "transport.h"

typedef struct rp_target {
    const char *type;
    unsigned queue;
    /* the queue's answer does not depend on what the buffers hold: every
     * chain the ring rules allow comes back used */
    bool answers_any;
    bool needs_writable; /* ... if it has writable bytes (entropy) */
    const char *what;
} rp_target;

const rp_target *rp_target_find(const char *type);
/* Writes status 0 and waits for it to read back 0. */
bool rp_reset(vp_tp *t, unsigned timeout_ms);
/* Resets, then ACKNOWLEDGE, DRIVER, the ring features want (VERSION_1
 * added on the modern interface) and FEATURES_OK; false with why when the
 * device does not offer a feature or refuses the set. */
bool rp_negotiate(vp_tp *t, uint64_t want, unsigned timeout_ms, char *why, size_t n);
void rp_driver_ok(vp_tp *t);
/* After a reset, one known-good request on the target queue; false with
 * why when the device does not complete it. */
bool rp_alive(vp_ctx *c, vp_dev *d, vp_tp *t, const rp_target *tg, char *why, size_t n);
/* The known-good request of a device type: readable bytes (out, nout of
 * them) then writable lengths; page_gpa is a page of the probe's own (the
 * balloon deflates it). Also played by control-plane sequences (ctl_play.c). */
typedef struct kg {
    uint8_t out[64];
    unsigned nout;
    uint32_t in[2];
    unsigned nin;
} kg;
void rp_known_good(const char *type, bool legacy, uint64_t page_gpa, kg *k);
void rp_sleep_us(unsigned us);

#endif
