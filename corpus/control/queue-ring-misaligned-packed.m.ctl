# VC_E_RING_ALIGN: a packed ring's descriptors at an address not a multiple of 16
ctl name=queue-ring-misaligned-packed.m modes=transitional,modern spec=safe features=RING_PACKED
requires dev.features.2
INIT value=VERSION_1|RING_PACKED expect=eq ms=1000 req=dev.features.2
WR reg=qselect value=0 plus=target
WR reg=qsize value=4
WR reg=qdesc value=0x1008
WR reg=qdriver value=0x2002
WR reg=qdevice value=0x3001
WR reg=qenable value=1
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
NOTIFY q=target
SLEEP ms=20
