# reads and writes past the last common configuration field
ctl name=access-common-past-end.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
READ space=common off=0x40 width=4
WRITE space=common off=0x40 width=4 value=1
READ space=common off=0x7c width=4
WRITE space=common off=0x3c width=4 value=0xffffffff
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
