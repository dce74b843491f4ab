# the queue PFN reads 0 after a reset
ctl name=reset-legacy-pfn-zero.l modes=legacy,transitional iface=legacy spec=accept
requires -,dev.reset.1,dev.implied.legacy_queue
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
RESET ms=500 expect=eq req=dev.reset.1
WR reg=qselect value=0 plus=target
RD reg=qpfn expect=eq value=0 req=dev.implied.legacy_queue
