# a queue reset, then the queue set up again and used
ctl name=qreset-reenable.m modes=transitional,modern spec=accept features=RING_RESET
requires dev.features.2,-,dev.pci_common.13,dev.vq_reset.2,dev.pci_common.10,dev.vq_reenable.1
INIT value=VERSION_1|RING_RESET expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=target
RD reg=qsize
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=qselect value=0 plus=target
WR reg=qreset value=1
WAIT reg=qreset value=0 ms=500 req=dev.pci_common.13
RD reg=qsize expect=unchanged req=dev.vq_reset.2
QSETUP q=target
RD reg=qreset expect=eq value=0 req=dev.pci_common.10
REQUEST q=target expect=eq ms=1000 req=dev.vq_reenable.1
