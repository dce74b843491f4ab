#!/usr/bin/env bash
# Starts qemu-storage-daemon exporting a scratch pattern disk over
# vhost-user-blk on SOCK (the fuzz target vhost passes it), in the
# foreground: the fuzz target owns the process and restarts it on a crash.
# VC_QSD_SIZE: the disk size (default 1M; the differential mode uses 32K, the
# reference blk model's 64 sectors).
# usage: qemu-storage-daemon.sh SOCK
set -euo pipefail
sock=$1
img=${sock%.sock}.img
[ -f "$img" ] || truncate -s "${VC_QSD_SIZE:-1M}" "$img"
exec qemu-storage-daemon --blockdev "driver=file,node-name=f,filename=$img" \
  --export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$sock,writable=on"
