# 64-bit ring addresses written and read as two 32-bit halves
ctl name=queue-address-halves.m modes=transitional,modern spec=accept
requires dev.features.2,dev.pci_layout.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=target
WR reg=qdesc value=0x1000
RD reg=qdesc expect=eq value=0x1000 req=dev.pci_layout.1
WR reg=qdriver value=0x2000
RD reg=qdriver expect=eq value=0x2000 req=dev.pci_layout.1
WR reg=qdevice value=0x3000
RD reg=qdevice expect=eq value=0x3000 req=dev.pci_layout.1
