# a queue reset: queue_reset and queue_enable read 0, the queue is left alone
ctl name=qreset-basic.m modes=transitional,modern spec=accept features=RING_RESET
requires dev.features.2,-,dev.pci_common.10,dev.pci_common.13,dev.vq_reset.1
INIT value=VERSION_1|RING_RESET expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=qselect value=0 plus=target
RD reg=qreset expect=eq value=0 req=dev.pci_common.10
WR reg=qreset value=1
WAIT reg=qreset value=0 ms=500 req=dev.pci_common.13
RD reg=qenable expect=eq value=0 req=dev.pci_common.13
REQUEST q=target expect=ne ms=200 req=dev.vq_reset.1
