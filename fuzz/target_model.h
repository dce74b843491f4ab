/* Shared body of the per-model targets (target_model_<name>.c): the model
 * named by the including file, the queue and device features from the
 * scenario header, the ring oracles of the executor. */
#ifndef VC_TARGET_MODEL_H
#define VC_TARGET_MODEL_H

#include <stdio.h>

#include "adapter_model.h"
#include "exec.h"
#include "target.h"

static unsigned vc_model_target_run(const char *model, const uint8_t *data, size_t size, char *msg,
                                    size_t cap)
{
    static vc_fz *fz;
    static vc_scenario s; /* large: keep it off the stack */
    vc_scn_decode(data, size, &s);
    vc_adapter_model_select(model, vc_scn_model_queue(&s), vc_scn_model_features(&s));
    if (!fz) {
        if (!(fz = vc_fz_new(&vc_adapter_model, false))) {
            snprintf(msg, cap, "cannot set up the harness");
            return 1;
        }
        vc_fz_data_reads(fz, true);
    }
    static vc_fz_report r;
    unsigned n = vc_fz_run(fz, &s, &r);
    vc_fz_format(&r, NULL, msg, cap);
    return n;
}

#define VC_MODEL_TARGET(model)                                                   \
    const char *const vc_target_name = "model_" model;                           \
    unsigned vc_target_run(const uint8_t *data, size_t size, char *msg, size_t cap) \
    {                                                                            \
        return vc_model_target_run(model, data, size, msg, cap);                 \
    }

#endif
