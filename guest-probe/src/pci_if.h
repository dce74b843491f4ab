/* The probe's narrow window onto PCI.
 *
 * Everything the probe knows about a device comes through these calls, so
 * the same probe runs against real hardware (pci_libpci.c: libpci for config
 * space, sysfs resource files for BARs, hugetlb or locked pages for DMA) and
 * in-process against the reference device (pci_sim.c) in the tests.
 * Every answer is device-supplied data: callers validate, never trust.
 */
#ifndef VP_PCI_IF_H
#define VP_PCI_IF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vc/gmem.h"

#define VP_NBARS 6

typedef struct vp_bar {
    bool present;   /* implemented (size > 0) */
    bool io;        /* I/O space, else memory */
    bool mem64;     /* 64-bit memory BAR (occupies the next BAR slot too) */
    bool prefetch;
    uint64_t addr, size;
} vp_bar;

typedef struct vp_fn vp_fn;

/* Counts a function's INTx interrupts: irq_uio.c (uio_pci_generic) on real
 * PCI, the simulated front in tests. */
typedef struct vp_intx_ops {
    /* Starts counting (binds the counter's driver); false with err when it cannot. */
    bool (*attach)(vp_fn *f, char *err, size_t errlen);
    /* Interrupts counted so far, waiting up to ms for the count to pass seen. */
    uint32_t (*wait)(vp_fn *f, uint32_t seen, unsigned ms);
    /* Unmasks INTx again (a counted interrupt leaves it masked). */
    void (*rearm)(vp_fn *f);
    void (*detach)(vp_fn *f);
} vp_intx_ops;

typedef struct vp_pci_ops {
    /* Config space access of 1, 2 or 4 bytes at off (< 4096). */
    bool (*cfg_read)(vp_fn *f, unsigned off, unsigned len, uint32_t *val);
    bool (*cfg_write)(vp_fn *f, unsigned off, unsigned len, uint32_t val);
    /* BAR access of 1, 2, 4 (or 8 on memory BARs) bytes; false when the
     * access is outside the BAR or the BAR cannot be reached. */
    bool (*bar_read)(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t *val);
    bool (*bar_write)(vp_fn *f, unsigned bar, uint64_t off, unsigned len, uint64_t val);
    /* Makes the BARs reachable and turns on decoding and bus mastering. */
    bool (*enable)(vp_fn *f, char *err, size_t errlen);
    /* The bridges between the root bus and f, nearest the root first (at
     * most max), as functions whose config space cfg_read and cfg_write
     * reach; 0 on the root bus or when the path is unknown. pci_path.c
     * decides what to do with them. */
    unsigned (*bridges)(vp_fn *f, vp_fn **out, unsigned max);
    const vp_intx_ops *intx; /* NULL: INTx cannot be observed */
} vp_pci_ops;

struct vp_fn {
    char addr[16];      /* domain:bus:dev.fn */
    /* Place in the PCI tree without bus numbers: dev.fn of every hop from
     * the root bus, e.g. "1c.0/00.0" behind a root port. Bus numbers follow
     * enumeration order; dev.fn are what the VMM was told, so a runner can
     * tell which of several same-type devices this is. */
    char slot_path[64];
    uint16_t vendor, device;
    vp_bar bar[VP_NBARS];
    char driver[32];    /* kernel driver bound to the function, "" when none */
    const vp_pci_ops *ops;
    void *priv;
};

/* One DMA arena: host memory the device reaches at guest-physical gpa. */
typedef struct vp_dma {
    vc_gmem mem;        /* one region: [gpa, gpa+size) */
    uint64_t gpa;
    uint8_t *host;
    size_t size;
    const char *how;    /* "hugetlb", "locked pages", "simulated" */
} vp_dma;

typedef struct vp_platform vp_platform;
struct vp_platform {
    const char *name;
    unsigned nfn;
    vp_fn *fn;
    /* Allocates the DMA arena (physically contiguous, at least min bytes). */
    bool (*dma_alloc)(vp_platform *p, size_t min, vp_dma *out, char *err, size_t errlen);
    void (*close)(vp_platform *p);
    /* The device's own judgement of the driver, where the platform has one
     * (the in-process reference device; NULL elsewhere): fn is called for
     * each driver rule the device saw broken since the last call (fn NULL:
     * forget them). */
    void (*driver_faults)(vp_platform *p, vp_fn *f,
                          void (*fn)(void *ctx, const char *code, const char *req, int queue, const char *detail),
                          void *ctx);
    /* Changes f's device configuration as the VMM would ("blk-resize",
     * "net-link-down", "net-link-up"); NULL on real PCI, where the probe
     * asks the runner with a note record (PROTOCOL.md). */
    bool (*config_change)(vp_platform *p, vp_fn *f, const char *what);
    /* Lists the functions present now (some plugged or unplugged since):
     * every vp_fn handed out before is gone, the DMA arena stays. NULL where
     * nothing is ever plugged (the in-process reference device). */
    void (*rescan)(vp_platform *p);
    void *priv;
};

/* Real PCI through libpci and sysfs: virtio functions (vendor 1AF4, device
 * 1000-107F). NULL with err filled when PCI cannot be reached. */
vp_platform *vp_libpci_open(char *err, size_t errlen);
/* Detaches the bound kernel driver (only when the user asks for it). */
bool vp_libpci_unbind(vp_fn *f, char *err, size_t errlen);

static inline bool vp_cfg8(vp_fn *f, unsigned off, uint8_t *v)
{
    uint32_t x = 0;
    bool ok = f->ops->cfg_read(f, off, 1, &x);
    *v = (uint8_t)x;
    return ok;
}
static inline bool vp_cfg16(vp_fn *f, unsigned off, uint16_t *v)
{
    uint32_t x = 0;
    bool ok = f->ops->cfg_read(f, off, 2, &x);
    *v = (uint16_t)x;
    return ok;
}
static inline bool vp_cfg32(vp_fn *f, unsigned off, uint32_t *v)
{
    return f->ops->cfg_read(f, off, 4, v);
}

#endif
