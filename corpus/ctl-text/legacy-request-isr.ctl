# The same through the legacy registers.
ctl name=legacy-request-isr modes=legacy,transitional spec=accept iface=legacy requires=dev.pci_isr.3,dev.pci_isr.5
INIT value=0 expect=eq req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=200 req=-
RD reg=isr value=1 mask=1 expect=eq req=dev.pci_isr.3
RD reg=isr value=0 expect=eq req=dev.pci_isr.5
