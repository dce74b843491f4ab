# ring addresses rewritten on an enabled, running queue
ctl name=ue-address-change-after-enable.m modes=transitional,modern spec=safe
requires dev.features.2,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
WR reg=qselect value=0 plus=target
WR reg=qdesc value=0x4000
WR reg=qdriver value=0x5000
WR reg=qdevice value=0x6000
NOTIFY q=target
REQUEST q=target ms=300
