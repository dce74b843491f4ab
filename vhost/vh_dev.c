/* A vhost-user device driven as a driver would (see vh_dev.h). */
#define _GNU_SOURCE
#include "vh_dev.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"
#include "vc/ring.h"
#include "vu_sock.h"

/* The fuzz scenarios' map without the 64 MiB region (fuzz/scenario.h). */
static const uint64_t layout[][2] = {
    { VC_SCN_RINGS, VC_SCN_RINGS_SIZE },   { VC_SCN_TABLES, VC_SCN_TABLES_SIZE },
    { VC_SCN_DATA_A, VC_SCN_DATA_SIZE },   { VC_SCN_DATA_B, VC_SCN_DATA_SIZE },
    { VC_SCN_DATA_C, VC_SCN_DATA_SIZE },
};

#define INDIRECT_MAX 16

bool vh_dev_open(vh_dev *d, const char *sock, int timeout_ms, uint64_t want, char *err, size_t cap)
{
    memset(d, 0, sizeof(*d));
    vu_front_init(&d->f, timeout_ms);
    d->mem.fd = -1;
    if (!vu_mem_create(&d->mem, layout, sizeof(layout) / sizeof(layout[0]))) {
        snprintf(err, cap, "cannot make guest memory (memfd)");
        return false;
    }
    vu_err e = vu_front_connect(&d->f, sock, timeout_ms);
    if (e == VU_OK)
        e = vu_front_hello(&d->f);
    if (e == VU_OK) {
        d->features = d->f.dev_features & (want | (1ull << VC_F_VERSION_1));
        e = vu_front_set_features(&d->f, d->features);
    }
    if (e == VU_OK)
        e = vu_front_set_mem(&d->f, &d->mem);
    if (e != VU_OK)
        snprintf(err, cap, "%s", d->f.why);
    return e == VU_OK;
}

bool vh_dev_start(vh_dev *d, unsigned qi, uint16_t size, char *err, size_t cap)
{
    uint64_t desc = VC_SCN_RINGS;
    uint64_t avail = (desc + 16ull * size + 63) & ~63ull;
    uint64_t used = (avail + vc_split_avail_bytes(size) + 4095) & ~4095ull;
    vc_drv_status s = vc_vq_drv_init(&d->q, &d->mem.view, d->features, size, desc, avail, used,
                                     VC_SCN_TABLES, INDIRECT_MAX);
    if (s != VC_DRV_OK) {
        snprintf(err, cap, "driver side: %s", vc_drv_status_name(s));
        return false;
    }
    d->qsize = size;
    d->qi = qi;
    vu_err e = vu_front_vring_start(&d->f, qi, size, vu_mem_uva(&d->mem, desc, 16ull * size),
                                    vu_mem_uva(&d->mem, avail, vc_split_avail_bytes(size)),
                                    vu_mem_uva(&d->mem, used, vc_split_used_bytes(size)));
    if (e != VU_OK)
        snprintf(err, cap, "%s", d->f.why);
    return e == VU_OK;
}

void *vh_dev_host(vh_dev *d, uint64_t gpa, uint64_t len)
{
    return vc_gmem_host_ptr(&d->mem.view, gpa, len);
}

bool vh_dev_request(vh_dev *d, const vc_seg *sg, unsigned n_out, unsigned n_in, bool indirect,
                    vh_done *done, char *err, size_t cap)
{
    *done = (vh_done){ 0 };
    vu_front_calls(&d->f, d->qi); /* a stale signal must not count for this request */
    vc_drv_status s = vc_vq_drv_add(&d->q, sg, n_out, n_in, ++d->requests, indirect);
    if (s != VC_DRV_OK) {
        snprintf(err, cap, "driver side: %s", vc_drv_status_name(s));
        return false;
    }
    if (vc_vq_drv_kick_needed(&d->q))
        vu_front_kick(&d->f, d->qi);
    long long deadline = vu_now_ms() + d->f.timeout_ms;
    uint32_t token;
    for (;;) {
        done->notified |= vu_front_calls(&d->f, d->qi) > 0;
        s = vc_vq_drv_get_used(&d->q, &token, &done->used);
        if (s != VC_DRV_EMPTY)
            break;
        if (vu_front_hung_up(&d->f)) {
            snprintf(err, cap, "back-end closed the connection");
            return false;
        }
        long long left = deadline - vu_now_ms();
        if (left <= 0) {
            snprintf(err, cap, "no used entry within %d ms", d->f.timeout_ms);
            return false;
        }
        /* wake on the call eventfd, else look again after 1 ms (the driver
         * may have suppressed notifications) */
        struct pollfd p = { .fd = d->f.vq[d->qi].call, .events = POLLIN };
        poll(&p, 1, left < 1 ? (int)left : 1);
    }
    if (s != VC_DRV_OK) {
        snprintf(err, cap, "used ring: %s", vc_drv_status_name(s));
        return false;
    }
    /* the signal follows the used index: give it the same bound */
    long long late = vu_now_ms() + 200;
    if (late < deadline)
        deadline = late;
    while (!done->notified && vu_now_ms() < deadline) {
        struct pollfd p = { .fd = d->f.vq[d->qi].call, .events = POLLIN };
        if (poll(&p, 1, (int)(deadline - vu_now_ms())) <= 0)
            break;
        done->notified = vu_front_calls(&d->f, d->qi) > 0;
    }
    return true;
}

void vh_dev_close(vh_dev *d)
{
    vc_vq_drv_free(&d->q);
    vu_front_close(&d->f);
    vu_mem_destroy(&d->mem);
}
