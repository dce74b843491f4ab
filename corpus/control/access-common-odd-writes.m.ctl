# byte writes into word fields and word writes across fields
ctl name=access-common-odd-writes.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WRITE space=common off=23 width=1 value=0x7f
WRITE space=common off=19 width=2 value=0
WRITE space=common off=21 width=1 value=0xff
WRITE space=common off=16 width=4 value=0xffffffff
WRITE space=common off=24 width=4 value=0x10
RD reg=status
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
