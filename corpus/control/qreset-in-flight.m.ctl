# a queue reset with a request in flight, then the ring is left alone
ctl name=qreset-in-flight.m modes=transitional,modern spec=accept features=RING_RESET
requires dev.features.2,dev.pci_common.13,dev.vq_reset.1
INIT value=VERSION_1|RING_RESET expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target ms=0
WR reg=qselect value=0 plus=target
WR reg=qreset value=1
WAIT reg=qreset value=0 ms=500 req=dev.pci_common.13
READ space=used q=target off=2 width=2
NOTIFY q=target
SLEEP ms=50
READ space=used q=target off=2 width=2 expect=unchanged req=dev.vq_reset.1
