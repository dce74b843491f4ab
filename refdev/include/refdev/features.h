/* Feature-bit rules from specs/features.tsv (through the generated
 * vc/spec_features.h): dependencies and legacy-only bits per device type. */
#ifndef REFDEV_FEATURES_H
#define REFDEV_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

/* Bits of f whose required bits are not also in f, for device type dev_id
 * (transport bits apply to every type). 0 when f is consistent. */
uint64_t vc_features_missing_deps(uint16_t dev_id, uint64_t f);
/* Bits that exist only for the legacy interface, for device type dev_id. */
uint64_t vc_features_legacy_only(uint16_t dev_id);
/* Name of a feature bit ("VIRTIO_F_VERSION_1"), or NULL when unknown. */
const char *vc_feature_name(uint16_t dev_id, unsigned bit);

#endif
