/* Benchmark: device-side chain walk (pop + push) and driver-side add/collect,
 * split and packed, 1/4/16-descriptor chains, direct and indirect.
 * Prints chains per second per case and the indirect/direct ratio. Not a
 * test: figures go into notes and the README, never into pass/fail. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "testmem.h"
#include "vc/ring.h"
#include "vc/vq_drv.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs iters add/pop/push/collect cycles; returns chains per second. */
static double run(bool packed, unsigned nseg, bool indirect, unsigned iters)
{
    vc_testmem tm;
    vc_testmem_init(&tm);
    uint16_t size = 256;
    uint64_t f = 1ull << VC_F_VERSION_1 | 1ull << VC_F_INDIRECT_DESC |
                 (packed ? 1ull << VC_F_RING_PACKED : 0);
    uint64_t desc = vc_testmem_alloc(&tm, 16ull * size, 16);
    uint64_t drv = vc_testmem_alloc(&tm, 6 + 2ull * size, 4);
    uint64_t dev = vc_testmem_alloc(&tm, 6 + 8ull * size, 4);
    uint64_t ind = vc_testmem_alloc(&tm, 16ull * size * 16, 16);
    uint64_t buf = vc_testmem_alloc(&tm, 65536, 4096);
    vc_vq_drv d;
    vc_vq_dev q = { 0 };
    vc_vq_drv_init(&d, &tm.mem, f, size, desc, drv, dev, ind, 16);
    vc_vq_dev_init(&q, &tm.mem, f, size, desc, drv, dev);
    vc_seg sg[16], segs[256];
    for (unsigned i = 0; i < nseg; i++)
        sg[i] = (vc_seg){ buf + i * 512, 512, i >= nseg / 2 };
    vc_chain c = { .seg = segs, .cap = 256 };
    unsigned n_out = nseg / 2, n_in = nseg - n_out;
    double t0 = now();
    unsigned long done = 0;
    for (unsigned i = 0; i < iters; i++) {
        /* a batch of 8 chains per kick, like a busy queue */
        for (unsigned b = 0; b < 8; b++)
            vc_vq_drv_add(&d, sg, n_out, n_in, b, indirect);
        bool got;
        while (vc_vq_dev_pop(&q, &c, &got) == VC_OK && got) {
            vc_vq_dev_push(&q, &c, (uint32_t)c.in_bytes);
            done++;
        }
        uint32_t tok, len;
        while (vc_vq_drv_get_used(&d, &tok, &len) == VC_DRV_OK)
            ;
    }
    double dt = now() - t0;
    if (q.broken)
        fprintf(stderr, "bench: queue broke: %s\n", vc_err_name(q.broken));
    vc_vq_drv_free(&d);
    vc_vq_dev_free(&q);
    vc_testmem_free(&tm);
    return done / dt;
}

int main(int argc, char **argv)
{
    unsigned iters = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
    printf("%-7s %5s %10s %14s %14s %8s\n", "ring", "descs", "", "direct/s", "indirect/s", "ind/dir");
    for (int packed = 0; packed < 2; packed++) {
        const unsigned sizes[] = { 1, 4, 16 };
        for (unsigned k = 0; k < 3; k++) {
            unsigned n = sizes[k];
            double dir = run(packed, n, false, n == 16 ? iters / 4 : iters);
            double ind = run(packed, n, true, n == 16 ? iters / 4 : iters);
            printf("%-7s %5u %10s %14.0f %14.0f %8.2f\n", packed ? "packed" : "split", n, "chains",
                   dir, ind, ind / dir);
        }
    }
    return 0;
}
