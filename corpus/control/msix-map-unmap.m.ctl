# any event mapped to the first and last vectors, then unmapped
ctl name=msix-map-unmap.m modes=transitional,modern spec=accept
requires dev.features.2,dev.pci_msix.6,dev.pci_msix.4,dev.pci_msix.5,dev.pci_msix.8
MSIX value=1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=msix_config value=0
RD reg=msix_config expect=eq value=0 req=dev.pci_msix.6
WR reg=qselect value=0 plus=target
WR reg=qvector value=ALL plus=nvectors
RD reg=qvector expect=eq value=ALL plus=nvectors mask=0xffff req=dev.pci_msix.4
WR reg=qvector value=NO_VECTOR
RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.5
WR reg=msix_config value=ALL plus=nvectors
RD reg=msix_config expect=eq value=ALL plus=nvectors mask=0xffff req=dev.pci_msix.8
WR reg=msix_config value=NO_VECTOR
RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.5
