# queue_size reads 0 for queue_select at and past num_queues
ctl name=queue-select-past-end.m modes=transitional,modern spec=accept
requires dev.pci_common.14,dev.features.2,-
WR reg=qselect value=0 plus=nqueues
RD reg=qsize expect=eq value=0 req=dev.pci_common.14
WR reg=qselect value=0x7fff
RD reg=qsize expect=eq value=0 req=dev.pci_common.14
WR reg=qselect value=0xffff
RD reg=qsize expect=eq value=0 req=dev.pci_common.14
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
