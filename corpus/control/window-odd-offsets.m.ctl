# the pci_cfg window at unaligned offsets and lengths 3 and 8
ctl name=window-odd-offsets.m modes=transitional,modern spec=safe
requires dev.features.2,dev.pci_cfg_access.3,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
READ space=common off=21 width=2 via=window
READ space=common off=23 width=4 via=window
READ space=common off=1 width=3 via=window
READ space=common off=0 width=8 via=window
WRITE space=common off=21 width=2 via=window value=0
READ space=common off=18 width=2
READ space=common off=18 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
