# queue_size 0 written, rings placed, queue_enable written
ctl name=queue-enable-without-size.m modes=transitional,modern spec=safe
requires dev.features.2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=target
WR reg=qsize value=0
WR reg=qdesc value=0x0
WR reg=qdriver value=0x1000
WR reg=qdevice value=0x2000
WR reg=qenable value=1
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
NOTIFY q=target
