# Per-queue reset with RING_RESET: the queue back to its defaults, the
# device still working after a fresh set-up.
ctl name=queue-reset modes=transitional,modern spec=accept iface=modern features=RING_RESET
requires dev.pci_common.13,dev.vq_reset.2
INIT value=RING_RESET expect=eq req=dev.features.2
QSETUP q=target value=8
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=200 req=-
WR reg=qselect value=0 plus=target
WR reg=qreset value=1
RD reg=qreset value=0 expect=eq req=dev.pci_common.13
RD reg=qenable value=0 expect=eq req=dev.pci_common.13
RD reg=qdesc value=0 expect=eq req=dev.vq_reset.2
QSETUP q=target value=4
REQUEST q=target expect=eq ms=200 req=-
