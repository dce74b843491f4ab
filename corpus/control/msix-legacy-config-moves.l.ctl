# legacy: device configuration moves from 20 to 24 with MSI-X on
ctl name=msix-legacy-config-moves.l modes=legacy,transitional iface=legacy spec=accept types=net,blk,console,scsi
requires dev.implied.legacy_io_layout
READ space=device off=0 width=4
MSIX value=1
READ space=device off=0 width=4 expect=unchanged req=dev.implied.legacy_io_layout
MSIX value=0
READ space=device off=0 width=4 expect=unchanged req=dev.implied.legacy_io_layout
