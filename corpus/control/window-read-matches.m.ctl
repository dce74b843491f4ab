# the pci_cfg window reads what a direct read of the same field reads
ctl name=window-read-matches.m modes=transitional,modern spec=accept
requires dev.features.2,dev.pci_cfg_access.3
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
READ space=common off=18 width=2
READ space=common off=18 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3
READ space=common off=0 width=4
READ space=common off=0 width=4 via=window expect=unchanged req=dev.pci_cfg_access.3
READ space=common off=20 width=1
READ space=common off=20 width=1 via=window expect=unchanged req=dev.pci_cfg_access.3
