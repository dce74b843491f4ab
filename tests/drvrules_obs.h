/* Test support for the driver-rule checks (refdev/drvrules.h): what the
 * device reported as kept, and the faults it recorded, by requirement. */
#ifndef VC_DRVRULES_OBS_H
#define VC_DRVRULES_OBS_H

#include <string.h>

#include "refdev/device.h"

#define OBS_MAX 64

typedef struct obs {
    const char *req[OBS_MAX];
    unsigned n[OBS_MAX], nreq;
} obs;

static void obs_on_rule(void *opaque, const char *req)
{
    obs *o = opaque;
    for (unsigned i = 0; i < o->nreq; i++)
        if (!strcmp(o->req[i], req)) {
            o->n[i]++;
            return;
        }
    if (o->nreq < OBS_MAX) {
        o->req[o->nreq] = req;
        o->n[o->nreq++] = 1;
    }
}

static inline void obs_attach(obs *o, vc_dev *d)
{
    memset(o, 0, sizeof(*o));
    d->on_rule = obs_on_rule;
    d->rule_opaque = o;
}

/* Times req was evaluated and kept. */
static inline unsigned obs_kept(const obs *o, const char *req)
{
    for (unsigned i = 0; i < o->nreq; i++)
        if (!strcmp(o->req[i], req))
            return o->n[i];
    return 0;
}

/* Faults naming req. */
static inline unsigned faults_of(const vc_dev *d, const char *req)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->nfaults && i < VC_DEV_MAX_FAULTS; i++)
        n += d->fault[i].req && !strcmp(d->fault[i].req, req);
    return n;
}

/* Forgets the faults so far (each case starts clean). */
static inline void faults_clear(vc_dev *d) { d->nfaults = 0; }

#endif
