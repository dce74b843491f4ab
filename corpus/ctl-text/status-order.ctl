# Status written out of order, and a kick before DRIVER_OK: the device
# serves nothing before DRIVER_OK.
ctl name=status-order modes=all spec=safe requires=dev.status.1
RESET ms=100
WR reg=status value=DRIVER_OK
WR reg=status value=ACKNOWLEDGE|DRIVER_OK
INIT value=0
QSETUP q=target
REQUEST q=target expect=ne ms=50 req=dev.status.1
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
RD reg=status
