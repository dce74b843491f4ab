# ISR read with widths 2 and 4, written
ctl name=access-isr-odd.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
READ space=isr off=0 width=2
READ space=isr off=0 width=4
WRITE space=isr off=0 width=1 value=0xff
REQUEST q=target expect=eq ms=1000 req=-
