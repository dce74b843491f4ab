# features rewritten on a running device
ctl name=atures-written-after-driver-ok.l modes=legacy,transitional iface=legacy spec=safe
requires -
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
FEATURES value=ALL
FEATURES value=0
REQUEST q=target ms=300
