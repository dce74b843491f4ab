/* Rule tallies of one session (see vd_rules.h). */
#include "vd_rules.h"

#include <string.h>

void vd_rules_clear(vd_rules *r)
{
    memset(r, 0, sizeof(*r));
}

static vd_rule *find(vd_rules *r, const char *req)
{
    if (!req || !*req)
        return NULL;
    for (unsigned i = 0; i < r->n; i++)
        if (strcmp(r->r[i].req, req) == 0)
            return &r->r[i];
    if (r->n == VD_MAX_RULES)
        return NULL; /* more rules than the table: the rest go uncounted */
    r->r[r->n] = (vd_rule){ .req = req };
    return &r->r[r->n++];
}

void vd_rules_seen(vd_rules *r, const char *req)
{
    vd_rule *x = find(r, req);
    if (x)
        x->seen++;
}

void vd_rules_broken(vd_rules *r, const char *req)
{
    vd_rule *x = find(r, req);
    if (x) {
        x->seen++;
        x->broken++;
    }
}
