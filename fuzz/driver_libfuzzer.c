/* libFuzzer entry point (also used by AFL++ via its libFuzzer driver): a
 * finding is a crash, so the engine saves the input as a reproducer. */
#include <stdio.h>
#include <stdlib.h>

#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[1024];
    if (vc_target_run(data, size, msg, sizeof(msg))) {
        fprintf(stderr, "vconform %s finding:\n%s", vc_target_name, msg);
        abort();
    }
    return 0;
}
