# DRIVER_OK written alone after a reset, before ACKNOWLEDGE and DRIVER
ctl name=status-driver-ok-first.m modes=transitional,modern spec=safe
requires dev.reset.1,dev.features.2,-
RESET ms=500 expect=eq req=dev.reset.1
WR reg=status value=DRIVER_OK
RD reg=status
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
