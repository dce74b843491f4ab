# the legacy queue size stays the same through init and a reset
ctl name=legacy-queue-size-fixed.l modes=legacy,transitional iface=legacy spec=accept
requires dev.implied.legacy_queue,dev.reset.1
WR reg=qselect value=0 plus=target
RD reg=qsize
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
WR reg=qselect value=0 plus=target
RD reg=qsize expect=unchanged req=dev.implied.legacy_queue
RESET ms=500 expect=eq req=dev.reset.1
WR reg=qselect value=0 plus=target
RD reg=qsize expect=unchanged req=dev.implied.legacy_queue
