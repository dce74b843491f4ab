# vectors written with MSI-X off, then requests
ctl name=msix-vectors-msix-off.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=msix_config value=0
WR reg=qselect value=0 plus=target
WR reg=qvector value=0x7fff
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
