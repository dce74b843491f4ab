# a write through the pci_cfg window reaches the register
ctl name=window-write-reaches.m modes=transitional,modern spec=accept
requires dev.features.2,dev.pci_cfg_access.2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WRITE space=common off=22 width=2 value=0 plus=target via=window
RD reg=qselect expect=eq value=0 plus=target req=dev.pci_cfg_access.2
WRITE space=common off=22 width=2 value=0 via=window
RD reg=qselect expect=eq value=0 req=dev.pci_cfg_access.2
WRITE space=common off=8 width=4 value=1 via=window
RD reg=gfselect expect=eq value=1 req=dev.pci_cfg_access.2
