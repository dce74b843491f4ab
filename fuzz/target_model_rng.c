/* Fuzz target: the rng model's request parsing (see target_model.h). */
#include "target_model.h"

VC_MODEL_TARGET("rng")
