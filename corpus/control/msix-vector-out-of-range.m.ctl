# vectors at and past the table size read back NO_VECTOR
ctl name=msix-vector-out-of-range.m modes=transitional,modern spec=refuse
requires dev.features.2,dev.pci_msix.9
MSIX value=1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=msix_config value=0 plus=nvectors
RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.9
WR reg=qselect value=0 plus=target
WR reg=qvector value=0 plus=nvectors
RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.9
WR reg=qvector value=0x7ffe
RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.9
