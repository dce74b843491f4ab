/* vconform-vhost replay: fuzz scenarios played against a vhost-user
 * back-end through the executor and its oracles (adapter_vhost.h). */
#ifndef VH_REPLAY_H
#define VH_REPLAY_H

#include <stdbool.h>

typedef struct vh_replay_opts {
    int timeout_ms, settle_us;
    int bench_s; /* > 0: replay the inputs round-robin this long and print scenarios/s */
    unsigned queue;   /* the queue played (the ones below set up empty) */
    const char *diff; /* a reference model's name: each scenario is also played on it and compared */
    bool idle;        /* waits end when the back-end process is idle (vu_adapter_opts.idle) */
} vh_replay_opts;

/* Plays every file given (directories: their files, one level, in name
 * order). Exit status: 0 no finding, 1 findings, 2 could not run. */
int vh_replay(const char *sock, const char **paths, unsigned n, const vh_replay_opts *o);

#endif
