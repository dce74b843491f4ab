# a reset of a running device completes: status reads 0
ctl name=reset-reads-zero.m modes=transitional,modern spec=accept
requires dev.features.2,-,dev.reset.1,dev.pci_common.7
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
RESET ms=500 expect=eq req=dev.reset.1
RD reg=status expect=eq value=0 req=dev.pci_common.7
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
