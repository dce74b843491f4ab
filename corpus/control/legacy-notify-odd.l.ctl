# legacy queue notify written with a byte, a dword and odd values
ctl name=legacy-notify-odd.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
WRITE space=legacy off=16 width=1 value=0 plus=target
WRITE space=legacy off=16 width=4 value=0 plus=target
WRITE space=legacy off=17 width=1 value=0xff
REQUEST q=target expect=eq ms=1000 req=-
