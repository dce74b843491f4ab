# legacy: a PFN given, then a reset before DRIVER_OK forgets it
ctl name=legacy-reset-before-driver-ok.l modes=legacy,transitional iface=legacy spec=accept
requires dev.reset.1,dev.implied.legacy_queue,-
INIT value=0 ms=1000
WR reg=qselect value=0 plus=target
WR reg=qpfn value=0x4000
RESET ms=500 expect=eq req=dev.reset.1
WR reg=qselect value=0 plus=target
RD reg=qpfn expect=eq value=0 req=dev.implied.legacy_queue
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
