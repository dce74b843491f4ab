#include "vc/vq_errors.h"

#include <stddef.h>

static const struct {
    const char *name, *split_req, *packed_req, *text;
} info[VC_E_COUNT] = {
    [VC_OK] = { "VC_OK", NULL, NULL, "no error" },
#define VC_ERR_INFO(code, sreq, preq, txt) [code] = { #code, sreq, preq, txt },
    VC_VQ_ERRORS(VC_ERR_INFO)
#undef VC_ERR_INFO
};

static int known(vc_err e)
{
    return (unsigned)e < VC_E_COUNT;
}

const char *vc_err_name(vc_err e)
{
    return known(e) ? info[e].name : "VC_E_UNKNOWN";
}

const char *vc_err_req(vc_err e, bool packed)
{
    if (!known(e))
        return NULL;
    return packed ? info[e].packed_req : info[e].split_req;
}

const char *vc_err_text(vc_err e)
{
    return known(e) ? info[e].text : "unknown error";
}
