# 3-byte reads and writes of the common configuration (window)
ctl name=access-common-three-bytes.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
READ space=common off=20 width=3 via=window
READ space=common off=21 width=3 via=window
WRITE space=common off=22 width=3 via=window value=0xffffff
READ space=common off=0 width=3 via=window
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
