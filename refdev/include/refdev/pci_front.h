/* The reference device's PCI front: one virtio PCI function in software in
 * front of a device core (refdev/device.h). It has config space with the
 * virtio vendor capabilities, the legacy I/O registers in BAR0, the MSI-X
 * table in BAR1, the modern structures in BAR4 (common config, ISR, device
 * config, notify), the PCI config access window, and optionally a bridge in
 * front. It models what QEMU exposes per mode, plus runtime faults that make
 * it misbehave on purpose so the probe's checks are tested both ways.
 *
 * Transport-neutral callers drive it with register accesses: the probe's
 * --sim (guest-probe/src/pci_sim.c) and the control-plane fuzz target
 * (fuzz/target_ctl.c). Every access is bounds-checked; any offset and width
 * is accepted without harm. */
#ifndef REFDEV_PCI_FRONT_H
#define REFDEV_PCI_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refdev/device.h"
#include "vc/pci_layout.h"

#define VC_FRONT_NBARS 6
#define VC_FRONT_NVECTORS 3u    /* MSI-X table entries */
#define VC_FRONT_DISK_SECTORS 2048u

/* BAR4 (modern) layout */
#define VC_FRONT_B4_COMMON 0x0000u
#define VC_FRONT_B4_ISR 0x1000u
#define VC_FRONT_B4_DEVICE 0x2000u
#define VC_FRONT_B4_NOTIFY 0x3000u
#define VC_FRONT_B4_SIZE 0x4000u
#define VC_FRONT_NOTIFY_MULT 4u
/* BAR1: MSI-X table at 0, pending bits at VC_FRONT_PBA */
#define VC_FRONT_PBA 0x800u
/* config space: where the capabilities are */
#define VC_FRONT_CAP_COMMON 0x40u
#define VC_FRONT_CAP_PCICFG 0x84u
#define VC_FRONT_CAP_MSIX 0x98u

enum { VC_FRONT_LEGACY = 1, VC_FRONT_MODERN = 2, VC_FRONT_TRANSITIONAL = 3 };

/* Runtime faults (bits), by name through vc_front_fault(). Two are not
 * faults but set up a conforming device the probe must not blame:
 *   detached     no backend: scsi without a disk, console without ports, net
 *                without a peer (transmitted frames never come back)
 *   bridgeoff    behind a bridge whose windows hold the BARs but whose
 *                decoding is off
 *   pio          a second notify capability in I/O BAR2, as QEMU's
 *                modern-pio-notify (every queue at offset 0)
 * The machine misbehaves:
 *   bridgenowin  behind a bridge with decoding off and every window at 0
 * The device misbehaves:
 *   mult3        notify_off_multiplier 3
 *   rev0         modern id with revision 0
 *   noisr        no ISR capability
 *   caploop      capability list loops back on itself
 *   capbar       common structure placed past the end of its BAR
 *   stuck        reset never completes (status keeps reading non-zero)
 *   mute         notifications are ignored (requests never complete)
 *   isrsticky    reading ISR does not clear it
 *   badwindow    the PCI config access window returns wrong bytes
 *   garbage      blk reads return 0xff instead of the disk contents
 *   usedlen      split used lengths 8 bytes beyond what was written
 *   descwrite    the ring walk writes into each split descriptor it reads
 *   silentreset  NEEDS_RESET without the configuration change bit in ISR
 *   wedge        after NEEDS_RESET no queue is served again, even after a reset
 *   nosuppress   a used buffer always notifies, whatever the suppression
 *   novector     a queue on NO_VECTOR notifies on vector 0
 *   resetwrite   after a reset the device keeps writing the used index of
 *                the ring it had (on every register access until set up again)
 *   noqreset     writing queue_reset does nothing
 *   nogen        a configuration change leaves config_generation as it was
 *   qselpast     queue_select one past the last queue acts on the last one
 *                (queue_size reads its size, writes reach it): caught by the
 *                control-plane sequences (dev.pci_common.14) */
#define VC_FRONT_FAULTS(X)                                                      \
    X(MULT3, "mult3") X(REV0, "rev0") X(NOISR, "noisr") X(CAPLOOP, "caploop")    \
    X(CAPBAR, "capbar") X(STUCK, "stuck") X(MUTE, "mute") X(ISRSTICKY, "isrsticky") \
    X(BADWINDOW, "badwindow") X(GARBAGE, "garbage") X(PIO, "pio") X(USEDLEN, "usedlen") \
    X(DETACHED, "detached") X(BRIDGEOFF, "bridgeoff") X(BRIDGENOWIN, "bridgenowin") \
    X(DESCWRITE, "descwrite") X(SILENTRESET, "silentreset") X(WEDGE, "wedge")    \
    X(NOSUPPRESS, "nosuppress") X(NOVECTOR, "novector") X(RESETWRITE, "resetwrite") \
    X(NOQRESET, "noqreset") X(NOGEN, "nogen")                                   \
    X(QSELPAST, "qselpast")

enum {
#define VC_FRONT_FAULT_BIT(n, s) VC_FRONT_BIT_##n,
    VC_FRONT_FAULTS(VC_FRONT_FAULT_BIT)
#undef VC_FRONT_FAULT_BIT
};
enum {
#define VC_FRONT_FAULT_MASK(n, s) VC_FRONT_##n = 1u << VC_FRONT_BIT_##n,
    VC_FRONT_FAULTS(VC_FRONT_FAULT_MASK)
#undef VC_FRONT_FAULT_MASK
};

typedef struct vc_front vc_front;

typedef struct vc_front_bar {
    bool present, io, mem64, prefetch;
    uint64_t addr, size;
} vc_front_bar;

/* DMA memory: one arena at gpa the fronts created on it reach (their device
 * cores read and write guest memory through mem). */
#define VC_FRONT_MEM_MAX 32
typedef struct vc_front_mem {
    vc_gmem gmem;
    uint8_t *arena;
    uint64_t gpa;
    size_t size;
    vc_front *front[VC_FRONT_MEM_MAX];
    unsigned nfront;
} vc_front_mem;
bool vc_front_mem_init(vc_front_mem *m, uint64_t gpa, size_t size);
void vc_front_mem_free(vc_front_mem *m);

typedef struct vc_front_opts {
    const char *type;   /* device type short name (specs/device_types.tsv) */
    unsigned mode;      /* VC_FRONT_LEGACY, _MODERN or _TRANSITIONAL */
    unsigned faults;    /* VC_FRONT_* bits */
    uint32_t seed;      /* the model's randomness (rng, net MAC) */
    const char *serial; /* blk serial (NULL: the model's default) */
    /* Fills blk and scsi disks (sector numbers from 0); NULL: zeros. */
    void (*disk_fill)(uint8_t *buf, uint64_t sector, unsigned nsect);
    uint32_t disk_sectors; /* blk and scsi disk size (0: VC_FRONT_DISK_SECTORS) */
} vc_front_opts;

/* The fault bit of a fault's name, 0 when there is none. */
unsigned vc_front_fault(const char *name);
/* A function on m (at most VC_FRONT_MEM_MAX); NULL with err filled. */
vc_front *vc_front_create(vc_front_mem *m, const vc_front_opts *o, char *err, size_t errlen);
void vc_front_free(vc_front *f);

/* Config space: 1, 2 or 4 bytes at off (< 4096; past 256 reads 0). */
bool vc_front_cfg_read(vc_front *f, unsigned off, unsigned len, uint32_t *val);
bool vc_front_cfg_write(vc_front *f, unsigned off, unsigned len, uint32_t val);
/* BAR access of 1 to 8 bytes; false outside the BAR or for a BAR that is
 * not there. Behind a bridge that does not forward, reads are all ones. */
bool vc_front_bar_read(vc_front *f, unsigned bar, uint64_t off, unsigned len, uint64_t *val);
bool vc_front_bar_write(vc_front *f, unsigned bar, uint64_t off, unsigned len, uint64_t val);
const vc_front_bar *vc_front_bars(const vc_front *f); /* VC_FRONT_NBARS entries */
void vc_front_enable(vc_front *f);                    /* I/O, memory, bus master on */
bool vc_front_legacy(const vc_front *f);              /* has the legacy interface */
bool vc_front_modern(const vc_front *f);

/* The bridge in front (bridgeoff, bridgenowin): its type 1 config space. */
bool vc_front_has_bridge(const vc_front *f);
bool vc_front_bridge_cfg_read(vc_front *f, unsigned off, unsigned len, uint32_t *val);
bool vc_front_bridge_cfg_write(vc_front *f, unsigned off, unsigned len, uint32_t val);

/* Interrupts: with MSI-X on, a vector's message is written into guest
 * memory at the table's address (or left pending while masked); with it
 * off, INTx interrupts are counted. */
typedef struct vc_front_irqs {
    uint32_t intx;                      /* INTx raised, ever */
    uint32_t msix[VC_FRONT_NVECTORS];   /* messages sent per vector */
    uint32_t pending;                   /* pending bits */
} vc_front_irqs;
const vc_front_irqs *vc_front_irq_stats(const vc_front *f);
/* The probe's INTx counter: counts only while attached. */
void vc_front_intx_attach(vc_front *f, bool on);
uint32_t vc_front_intx(const vc_front *f);

/* A configuration change the VMM would make ("blk-resize": capacity + 8
 * sectors, "net-link-down", "net-link-up", "net-announce"); false when the type
 * has not. */
bool vc_front_config_change(vc_front *f, const char *what);

/* The device core behind the front (its fault log, its state). */
vc_dev *vc_front_dev(vc_front *f);

#endif
