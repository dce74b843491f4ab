# features rewritten on a running device
ctl name=atures-written-after-driver-ok.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
FEATURES value=ALL
FEATURES value=0
REQUEST q=target ms=300
