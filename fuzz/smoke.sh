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
exit $status
