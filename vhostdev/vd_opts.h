/* Command line of vconform-vhost-dev. */
#ifndef VD_OPTS_H
#define VD_OPTS_H

#include <stdbool.h>

#include "refdev/models.h"
#include "vd_types.h"

typedef struct vd_opts {
    const char *socket, *log;
    const vd_type *type;
    vc_model_opts model; /* disk (owned), serial, seed, input kind, ... */
    int accept_timeout_ms;
    bool trace;
    long connections; /* served one after the other; 0: no limit */
    bool modern_only;   /* the front-end gives the guest no legacy interface */
    bool offers_packed; /* the front-end offers RING_PACKED to the guest */
    bool offers_mtu;    /* net: the front-end offers MTU to the guest */
    bool provoke;       /* NO_NOTIFY with EVENT_IDX (vd_quiet.c) */
} vd_opts;

/* false after printing why (usage errors, an unreadable image). */
bool vd_opts_parse(vd_opts *o, int argc, char **argv);
void vd_opts_free(vd_opts *o);

#endif
