# only VERSION_1 accepted: a valid subset, FEATURES_OK must stick
ctl name=features-minimal.m modes=transitional,modern spec=accept
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
