# queue_reset written without RING_RESET negotiated
ctl name=qreset-not-negotiated.m modes=transitional,modern spec=safe
requires dev.features.2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
WR reg=qselect value=0 plus=target
WR reg=qreset value=1
RD reg=qreset
REQUEST q=target ms=300
