# legacy registers read and written with odd widths and offsets
ctl name=legacy-sub-word.l modes=legacy,transitional iface=legacy spec=safe
requires dev.reset.1,-
RESET ms=500 expect=eq req=dev.reset.1
READ space=legacy off=18 width=1 expect=eq value=0 req=dev.reset.1
READ space=legacy off=17 width=2
READ space=legacy off=15 width=4
READ space=legacy off=1 width=2
WRITE space=legacy off=15 width=1 value=0xff
WRITE space=legacy off=17 width=2 value=0
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
