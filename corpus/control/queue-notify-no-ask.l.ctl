# notifications the device did not ask for, then a request
ctl name=queue-notify-no-ask.l modes=legacy,transitional iface=legacy spec=accept
requires dev.vq_avail_supp.5
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
NOTIFY q=target
REQUEST q=target expect=eq ms=1000 req=dev.vq_avail_supp.5
