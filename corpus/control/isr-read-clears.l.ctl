# reading ISR clears it
ctl name=isr-read-clears.l modes=legacy,transitional iface=legacy spec=accept
requires -,dev.pci_isr.5
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WAIT reg=isr value=1 mask=1 ms=1000 soft=1
RD reg=isr expect=eq value=0 req=dev.pci_isr.5
REQUEST q=target expect=eq ms=1000 req=-
WAIT reg=isr value=1 mask=1 ms=1000 soft=1
RD reg=isr expect=eq value=0 req=dev.pci_isr.5
