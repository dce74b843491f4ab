# reads and writes past the device configuration in BAR0
ctl name=legacy-past-registers.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
READ space=legacy off=0x1c width=4
READ space=legacy off=0x1e width=2
READ space=legacy off=0x1f width=1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
