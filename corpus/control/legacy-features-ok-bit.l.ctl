# the modern FEATURES_OK bit written through the legacy status
ctl name=legacy-features-ok-bit.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK
RD reg=status
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
