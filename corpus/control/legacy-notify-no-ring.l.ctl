# a queue with no ring (PFN 0) notified
ctl name=legacy-notify-no-ring.l modes=legacy,transitional iface=legacy spec=ignore
requires -
INIT value=0 ms=1000
NOTIFY q=target
NOTIFY q=target
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
