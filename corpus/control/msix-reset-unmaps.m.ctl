# a reset leaves every queue and config event unmapped
ctl name=msix-reset-unmaps.m modes=transitional,modern spec=accept
requires dev.features.2,dev.reset.1,dev.pci_msix.7
MSIX value=1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=msix_config value=0
WR reg=qselect value=0 plus=target
WR reg=qvector value=0
RESET ms=500 expect=eq req=dev.reset.1
RD reg=msix_config expect=eq value=NO_VECTOR req=dev.pci_msix.7
WR reg=qselect value=0 plus=target
RD reg=qvector expect=eq value=NO_VECTOR req=dev.pci_msix.7
