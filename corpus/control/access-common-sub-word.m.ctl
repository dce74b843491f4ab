# common configuration fields read by byte, word and dword
ctl name=access-common-sub-word.m modes=transitional,modern spec=accept
requires dev.reset.1,dev.pci_common.7,dev.features.2,-
RESET ms=500 expect=eq req=dev.reset.1
READ space=common off=20 width=1 expect=eq value=0 req=dev.pci_common.7
READ space=common off=20 width=2 expect=eq value=0 mask=0xff req=dev.pci_common.7
READ space=common off=20 width=4 expect=eq value=0 mask=0xff req=dev.pci_common.7
READ space=common off=18 width=2
READ space=common off=18 width=1
READ space=common off=19 width=1
READ space=common off=18 width=2
READ space=common off=0 width=8
READ space=common off=56 width=4
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
