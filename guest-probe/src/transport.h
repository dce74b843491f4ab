/* The two register interfaces a driver can use, behind one set of calls:
 * modern (virtio 1.x structures found through the vendor capabilities) and
 * legacy (virtio 0.9.5 registers in I/O BAR0). Ring logic and device
 * round-trips sit above this and do not care which one is in use.
 *
 * A failed BAR access sets io_err; callers turn it into an error verdict. */
#ifndef VP_TRANSPORT_H
#define VP_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "probe.h"
#include "vc/pci_layout.h"

#define VP_NO_VECTOR 0xffffu
#define VP_MAX_QUEUES 64

typedef struct vp_loc {
    unsigned bar;
    uint64_t off, len;
} vp_loc;

typedef struct vp_tp {
    vp_fn *fn;
    bool legacy;
    bool io_err;
    /* modern */
    vp_loc common, notify, isr, device;
    uint32_t notify_mult;
    uint16_t notify_off[VP_MAX_QUEUES];
    /* legacy */
    unsigned legacy_cfg;  /* offset of device config in BAR0 (20, or 24 with MSI-X on) */
    uint64_t bar0_size;
} vp_tp;

/* Set-up: false (with err) when the interface is not there. */
bool vp_tp_modern(vp_tp *t, vp_dev *d, char *err, size_t errlen);
bool vp_tp_legacy(vp_tp *t, vp_dev *d, char *err, size_t errlen);
/* Modern, but notifications go through the notify capability in an I/O BAR. */
bool vp_tp_modern_pio(vp_tp *t, vp_dev *d, char *err, size_t errlen);

/* Raw register access (modern: inside a located structure; legacy: BAR0). */
uint64_t vp_tp_rd(vp_tp *t, const vp_loc *l, uint64_t off, unsigned len);
void vp_tp_wr(vp_tp *t, const vp_loc *l, uint64_t off, unsigned len, uint64_t val);

uint64_t vp_tp_device_features(vp_tp *t);      /* legacy: 32 bits */
void vp_tp_set_driver_features(vp_tp *t, uint64_t f);
uint64_t vp_tp_driver_features(vp_tp *t);      /* read back */
uint8_t vp_tp_status(vp_tp *t);
void vp_tp_set_status(vp_tp *t, uint8_t s);
uint8_t vp_tp_isr(vp_tp *t);
/* Number of queues: modern num_queues; legacy counts sizes until one reads 0. */
unsigned vp_tp_num_queues(vp_tp *t);
uint16_t vp_tp_queue_max(vp_tp *t, unsigned q);
/* Programs queue q with the rings at desc/driver/device (legacy: the layout
 * must be the contiguous one at a page boundary and size the device's). */
bool vp_tp_queue_setup(vp_tp *t, unsigned q, uint16_t size, uint64_t desc, uint64_t driver,
                       uint64_t device);
void vp_tp_notify(vp_tp *t, unsigned q);
/* Device-specific configuration space. */
uint64_t vp_tp_cfg(vp_tp *t, unsigned off, unsigned len);
void vp_tp_cfg_write(vp_tp *t, unsigned off, unsigned len, uint64_t val);
uint8_t vp_tp_generation(vp_tp *t); /* modern only (legacy: 0) */

#endif
