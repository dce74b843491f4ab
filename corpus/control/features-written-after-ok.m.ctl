# features cleared after FEATURES_OK (the driver must not)
ctl name=features-written-after-ok.m modes=transitional,modern spec=safe
requires dev.features.2,dev.pci_common.4
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
FEATURES value=0
WR reg=gfselect value=1
RD reg=gf expect=oneof value=1 req=dev.pci_common.4
ALSO value=0
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target ms=300
