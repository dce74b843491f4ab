# legacy: queue notify written with every index up to past the last
ctl name=legacy-notify-every-queue.l modes=legacy,transitional iface=legacy spec=safe
requires dev.vq_avail_supp.5
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
NOTIFY q=target value=1
NOTIFY q=target value=2
NOTIFY q=target value=3
NOTIFY q=target value=4
NOTIFY q=target value=5
NOTIFY q=target value=6
NOTIFY q=target value=7
NOTIFY q=target value=0xffff
REQUEST q=target expect=eq ms=1000 req=dev.vq_avail_supp.5
