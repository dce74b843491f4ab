# an empty queue notified before DRIVER_OK
ctl name=queue-notify-before-driver-ok.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
QSETUP q=target
NOTIFY q=target
NOTIFY q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
