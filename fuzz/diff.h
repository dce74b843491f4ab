/* Differential mode: one scenario on two backends (the reference device and
 * yours, both through vc_adapter), compared event by event: which chains
 * each took, whether it refused the ring, which used entries it published
 * with which lengths. The first divergence is a finding. */
#ifndef VC_DIFF_H
#define VC_DIFF_H

#include <stddef.h>

#include "exec.h"

/* 0 when a and b did the same; else 1 with the first divergence in msg. */
unsigned vc_fz_diff(const vc_fz_report *a, const char *a_name, const vc_fz_report *b,
                    const char *b_name, char *msg, size_t cap);

#endif
