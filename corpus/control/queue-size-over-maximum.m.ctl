# VC_E_QUEUE_SIZE: queue_size written above the maximum (32768)
ctl name=queue-size-over-maximum.m modes=transitional,modern spec=safe
requires dev.features.2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=target
WR reg=qsize value=0x8000
RD reg=qsize
WR reg=qdesc value=0x0
WR reg=qdriver value=0x8000
WR reg=qdevice value=0x9000
WR reg=qenable value=1
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
NOTIFY q=target
SLEEP ms=20
