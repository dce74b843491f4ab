/* One fuzz target = one vc_target_run. The same target source is linked
 * with driver_libfuzzer.c (libFuzzer and AFL++ through its libFuzzer driver)
 * or driver_replay.c (plain replay of files, no clang needed). */
#ifndef VC_TARGET_H
#define VC_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; returns the number of findings and describes the first
 * ones in msg (NUL-terminated, at most cap bytes). */
unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap);
/* Target name for messages ("chain_split_packed", ...). */
extern const char *const vc_target_name;

#endif
