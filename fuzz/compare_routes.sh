#!/usr/bin/env bash
# The in-process pointer route against the vc_gmem route on the same
# backend, in one run: fuzz/examples/ptr_ring built in the pointer style
# (clang's load/store tracing, fuzz-ptr_ring) and as its vc_gmem twin
# (fuzz-ptr_ring_gmem) are fuzzed for the same time from the same seeds
# (corpus/chain), one libFuzzer worker each, on a core each when there are
# two (else one after the other); then executions per second, edges and
# findings grouped by signature, side by side.
# usage: fuzz/compare_routes.sh [-t SECONDS] [-m MUTANT] [-o DIR]
#   -m: a planted bug in ptr_ring ($PR_MUTANT: 1 reads a descriptor not yet
#       available, 2 stores into a device-readable buffer, 3 the same
#       through memcpy); both routes must find it
set -euo pipefail
cd "$(dirname "$0")/.."
secs=20 mutant=0 out=build/fuzz-run/routes
while getopts "t:m:o:h" o; do
  case $o in
    t) secs=$OPTARG ;; m) mutant=$OPTARG ;; o) out=$OPTARG ;;
    *) sed -n 2,12p "$0"; exit 2 ;;
  esac
done
case $secs$mutant in *[!0-9]*) echo "compare_routes.sh: -t and -m take numbers" >&2; exit 2 ;; esac
CC=clang cmake -S . -B build/fuzz -DVC_FUZZ=ON -DVC_SANITIZE=ON -DVC_PROBE=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz -j "$(nproc)" --target fuzz-ptr_ring fuzz-ptr_ring_gmem >/dev/null
CC=clang cmake -S . -B build/clang -DVC_PROBE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/clang -j "$(nproc)" --target replay-ptr_ring replay-ptr_ring_gmem >/dev/null
export PR_MUTANT=$mutant
rm -rf "$out"

# one route: a worker as fuzz/run.sh starts it, pinned to core $2
route() {
  local target=$1 core=$2 dir=$out/$1
  mkdir -p "$dir/corpus" "$dir/findings"
  cp -r corpus/chain/. "$dir/corpus/"
  [ -f "fuzz/known/$target.txt" ] && export VC_FZ_KNOWN=$PWD/fuzz/known/$target.txt
  taskset -c "$core" "build/fuzz/fuzz/fuzz-$target" -use_counters=0 -fork=1 -ignore_crashes=1 \
    -max_total_time="$secs" -max_len=4096 -timeout=10 -artifact_prefix="$dir/findings/" \
    -print_final_stats=1 "$dir/corpus" >"$dir/log" 2>&1 || true
}
if [ "$(nproc)" -ge 2 ]; then
  route ptr_ring 0 & a=$!
  route ptr_ring_gmem 1 & b=$!
  wait $a $b
else
  route ptr_ring 0
  route ptr_ring_gmem 0
fi

printf '%-16s %10s %10s %7s %9s\n' route executions "exec/s" edges findings
for t in ptr_ring ptr_ring_gmem; do
  log=$out/$t/log
  total=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  printf '%-16s %10s %10s %7s %9s\n' "$([ $t = ptr_ring ] && echo pointer || echo vc_gmem)" \
    "${total:-?}" "$(( ${total:-0} / secs ))" "${cov:-?}" "$(ls "$out/$t/findings" | wc -l)"
done
for t in ptr_ring ptr_ring_gmem; do
  echo "--- findings of the $([ $t = ptr_ring ] && echo pointer || echo vc_gmem) route, by signature:"
  if [ -n "$(ls -A "$out/$t/findings")" ]; then
    python3 fuzz/summary.py -b build/clang "$t" "$out/$t/findings" || true
  else
    echo "(none)"
  fi
done
