# device configuration is readable before FEATURES_OK and reads the same after it
ctl name=config-before-features-ok.m modes=transitional,modern spec=accept types=net,blk,console,scsi
requires dev.reset.1,dev.features.2,dev.cfgspace.1
RESET ms=500 expect=eq req=dev.reset.1
READ space=device off=0 width=4
READ space=device off=4 width=2
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
READ space=device off=0 width=4 expect=unchanged req=dev.cfgspace.1
READ space=device off=4 width=2 expect=unchanged req=dev.cfgspace.1
