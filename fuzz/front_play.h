/* Plays control-plane sequences (ctl_seq.h) against the reference device's
 * PCI front (refdev/pci_front.h) as a driver would: named registers resolve
 * through the capabilities the front shows (modern) or BAR0 (legacy), raw
 * accesses of any width go where they say, and a known-good request per
 * device type checks that the device still works.
 *
 * Two judges, both naming requirements: the sequence's own expectations
 * (honour: curated sequences), and the control-plane oracle
 * (front_oracle.c), which knows the device-side rules and re-reads the
 * registers they are about after each access that concerns them. */
#ifndef VC_FRONT_PLAY_H
#define VC_FRONT_PLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_seq.h"
#include "refdev/pci_front.h"
#include "vc/vq_drv.h"

#define FP_MAX_FINDINGS 8
#define FP_QSLOTS 8            /* queues with a ring of their own in the ring area */
#define FP_SLOT_SIZE 0x8000u   /* per queue: split rings up to 1024 entries, legacy layout */
#define FP_RING_SIZE (FP_QSLOTS * FP_SLOT_SIZE)
#define FP_DATA_OFF FP_RING_SIZE  /* request buffers after the rings */
#define FP_MEM_SIZE (FP_RING_SIZE + 0x4000u)
#define FP_MEM_GPA 0x10000000ull

typedef struct fp_finding {
    const char *kind, *req, *tier; /* tier: device, should, liveness */
    char detail[112];
} fp_finding;

typedef struct fp_loc { /* a modern structure found by capability */
    bool ok;
    unsigned bar;
    uint32_t off, len;
} fp_loc;

/* What the oracle remembers between accesses. */
typedef struct fp_shadow {
    unsigned numq;                    /* queues (modern num_queues, legacy sizes until 0) */
    uint16_t qmax[VC_DEV_MAX_QUEUES]; /* sizes after reset */
    uint32_t df[2];                   /* device feature windows (modern) / host features (legacy) */
    uint64_t offered;
    unsigned nvec;                    /* MSI-X table size */
    uint32_t gf[2];                   /* driver features as written (gf_known) */
    bool gf_known;
    uint8_t prev_status;              /* status after the previous op */
    uint8_t old_status;               /* status before the access being judged */
    unsigned int_before;              /* PCI status interrupt bit before an ISR read */
    uint64_t writes;                  /* device writes into guest memory */
    uint32_t msix_seen;               /* MSI-X messages counted at the last check */
    bool legacy_touched, modern_touched;
    bool gen_read;                    /* a generation was read ... */
    uint8_t gen;                      /* ... with this value */
    bool changed;                     /* the configuration changed since that read */
    uint64_t accepted_sets[4];        /* feature sets FEATURES_OK kept (dev.features.4) */
    unsigned naccepted;
} fp_shadow;

typedef struct fp_queue {
    bool set;
    uint16_t size;
    uint64_t desc, driver, device;
    vc_vq_drv drv;
    uint32_t tokens;
} fp_queue;

typedef struct front_play {
    vc_front_mem mem;
    vc_front *f;
    const char *type;
    unsigned mode;          /* VC_CTL_M_* it plays in */
    bool legacy;            /* named registers through the legacy interface */
    bool honour;            /* judge the sequence's expectations */
    bool host_changes;      /* SLEEP: the VMM changes the configuration meanwhile */
    bool oracle;            /* run the control-plane oracle */
    bool driver_side;       /* the player itself is writing guest memory */
    bool skipped;           /* the sequence needs what the device has not (MSI-X) */
    fp_loc common, notify, isr, device;
    unsigned pcicfg;        /* pci_cfg capability position (0: none) */
    unsigned msix_cap;      /* MSI-X capability position (0: none) */
    uint32_t notify_mult;
    unsigned numq, nvec;    /* num_queues (legacy: counted), MSI-X table size */
    const vc_ctl_seq *seq;
    unsigned opi;           /* op being played */
    uint64_t last_read[8];  /* unchanged: previous read per place (hashed) */
    bool last_read_ok[8];
    fp_queue q[FP_QSLOTS];
    fp_shadow sh;
    fp_finding finding[FP_MAX_FINDINGS];
    unsigned nfindings;
    vc_gmem_observer front_observer; /* the front's own observer, chained */
    void *front_observer_opaque;
} front_play;

/* A front of type in mode (VC_CTL_M_* bit); false with err. */
bool fp_open(front_play *p, const char *type, unsigned mode, unsigned faults, char *err, size_t errlen);
void fp_close(front_play *p);
/* Plays s (decoded or parsed) and then checks liveness: a reset, a fresh
 * set-up and one known-good request must work. Returns the findings. */
unsigned fp_play(front_play *p, const vc_ctl_seq *s);
/* "type: kind [req]: (tier) detail" lines, as the other targets print
 * them (the device type in the place of the differential target's backend). */
size_t fp_format(const front_play *p, char *msg, size_t cap);

/* ---- for the oracle and the player ---- */
/* An op's queue (q=target: the type's request queue) and value (plus=...). */
unsigned fp_queue_of(const front_play *p, const vc_ctl_op *o);
uint64_t fp_value_of(const front_play *p, const vc_ctl_op *o);
void fp_find(front_play *p, const char *kind, const char *req, const char *tier, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Side-effect-free register accesses through the interface in use. */
uint64_t fp_bar_rd(front_play *p, unsigned bar, uint64_t off, unsigned len);
uint64_t fp_cc_rd(front_play *p, unsigned off, unsigned len);
void fp_cc_wr(front_play *p, unsigned off, unsigned len, uint64_t val);
uint64_t fp_lg_rd(front_play *p, unsigned off, unsigned len);
void fp_lg_wr(front_play *p, unsigned off, unsigned len, uint64_t val);
bool fp_msix_on(front_play *p);

/* The oracle (front_oracle.c). An access as the device saw it: BAR and
 * offset (a pci_cfg window access arrives as the BAR access it makes). */
typedef struct fp_access {
    unsigned bar;
    uint64_t off;
    unsigned len;
    bool write;
    bool window;   /* through the pci_cfg window */
    uint64_t val;  /* written, or read */
} fp_access;
void fpo_start(front_play *p);              /* after the front is made: learn its constants */
void fpo_before(front_play *p, const fp_access *a);
void fpo_after(front_play *p, const fp_access *a);
void fpo_after_op(front_play *p);           /* after every op */
void fpo_config_changed(front_play *p);

#endif
