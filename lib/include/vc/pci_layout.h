/* The virtio PCI register layouts, one copy for both sides: the guest
 * probe's driver (guest-probe/src/transport.c) and the reference device's
 * PCI front (refdev/src/pci_front.c). Byte offsets. */
#ifndef VC_PCI_LAYOUT_H
#define VC_PCI_LAYOUT_H

/* modern common configuration (struct virtio_pci_common_cfg) */
enum {
    VC_CC_DFSELECT = 0, VC_CC_DF = 4, VC_CC_GFSELECT = 8, VC_CC_GF = 12, VC_CC_MSIX = 16,
    VC_CC_NUMQ = 18, VC_CC_STATUS = 20, VC_CC_GENERATION = 21, VC_CC_QSELECT = 22,
    VC_CC_QSIZE = 24, VC_CC_QMSIX = 26, VC_CC_QENABLE = 28, VC_CC_QNOTIFYOFF = 30,
    VC_CC_QDESC = 32, VC_CC_QDRIVER = 40, VC_CC_QDEVICE = 48, VC_CC_QNOTIFDATA = 56,
    VC_CC_QRESET = 58,
    VC_CC_MIN_LEN = 56, /* the structure without queue_notify_data and queue_reset */
    VC_CC_SIZE = 0x40   /* what the reference device's front maps */
};
/* legacy I/O registers in BAR0 (virtio 0.9.5) */
enum {
    VC_LG_HOSTF = 0, VC_LG_GUESTF = 4, VC_LG_PFN = 8, VC_LG_QSIZE = 12, VC_LG_QSEL = 14,
    VC_LG_NOTIFY = 16, VC_LG_STATUS = 18, VC_LG_ISR = 19, VC_LG_CFGVEC = 20, VC_LG_QVEC = 22,
    VC_LG_CFG = 20,      /* device config without MSI-X */
    VC_LG_CFG_MSIX = 24, /* ... and with MSI-X enabled */
    VC_LG_SIZE = 64      /* the reference device's BAR0 */
};
/* virtio_pci_cap cfg_type values */
enum { VC_CAP_COMMON = 1, VC_CAP_NOTIFY = 2, VC_CAP_ISR = 3, VC_CAP_DEVICE = 4, VC_CAP_PCI_CFG = 5,
       VC_CAP_SHM = 8, VC_CAP_VENDOR = 9, VC_CAP_TYPES = 10 };

#endif
