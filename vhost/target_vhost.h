/* What the vhost fuzz target tells its driver (driver_vhost.c). */
#ifndef VH_TARGET_VHOST_H
#define VH_TARGET_VHOST_H

/* Prints (stderr) the CPU time per scenario of this process and of the
 * back-ends it ran, over runs scenarios. */
void vh_fuzz_stats_print(unsigned long runs);

#endif
