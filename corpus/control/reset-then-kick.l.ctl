# a request made available and notified after a reset must not be served
ctl name=reset-then-kick.l modes=legacy,transitional iface=legacy spec=refuse
requires -,dev.reset.1,dev.reset.2
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
RESET ms=500 expect=eq req=dev.reset.1
READ space=used q=target off=2 width=2
REQUEST q=target expect=ne ms=200 req=dev.reset.2
READ space=used q=target off=2 width=2 expect=unchanged req=dev.reset.2
