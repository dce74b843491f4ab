# VERSION_1 not accepted through the modern interface
ctl name=features-no-version-1.m modes=transitional,modern spec=safe
requires dev.reset.1,dev.features.2,-
RESET ms=500 expect=eq req=dev.reset.1
WR reg=status value=ACKNOWLEDGE|DRIVER
FEATURES value=0
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK
RD reg=status
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
