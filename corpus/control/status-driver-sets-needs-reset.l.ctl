# the driver writes NEEDS_RESET, a bit only the device sets
ctl name=status-driver-sets-needs-reset.l modes=legacy,transitional iface=legacy spec=safe
requires dev.reset.1,-
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK|NEEDS_RESET
RD reg=status
RESET ms=500 expect=eq req=dev.reset.1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
