/* Differential target, the worked example: the reference ring layer
 * (vc_adapter_ref, filling every writable byte) against the rng model
 * (vc_adapter_model), which must do exactly the same with every chain.
 * To fuzz your backend against the reference, copy this file, put your
 * adapter in place of the model, and add it to the vcfuzz sources. */
#include <stdio.h>

#include "adapter_model.h"
#include "diff.h"
#include "target.h"

const char *const vc_target_name = "diff_rng";

unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap)
{
    static vc_fz *ref, *other;
    static vc_scenario s;
    static vc_fz_report a, b; /* large: off the stack */
    vc_scn_decode(data, size, &s);
    s.used_policy = 0; /* the rng model fills every writable byte: so must the reference */
    s.reserved[9] &= 0xf0; /* and it returns each chain before taking the next: no batches */
    vc_adapter_model_select("rng", 0, 0);
    if ((!ref && !(ref = vc_fz_new(&vc_adapter_ref, true))) ||
        (!other && !(other = vc_fz_new(&vc_adapter_model, false)))) {
        snprintf(msg, cap, "cannot set up the harness");
        return 1;
    }
    vc_fz_data_reads(other, true);
    unsigned n = vc_fz_run(ref, &s, &a) + vc_fz_run(other, &s, &b);
    size_t used = vc_fz_format(&a, "refdev", msg, cap);
    used += vc_fz_format(&b, "rng model", msg + used, cap - used);
    /* compare only where both backends set the queue up: a geometry the
     * model refuses (a queue larger than its maximum) is not a divergence */
    if (a.nev && b.nev)
        n += vc_fz_diff(&a, "refdev", &b, "rng model", msg + used, cap - used);
    return n;
}
