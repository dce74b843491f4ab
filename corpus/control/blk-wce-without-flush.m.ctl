# virtio-blk: CONFIG_WCE negotiated without FLUSH: writeback reads 0 once running
ctl name=blk-wce-without-flush.m modes=transitional,modern spec=accept features=0x800 types=blk
requires dev.features.2,dev.blk_init.2,-
INIT value=VERSION_1|0x800 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
READ space=device off=32 width=1 expect=eq value=0 req=dev.blk_init.2
REQUEST q=target expect=eq ms=1000 req=-
