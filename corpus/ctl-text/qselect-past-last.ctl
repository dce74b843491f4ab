# queue_select past the last queue: queue_size reads 0.
ctl name=qselect-past-last modes=transitional,modern spec=accept iface=modern requires=dev.pci_common.14
RD reg=num_queues
WR reg=qselect value=0 plus=nqueues
RD reg=qsize value=0 expect=eq req=dev.pci_common.14
WR reg=qselect value=0xffff
RD reg=qsize value=0 expect=eq req=dev.pci_common.14
WR reg=qselect value=0
