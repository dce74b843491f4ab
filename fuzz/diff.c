/* Differential comparison of two executor reports (see diff.h). */
#include "diff.h"

#include <limits.h>
#include <stdio.h>

static int describe(char *out, size_t cap, const vc_fz_event *e)
{
    if (!e)
        return snprintf(out, cap, "did nothing more");
    switch (e->kind) {
    case 'K': return snprintf(out, cap, "went on to the next kick");
    case 'T': return snprintf(out, cap, "took chain %u", e->id);
    case 'R': return snprintf(out, cap, "refused the ring");
    default: return snprintf(out, cap, "used chain %u with length %u", e->id, e->len);
    }
}

unsigned vc_fz_diff(const vc_fz_report *a, const char *a_name, const vc_fz_report *b,
                    const char *b_name, char *msg, size_t cap)
{
    unsigned n = a->nev > b->nev ? a->nev : b->nev, kick = 0;
    /* compare up to where behaviour starts to depend on written data, or
     * where either run was cut short by the harness's work budget */
    const unsigned stops[] = { a->data_dependent_from, b->data_dependent_from, a->stopped_from,
                               b->stopped_from };
    for (unsigned i = 0; i < 4; i++)
        n = stops[i] < n ? stops[i] : n;
    for (unsigned i = 0; i < n; i++) {
        const vc_fz_event *x = i < a->nev ? &a->ev[i] : NULL, *y = i < b->nev ? &b->ev[i] : NULL;
        if ((!x && a->ev_lost) || (!y && b->ev_lost))
            return 0; /* past what both recorded */
        if (x && y && x->kind == y->kind && x->id == y->id && x->len == y->len) {
            kick += x->kind == 'K';
            continue;
        }
        char dx[64], dy[64];
        describe(dx, sizeof(dx), x);
        describe(dy, sizeof(dy), y);
        snprintf(msg, cap, "divergence at kick %u, event %u: %s %s, %s %s\n", kick, i, a_name, dx, b_name,
                 dy);
        return 1;
    }
    return 0;
}
