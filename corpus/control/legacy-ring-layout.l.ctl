# a request on a ring laid out the legacy way (used ring on the next 4096-byte boundary) completes
ctl name=legacy-ring-layout.l modes=legacy,transitional iface=legacy spec=accept
requires dev.implied.legacy_queue,-
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=dev.implied.legacy_queue
REQUEST q=target expect=eq ms=1000 req=-
