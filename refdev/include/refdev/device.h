/* Reference device core: a strict, spec-exact virtio device, transport-neutral.
 *
 * The core owns what every device type shares: the status state machine,
 * feature negotiation, queues, device configuration space with its
 * generation counter, ISR and interrupts, and the log of requirement
 * violations it observed. A device model (rng, blk, ...) plugs in through
 * vc_model_ops; a transport (the simulated PCI front, a fuzz harness, a test)
 * drives the core through the vc_dev_* calls below.
 *
 * Verdicts are strict: every refusal records a fault naming the requirement
 * it enforces. Driver mistakes that the spec says a device must survive are
 * logged and the device carries on; errors that leave a queue unusable put the
 * device into DEVICE_NEEDS_RESET and raise a configuration change interrupt.
 */
#ifndef REFDEV_DEVICE_H
#define REFDEV_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "refdev/drvstate.h"
#include "vc/gmem.h"
#include "vc/vq_dev.h"

#define VC_STATUS_ACKNOWLEDGE 1u
#define VC_STATUS_DRIVER 2u
#define VC_STATUS_DRIVER_OK 4u
#define VC_STATUS_FEATURES_OK 8u
#define VC_STATUS_SUSPEND 16u
#define VC_STATUS_NEEDS_RESET 64u
#define VC_STATUS_FAILED 128u

#define VC_DEV_MAX_QUEUES 64
#define VC_DEV_CONFIG_MAX 256
#define VC_NO_VECTOR 0xffffu
#define VC_DEV_MAX_FAULTS 32

/* ISR bits */
#define VC_ISR_QUEUE 1u
#define VC_ISR_CONFIG 2u

typedef struct vc_dev vc_dev;

/* One observed violation: a stable code (VC_E_LOOP, BLK_BAD_HEADER, ...), the
 * requirement short id, the queue (-1 when none) and a short detail. */
typedef struct vc_fault {
    const char *code;
    const char *req;
    int queue;
    char detail[96];
} vc_fault;

typedef struct vc_model_ops {
    const char *name;      /* short name as in specs/device_types.tsv */
    uint16_t device_id;    /* virtio device type */
    /* Extra validation of an accepted feature set beyond subset and
     * dependency rules (may be NULL). Returns false to refuse FEATURES_OK. */
    bool (*features_ok)(vc_dev *d, uint64_t features);
    /* Driver wrote device configuration (off/len inside config_size). NULL
     * means the whole space is read-only and writes are logged as faults. */
    void (*config_write)(vc_dev *d, uint32_t off, const void *buf, uint32_t len);
    /* DRIVER_OK was set (queues are live). May be NULL. */
    void (*driver_ok)(vc_dev *d);
    /* The driver notified queue q; pop and serve chains. */
    void (*queue_notify)(vc_dev *d, unsigned q);
    /* Device reset: drop model state that a reset clears. May be NULL. */
    void (*reset)(vc_dev *d);
    /* Queue q was reset on its own (VIRTIO_F_RING_RESET): drop chains the
     * model holds from it. May be NULL. */
    void (*queue_reset)(vc_dev *d, unsigned q);
    /* True for config fields the driver may write before FEATURES_OK
     * (console emerg_wr). May be NULL. */
    bool (*config_write_early)(vc_dev *d, uint32_t off, uint32_t len);
    /* Frees d->model. May be NULL. */
    void (*destroy)(vc_dev *d);
} vc_model_ops;

typedef struct vc_dev_queue {
    uint16_t max_size; /* 0: queue does not exist */
    uint16_t size;
    bool enabled;
    bool kick_pending; /* notified before DRIVER_OK */
    uint64_t desc, driver, device;
    uint16_t msix_vector;
    vc_vq_dev vq;
    vc_seg *segs; /* chain storage for the model's pops (max_size entries) */
    /* a drained queue asks for no kick: whoever set it keeps the ring's
     * notification suppression as it wrote it (vconform-vhost-dev) */
    bool hold_notify;
} vc_dev_queue;

struct vc_dev {
    const vc_model_ops *ops;
    void *model;
    const vc_gmem *mem;

    uint8_t status;
    uint64_t offered;  /* device features */
    uint64_t accepted; /* driver features as written */
    bool legacy;       /* driver talks through the legacy interface */
    bool features_locked; /* FEATURES_OK accepted */

    uint8_t config[VC_DEV_CONFIG_MAX];
    uint32_t config_size;
    uint32_t config_generation;
    uint16_t config_msix_vector;

    uint8_t isr;
    /* Interrupt to the transport: vector is the queue's or config's MSI-X
     * vector (VC_NO_VECTOR when none: use INTx and ISR). */
    void (*irq)(void *opaque, uint16_t vector);
    void *irq_opaque;
    /* Observer of the model's pops (fuzz harness): a chain taken (err NULL)
     * or a ring refused (err: the ring layer's code). May be NULL. */
    void (*on_pop)(void *opaque, unsigned q, uint16_t id, const char *err);
    void *pop_opaque;
    /* Observer of the chains themselves (a vhost-user back-end counting the
     * driver rules each chain was checked against): used false when a model
     * takes a chain, true just before it returns one. May be NULL. */
    void (*on_chain)(void *opaque, unsigned q, const vc_chain *c, bool used);
    void *chain_opaque;
    /* Observer of driver rules evaluated and kept (refdev/drvrules.h; a
     * broken one is a fault). May be NULL. */
    void (*on_rule)(void *opaque, const char *req);
    void *rule_opaque;
    vc_drvstate drv; /* what the driver-rule checks remember (cleared on reset) */

    unsigned nqueues;
    vc_dev_queue q[VC_DEV_MAX_QUEUES];

    vc_fault fault[VC_DEV_MAX_FAULTS];
    unsigned nfaults;      /* recorded (at most VC_DEV_MAX_FAULTS kept) */
    unsigned faults_total; /* including those not kept */
    uint64_t notifications; /* used-buffer interrupts sent */
};

/* Set-up for models: offered features, config size, queues (max sizes). */
void vc_dev_init(vc_dev *d, const vc_model_ops *ops, void *model, const vc_gmem *mem,
                 uint64_t offered, uint32_t config_size, unsigned nqueues,
                 const uint16_t *queue_max);
void vc_dev_destroy(vc_dev *d);

/* ---- transport side ---- */
/* Features offered through the interface the driver uses: the low 32 bits
 * for legacy, everything but legacy-only bits for modern. */
uint64_t vc_dev_offered(const vc_dev *d);
uint8_t vc_dev_status(const vc_dev *d);
void vc_dev_set_status(vc_dev *d, uint8_t status); /* 0 resets */
void vc_dev_reset(vc_dev *d);
uint32_t vc_dev_features_window(const vc_dev *d, unsigned sel); /* offered bits 32*sel.. */
void vc_dev_set_driver_features(vc_dev *d, unsigned sel, uint32_t val);
uint32_t vc_dev_driver_features_window(const vc_dev *d, unsigned sel);
bool vc_dev_config_read(vc_dev *d, uint32_t off, void *buf, uint32_t len);
bool vc_dev_config_write(vc_dev *d, uint32_t off, const void *buf, uint32_t len);

/* Queue configuration. Size must be set before enabling; for split rings a
 * power of two is required (modern), for legacy the size is max_size. */
bool vc_dev_queue_set_size(vc_dev *d, unsigned q, uint16_t size);
void vc_dev_queue_set_addr(vc_dev *d, unsigned q, uint64_t desc, uint64_t driver, uint64_t device);
bool vc_dev_queue_enable(vc_dev *d, unsigned q);
void vc_dev_queue_reset(vc_dev *d, unsigned q); /* VIRTIO_F_RING_RESET */
void vc_dev_notify(vc_dev *d, unsigned q);
uint8_t vc_dev_read_isr(vc_dev *d); /* read clears */

/* ---- model side ---- */
bool vc_dev_has(const vc_dev *d, unsigned bit); /* negotiated feature */
/* Records a violation; with needs_reset the device enters NEEDS_RESET. */
void vc_dev_fault(vc_dev *d, const char *code, const char *req, int queue, bool needs_reset,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Pops the next chain of queue q. Segments go to c->seg (c->cap entries) when
 * the caller provides storage (models that hold chains), else to the queue's
 * own storage, valid until the next pop on that queue. A ring error is
 * recorded as a fault and puts the device into NEEDS_RESET. */
bool vc_dev_pop(vc_dev *d, unsigned q, vc_chain *c);
/* Pushes a used chain and interrupts the driver if its suppression allows. */
void vc_dev_push(vc_dev *d, unsigned q, const vc_chain *c, uint32_t written);
/* Device-side configuration change (bumps generation, interrupts). */
void vc_dev_config_changed(vc_dev *d);
/* Serves queue q's available chains with fn until it is empty or broken;
 * fn returns the bytes written into the chain's writable part. */
void vc_dev_serve(vc_dev *d, unsigned q, uint32_t (*fn)(vc_dev *d, unsigned q, vc_chain *c));

#endif
