# driver_feature written in a window past bit 63: the accepted set stays
ctl name=features-far-window.m modes=transitional,modern spec=ignore
requires dev.features.2,dev.pci_common.4,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=gfselect value=1
RD reg=gf
WR reg=gfselect value=0xffffffff
WR reg=gf value=0xffffffff
WR reg=gfselect value=1
RD reg=gf expect=unchanged req=dev.pci_common.4
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
