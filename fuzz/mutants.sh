#!/usr/bin/env bash
# Planted-bug self-test: builds the chain target once per mutant
# (lib/include/vc/mutant.h), fuzzes each from the seed corpus with several
# seeds for a bounded time, and prints time-to-detection per mutant (median
# over the seeds). The clean build must stay clean for the same time.
# usage: fuzz/mutants.sh [seconds per run (60)] [seeds (5)] [mutant numbers...]
# VC_FUZZ_FLAGS adds libFuzzer options (e.g. -use_counters=0).
set -euo pipefail
shopt -s inherit_errexit # a failed build stops the script, not a "detection"
cd "$(dirname "$0")/.."
secs=${1:-60}; nseeds=${2:-5}; shift $(( $# > 2 ? 2 : $# )) || true
mutants=("$@")
if [ ${#mutants[@]} -eq 0 ]; then
  mapfile -t mutants < <(grep -o 'X([0-9]*,' lib/include/vc/mutant.h | grep -o '[0-9]*')
fi
target=${VC_MUTANT_TARGET:-chain}
out=build/mutants; mkdir -p "$out"

build() { # $1 mutant number (0 = clean)
  local dir=$out/build-$1
  CC=clang cmake -S . -B "$dir" -DVC_FUZZ=ON -DVC_SANITIZE=ON -DVC_PROBE=OFF -DVC_MUTANT="$1" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target "fuzz-$target" >/dev/null
  [ -x "$dir/fuzz/fuzz-$target" ] || { echo "mutants.sh: build of mutant $1 failed" >&2; exit 2; }
  echo "$dir/fuzz/fuzz-$target"
}

# prints seconds to the first finding, or "-" if none within $secs
run_one() { # $1 binary, $2 seed, $3 workdir
  rm -rf "$3" && mkdir -p "$3/corpus" && cp -r "corpus/$target/." "$3/corpus/"
  local t0 t1
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086 # VC_FUZZ_FLAGS holds several options
  if "$1" -seed="$2" -max_total_time="$secs" -max_len=4096 -timeout=10 ${VC_FUZZ_FLAGS:-} \
       -artifact_prefix="$3/" "$3/corpus" >"$3/log" 2>&1; then
    echo "-"
  elif grep -q "finding:\|ERROR: AddressSanitizer\|runtime error\|ERROR: libFuzzer" "$3/log"; then
    t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
  else
    echo "error" # the run failed without a finding: see the log
  fi
}

# median with "-" (not found) counted as slower than anything
median() { printf '%s\n' "$@" | sed 's/^-$/inf/; s/^error$/inf/' | sort -g | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; print (m=="inf" ? "not found" : m)}'; }

printf '%-4s %-22s %s\n' "mut" "name" "time to detection per seed (s) -> median"
for m in 0 "${mutants[@]}"; do
  bin=$(build "$m")
  name=$( [ "$m" = 0 ] && echo clean || grep -o "X($m, [A-Z_0-9]*" lib/include/vc/mutant.h | awk '{print $2}')
  times=()
  for s in $(seq 1 "$nseeds"); do times+=("$(run_one "$bin" "$s" "$out/run-$m-$s")"); done
  printf '%-4s %-22s %s -> %s\n' "$m" "$name" "${times[*]}" "$(median "${times[@]}")"
done
