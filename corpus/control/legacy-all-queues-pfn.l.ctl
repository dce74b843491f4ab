# every queue given the same page, then torn down
ctl name=legacy-all-queues-pfn.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
WR reg=qselect value=0
WR reg=qpfn value=0x8000
WR reg=qselect value=1
WR reg=qpfn value=0x8000
WR reg=qselect value=2
WR reg=qpfn value=0x8000
WR reg=qselect value=3
WR reg=qpfn value=0x8000
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
NOTIFY q=target
WR reg=qselect value=0
WR reg=qpfn value=ALL
WR reg=qselect value=1
WR reg=qpfn value=ALL
WR reg=qselect value=2
WR reg=qpfn value=ALL
WR reg=qselect value=3
WR reg=qpfn value=ALL
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
