# notifications the device did not ask for, then a request
ctl name=queue-notify-no-ask.m modes=transitional,modern spec=accept
requires dev.features.2,dev.vq_avail_supp.5
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
REQUEST q=target expect=eq ms=1000 req=dev.vq_avail_supp.5
