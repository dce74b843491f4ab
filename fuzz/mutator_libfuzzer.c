/* libFuzzer custom mutator for scenario targets: mostly structural, with
 * libFuzzer's own byte mutation now and then for values nobody thought of. */
#include <stddef.h>
#include <stdint.h>

#include "mutator.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    if (seed % 5 == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    return vc_scn_mutate(data, size, max_size, seed);
}
