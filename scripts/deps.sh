#!/usr/bin/env bash
# Installs the Debian packages the project needs, only when something is
# missing (so a second run is quick and needs no network).
# usage: scripts/deps.sh [build|test|matrix|fuzz|libvirt|guest-disk|dpdk]...   (default: all but guest-disk, dpdk)
set -euo pipefail

build=(cmake make gcc python3 pkg-config libpci-dev)
# qemu-system-common: qemu-storage-daemon and virtiofsd, the vhost-user back-ends
# vhost/smoke.sh drives
test=(clang libclang-rt-14-dev qemu-system-common)
fuzz=(clang libclang-rt-14-dev afl++)
# lz4: the guest kernel's payload, decompressed once for its PVH entry (harness/vcharness/pvh.py)
matrix=(qemu-system-x86 cpio pciutils lz4)
# vconform-run --libvirt: the daemon and virsh, without libvirt-daemon-system's
# services (the runner starts a private daemon; see libvirt_daemon.py)
libvirt=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)
# scripts/guest-disk.sh: a bootable FAT disk without loop devices
guest_disk=(syslinux syslinux-common mtools dosfstools)
# vhost/smoke.sh's DPDK back-end: dpdk-testpmd with a net_vhost port
dpdk=(dpdk dpdk-dev) # dpdk-testpmd is in dpdk-dev

want=()
[ $# -eq 0 ] && set -- build test fuzz matrix libvirt
for part in "$@"; do
  case "$part" in
    build) want+=("${build[@]}") ;;
    test) want+=("${build[@]}" "${test[@]}" "${matrix[@]}") ;;
    fuzz) want+=("${fuzz[@]}") ;;
    matrix) want+=("${build[@]}" "${matrix[@]}") ;;
    libvirt) want+=("${build[@]}" "${matrix[@]}" "${libvirt[@]}") ;;
    guest-disk) want+=("${guest_disk[@]}") ;;
    dpdk) want+=("${dpdk[@]}") ;;
    *) echo "deps.sh: unknown part '$part' (build, test, fuzz, matrix, libvirt, guest-disk, dpdk)" >&2; exit 2 ;;
  esac
done

missing=()
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps.sh: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
