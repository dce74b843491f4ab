# The driver accepts every feature bit: FEATURES_OK must not stick.
ctl name=features-unoffered modes=transitional,modern spec=refuse iface=modern requires=dev.features.2
RESET ms=100
WR reg=status value=ACKNOWLEDGE
WR reg=status value=ACKNOWLEDGE|DRIVER
WR reg=gfselect value=0
WR reg=gf value=0xffffffff
WR reg=gfselect value=1
WR reg=gf value=0xffffffff
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK
RD reg=status value=FEATURES_OK mask=FEATURES_OK expect=ne req=dev.features.2
