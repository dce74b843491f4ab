/* The reference device's models behind the adapter interface. */
#ifndef VC_ADAPTER_MODEL_H
#define VC_ADAPTER_MODEL_H

#include "adapter.h"

extern const vc_adapter vc_adapter_model;
/* Which model the next vc_fz_new creates (by name, as vc_model_create), and
 * for each scenario, which of its queues and which device features. */
void vc_adapter_model_select(const char *name, unsigned queue, uint64_t dev_features);

#endif
