# queue_enable reads 0 after a reset
ctl name=reset-queue-enable-zero.m modes=transitional,modern spec=accept
requires dev.features.2,-,dev.reset.1,dev.pci_common.8
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
RESET ms=500 expect=eq req=dev.reset.1
WR reg=qselect value=0 plus=target
RD reg=qenable expect=eq value=0 req=dev.pci_common.8
WR reg=qselect value=0
RD reg=qenable expect=eq value=0 req=dev.pci_common.8
