# A working device end to end, then ISR: the queue bit after a used buffer
# (MSI-X off), and read-to-clear.
ctl name=request-isr modes=transitional,modern spec=accept iface=modern requires=dev.pci_isr.3,dev.pci_isr.5
INIT value=0 expect=eq req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=200 req=-
READ space=isr off=0 width=1 value=1 mask=1 expect=eq req=dev.pci_isr.3
READ space=isr off=0 width=1 value=0 expect=eq req=dev.pci_isr.5
