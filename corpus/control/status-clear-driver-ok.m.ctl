# DRIVER_OK cleared by the driver while the device runs
ctl name=status-clear-driver-ok.m modes=transitional,modern spec=safe
requires dev.features.2,-,dev.reset.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=status value=ACKNOWLEDGE|DRIVER
REQUEST q=target ms=200
RESET ms=500 expect=eq req=dev.reset.1
RD reg=status expect=eq value=0 req=dev.reset.1
