#include "refdev/features.h"

#include <stddef.h>

#include "vc/spec_features.h"

typedef struct feat {
    uint16_t dev;
    uint8_t bit;
    const char *name;
    uint64_t requires;
    bool legacy_only;
} feat;

static const feat table[] = {
#define VC_FEAT_ROW(dev, bit, name, req, legacy) { dev, bit, #name, req, legacy },
    VC_FEATURES(VC_FEAT_ROW)
#undef VC_FEAT_ROW
};

#define NFEAT (sizeof(table) / sizeof(table[0]))

/* transport rows carry device id 0 and apply to every device type */
static bool applies(const feat *t, uint16_t dev_id)
{
    return t->dev == 0 || t->dev == dev_id;
}

uint64_t vc_features_missing_deps(uint16_t dev_id, uint64_t f)
{
    uint64_t bad = 0;
    for (size_t i = 0; i < NFEAT; i++) {
        const feat *t = &table[i];
        if (applies(t, dev_id) && (f & (1ull << t->bit)) && (f & t->requires) != t->requires)
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
