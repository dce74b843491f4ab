# notifications at offsets past the end of the notify BAR (window)
ctl name=access-notify-past-bar.m modes=transitional,modern spec=ignore
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
WRITE space=notify off=0x100000 width=2 value=0 plus=target via=window
WRITE space=notify off=0xfffffffe width=2 value=0 plus=target via=window
READ space=notify off=0x100000 width=4 via=window
REQUEST q=target expect=eq ms=1000 req=-
