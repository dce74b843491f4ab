/* libFuzzer entry point (also used by AFL++ via its libFuzzer driver): a
 * finding is a crash, so the engine saves the input as a reproducer; one
 * whose findings are all listed in $VC_FZ_KNOWN is counted and passed over. */
#include <stdio.h>
#include <stdlib.h>

#include "known.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    static unsigned long skipped;
    if (!loaded) {
        if (!vc_known_load())
            abort(); /* a broken known-findings file must not fuzz silently without it */
        loaded = 1;
    }
    char msg[1024];
    if (vc_target_run(data, size, msg, sizeof(msg))) {
        if (vc_known_all(msg)) {
            skipped++;
            if ((skipped & (skipped - 1)) == 0) /* 1, 2, 4, ...: a trace, not a flood */
                fprintf(stderr, "vconform %s: %lu inputs with known findings only, passed over\n",
                        vc_target_name, skipped);
            return 0;
        }
        fprintf(stderr, "vconform %s finding:\n%s", vc_target_name, msg);
        abort();
    }
    return 0;
}
