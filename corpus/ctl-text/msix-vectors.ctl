# Vectors past the table read back NO_VECTOR; one inside reads back as
# written, or NO_VECTOR when refused.
ctl name=msix-vectors modes=transitional,modern spec=accept iface=modern requires=dev.pci_msix.9,dev.pci_msix.6
MSIX value=1
WR reg=msix_config value=0 plus=nvectors
RD reg=msix_config value=NO_VECTOR expect=eq req=dev.pci_msix.9
WR reg=qselect value=0
WR reg=qvector value=0x7fe
RD reg=qvector value=NO_VECTOR expect=eq req=dev.pci_msix.9
WR reg=qvector value=1
RD reg=qvector value=1 expect=oneof req=dev.pci_msix.6
ALSO value=NO_VECTOR
MSIX value=0
