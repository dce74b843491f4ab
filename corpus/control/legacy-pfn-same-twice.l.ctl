# the queue PFN written twice with the same page while running
ctl name=legacy-pfn-same-twice.l modes=legacy,transitional iface=legacy spec=safe
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
WR reg=qselect value=0 plus=target
WR reg=qpfn value=0x4000
WR reg=qpfn value=0x4000
NOTIFY q=target
REQUEST q=target ms=200
