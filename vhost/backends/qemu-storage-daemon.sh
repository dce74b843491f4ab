#!/bin/sh
# Starts qemu-storage-daemon exporting a scratch pattern disk over
# vhost-user-blk on SOCK (the fuzz target vhost passes it), in the
# foreground: the fuzz target owns the process and restarts it on a crash.
# VC_QSD_SIZE: the disk size (default 1M; the differential mode uses 32K, the
# reference blk model's 64 sectors).
# usage: qemu-storage-daemon.sh SOCK
# (POSIX sh: the fuzz target starts it again after every crash, and dash
# starts faster than bash)
set -eu
sock=$1
img=${sock%.sock}.img
[ -f "$img" ] || truncate -s "${VC_QSD_SIZE:-1M}" "$img"
# When nobody reads its messages (the fuzz target discards them and says so
# with VC_VHOST_LOG_DISCARDED=1) they go through a full stdio buffer: it
# writes one line per request it drops, in three write calls, half of its
# time on a fuzzed corpus.
buf=
if [ -n "${VC_VHOST_LOG_DISCARDED:-}" ] && command -v stdbuf >/dev/null; then buf="stdbuf -e 65536"; fi
# shellcheck disable=SC2086 # $buf is a command's words, or none
exec $buf qemu-storage-daemon --blockdev "driver=file,node-name=f,filename=$img" \
  --export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$sock,writable=on"
