# A reset with a queue live and vectors mapped: status, queue_enable,
# queue_size and the vectors back to their defaults.
ctl name=reset-defaults modes=transitional,modern spec=accept iface=modern
requires dev.pci_common.7,dev.pci_common.8,dev.implied.reset_queue_size,dev.pci_msix.7
INIT value=0 expect=eq req=dev.features.2
MSIX value=1
WR reg=msix_config value=0
WR reg=qselect value=0
WR reg=qvector value=0
QSETUP q=0 value=4
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
RESET ms=100 req=dev.pci_common.7
RD reg=status value=0 expect=eq req=dev.pci_common.7
WR reg=qselect value=0
RD reg=qenable value=0 expect=eq req=dev.pci_common.8
RD reg=qsize value=0 expect=ne req=dev.implied.reset_queue_size
RD reg=qvector value=NO_VECTOR expect=eq req=dev.pci_msix.7
RD reg=msix_config value=NO_VECTOR expect=eq req=dev.pci_msix.7
MSIX value=0
