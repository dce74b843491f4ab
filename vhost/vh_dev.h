/* One vhost-user device driven the way a conforming driver drives it: the
 * front-end connected and negotiated, guest memory in a memfd laid out as
 * the fuzz scenarios' map, one split queue run by the library's driver side
 * (lib/include/vc/vq_drv.h), requests sent one at a time with a bounded
 * wait for their used entry and for the call eventfd. */
#ifndef VH_DEV_H
#define VH_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vc/vq_drv.h"
#include "vu_front.h"
#include "vu_mem.h"

typedef struct vh_dev {
    vu_front f;
    vu_guest_mem mem;
    vc_vq_drv q;
    uint64_t features; /* negotiated (device, ring and VERSION_1 bits) */
    uint16_t qsize;
    unsigned qi; /* the queue driven */
    unsigned requests; /* made available so far */
} vh_dev;

/* What one request came back with. */
typedef struct vh_done {
    uint32_t used; /* the used length */
    bool notified; /* the call eventfd fired for it */
} vh_done;

/* Connects and negotiates: of the offered features, VERSION_1 and those in
 * want. false with the reason in err. */
bool vh_dev_open(vh_dev *d, const char *sock, int timeout_ms, uint64_t want, char *err, size_t cap);
/* Starts queue qi (size entries) over the memory; requests go there. */
bool vh_dev_start(vh_dev *d, unsigned qi, uint16_t size, char *err, size_t cap);
/* One request (sg as vc_vq_drv_add takes it); waits for its used entry. */
bool vh_dev_request(vh_dev *d, const vc_seg *sg, unsigned n_out, unsigned n_in, bool indirect,
                    vh_done *done, char *err, size_t cap);
/* Host pointer of guest memory the driver side owns (buffers, headers). */
void *vh_dev_host(vh_dev *d, uint64_t gpa, uint64_t len);
void vh_dev_close(vh_dev *d);

#endif
