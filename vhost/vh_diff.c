/* Differential mode over vhost-user (see vh_diff.h). */
#include "vh_diff.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_model.h"
#include "refdev/models.h"
#include "vc/gmem.h"

bool vh_diff_init(vh_diff *d, const char *model)
{
    memset(d, 0, sizeof(*d));
    d->name = model;
    /* what the model offers, from a throwaway instance */
    vc_gmem mem;
    vc_gmem_init(&mem);
    uint8_t disk[512] = { 0 };
    vc_model_opts o = { .seed = 1, .serial = "vconform-fuzz", .disk = disk, .disk_bytes = sizeof(disk) };
    vc_dev *dev = vc_model_create(model, &mem, &o);
    if (!dev)
        return false;
    d->device_bits = vc_dev_offered(dev) & ~VC_TRANSPORT_FEATURES;
    vc_model_free(dev);
    vc_adapter_model_select(model, 0, 0);
    d->model = vc_fz_new(&vc_adapter_model, false);
    return d->model != NULL;
}

void vh_diff_free(vh_diff *d)
{
    vc_fz_free(d->model);
    d->model = NULL;
}

/* One kick's events, [from, to) of r->ev, as counts: took per id, used per
 * (id, length), refused. */
typedef struct kick_set {
    unsigned ntook, nused;
    uint32_t took[256];
    uint64_t used[256]; /* id << 32 | length */
    bool refused, overflow;
} kick_set;

static int cmp32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Collects the events after position *at up to the next kick (or end);
 * *at moves past them. false at the end. */
static bool next_kick(const vc_fz_report *r, unsigned end, unsigned *at, kick_set *k)
{
    memset(k, 0, sizeof(*k));
    while (*at < end && r->ev[*at].kind != 'K')
        (*at)++;
    if (*at >= end)
        return false;
    for ((*at)++; *at < end && r->ev[*at].kind != 'K'; (*at)++) {
        const vc_fz_event *e = &r->ev[*at];
        if (e->kind == 'T' && k->ntook < 256)
            k->took[k->ntook++] = e->id;
        else if (e->kind == 'U' && k->nused < 256)
            k->used[k->nused++] = (uint64_t)e->id << 32 | e->len;
        else if (e->kind == 'R')
            k->refused = true;
        else
            k->overflow = true;
    }
    qsort(k->took, k->ntook, sizeof(k->took[0]), cmp32);
    return true;
}

static unsigned cut(const vc_fz_report *a, const vc_fz_report *b)
{
    unsigned n = a->nev > b->nev ? a->nev : b->nev;
    const unsigned stops[] = { a->data_dependent_from, b->data_dependent_from, a->stopped_from,
                               b->stopped_from, a->ev_lost ? a->nev : UINT_MAX, b->ev_lost ? b->nev : UINT_MAX };
    for (unsigned i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
        n = stops[i] < n ? stops[i] : n;
    return n;
}

/* The first difference between two kicks' takes and refusals, in words. */
static bool differ(const kick_set *x, const kick_set *y, char *what, size_t cap)
{
    if (x->refused != y->refused) {
        snprintf(what, cap, "%s the ring", x->refused ? "back-end refused, reference served" : "reference refused, back-end served");
        return true;
    }
    for (unsigned i = 0; i < x->ntook || i < y->ntook; i++)
        if (i >= x->ntook || i >= y->ntook || x->took[i] != y->took[i]) {
            bool ref = i >= x->ntook || (i < y->ntook && y->took[i] < x->took[i]);
            snprintf(what, cap, "took %u chains, reference %u (first difference: %s chain %u)", x->ntook, y->ntook,
                     ref ? "reference took" : "back-end took", ref ? y->took[i] : x->took[i]);
            return true;
        }
    return false;
}

/* Used entries of the whole compared part (a black-box back-end may
 * complete a chain after the kick that offered it was judged settled). */
static bool differ_used(kick_set *x, kick_set *y, char *what, size_t cap)
{
    qsort(x->used, x->nused, sizeof(x->used[0]), cmp64);
    qsort(y->used, y->nused, sizeof(y->used[0]), cmp64);
    for (unsigned i = 0; i < x->nused || i < y->nused; i++) {
        if (i < x->nused && i < y->nused && x->used[i] == y->used[i])
            continue;
        if (i < x->nused && i < y->nused && x->used[i] >> 32 == y->used[i] >> 32)
            snprintf(what, cap, "chain %u used with length %u, reference %u", (unsigned)(x->used[i] >> 32),
                     (unsigned)x->used[i], (unsigned)y->used[i]);
        else
            snprintf(what, cap, "%u chains used, reference %u", x->nused, y->nused);
        return true;
    }
    return false;
}

static void add_used(kick_set *all, const kick_set *k)
{
    for (unsigned i = 0; i < k->nused && all->nused < 256; i++)
        all->used[all->nused++] = k->used[i];
    all->overflow = all->overflow || k->overflow || all->nused == 256;
}

unsigned vh_diff_run(vh_diff *d, const vc_scenario *s, uint64_t device_features, const vc_fz_report *back,
                     unsigned back_notes, vc_fz_finding *out)
{
    vc_adapter_model_select(d->name, 0, device_features);
    vc_fz_run(d->model, s, &d->rep);
    if (!back->nev || !d->rep.nev)
        return 0; /* one side did not set the queue up (a geometry it refuses) */
    unsigned end = cut(back, &d->rep), at_b = 0, at_m = 0, kick = 0;
    static kick_set x, y, ux, uy;
    memset(&ux, 0, sizeof(ux));
    memset(&uy, 0, sizeof(uy));
    char what[96];
    bool found = false;
    for (;; kick++) {
        bool more_b = next_kick(back, end, &at_b, &x), more_m = next_kick(&d->rep, end, &at_m, &y);
        if (!more_b || !more_m || x.overflow || y.overflow)
            break; /* compared as far as both went */
        add_used(&ux, &x);
        add_used(&uy, &y);
        ux.refused |= x.refused; /* a device that refused need not return what it took */
        uy.refused |= y.refused;
        if ((found = differ(&x, &y, what, sizeof(what))))
            break;
    }
    if (!found && !ux.overflow && !uy.overflow && !ux.refused && !uy.refused &&
        (found = differ_used(&ux, &uy, what, sizeof(what))))
        kick = UINT_MAX;
    if (!found)
        return 0;
    bool theirs = back->nfindings + back_notes > 0, ours = d->rep.nfindings > 0;
    out->kind = "divergence";
    out->req = strstr(what, "length") ? "dev.vq_used.2" : NULL;
    char where[24];
    if (kick == UINT_MAX)
        snprintf(where, sizeof(where), "the run");
    else
        snprintf(where, sizeof(where), "kick %u", kick);
    snprintf(out->detail, sizeof(out->detail), "%s: %.96s; %s%.24s", where, what,
             theirs && !ours ? "the back-end is wrong (its own findings)"
             : ours && !theirs ? "the reference model is wrong: "
             : theirs && ours ? "both have findings"
                              : "no oracle finding on either side: judge by the requirement",
             ours && !theirs ? d->rep.finding[0].kind : "");
    return 1;
}
