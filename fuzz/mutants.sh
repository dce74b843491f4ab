#!/usr/bin/env bash
# Planted-bug self-test: builds the chain target once per mutant
# (lib/include/vc/mutant.h), fuzzes each from the seed corpus with several
# seeds for a bounded time, and prints time-to-detection per mutant (median
# over the seeds). The clean build must stay clean for the same time.
# usage: fuzz/mutants.sh [seconds per run (60)] [seeds (5)] [mutant numbers...]
# VC_MUTANT_TARGET: the fuzz target (default chain); without mutant numbers
# it runs the mutants of that target (ctl: the control-plane ones, 17-21).
# VC_FUZZ_FLAGS adds libFuzzer options (e.g. -use_counters=0).
# VC_MUTANT_SEEDS: the inputs to start from (files or directories; default
# corpus/<target>). Some committed seeds trip a mutant by themselves (column
# "seeds": yes); starting from the two one-descriptor seeds
#   VC_MUTANT_SEEDS="corpus/chain/split-1desc corpus/chain/packed-1desc"
# measures what the mutator finds on its own.
set -euo pipefail
shopt -s inherit_errexit # a failed build stops the script, not a "detection"
cd "$(dirname "$0")/.."
secs=${1:-60}; nseeds=${2:-5}; shift $(( $# > 2 ? 2 : $# )) || true
mutants=("$@")
target=${VC_MUTANT_TARGET:-chain}
# Each planted bug belongs to the target that can see it: the control-plane
# ones (in the PCI front) to ctl, the others to the ring targets.
ctl_mutants=" 17 18 19 20 21 "
if [ ${#mutants[@]} -eq 0 ]; then
  mapfile -t all < <(grep -o 'X([0-9]*,' lib/include/vc/mutant.h | grep -o '[0-9]*')
  for m in "${all[@]}"; do
    if [[ "$ctl_mutants" == *" $m "* ]]; then mine=ctl; else mine=other; fi
    if [ "$mine" = ctl ] && [ "$target" = ctl ]; then mutants+=("$m"); fi
    if [ "$mine" = other ] && [ "$target" != ctl ]; then mutants+=("$m"); fi
  done
fi
read -r -a seeds <<<"${VC_MUTANT_SEEDS:-corpus/$target}"
for f in "${seeds[@]}"; do
  [ -e "$f" ] || { echo "mutants.sh: no such seed input: $f" >&2; exit 2; }
done
out=build/mutants; mkdir -p "$out"
# findings already listed as known are not the planted bug (as in fuzz/run.sh)
if [ -f "fuzz/known/$target.txt" ]; then export VC_FZ_KNOWN=$PWD/fuzz/known/$target.txt; fi

build() { # $1 mutant number (0 = clean)
  local dir=$out/build-$1
  CC=clang cmake -S . -B "$dir" -DVC_FUZZ=ON -DVC_SANITIZE=ON -DVC_PROBE=OFF -DVC_MUTANT="$1" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target "fuzz-$target" >/dev/null
  [ -x "$dir/fuzz/fuzz-$target" ] || { echo "mutants.sh: build of mutant $1 failed" >&2; exit 2; }
  echo "$dir/fuzz/fuzz-$target"
}

start_corpus() { # $1 workdir: $1/corpus holds the seed inputs
  rm -rf "$1" && mkdir -p "$1/corpus"
  local f
  for f in "${seeds[@]}"; do
    if [ -d "$f" ]; then cp -r "$f/." "$1/corpus/"; else cp "$f" "$1/corpus/"; fi
  done
}

# "yes" when running the seed inputs alone (no mutation) trips the mutant
seeds_trip() { # $1 binary
  start_corpus "$out/seeds-only"
  if "$1" -runs=0 -artifact_prefix="$out/seeds-only/" "$out/seeds-only/corpus" \
       >"$out/seeds-only/log" 2>&1; then echo no; else echo yes; fi
}

# prints seconds to the first finding, or "-" if none within $secs; the
# executions it took go to $3/execs
run_one() { # $1 binary, $2 seed, $3 workdir
  start_corpus "$3"
  local t0 t1
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086 # VC_FUZZ_FLAGS holds several options
  local rc=0
  "$1" -seed="$2" -max_total_time="$secs" -max_len=4096 -timeout=10 ${VC_FUZZ_FLAGS:-} \
    -print_final_stats=1 -artifact_prefix="$3/" "$3/corpus" >"$3/log" 2>&1 || rc=$?
  awk '/^stat::number_of_executed_units/ {n = $2} END {print (n == "" ? "-" : n)}' "$3/log" >"$3/execs"
  if [ "$rc" -eq 0 ]; then
    echo "-"
  elif grep -q "finding:\|ERROR: AddressSanitizer\|runtime error\|ERROR: libFuzzer" "$3/log"; then
    t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
  else
    echo "error" # the run failed without a finding: see the log
  fi
}

# median with "-" (not found) counted as slower than anything
median() { printf '%s\n' "$@" | sed 's/^-$/inf/; s/^error$/inf/' | sort -g | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; print (m=="inf" ? "not found" : m)}'; }

printf '%-4s %-22s %-5s %s\n' "mut" "name" "seeds" "time to detection per seed (s) -> median, median executions"
for m in 0 "${mutants[@]}"; do
  bin=$(build "$m")
  name=$( [ "$m" = 0 ] && echo clean || grep -o "X($m, [A-Z_0-9]*" lib/include/vc/mutant.h | awk '{print $2}')
  times=()
  execs=()
  for s in $(seq 1 "$nseeds"); do
    times+=("$(run_one "$bin" "$s" "$out/run-$m-$s")")
    execs+=("$(cat "$out/run-$m-$s/execs")")
  done
  printf '%-4s %-22s %-5s %s -> %s, %s\n' "$m" "$name" "$(seeds_trip "$bin")" "${times[*]}" \
    "$(median "${times[@]}")" "$(median "${execs[@]:--}")"
done
