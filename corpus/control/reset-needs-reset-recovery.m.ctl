# NEEDS_RESET provoked (queue notified with a bad index), then a reset recovers the device
ctl name=reset-needs-reset-recovery.m modes=transitional,modern spec=accept
requires dev.features.2,-,dev.reset.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
NOTIFY q=target value=0xffff
WAIT reg=status value=NEEDS_RESET mask=NEEDS_RESET ms=100 soft=1
RESET ms=500 expect=eq req=dev.reset.1
RD reg=status expect=eq value=0 req=dev.reset.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
