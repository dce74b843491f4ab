# queue_reset reads 0 after a device reset
ctl name=qreset-device-reset.m modes=transitional,modern spec=accept features=RING_RESET
requires dev.features.2,dev.reset.1,dev.pci_common.9
INIT value=VERSION_1|RING_RESET expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
WR reg=qselect value=0 plus=target
WR reg=qreset value=1
RESET ms=500 expect=eq req=dev.reset.1
WR reg=qselect value=0 plus=target
RD reg=qreset expect=eq value=0 req=dev.pci_common.9
