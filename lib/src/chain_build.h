/* Internal: the checks every walked descriptor goes through, shared by the
 * split and packed walkers so both rings enforce the same rules. */
#ifndef VC_CHAIN_BUILD_H
#define VC_CHAIN_BUILD_H

#include "vc/vq_dev.h"

void vc_chain_reset(vc_chain *c);
/* Appends one buffer descriptor to the chain after checking guest memory,
 * address wrap, total length, readable-before-writable order and the
 * chain's capacity. */
vc_err vc_chain_add(const vc_gmem *m, vc_chain *c, uint64_t addr, uint32_t len, bool write);
/* Validates an indirect table descriptor (length, memory) and returns its
 * entry count. */
vc_err vc_indirect_check(const vc_gmem *m, uint64_t addr, uint32_t len, uint32_t *entries);

#endif
