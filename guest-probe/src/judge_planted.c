#include "judge_planted.h"

#include <string.h>

typedef struct planted_ctx {
    vp_report *r;
    const char *const *codes;
    unsigned n, seen;
} planted_ctx;

static void planted_one(void *ctx, const char *code, const char *req, int queue, const char *detail)
{
    planted_ctx *p = ctx;
    for (unsigned i = 0; i < p->n; i++)
        if (!strcmp(code, p->codes[i])) {
            p->seen++;
            return;
        }
    vp_check(p->r, "judge.driver", req, VP_FAIL, "no driver rule broken", code, "%s (queue %d)", detail, queue);
}

unsigned vp_judge_planted(vp_drv *v, const char *const *codes, unsigned n)
{
    vp_platform *pl = v->c->plat;
    planted_ctx pc = {v->c->rep, codes, n, 0};
    if (pl->driver_faults)
        pl->driver_faults(pl, v->d->fn, planted_one, &pc);
    return pc.seen;
}
