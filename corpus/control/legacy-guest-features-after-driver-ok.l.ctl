# legacy guest features rewritten while running
ctl name=guest-features-after-driver-ok.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
FEATURES value=0xffffffff
RD reg=gf
REQUEST q=target ms=300
