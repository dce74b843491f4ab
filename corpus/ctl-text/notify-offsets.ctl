# Every queue's notify offset lies inside the notification area; kicks at
# and past its end are harmless.
ctl name=notify-offsets modes=transitional,modern spec=accept iface=modern requires=dev.pci_notify_cap.5
WR reg=qselect value=0
RD reg=qnotifyoff
WR reg=qselect value=1
RD reg=qnotifyoff
WR reg=qselect value=0
NOTIFY q=200
NOTIFY q=0 value=0xffff aux=1
