# legacy: a reset leaves the vectors unmapped
ctl name=msix-legacy-reset-unmaps.l modes=legacy,transitional iface=legacy spec=accept
requires dev.reset.1,dev.pci_msix.7
MSIX value=1
INIT value=0 ms=1000
WR reg=msix_config value=0
WR reg=qselect value=0 plus=target
WR reg=qvector value=0
RESET ms=500 expect=eq req=dev.reset.1
RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.7
WR reg=qselect value=0 plus=target
RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.7
