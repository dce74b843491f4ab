/* Fuzz target: ptr_ring under the scenario executor and its oracles. The
 * same file builds the pointer build and the vc_gmem twin. */
#include <stdio.h>

#include "exec.h"
#include "target.h"

extern const vc_adapter vc_adapter_ptr_ring;

#ifdef PR_GMEM
const char *const vc_target_name = "ptr_ring_gmem";
#else
const char *const vc_target_name = "ptr_ring";
#endif

unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap)
{
    static vc_fz *fz;
    static vc_scenario s; /* large: keep it off the stack */
    if (!fz && (!(fz = vc_fz_new(&vc_adapter_ptr_ring, false)) || !vc_fz_big_memory(fz))) {
        snprintf(msg, cap, "cannot set up the harness");
        return 1;
    }
    vc_scn_decode(data, size, &s);
    static vc_fz_report r;
    unsigned n = vc_fz_run(fz, &s, &r);
    vc_fz_format(&r, NULL, msg, cap);
    return n;
}
