# queue_size reads 0 or a power of two for every queue
ctl name=queue-size-power-of-two.m modes=transitional,modern spec=accept
requires dev.pci_common.15
WR reg=qselect value=0
RD reg=qsize expect=oneof value=0 req=dev.pci_common.15
ALSO value=1
ALSO value=2
ALSO value=4
ALSO value=8
ALSO value=16
ALSO value=32
ALSO value=64
ALSO value=128
ALSO value=256
ALSO value=512
ALSO value=1024
ALSO value=2048
ALSO value=4096
ALSO value=8192
ALSO value=16384
ALSO value=32768
WR reg=qselect value=1
RD reg=qsize expect=oneof value=0 req=dev.pci_common.15
ALSO value=1
ALSO value=2
ALSO value=4
ALSO value=8
ALSO value=16
ALSO value=32
ALSO value=64
ALSO value=128
ALSO value=256
ALSO value=512
ALSO value=1024
ALSO value=2048
ALSO value=4096
ALSO value=8192
ALSO value=16384
ALSO value=32768
WR reg=qselect value=2
RD reg=qsize expect=oneof value=0 req=dev.pci_common.15
ALSO value=1
ALSO value=2
ALSO value=4
ALSO value=8
ALSO value=16
ALSO value=32
ALSO value=64
ALSO value=128
ALSO value=256
ALSO value=512
ALSO value=1024
ALSO value=2048
ALSO value=4096
ALSO value=8192
ALSO value=16384
ALSO value=32768
WR reg=qselect value=3
RD reg=qsize expect=oneof value=0 req=dev.pci_common.15
ALSO value=1
ALSO value=2
ALSO value=4
ALSO value=8
ALSO value=16
ALSO value=32
ALSO value=64
ALSO value=128
ALSO value=256
ALSO value=512
ALSO value=1024
ALSO value=2048
ALSO value=4096
ALSO value=8192
ALSO value=16384
ALSO value=32768
