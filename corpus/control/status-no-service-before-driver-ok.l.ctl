# a request made available and notified before DRIVER_OK must not be served
ctl name=us-no-service-before-driver-ok.l modes=legacy,transitional iface=legacy spec=refuse
requires dev.status.1
INIT value=0 ms=1000
QSETUP q=target
REQUEST q=target expect=ne ms=200 req=dev.status.1
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
