# Accesses of odd widths and places: common config across fields, 3-byte
# window reads, notify past the BAR, ISR and the MSI-X table at their ends.
# The spec leaves the answers open; the device must stay sane and alive.
ctl name=odd-accesses modes=transitional,modern spec=safe iface=modern
READ space=common off=0x14 width=4
WRITE space=common off=0x15 width=2 value=0x0101
READ space=common off=0x3e width=8
READ space=common off=0x18 width=3 via=window
READ space=common off=0x18 width=2 via=window
READ space=common off=0x4 width=4 via=window
WRITE space=common off=0x16 width=3 value=0x0 via=window
WRITE space=pci off=0x88 width=4 value=0x3fff
READ space=pci off=0x94 width=4
WRITE space=notify off=0xffe width=2 value=0
WRITE space=notify off=0x1000 width=4 value=0
READ space=isr off=0 width=4
READ space=isr off=3 width=2
READ space=device off=0xffc width=8
WRITE space=bar bar=1 off=0x2c width=4 value=0
READ space=bar bar=1 off=0x7fc width=8
WRITE space=bar bar=4 off=0x3fff width=2 value=1
READ space=bar bar=5 off=0 width=4
