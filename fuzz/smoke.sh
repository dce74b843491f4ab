#!/usr/bin/env bash
# CI smoke: builds every fuzz target with clang (libFuzzer + ASan/UBSan) and
# fuzzes each for a short bounded time from the committed corpus. A finding
# fails the run and leaves the reproducer in build/fuzz-smoke/<target>/.
# usage: fuzz/smoke.sh [seconds per target]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
CC=clang cmake -S . -B build/fuzz -DVC_FUZZ=ON -DVC_SANITIZE=ON -DVC_PROBE=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz -j "$(nproc)" >/dev/null
status=0
# vhostdev/'s and vhost/'s message decoders keep their seeds beside them;
# fuzz-vhost drives a back-end process (vhost/smoke.sh, fuzz/run.sh -e vhost)
for bin in build/fuzz/fuzz/fuzz-* build/fuzz/vhostdev/fuzz-* build/fuzz/vhost/fuzz-vu_msg; do
  t=${bin##*/fuzz-}
  work=build/fuzz-smoke/$t
  rm -rf "$work" && mkdir -p "$work/corpus"
  seeds=corpus/$t; [ -d "$seeds" ] || seeds=vhostdev/corpus/$t
  [ -d "$seeds" ] || seeds=vhost/corpus/$t
  [ -d "$seeds" ] || seeds=corpus/chain  # backends added with vc_add_backend_target
  cp -r "$seeds/." "$work/corpus/"
  dict=(); [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  # findings already listed as known are passed over, as in fuzz/run.sh
  if [ -f "fuzz/known/$t.txt" ]; then export VC_FZ_KNOWN=$PWD/fuzz/known/$t.txt; else unset VC_FZ_KNOWN; fi
  if "$bin" "${dict[@]}" -max_total_time="$secs" -max_len=4096 -timeout=10 \
       -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" >"$work/log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || true)
    echo "fuzz smoke $t: clean, ${execs:-?} executions in ${secs}s"
  else
    echo "fuzz smoke $t: FINDING (see $work/log)"; tail -20 "$work/log"; status=1
  fi
done
# fuzz-vhost's fork server against qemu-storage-daemon: the known
# straddling-table overflow six times, then a clean seed. The overflow's
# crash depends on the memory layout (a child may survive it), so: one
# daemon start, at least three crash findings with their signal, a fork
# for each death, no hang and no lost daemon. A small environment of its
# own: the overflow writes some 175 KiB above its stack buffer, past the
# stack's top only when the environment strings kept there are short (a
# caller's environment of 180 KB put it inside them, and every child
# survived it)
if command -v qemu-storage-daemon >/dev/null; then
  work=build/fuzz-smoke/vhost-forksrv
  rm -rf "$work" && mkdir -p "$work/tmp"
  crash=vhost/corpus/qsd/split-indirect-straddles-regions
  env -i PATH="$PATH" HOME="${HOME:-/}" TMPDIR="$PWD/$work/tmp" VC_VHOST_FORKSRV=1 \
    build/fuzz/vhost/fuzz-vhost -artifact_prefix="$work/" \
    "$crash" "$crash" "$crash" "$crash" "$crash" "$crash" corpus/chain/split-4desc >"$work/log" 2>&1 || true
  crashes=$(sed -n 's/^vconform vhost: *\([0-9]*\)  backend-crash \[-\] signal-.*/\1/p' "$work/log" |
            awk '{s += $1} END {print s + 0}')
  forks=$(sed -n 's/.* 1 back-end starts, \([0-9]*\) forks.*/\1/p' "$work/log")
  if [ "$crashes" -ge 3 ] && [ "${forks:-0}" -ge "$crashes" ] &&
     ! grep -qE '^vconform vhost: +[0-9]+  (hang|backend-unreachable) ' "$work/log"; then
    echo "fuzz smoke vhost fork server: $crashes crashes found, 1 daemon start, $forks forks"
  else
    echo "fuzz smoke vhost fork server: FAILED (see $work/log)"; grep '^vconform' "$work/log"; status=1
  fi
fi
exit $status
