#!/usr/bin/env bash
# ctest smoke test: qemu-storage-daemon exports a scratch image over
# vhost-user-blk; vconform-vhost runs its block round trip and replays a few
# split-ring seeds; what fails must be what vhost/known/ lists for this
# version. Then QEMU's C virtiofsd (as root, when installed) serves a scratch
# folder and the fs round trip must pass. Daemons are killed on every way
# out. Then, when dpdk-testpmd is installed (scripts/deps.sh dpdk) and
# there are two CPUs, a DPDK net_vhost port without hugepages: a few seeds
# on its transmit queue (queue 1), one fresh testpmd each, split and packed,
# against vhost/known/dpdk-VERSION.txt. Exit 77: skipped.
# usage: vhost/smoke.sh VCONFORM-VHOST CORPUS-DIR KNOWN-DIR
set -euo pipefail
tool=$1 corpus=$2 known_dir=$3
if ! command -v qemu-storage-daemon >/dev/null; then
  echo "SKIP: qemu-storage-daemon is not installed (scripts/deps.sh test installs qemu-system-common)"
  exit 77
fi
dir=$(mktemp -d)
pid= fspid=
dpid=
stop() { # pid: TERM, then KILL after 5 s
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
cleanup() {
  stop "$pid"
  stop "$fspid"
  stop "$dpid"
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the runner's pattern disk (guest-probe/PROTOCOL.md), 1 MiB
python3 - "$dir/disk.img" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    for s in range(2048):
        f.write(b"vconform" + struct.pack("<Q", s) + bytes((s + i) & 0xff for i in range(16, 512)))
PY
sock=$dir/vhost.sock
qemu-storage-daemon --blockdev "driver=file,node-name=f,filename=$dir/disk.img" \
  --export "type=vhost-user-blk,id=e,node-name=f,addr.type=unix,addr.path=$sock,writable=on" \
  >"$dir/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "qemu-storage-daemon did not listen:"; cat "$dir/daemon.log"; exit 1; }

version=$(qemu-storage-daemon --version | sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p')
known=$known_dir/qemu-storage-daemon-$version.txt
set +e
timeout 60 "$tool" roundtrip "$sock" --device blk --image "$dir/disk.img" --json "$dir/rt.jsonl"
rt=$?
seeds=(split-1desc split-4desc split-16desc split-indirect-4 split-indirect-16 split-wrap split-used-none)
# and the notification seeds (vhost/corpus/notify: the driver asks for no
# call) and the fuzzers' finds that replay the same every time (vhost/corpus/qsd)
own=$(dirname "$0")/corpus
timeout 120 "$tool" replay "$sock" "${seeds[@]/#/$corpus/}" "$own/notify" "$own/qsd/split-indirect-nested" \
  "$own/qsd/split-indirect-unnegotiated" "$own/qsd/split-indirect-with-next" \
  "$own/qsd/split-indirect-after-direct" "$own/qsd/split-indirect-after-direct-len" \
  "$own/qsd/split-indirect-after-direct-next-range" "$own/qsd/split-indirect-after-direct-framing" \
  "$own/qsd/split-indirect-after-direct-bad-len" \
  >"$dir/replay.txt"
rp=$?
set -e
cat "$dir/replay.txt"
if [ $rt -gt 1 ] || [ $rp -gt 1 ]; then
  echo "vconform-vhost could not run (roundtrip $rt, replay $rp); daemon log:"; cat "$dir/daemon.log"; exit 1
fi
# what failed, in the known file's words
python3 - "$dir/rt.jsonl" "$dir/replay.txt" >"$dir/seen.txt" <<'PY'
import json, os, sys
kinds = {"start", "check", "end"}
types = []
for line in open(sys.argv[1]):
    rec = json.loads(line)
    assert rec["v"] == 1 and rec["type"] in kinds, rec
    types.append(rec["type"])
    if rec["type"] == "check" and rec["verdict"] in ("fail", "error"):
        print("roundtrip", rec["id"])
assert types[0] == "start" and types[-1] == "end", "start and end records"
for line in open(sys.argv[2]):
    if line.startswith("vconform-vhost replay:"):
        continue
    path, rest = line.split(": ", 1)
    kind, req = rest.split(" ", 2)[:2]
    print("replay", os.path.basename(path), kind, req.strip("[]"))
PY
echo "--- failing checks and findings:"; cat "$dir/seen.txt"
if [ ! -f "$known" ]; then
  echo "no $known: outputs parse, findings not compared"
elif ! diff <(grep -v '^#' "$known" | sort) <(sort "$dir/seen.txt"); then
  echo "differs from $known (< known, > seen)"; exit 1
else
  echo "as known for qemu-storage-daemon $version"
fi
# the same seeds the way fuzz-vhost plays them (waits end when the daemon
# is idle, 300 us settle): the same findings
set +e
timeout 120 "$tool" replay "$sock" "${seeds[@]/#/$corpus/}" "$own/notify" "$own/qsd/split-indirect-nested" \
  "$own/qsd/split-indirect-unnegotiated" "$own/qsd/split-indirect-with-next" \
  "$own/qsd/split-indirect-after-direct" "$own/qsd/split-indirect-after-direct-len" \
  "$own/qsd/split-indirect-after-direct-next-range" "$own/qsd/split-indirect-after-direct-framing" \
  "$own/qsd/split-indirect-after-direct-bad-len" \
  --idle --settle-us 300 >"$dir/idle.txt"
set -e
grep -v '^vconform-vhost replay' "$dir/idle.txt" | sed -E 's|^[^:]*/([^/:]*): ([^ ]*) \[([^]]*)\].*|replay \1 \2 \3|' |
  sort >"$dir/idle-seen.txt" || true
if ! diff <(grep '^replay' "$dir/seen.txt" | sort) "$dir/idle-seen.txt"; then
  echo "--idle finds otherwise (< default, > --idle)"; exit 1
fi
echo "--idle (the fuzz target's waits): the same findings"

# DPDK: testpmd with a net_vhost port (vhost/backends/dpdk-testpmd.sh)
if command -v dpdk-testpmd >/dev/null && [ "$(nproc)" -ge 2 ]; then
  dversion=$(dpkg-query -W -f='${Version}' dpdk 2>/dev/null | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
  start_dpdk() { # a fresh testpmd on $dir/dp.sock, its pid in dpid
    rm -f "$dir/dp.sock"
    "$(dirname "$0")/backends/dpdk-testpmd.sh" "$dir/dp.sock" >"$dir/dpdk.log" 2>&1 &
    dpid=$!
    for _ in $(seq 100); do [ -S "$dir/dp.sock" ] && break; sleep 0.1; done
    [ -S "$dir/dp.sock" ] || { echo "dpdk-testpmd did not listen:"; cat "$dir/dpdk.log"; exit 1; }
  }
  : >"$dir/dpdk-seen.txt"
  for seed in split-4desc packed-4desc packed-indirect; do
    start_dpdk
    set +e
    timeout 60 "$tool" replay "$dir/dp.sock" "$corpus/$seed" --queue 1 --settle-ms 200 >"$dir/dpdk-replay.txt"
    rc=$?
    set -e
    [ $rc -le 1 ] || { echo "vconform-vhost could not run against DPDK:"; cat "$dir/dpdk-replay.txt"; exit 1; }
    grep -v '^vconform-vhost replay' "$dir/dpdk-replay.txt" | sed -E 's|^[^:]*/([^/:]*): ([^ ]*) \[([^]]*)\].*|replay \1 \2 \3|' >>"$dir/dpdk-seen.txt" || true
    kill -0 "$dpid" 2>/dev/null || { echo "dpdk-testpmd died on $seed:"; tail "$dir/dpdk.log"; exit 1; }
    stop "$dpid"; dpid=
  done
  echo "--- DPDK $dversion findings:"; cat "$dir/dpdk-seen.txt"
  dknown=$known_dir/dpdk-$dversion.txt
  if [ -f "$dknown" ] && ! diff <(grep -v '^#' "$dknown" | sort) <(sort "$dir/dpdk-seen.txt"); then
    echo "differs from $dknown (< known, > seen)"; exit 1
  fi
  echo "DPDK net_vhost: as known"
  # its known crash (vhost/corpus/dpdk): a heap overflow in the split-ring
  # dequeue, a SIGSEGV each time; the replay must tell it, late as it comes
  start_dpdk
  timeout 60 "$tool" replay "$dir/dp.sock" "$own/dpdk/split-avail-ahead-of-small-queue" --queue 1 --settle-ms 200 \
    >"$dir/dpdk-replay.txt" || true
  for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
  set +e
  kill -0 "$dpid" 2>/dev/null && stop "$dpid" # it survived 5 s: stopped
  wait "$dpid"
  got=$?
  set -e
  dpid=
  if [ "$got" != 139 ] || ! grep -q ': backend-unreachable \[-\] (crash)' "$dir/dpdk-replay.txt"; then
    echo "DPDK: split-avail-ahead-of-small-queue ended it with $got, not 139 (SIGSEGV), or the replay did not tell (fixed?):"
    cat "$dir/dpdk-replay.txt"; tail -3 "$dir/dpdk.log"; exit 1
  fi
  echo "DPDK net_vhost: its known crash as known, and told by the replay"
else
  echo "DPDK part skipped: needs dpdk-testpmd (scripts/deps.sh dpdk) and two CPUs"
fi

virtiofsd=/usr/lib/qemu/virtiofsd
if [ ! -x $virtiofsd ] || [ "$(id -u)" -ne 0 ]; then
  echo "virtiofsd part skipped: needs $virtiofsd and root"; exit 0
fi
mkdir "$dir/share"
timeout 60 $virtiofsd --socket-path="$dir/fs.sock" -o source="$dir/share" -o sandbox=chroot -o cache=none \
  >"$dir/virtiofsd.log" 2>&1 &
fspid=$!
for _ in $(seq 100); do [ -S "$dir/fs.sock" ] && break; sleep 0.1; done
if ! timeout 30 "$tool" roundtrip "$dir/fs.sock" --device fs --json "$dir/fs.jsonl" >/dev/null; then
  cat "$dir/fs.jsonl" "$dir/virtiofsd.log"; exit 1
fi
echo "virtiofsd: the fs round trip passes"

# what the vhost fuzz mode found in it (fuzz/known/vhost-virtiofsd.txt):
# each reproducer kills a fresh daemon the same way (134: SIGABRT from an
# assertion, 1: exit on a libvhost-user panic)
for case in fuse-unique-zero:134 fuse-short-header:134 zero-length-buffer:1; do
  name=${case%:*} want=${case#*:}
  rm -rf "$dir/fs.sock" "$dir/fsx.log"
  timeout 60 "$(dirname "$0")/backends/virtiofsd.sh" "$dir/fs.sock" >"$dir/fsx.log" 2>&1 &
  xpid=$!
  for _ in $(seq 100); do [ -S "$dir/fs.sock" ] && break; sleep 0.1; done
  timeout 30 "$tool" replay "$dir/fs.sock" "$own/virtiofsd/$name" >/dev/null || true
  set +e
  wait "$xpid"
  got=$?
  set -e
  if [ "$got" != "$want" ]; then
    echo "virtiofsd: $name ended it with $got, not $want (fixed? update fuzz/known/vhost-virtiofsd.txt):"
    tail -3 "$dir/fsx.log"; exit 1
  fi
done
echo "virtiofsd: its three known deaths as known"
