#!/usr/bin/env bash
# Scenarios per second against qemu-storage-daemon, the fuzz target's way
# (waits end when the daemon is idle, 300 us settle, the daemon a batch
# task), and the CPU time per scenario of both processes: ours from
# vconform-vhost, the daemon's from /proc (load-independent, unlike the
# rate on a shared machine).
# usage: vhost/bench.sh [-c CPU] [-t SECONDS] [DIR...]   (default: corpus/chain, 60 s)
#   -c CPU: both processes pinned to that one CPU
set -euo pipefail
cd "$(dirname "$0")/.."
cpu= secs=60
while getopts "c:t:h" o; do
  case $o in c) cpu=$OPTARG ;; t) secs=$OPTARG ;; *) sed -n 2,7p "$0"; exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- corpus/chain
cmake -S . -B build/plain >/dev/null
cmake --build build/plain -j "$(nproc)" --target vconform-vhost >/dev/null
pin=(); [ -z "$cpu" ] || pin=(taskset -c "$cpu")
dir=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$dir"; }
trap cleanup EXIT
# a batch task, as the fuzz target starts it (target_vhost.c)
batch=(); ! command -v chrt >/dev/null || batch=(chrt -b 0)
VC_VHOST_LOG_DISCARDED=1 "${pin[@]}" "${batch[@]}" vhost/backends/qemu-storage-daemon.sh "$dir/s.sock" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$dir/s.sock" ] && break; sleep 0.1; done
[ -S "$dir/s.sock" ] || { echo "bench.sh: qemu-storage-daemon did not listen" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks)
set +e
"${pin[@]}" build/plain/vhost/vconform-vhost replay "$dir/s.sock" "$@" --bench "$secs" --settle-us 300 --idle |
  grep '^vconform-vhost replay:' >"$dir/out"
set -e
t1=$(ticks)
cat "$dir/out"
n=$(sed -n 's/^vconform-vhost replay: \([0-9]*\) scenarios.*/\1/p' "$dir/out" | head -1)
[ -n "$n" ] && [ "$n" -gt 0 ] || { echo "bench.sh: no scenarios ran" >&2; exit 1; }
echo "qemu-storage-daemon: cpu $(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / n )) us per scenario;" \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
