# Legacy queue set-up: the page frame reads back, the size is fixed, a
# write of 0 takes the queue away.
ctl name=legacy-pfn modes=legacy,transitional spec=accept iface=legacy requires=dev.implied.legacy_queue
WR reg=status value=ACKNOWLEDGE|DRIVER
WR reg=qselect value=0
RD reg=qsize value=0 expect=ne req=dev.implied.legacy_queue
WR reg=qsize value=2
RD reg=qsize expect=unchanged req=dev.implied.legacy_queue
WR reg=qpfn value=0x8000
RD reg=qpfn value=0 expect=ne req=dev.implied.legacy_queue
WR reg=qpfn value=0x10000
WR reg=qpfn value=ALL
RD reg=qpfn value=0 expect=eq req=dev.implied.legacy_queue
RESET ms=100
