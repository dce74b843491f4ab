/* What the back-end knows per device type beyond the reference model: the
 * queue size QEMU's front-end uses by default (the model's seg_max follows
 * it), the feature bits the front-end keeps to itself, whether config goes
 * over GET_CONFIG, and which of the model's driver rules a chain taken from
 * a queue is checked against (vd_rules). The last is a declaration read off
 * the model's code: a rule is listed only where the model evaluates it on
 * every such chain. */
#ifndef VD_TYPES_H
#define VD_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "refdev/device.h"
#include "vd_rules.h"

typedef struct vd_type {
    const char *name; /* the refdev model's name */
    uint16_t queue_max;
    uint64_t features_off;
    uint64_t features_on; /* offered beyond the model's (bits the device may leave unused) */
    bool config;
    const char *config_rule; /* the rule the model's config_write enforces */
    void (*classify)(vd_rules *r, vc_dev *d, unsigned q, const vc_chain *c);
} vd_type;

const vd_type *vd_type_find(const char *name);
/* "rng, blk, ..." for usage messages. */
const char *vd_type_names(void);

#endif
