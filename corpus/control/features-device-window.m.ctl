# device_feature per window: VERSION_1 in window 1, nothing far past
ctl name=features-device-window.m modes=transitional,modern spec=accept
requires dev.reserved_features.1,dev.pci_common.3
WR reg=dfselect value=1
RD reg=df expect=eq value=1 mask=1 req=dev.reserved_features.1
WR reg=dfselect value=0xffffffff
RD reg=df expect=eq value=0 req=dev.pci_common.3
WR reg=dfselect value=0x100
RD reg=df expect=eq value=0 req=dev.pci_common.3
WR reg=dfselect value=1
RD reg=df expect=eq value=1 mask=1 req=dev.pci_common.3
