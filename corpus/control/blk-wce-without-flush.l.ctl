# virtio-blk: CONFIG_WCE negotiated without FLUSH: writeback reads 0 once running
ctl name=blk-wce-without-flush.l modes=legacy,transitional iface=legacy spec=accept features=0x800 types=blk
requires dev.blk_init.2,-
INIT value=0x800 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
READ space=device off=32 width=1 expect=eq value=0 req=dev.blk_init.2
REQUEST q=target expect=eq ms=1000 req=-
