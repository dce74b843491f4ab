/* A whole reference device model behind the adapter interface: the harness
 * drives one of the model's queues with the scenario's chains while the
 * model parses the requests in them (blk, net, console, balloon, scsi,
 * input, rng). The ring oracles hold as for the ring layer alone; request
 * parsing is checked by the sanitizers and the model's own fault codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_model.h"
#include "refdev/models.h"

#define DISK_SECTORS 64u

typedef struct model_be {
    const vc_gmem *mem;
    vc_dev *d;
    unsigned q;
    const vc_adapter_events *ev; /* set while a kick runs */
    bool trace;                  /* VC_FZ_TRACE: print the model's fault codes */
    uint64_t notifications;      /* the model's used buffer notifications seen so far */
    uint8_t disk[DISK_SECTORS * 512];
} model_be;

static struct {
    const char *name;
    uint8_t queue;
    uint64_t dev_features;
} sel = { "rng", 0, 0 };

void vc_adapter_model_select(const char *name, unsigned queue, uint64_t dev_features)
{
    sel.name = name;
    sel.queue = (uint8_t)queue;
    sel.dev_features = dev_features;
}

static void on_pop(void *opaque, unsigned q, uint16_t id, const char *err)
{
    model_be *b = opaque;
    if (!b->ev || q != b->q)
        return; /* pops outside a kick or on queues the harness does not drive */
    if (err)
        b->ev->rejected(b->ev->ctx, err);
    else
        b->ev->took(b->ev->ctx, id);
}

/* Every interrupt the model raises; a used buffer notification is one that
 * moved its count (config changes raise interrupts too). Only the harness's
 * queue is set up, so a used buffer notification is for that queue. */
static void on_irq(void *opaque, uint16_t vector)
{
    model_be *b = opaque;
    (void)vector;
    if (b->d->notifications == b->notifications)
        return;
    b->notifications = b->d->notifications;
    if (b->ev && b->ev->notify)
        b->ev->notify(b->ev->ctx, true);
}

static void *model_create(const vc_gmem *mem)
{
    model_be *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->mem = mem;
    b->trace = getenv("VC_FZ_TRACE") != NULL;
    for (unsigned s = 0; s < DISK_SECTORS; s++)
        memset(b->disk + s * 512, (int)s, 512);
    vc_model_opts o = { .seed = 1, .serial = "vconform-fuzz", .disk = b->disk,
                        .disk_bytes = sizeof(b->disk), .loopback = true };
    b->d = vc_model_create(sel.name, mem, &o);
    if (!b->d) {
        free(b);
        return NULL;
    }
    b->d->on_pop = on_pop;
    b->d->pop_opaque = b;
    b->d->irq = on_irq;
    b->d->irq_opaque = b;
    return b;
}

static void model_destroy(void *be)
{
    model_be *b = be;
    vc_model_free(b->d);
    free(b);
}

/* Reset, negotiate the ring's features plus the selected device features,
 * set up the one queue, DRIVER_OK. False when the model refuses any step. */
static bool model_setup(void *be, uint64_t features, uint16_t size, uint64_t desc, uint64_t driver,
                        uint64_t device)
{
    model_be *b = be;
    vc_dev *d = b->d;
    vc_dev_reset(d);
    b->q = sel.queue % d->nqueues;
    uint64_t want = features | 1ull << VC_F_VERSION_1 |
                    (sel.dev_features & vc_dev_offered(d) & ~VC_TRANSPORT_FEATURES);
    if ((want & vc_dev_offered(d)) != want)
        return false; /* a ring feature the model does not offer */
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER);
    vc_dev_set_driver_features(d, 0, (uint32_t)want);
    vc_dev_set_driver_features(d, 1, (uint32_t)(want >> 32));
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK);
    if (!(vc_dev_status(d) & VC_STATUS_FEATURES_OK))
        return false;
    if (!vc_dev_queue_set_size(d, b->q, size))
        return false;
    vc_dev_queue_set_addr(d, b->q, desc, driver, device);
    if (!vc_dev_queue_enable(d, b->q))
        return false;
    vc_dev_set_status(d, VC_STATUS_ACKNOWLEDGE | VC_STATUS_DRIVER | VC_STATUS_FEATURES_OK |
                             VC_STATUS_DRIVER_OK);
    return true;
}

static void model_kick(void *be, const vc_adapter_events *ev, vc_used_policy policy)
{
    model_be *b = be;
    (void)policy; /* the model decides what it writes */
    b->ev = ev;
    unsigned before = b->d->nfaults;
    vc_dev_notify(b->d, b->q);
    b->ev = NULL;
    for (unsigned i = before; b->trace && i < b->d->nfaults && i < VC_DEV_MAX_FAULTS; i++)
        fprintf(stderr, "trace: model fault %s [%s]\n", b->d->fault[i].code,
                b->d->fault[i].req ? b->d->fault[i].req : "-");
}

const vc_adapter vc_adapter_model = {
    .name = "refdev-model",
    .create = model_create,
    .destroy = model_destroy,
    .setup = model_setup,
    .kick = model_kick,
    .notify_sent_only = true, /* the model decides inside its push: only sends are seen */
};
