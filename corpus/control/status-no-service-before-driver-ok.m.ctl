# a request made available and notified before DRIVER_OK must not be served
ctl name=us-no-service-before-driver-ok.m modes=transitional,modern spec=refuse
requires dev.features.2,dev.status.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
REQUEST q=target expect=ne ms=200 req=dev.status.1
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
