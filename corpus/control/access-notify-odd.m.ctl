# notify area written with odd widths and at odd offsets
ctl name=access-notify-odd.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
WRITE space=notify off=1 width=1 value=0
WRITE space=notify off=0 width=4 value=0
WRITE space=notify off=3 width=2 value=0 plus=target
READ space=notify off=0 width=4
REQUEST q=target expect=eq ms=1000 req=-
