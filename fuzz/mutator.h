#ifndef VC_MUTATOR_H
#define VC_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

/* Mutates a scenario in place (1-3 structural changes); returns the new size
 * (at most max_size). Deterministic for a given seed. */
size_t vc_scn_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed);

#endif
