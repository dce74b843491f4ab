# five resets in a row, then a normal start
ctl name=reset-back-to-back.l modes=legacy,transitional iface=legacy spec=accept
requires dev.reset.1,-
RESET ms=500 expect=eq req=dev.reset.1
RESET ms=500 expect=eq req=dev.reset.1
RESET ms=500 expect=eq req=dev.reset.1
RESET ms=500 expect=eq req=dev.reset.1
RESET ms=500 expect=eq req=dev.reset.1
WR reg=status value=0
WR reg=status value=0
RD reg=status expect=eq value=0 req=dev.reset.1
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
