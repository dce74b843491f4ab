# virtio-scsi: sense and CDB sizes written, then a reset: 96 and 32 again
ctl name=scsi-sizes-after-reset.m modes=transitional,modern spec=accept types=scsi
requires dev.features.2,dev.reset.1,dev.scsi_cfg.1,-
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
WRITE space=device off=20 width=4 value=64
WRITE space=device off=24 width=4 value=16
READ space=device off=20 width=4
RESET ms=500 expect=eq req=dev.reset.1
READ space=device off=20 width=4 expect=eq value=96 req=dev.scsi_cfg.1
READ space=device off=24 width=4 expect=eq value=32 req=dev.scsi_cfg.1
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.2
QSETUP q=target
WR reg=status value=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK
REQUEST q=target expect=eq ms=1000 req=-
