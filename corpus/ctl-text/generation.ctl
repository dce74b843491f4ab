# config_generation around a pause (the fuzz target changes the
# configuration during a SLEEP; a written sequence only reads it).
ctl name=generation modes=transitional,modern spec=accept iface=modern types=blk requires=dev.pci_common.6
INIT value=0 expect=eq req=dev.features.2
RD reg=generation
SLEEP ms=1
RD reg=generation
READ space=device off=0 width=4
SLEEP ms=1
RD reg=generation
