# FAILED set by the driver on a running device, then a reset
ctl name=status-failed.l modes=legacy,transitional iface=legacy spec=safe
requires -,dev.reset.1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK|FAILED
RD reg=status
RESET ms=500 expect=eq req=dev.reset.1
RD reg=status expect=eq value=0 req=dev.reset.1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
