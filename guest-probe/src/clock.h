/* The probe's one clock for bounded waits and timestamps: monotonic
 * milliseconds (a wall-clock step in the guest must not end a wait early or
 * stretch it). */
#ifndef VP_CLOCK_H
#define VP_CLOCK_H

#include <time.h>

static inline double vp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#endif
