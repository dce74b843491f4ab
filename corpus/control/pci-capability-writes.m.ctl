# writes to the read-only fields of the virtio capabilities
ctl name=pci-capability-writes.m modes=transitional,modern spec=ignore
requires dev.features.2,-
READ space=pci off=0x40 width=4
READ space=common off=18 width=2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
READ space=common off=18 width=2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
