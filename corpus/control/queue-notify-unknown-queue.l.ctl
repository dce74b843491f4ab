# notifications naming queues that do not exist
ctl name=queue-notify-unknown-queue.l modes=legacy,transitional iface=legacy spec=ignore
requires -
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
NOTIFY q=target value=0 plus=nqueues
NOTIFY q=target value=0x7fff
NOTIFY q=target value=0xffff
REQUEST q=target expect=eq ms=1000 req=-
