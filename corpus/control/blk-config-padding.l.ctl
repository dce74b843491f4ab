# virtio-blk: the padding byte after writeback reads 0, before and after init
ctl name=blk-config-padding.l modes=legacy,transitional iface=legacy spec=accept types=blk
requires dev.blk_init.3,-
READ space=device off=33 width=1 expect=eq value=0 req=dev.blk_init.3
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
READ space=device off=33 width=1 expect=eq value=0 req=dev.blk_init.3
REQUEST q=target expect=eq ms=1000 req=-
