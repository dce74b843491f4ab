# DRIVER_OK written alone after a reset, before ACKNOWLEDGE and DRIVER
ctl name=status-driver-ok-first.l modes=legacy,transitional iface=legacy spec=safe
requires dev.reset.1,-
RESET ms=500 expect=eq req=dev.reset.1
WR reg=status value=DRIVER_OK
RD reg=status
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
