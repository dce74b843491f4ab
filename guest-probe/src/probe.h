/* What the probe learns about one virtio PCI function, and the run context. */
#ifndef VP_PROBE_H
#define VP_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "pci_if.h"
#include "report.h"
#include "vc/pci_layout.h"


#define VP_MAX_CAPS 48

typedef struct vp_vcap {
    uint8_t pos, cfg_type, bar, id, cap_len;
    uint32_t offset, length;
    uint32_t notify_mult; /* notify caps */
    uint64_t shm_offset, shm_length; /* shared memory caps (64-bit form) */
} vp_vcap;

typedef struct vp_dev {
    vp_fn *fn;
    uint8_t cfg[256];
    uint16_t vendor, device, subsys_vendor, subsys_device, command, status;
    uint8_t revision;
    uint32_t class_code;
    uint16_t virtio_id;     /* 0 when the device id names no known type */
    const char *type;       /* short name from specs, "unknown" */
    bool id_legacy;         /* 0x1000-0x103f */

    /* capability walk */
    bool cap_list;          /* status register says a list exists */
    bool cap_walk_ok;
    char cap_walk_err[96];
    unsigned nstd;          /* standard capabilities seen */
    vp_vcap vcap[VP_MAX_CAPS];
    unsigned nvcap;
    int first[VC_CAP_TYPES]; /* index in vcap of the first usable cap per type, -1 none */
    int pio_notify;          /* index of a notify cap in an I/O BAR (QEMU's modern-pio-notify), -1 none */
    int msix_pos;           /* -1 none */
    unsigned msix_size;
    bool msix_enabled;

    bool io_bar0;
    bool bars_usable;       /* BARs mapped and decoding on (probe owns the function) */
    const char *mode;       /* legacy, transitional, modern, invalid */
    char mode_why[160];

    /* learnt by an earlier driver personality: later ones wait briefly */
    bool net_silent;        /* a transmitted frame never came back */
    bool console_silent;    /* DEVICE_READY drew no PORT_ADD */
} vp_dev;

typedef struct vp_opts {
    unsigned timeout_ms;    /* per wait on the device */
    unsigned quiet_ms;      /* per wait for an interrupt that must not come */
    bool irq;               /* run the interrupt and lifecycle checks */
    bool semantics;         /* run the net, blk and scsi semantics checks (dev_*_sem.c, dev_scsi*.c) */
    bool prefer_packed;     /* packed rings only where offered (drv.reserved_features.5) */
    bool config_change;     /* a runner answers note records with configuration changes */
    bool legacy, modern;    /* driver personalities to run */
    bool blk_pattern;       /* the runner's disk carries the known pattern */
    bool blk_no_unmap;      /* the host's disks never free sectors (no discard=unmap) */
    bool scsi_cd;           /* the runner plugs a CD drive into a SCSI host on request */
    const char *scsi_cd_at; /* or only into those at these slot paths ('+' between), NULL none */
    bool net_loopback;      /* net backends return every transmitted frame */
    bool ring_resize;       /* kdrv: resize virtio_net's rings (per-queue reset) when RING_RESET is on */
    int console_ports;      /* ports the host gave each console device, -1 unknown */
    bool unbind;            /* unbind a bound kernel driver instead of skipping */
    const char *blk_serial; /* expected GET_ID answer, NULL: do not compare */
    bool drv_fault_avail_jump; /* planted driver fault (--drv-fault avail-jump) */
    /* scenario replay (replay.h) */
    unsigned replay_skip;   /* scenarios to leave out from the start of the list */
    unsigned replay_count;  /* scenarios to play after those, 0 all */
    const char *replay_omit; /* indexes not to play, "3-5:9" (known to crash or hang the VMM) */
    unsigned replay_quiet_ms; /* a kick is over when the device has done nothing for this long */
    bool replay_strict;     /* a chain the driver's rules forbid must be refused (the reference device) */
    bool ctl_only;          /* --control: every listed file is a control-plane sequence (ctl_play.h) */
} vp_opts;

/* The wait for something an earlier personality found never comes. */
#define VP_QUICK_WAIT_MS 100u

typedef struct vp_ctx {
    vp_platform *plat;
    vp_report *rep;
    vp_opts opt;
    vp_dma dma;             /* one arena shared by all devices, reused per run */
    bool have_dma;
    char dma_err[160];
    bool swapped;           /* the functions met now were plugged after boot (balloon_swap.c) */
} vp_ctx;

/* classify.c: reads config space, walks the capability list, classifies. */
bool vp_dev_read(vp_dev *d, vp_fn *f, char *err, size_t errlen);
void vp_dev_classify(vp_dev *d);
/* Emits the "device" record (IDs, BARs, caps, mode, signals). */
void vp_dev_record(vp_report *r, const vp_dev *d);
const char *vp_cap_type_name(unsigned t);

/* checks_pci.c: PCI-level checks (IDs, layout, capabilities). */
void vp_checks_pci(vp_ctx *c, vp_dev *d);

/* drive.c: runs every driver personality the device mode calls for. */
void vp_run_drivers(vp_ctx *c, vp_dev *d);

#endif
