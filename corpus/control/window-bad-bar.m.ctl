# the pci_cfg window aimed at BARs that do not exist
ctl name=window-bad-bar.m modes=transitional,modern spec=ignore
requires dev.features.2,dev.pci_cfg_access.3,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
READ space=bar bar=6 off=0 width=4 via=window
READ space=bar bar=255 off=0 width=4 via=window
WRITE space=bar bar=7 off=0 width=4 value=0 via=window
READ space=bar bar=3 off=0 width=4 via=window
READ space=common off=18 width=2
READ space=common off=18 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
