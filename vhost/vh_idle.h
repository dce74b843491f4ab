/* Is a back-end process doing anything? Every thread asleep (none
 * runnable, none in an uninterruptible wait) means nothing more happens
 * until something wakes it: a kick, a message, a timer. A kick's eventfd
 * makes its waiter runnable before our write returns, so a back-end seen
 * asleep after a kick has handled it. Read from /proc, the back-end is not
 * asked: black box. It cannot see I/O the kernel does for a sleeping
 * process (Linux AIO, io_uring): settle on time for such back-ends. */
#ifndef VH_IDLE_H
#define VH_IDLE_H

#include <stdbool.h>
#include <sys/types.h>

#define VH_IDLE_MAX_THREADS 64

typedef struct vh_idle {
    pid_t pid;   /* 0: not watched */
    int stat;    /* the main thread's stat file, open */
    unsigned n;  /* threads besides the main one, with their stat files open */
    int task[VH_IDLE_MAX_THREADS];
    /* every thread of it and ours may run on one and the same CPU only:
     * while we look it cannot run, so one look sees a consistent state */
    bool one_cpu;
    unsigned long checks, rescans;
} vh_idle;

/* Starts watching pid (its /proc entries must be readable); false if not. */
bool vh_idle_open(vh_idle *w, pid_t pid);
void vh_idle_close(vh_idle *w);
/* 1: every thread asleep; 0: one is running or waits uninterruptibly;
 * -1: it cannot be told (the process is gone, too many threads). */
int vh_idle_check(vh_idle *w);

#endif
