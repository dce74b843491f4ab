# DRIVER_OK first, the queue set up after it (as old legacy drivers did)
ctl name=legacy-queue-after-driver-ok.l modes=legacy,transitional iface=legacy spec=accept
requires -
INIT value=0 ms=1000
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
QSETUP q=target
REQUEST q=target expect=eq ms=1000 req=-
