# a ring offset inside a page: the PFN names its page
ctl name=legacy-pfn-unaligned.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
WR reg=qselect value=0 plus=target
WR reg=qpfn value=0x4800
RD reg=qpfn
WR reg=qpfn value=ALL
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
