# VC_E_QUEUE_SIZE: a split queue of 3 entries enabled and notified (no chain can express it)
ctl name=queue-size-not-power-of-two.m modes=transitional,modern spec=safe
requires dev.features.2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=target
WR reg=qsize value=3
WR reg=qdesc value=0x0
WR reg=qdriver value=0x1000
WR reg=qdevice value=0x2000
WR reg=qenable value=1
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
NOTIFY q=target
SLEEP ms=20
