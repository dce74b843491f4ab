#!/usr/bin/env bash
# Starts dpdk-testpmd with a net_vhost port serving vhost-user on SOCK (the
# fuzz target vhost passes it), without hugepages (the port maps the
# front-end's memfd regions; testpmd's own memory need not be shared), io
# forwarding, in the foreground. Its queue 0 receives, queue 1 transmits:
# play queue 1 (VC_VHOST_QUEUE=1, vconform-vhost replay --queue 1). A stats
# period keeps testpmd from waiting on standard input. Needs two CPUs
# (a main and a forwarding lcore).
# usage: dpdk-testpmd.sh SOCK
set -euo pipefail
sock=$1
exec dpdk-testpmd --no-huge -m 1024 --no-pci -l 0-1 --file-prefix="vc$$" \
  --vdev "net_vhost0,iface=$sock,queues=1" -- --no-mlockall --total-num-mbufs=2048 \
  --forward-mode=io --auto-start --stats-period 86400
