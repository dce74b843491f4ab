# legacy: a queue past the last sized, and given a PFN
ctl name=queue-select-past-end-legacy.l modes=legacy,transitional iface=legacy spec=safe
requires dev.implied.legacy_queue,-
WR reg=qselect value=0 plus=nqueues
RD reg=qsize expect=eq value=0 req=dev.implied.legacy_queue
INIT value=0 ms=1000
WR reg=qselect value=0 plus=nqueues
WR reg=qpfn value=0x4000
NOTIFY q=target value=0 plus=nqueues
WR reg=qpfn value=ALL
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
