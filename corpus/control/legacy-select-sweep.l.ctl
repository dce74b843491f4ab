# legacy: every queue index up to past the last selected and its size read
ctl name=legacy-select-sweep.l modes=legacy,transitional iface=legacy spec=safe
requires -
WR reg=qselect value=0
RD reg=qsize
WR reg=qselect value=1
RD reg=qsize
WR reg=qselect value=2
RD reg=qsize
WR reg=qselect value=3
RD reg=qsize
WR reg=qselect value=4
RD reg=qsize
WR reg=qselect value=5
RD reg=qsize
WR reg=qselect value=0xffff
RD reg=qsize
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
