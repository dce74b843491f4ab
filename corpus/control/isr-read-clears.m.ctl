# reading ISR clears it
ctl name=isr-read-clears.m modes=transitional,modern spec=accept
requires dev.features.2,-,dev.pci_isr.5
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WAIT reg=isr value=1 mask=1 ms=1000 soft=1
RD reg=isr expect=eq value=0 req=dev.pci_isr.5
REQUEST q=target expect=eq ms=1000 req=-
WAIT reg=isr value=1 mask=1 ms=1000 soft=1
RD reg=isr expect=eq value=0 req=dev.pci_isr.5
