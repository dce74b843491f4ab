# queue_size rewritten on an enabled, running queue
ctl name=queue-size-change-after-enable.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=qselect value=0 plus=target
RD reg=qsize
WR reg=qsize value=2
RD reg=qsize
REQUEST q=target ms=300
