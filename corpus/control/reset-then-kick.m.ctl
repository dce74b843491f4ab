# a request made available and notified after a reset must not be served
ctl name=reset-then-kick.m modes=transitional,modern spec=refuse
requires dev.features.2,-,dev.reset.1,dev.reset.2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
RESET ms=500 expect=eq req=dev.reset.1
READ space=used q=target off=2 width=2
REQUEST q=target expect=ne ms=200 req=dev.reset.2
READ space=used q=target off=2 width=2 expect=unchanged req=dev.reset.2
