# legacy: a reset, then the old queue notified with a request in it
ctl name=legacy-reset-then-notify.l modes=legacy,transitional iface=legacy spec=refuse
requires -,dev.reset.1,dev.reset.2
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
RESET ms=500 expect=eq req=dev.reset.1
NOTIFY q=target
REQUEST q=target expect=ne ms=150 req=dev.reset.2
