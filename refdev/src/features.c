#include "refdev/features.h"

#include <stddef.h>

#include "vc/spec_features.h"

typedef struct feat {
    uint16_t dev;
    uint8_t bit;
    const char *name;
    bool legacy_only;
    uint64_t groups[VC_FEAT_MAX_GROUPS]; /* each non-zero group needs one of its bits */
} feat;

static const feat table[] = {
#define VC_FEAT_ROW(dev, bit, name, legacy, g0, g1, g2, g3) { dev, bit, #name, legacy, { g0, g1, g2, g3 } },
    VC_FEATURES(VC_FEAT_ROW)
#undef VC_FEAT_ROW
};

#define NFEAT (sizeof(table) / sizeof(table[0]))

/* transport rows carry device id 0 and apply to every device type */
static bool applies(const feat *t, uint16_t dev_id)
{
    return t->dev == 0 || t->dev == dev_id;
}

static bool deps_met(const feat *t, uint64_t f)
{
    for (size_t g = 0; g < VC_FEAT_MAX_GROUPS; g++)
        if (t->groups[g] && !(f & t->groups[g]))
            return false;
    return true;
}

uint64_t vc_features_missing_deps(uint16_t dev_id, uint64_t f)
{
    uint64_t bad = 0;
    for (size_t i = 0; i < NFEAT; i++) {
        const feat *t = &table[i];
        if (applies(t, dev_id) && (f & (1ull << t->bit)) && !deps_met(t, f))
            bad |= 1ull << t->bit;
    }
    return bad;
}

uint64_t vc_features_legacy_only(uint16_t dev_id)
{
    uint64_t m = 0;
    for (size_t i = 0; i < NFEAT; i++)
        if (applies(&table[i], dev_id) && table[i].legacy_only)
            m |= 1ull << table[i].bit;
    return m;
}

const char *vc_feature_name(uint16_t dev_id, unsigned bit)
{
    for (size_t i = 0; i < NFEAT; i++)
        if (applies(&table[i], dev_id) && table[i].bit == bit)
            return table[i].name;
    return NULL;
}
