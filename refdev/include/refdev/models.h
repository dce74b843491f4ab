/* Constructors of the reference device models. Each returns a heap device
 * (free with vc_model_free) or NULL on bad options. */
#ifndef REFDEV_MODELS_H
#define REFDEV_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refdev/device.h"

typedef struct vc_model_opts {
    uint64_t features_off; /* offered bits to withhold (e.g. packed ring) */
    uint16_t queue_max;    /* 0: the model's default */
    uint32_t seed;         /* deterministic randomness (rng) */
    /* blk: the disk image (caller-owned, disk_bytes a multiple of 512) */
    uint8_t *disk;
    uint64_t disk_bytes;
    bool read_only;
    const char *serial; /* GET_ID answer, at most 20 bytes used */
    bool loopback;      /* console: echo what a port transmits back as its input */
    /* Nothing attached behind the device, as QEMU creates it without a
     * netdev, virtserialport or scsi-hd: net drops every transmitted frame,
     * console announces no port, scsi has no target (disk may be NULL). */
    bool detached;
    int input_kind;     /* input: VC_INPUT_KEYBOARD or VC_INPUT_TABLET */
    bool offload;       /* net: also offer CSUM, HOST_TSO4, HOST_TSO6 and HOST_ECN */
} vc_model_opts;

#define VC_INPUT_KEYBOARD 0
#define VC_INPUT_TABLET 1

/* Transport features every model offers. */
#define VC_TRANSPORT_FEATURES                                                       \
    ((1ull << VC_F_INDIRECT_DESC) | (1ull << VC_F_EVENT_IDX) | (1ull << VC_F_VERSION_1) | \
     (1ull << VC_F_RING_PACKED) | (1ull << VIRTIO_F_RING_RESET_BIT))

vc_dev *vc_rng_create(const vc_gmem *mem, const vc_model_opts *o);
vc_dev *vc_blk_create(const vc_gmem *mem, const vc_model_opts *o);
vc_dev *vc_console_create(const vc_gmem *mem, const vc_model_opts *o);
vc_dev *vc_input_create(const vc_gmem *mem, const vc_model_opts *o);
vc_dev *vc_balloon_create(const vc_gmem *mem, const vc_model_opts *o);
vc_dev *vc_scsi_create(const vc_gmem *mem, const vc_model_opts *o); /* disk as for blk */
vc_dev *vc_net_create(const vc_gmem *mem, const vc_model_opts *o);

/* ---- host side of the models (what a backend would connect to) ---- */
/* console: drains up to cap bytes a port transmitted; queues input for a
 * port (false when it does not fit); port state bits. */
size_t vc_console_output(vc_dev *d, unsigned port, void *buf, size_t cap);
bool vc_console_input(vc_dev *d, unsigned port, const void *buf, size_t len);
#define VC_CONSOLE_PORT_ADDED 1u
#define VC_CONSOLE_PORT_READY 2u   /* driver answered PORT_READY 1 */
#define VC_CONSOLE_PORT_OPEN 4u    /* driver opened the port */
#define VC_CONSOLE_PORT_CONSOLE 8u /* announced as the console port */
unsigned vc_console_port_state(const vc_dev *d, unsigned port);
/* console: the host resizes port's console (config cols/rows for port 0
 * with SIZE, a RESIZE message with MULTIPORT); unplugs an added port or
 * plugs a removed one (MULTIPORT, after DEVICE_READY). false when nothing
 * could be told. */
bool vc_console_resize(vc_dev *d, unsigned port, uint16_t cols, uint16_t rows);
bool vc_console_unplug(vc_dev *d, unsigned port);
bool vc_console_plug(vc_dev *d, unsigned port);

/* input: one update (events ending with SYN_REPORT) goes to the driver whole
 * or is dropped whole when too few event buffers are posted. */
typedef struct vc_input_event {
    uint16_t type, code;
    uint32_t value;
} vc_input_event;
bool vc_input_send(vc_dev *d, const vc_input_event *ev, unsigned n);
unsigned vc_input_leds(const vc_dev *d); /* bit per LED the driver set via statusq */

/* balloon: the host's target size (config change), pages held, a request
 * for fresh statistics (returns the held stats buffer), the last value of a
 * statistic by tag. */
#define VC_BALLOON_NSTATS 16
void vc_balloon_set_target(vc_dev *d, uint32_t pages);
uint32_t vc_balloon_pages(const vc_dev *d);
bool vc_balloon_request_stats(vc_dev *d);
bool vc_balloon_stat(const vc_dev *d, unsigned tag, uint64_t *value);
/* free page hinting: issue a fresh command id (returned), end the run with
 * STOP or DONE, and the bytes hinted under the current id (plus those
 * ignored because their id was stale) */
uint32_t vc_balloon_hint_start(vc_dev *d);
void vc_balloon_hint_end(vc_dev *d, bool done);
uint64_t vc_balloon_hinted_bytes(const vc_dev *d, uint64_t *ignored);

/* scsi: sends one event (false when no buffer: the loss is flagged on the
 * next event, or when the event needs a feature not negotiated). */
bool vc_scsi_send_event(vc_dev *d, uint32_t event, uint32_t reason);
/* scsi: with hold, requests stay in flight (taken from the ring, not
 * answered) until released, or cancelled by task management. */
void vc_scsi_hold(vc_dev *d, bool hold);
/* scsi: the host plugs (present) or unplugs a read-only view of the disk at
 * target 1, LUN 0; false when nothing changed. */
bool vc_scsi_hotplug(vc_dev *d, bool present);

/* net */
typedef struct vc_net_stats {
    uint64_t tx_frames, tx_dropped, rx_frames, rx_filtered, rx_dropped;
    uint64_t tx_gso, tx_csum; /* offloads: GSO packets taken (not segmented), checksums filled in */
} vc_net_stats;
void vc_net_set_link(vc_dev *d, bool up);
/* Sets ANNOUNCE in status with a configuration change, where GUEST_ANNOUNCE
 * and CTRL_VQ were negotiated (false otherwise): what a host-side
 * announcement does. */
bool vc_net_announce(vc_dev *d);
/* A frame from the wire (not a looped-back one) for the first receive
 * queue: filtered, dropped over the MTU; false when it was not taken. */
bool vc_net_receive(vc_dev *d, const uint8_t *f, uint32_t len);
vc_net_stats vc_net_get_stats(const vc_dev *d);

/* Creates a model by its short name ("rng", "blk", ...); NULL if unknown. */
vc_dev *vc_model_create(const char *name, const vc_gmem *mem, const vc_model_opts *o);
void vc_model_free(vc_dev *d);

#endif
