#!/bin/sh
# Starts QEMU's C virtiofsd serving an empty scratch folder over
# vhost-user-fs on SOCK (the fuzz target vhost passes it), in the
# foreground: the fuzz target owns the process and restarts it on a crash.
# virtiofsd serves one connection and exits when it closes.
# usage: virtiofsd.sh SOCK   (as root: its sandbox needs chroot)
set -eu
sock=$1
share=${sock%.sock}.share
mkdir -p "$share"
exec /usr/lib/qemu/virtiofsd --socket-path="$sock" -o source="$share" -o sandbox=chroot -o cache=none
