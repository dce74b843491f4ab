# the queue PFN rewritten while the queue is live, then torn down
ctl name=legacy-pfn-while-live.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=qselect value=0 plus=target
WR reg=qpfn value=0x8000
NOTIFY q=target
SLEEP ms=20
WR reg=qpfn value=ALL
NOTIFY q=target
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
