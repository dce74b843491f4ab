# legacy: the queue set up before the features are written
ctl name=legacy-queue-before-features.l modes=legacy,transitional iface=legacy spec=accept
requires dev.reset.1,-
RESET ms=500 expect=eq req=dev.reset.1
WR reg=status value=ACKNOWLEDGE
WR reg=status value=ACKNOWLEDGE|DRIVER
QSETUP q=target
FEATURES value=0
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
