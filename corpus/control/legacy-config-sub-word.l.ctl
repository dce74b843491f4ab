# legacy device configuration read by byte, word and dword at odd offsets
ctl name=legacy-config-sub-word.l modes=legacy,transitional iface=legacy spec=safe types=net,blk,console,scsi
requires -
READ space=device off=1 width=1
READ space=device off=1 width=2
READ space=device off=3 width=4
READ space=device off=0 width=4
READ space=device off=0 width=4
INIT value=0 ms=1000
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
