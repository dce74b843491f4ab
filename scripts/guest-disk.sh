#!/usr/bin/env bash
# The worked example of `vconform-run --guest-image`: a bootable disk image
# (raw, one FAT file system, syslinux; made without loop devices) holding
# the Debian cloud kernel and the runner's kernel-driver initramfs. Booted
# by SeaBIOS, it loads the kernel's virtio modules, uses each device once
# (the probe's --kernel-drivers mode) and powers off; the runner judges the
# drivers from the device side alone. Any other OS image is used the same
# way (see README.md, "Bring your own guest").
# usage: scripts/guest-disk.sh OUT.img [BUILD_DIR]   (default build/plain)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1 build=${2:-build/plain}
scripts/deps.sh guest-disk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$build" "$tmp" <<'PY'
import os, shutil, sys
sys.path.insert(0, "harness")
from vcharness import guest
kernel = guest.fetch_kernel()
mods = guest.kernel_modules_dir(kernel)
if not mods:
    sys.exit("guest-disk.sh: no kernel modules beside " + kernel)
guest.build_initramfs(os.path.join(sys.argv[1], "guest-probe", "vconform-probe"),
                      os.path.join(sys.argv[2], "initrd"), guest.driver_modules(mods))
shutil.copy(kernel, os.path.join(sys.argv[2], "vmlinuz"))
PY
args=--kernel-drivers,/modules,--blk-pattern,--blk-serial,vconform-blk,--net-loopback,--quiet
cat >"$tmp/syslinux.cfg" <<CFG
DEFAULT vconform
TIMEOUT 1
LABEL vconform
  KERNEL vmlinuz
  INITRD initrd
  APPEND console=ttyS0 panic=-1 loglevel=4 cryptomgr.notests vconform.args=$args
CFG
rm -f "$out"
size_kb=$(( ($(stat -c %s "$tmp/vmlinuz") + $(stat -c %s "$tmp/initrd")) / 1024 + 8192 ))
mkfs.vfat -C "$out" "$size_kb" >/dev/null
syslinux --install "$out"
for f in vmlinuz initrd syslinux.cfg; do mcopy -i "$out" "$tmp/$f" "::$f"; done
echo "guest-disk.sh: $out ($(( size_kb / 1024 )) MiB): boot it with"
echo "  harness/vconform-run --configs harness/configs/vhost.cfg --config 'q35-port+vhost' --guest-image $out"
