# legacy, MSI-X on: vectors past the table read back NO_VECTOR
ctl name=msix-legacy-out-of-range.l modes=legacy,transitional iface=legacy spec=refuse
requires dev.pci_msix.9
MSIX value=1
INIT value=0 ms=1000
WR reg=msix_config value=0 plus=nvectors
RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.9
WR reg=qselect value=0 plus=target
WR reg=qvector value=0 plus=nvectors
RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.9
