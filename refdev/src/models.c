/* Model registry by short name, and the common destructor. */
#include <stdlib.h>
#include <string.h>

#include "refdev/models.h"

static const struct {
    const char *name;
    vc_dev *(*create)(const vc_gmem *mem, const vc_model_opts *o);
} models[] = {
    { "rng", vc_rng_create },
    { "blk", vc_blk_create },
    { "console", vc_console_create },
    { "input", vc_input_create },
    { "balloon", vc_balloon_create },
    { "scsi", vc_scsi_create },
    { "net", vc_net_create },
};

vc_dev *vc_model_create(const char *name, const vc_gmem *mem, const vc_model_opts *o)
{
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        if (strcmp(models[i].name, name) == 0)
            return models[i].create(mem, o);
    return NULL;
}

/* Every model embeds vc_dev as the first member of its own struct, which is
 * d->model; freeing the model frees the device. */
void vc_model_free(vc_dev *d)
{
    if (!d)
        return;
    void *model = d->model;
    vc_dev_destroy(d);
    free(model);
}
