# virtio-blk: the padding byte after writeback reads 0, before and after init
ctl name=blk-config-padding.m modes=transitional,modern spec=accept types=blk
requires dev.blk_init.3,dev.features.2,-
READ space=device off=33 width=1 expect=eq value=0 req=dev.blk_init.3
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
READ space=device off=33 width=1 expect=eq value=0 req=dev.blk_init.3
REQUEST q=target expect=eq ms=1000 req=-
