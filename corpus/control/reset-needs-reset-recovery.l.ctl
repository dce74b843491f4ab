# NEEDS_RESET provoked (queue notified with a bad index), then a reset recovers the device
ctl name=reset-needs-reset-recovery.l modes=legacy,transitional iface=legacy spec=accept
requires -,dev.reset.1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
NOTIFY q=target value=0xffff
WAIT reg=status value=NEEDS_RESET mask=NEEDS_RESET ms=100 soft=1
RESET ms=500 expect=eq req=dev.reset.1
RD reg=status expect=eq value=0 req=dev.reset.1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
