# reset with a request in flight: after status reads 0 the device leaves the ring alone
ctl name=reset-during-io.l modes=legacy,transitional iface=legacy spec=accept
requires dev.reset.1,dev.reset.2,-
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target ms=0
RESET ms=500 expect=eq req=dev.reset.1
READ space=used q=target off=2 width=2
SLEEP ms=50
READ space=used q=target off=2 width=2 expect=unchanged req=dev.reset.2
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
