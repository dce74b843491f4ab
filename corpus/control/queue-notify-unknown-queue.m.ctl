# notifications naming queues that do not exist
ctl name=queue-notify-unknown-queue.m modes=transitional,modern spec=ignore
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
NOTIFY q=target value=0 plus=nqueues
NOTIFY q=target value=0x7fff
NOTIFY q=target value=0xffff
REQUEST q=target expect=eq ms=1000 req=-
