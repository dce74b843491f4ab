# queue_enable written again on an enabled queue
ctl name=queue-enable-twice.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
WR reg=qselect value=0 plus=target
WR reg=qenable value=1
RD reg=qenable
REQUEST q=target expect=eq ms=1000 req=-
