# driver_feature reads back the offered bits written, per window
ctl name=features-readback.m modes=transitional,modern spec=accept
requires dev.reset.1,dev.pci_common.4
RESET ms=500 expect=eq req=dev.reset.1
WR reg=status value=ACKNOWLEDGE|DRIVER
FEATURES value=F_VERSION_1
WR reg=gfselect value=1
RD reg=gf expect=eq value=1 req=dev.pci_common.4
WR reg=gfselect value=0
RD reg=gf expect=eq value=0 mask=0xf0000000 req=dev.pci_common.4
