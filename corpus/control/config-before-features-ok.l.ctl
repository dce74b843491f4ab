# device configuration is readable before FEATURES_OK and reads the same after it
ctl name=config-before-features-ok.l modes=legacy,transitional iface=legacy spec=accept types=net,blk,console,scsi
requires dev.reset.1,dev.cfgspace.1
RESET ms=500 expect=eq req=dev.reset.1
READ space=device off=0 width=4
READ space=device off=4 width=2
INIT value=0 ms=1000
READ space=device off=0 width=4 expect=unchanged req=dev.cfgspace.1
READ space=device off=4 width=2 expect=unchanged req=dev.cfgspace.1
