# the legacy ISR read as part of wider accesses
ctl name=legacy-isr-odd.l modes=legacy,transitional iface=legacy spec=safe
requires -,dev.pci_isr.5
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
READ space=legacy off=18 width=2
READ space=legacy off=16 width=4
RD reg=isr
RD reg=isr expect=eq value=0 req=dev.pci_isr.5
REQUEST q=target expect=eq ms=1000 req=-
