# host features written: they stay what the device offers
ctl name=legacy-host-features-read-only.l modes=legacy,transitional iface=legacy spec=ignore
requires dev.implied.legacy_io_layout,-
RD reg=df
WRITE space=legacy off=0 width=4 value=0
RD reg=df expect=unchanged req=dev.implied.legacy_io_layout
WRITE space=legacy off=0 width=4 value=0xffffffff
RD reg=df expect=unchanged req=dev.implied.legacy_io_layout
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
