/* Entropy device: one request queue; fills every device-writable buffer with
 * bytes from a seeded generator (deterministic, so fuzzing is repeatable). */
#include <stdlib.h>

#include "refdev/models.h"
#include "vc/spec_devices.h"

#define RNG_QUEUE_MAX 256

typedef struct rng {
    vc_dev dev;
    uint64_t state;
} rng;

static uint64_t next_random(uint64_t *s)
{
    /* splitmix64: good enough bytes, one multiply chain per 8 bytes */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t serve(vc_dev *d, unsigned q, vc_chain *c)
{
    rng *r = d->model;
    if (c->n_out > 0)
        vc_dev_fault(d, "RNG_READABLE_BUFFER", REQ_DRV_RNG_OP_1, (int)q, false,
                     "request has %u device-readable descriptors", c->n_out);
    uint8_t buf[256];
    uint64_t done = 0;
    while (done < c->in_bytes) {
        uint64_t n = c->in_bytes - done < sizeof(buf) ? c->in_bytes - done : sizeof(buf);
        for (uint64_t i = 0; i < n; i += 8) {
            uint64_t v = next_random(&r->state);
            for (unsigned b = 0; b < 8 && i + b < n; b++)
                buf[i + b] = (uint8_t)(v >> (8 * b));
        }
        if (vc_chain_write(d->mem, c, done, buf, n) != n)
            break;
        done += n;
    }
    return (uint32_t)done; /* fills the whole buffer (dev.rng_op.1) */
}

static void notify(vc_dev *d, unsigned q)
{
    vc_dev_serve(d, q, serve);
}

static const vc_model_ops rng_ops = {
    .name = "rng",
    .device_id = VC_DEV_ID_RNG,
    .queue_notify = notify,
};

vc_dev *vc_rng_create(const vc_gmem *mem, const vc_model_opts *o)
{
    rng *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    uint16_t qmax = o && o->queue_max ? o->queue_max : RNG_QUEUE_MAX;
    uint64_t off = o ? o->features_off : 0;
    vc_dev_init(&r->dev, &rng_ops, r, mem, VC_TRANSPORT_FEATURES & ~off, 0, 1, &qmax);
    r->state = o ? o->seed : 0;
    return &r->dev;
}
