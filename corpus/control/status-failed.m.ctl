# FAILED set by the driver on a running device, then a reset
ctl name=status-failed.m modes=transitional,modern spec=safe
requires dev.features.2,-,dev.reset.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK|FAILED
RD reg=status
RESET ms=500 expect=eq req=dev.reset.1
RD reg=status expect=eq value=0 req=dev.reset.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
