# a queue past num_queues sized, placed and enabled
ctl name=queue-select-past-end-enable.m modes=transitional,modern spec=safe
requires dev.features.2,dev.pci_common.14,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=nqueues
WR reg=qsize value=16
WR reg=qdesc value=0x0
WR reg=qdriver value=0x1000
WR reg=qdevice value=0x2000
WR reg=qenable value=1
RD reg=qenable
RD reg=qsize expect=eq value=0 req=dev.pci_common.14
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
