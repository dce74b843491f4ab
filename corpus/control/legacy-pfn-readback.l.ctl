# the queue PFN reads back the page written
ctl name=legacy-pfn-readback.l modes=legacy,transitional iface=legacy spec=accept
requires dev.implied.legacy_queue
INIT value=0 ms=1000
WR reg=qselect value=0 plus=target
WR reg=qpfn value=0x4000
RD reg=qpfn expect=eq value=0x4000 req=dev.implied.legacy_queue
WR reg=qpfn value=ALL
RD reg=qpfn expect=eq value=0 req=dev.implied.legacy_queue
