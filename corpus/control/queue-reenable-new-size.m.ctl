# after a reset the queue re-enabled with a smaller size
ctl name=queue-reenable-new-size.m modes=transitional,modern spec=accept
requires dev.features.2,-,dev.vq_reenable.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target value=4
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
WR reg=qselect value=0 plus=target
RD reg=qsize expect=eq value=4 req=dev.vq_reenable.1
REQUEST q=target expect=eq ms=1000 req=dev.vq_reenable.1
