# the driver writes NEEDS_RESET, a bit only the device sets
ctl name=status-driver-sets-needs-reset.m modes=transitional,modern spec=safe
requires dev.features.2,dev.reset.1,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK|NEEDS_RESET
RD reg=status
RESET ms=500 expect=eq req=dev.reset.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
