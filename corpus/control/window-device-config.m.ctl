# device configuration through the window equals a direct read
ctl name=window-device-config.m modes=transitional,modern spec=accept types=net,blk,console,scsi
requires dev.pci_cfg_access.3
READ space=device off=0 width=4
READ space=device off=0 width=4 via=window expect=unchanged req=dev.pci_cfg_access.3
READ space=device off=1 width=2 via=window
READ space=device off=2 width=2
READ space=device off=2 width=2 via=window expect=unchanged req=dev.pci_cfg_access.3
