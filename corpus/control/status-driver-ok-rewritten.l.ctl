# DRIVER_OK written again on a running device
ctl name=status-driver-ok-rewritten.l modes=legacy,transitional iface=legacy spec=accept
requires -
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
RD reg=status
REQUEST q=target expect=eq ms=1000 req=-
