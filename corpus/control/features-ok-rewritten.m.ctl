# FEATURES_OK written again: the accepted set stays
ctl name=features-ok-rewritten.m modes=transitional,modern spec=ignore
requires dev.features.2,dev.pci_common.4,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=gfselect value=1
RD reg=gf
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK
RD reg=status expect=eq value=FEATURES_OK mask=FEATURES_OK req=dev.features.2
WR reg=gfselect value=1
RD reg=gf expect=unchanged req=dev.pci_common.4
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
