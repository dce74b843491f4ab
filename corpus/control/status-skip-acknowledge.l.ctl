# DRIVER without ACKNOWLEDGE, then the rest of the init
ctl name=status-skip-acknowledge.l modes=legacy,transitional iface=legacy spec=safe
requires dev.reset.1,-
RESET ms=500 expect=eq req=dev.reset.1
WR reg=status value=DRIVER
QSETUP q=target
WR reg=status value=DRIVER|DRIVER_OK
REQUEST q=target ms=300
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
