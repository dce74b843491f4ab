# DRIVER_OK cleared by the driver while the device runs
ctl name=status-clear-driver-ok.l modes=legacy,transitional iface=legacy spec=safe
requires -,dev.reset.1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=status value=ACKNOWLEDGE|DRIVER
REQUEST q=target ms=200
RESET ms=500 expect=eq req=dev.reset.1
RD reg=status expect=eq value=0 req=dev.reset.1
