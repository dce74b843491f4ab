# queue_size reads the maximum again after a reset
ctl name=reset-queue-size-default.m modes=transitional,modern spec=accept
requires dev.features.2,dev.reset.1,dev.implied.reset_queue_size
WR reg=qselect value=0 plus=target
RD reg=qsize
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=target
WR reg=qsize value=2
RESET ms=500 expect=eq req=dev.reset.1
WR reg=qselect value=0 plus=target
RD reg=qsize expect=unchanged req=dev.implied.reset_queue_size
