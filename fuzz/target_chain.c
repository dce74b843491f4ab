/* Target: chain walk and used-ring publication of the reference device's
 * ring layer (split and packed, indirect tables), checked by the executor's
 * oracles with exact refusal codes. */
#include <stdio.h>

#include "exec.h"
#include "target.h"

const char *const vc_target_name = "chain";

unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap)
{
    static vc_fz *fz;
    static vc_scenario s; /* large: keep it off the stack */
    if (!fz && (!(fz = vc_fz_new(&vc_adapter_ref, true)) || !vc_fz_big_memory(fz))) {
        vc_fz_free(fz);
        fz = NULL;
        snprintf(msg, cap, "cannot set up the harness");
        return 1;
    }
    vc_scn_decode(data, size, &s);
    static vc_fz_report r;
    unsigned n = vc_fz_run(fz, &s, &r);
    vc_fz_format(&r, NULL, msg, cap);
    return n;
}
