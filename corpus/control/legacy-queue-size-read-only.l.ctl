# the legacy queue size is fixed: a write does not change it
ctl name=legacy-queue-size-read-only.l modes=legacy,transitional iface=legacy spec=ignore
requires dev.implied.legacy_queue,-
WR reg=qselect value=0 plus=target
RD reg=qsize
WRITE space=legacy off=12 width=2 value=4
RD reg=qsize expect=unchanged req=dev.implied.legacy_queue
WRITE space=legacy off=12 width=2 value=0
RD reg=qsize expect=unchanged req=dev.implied.legacy_queue
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
