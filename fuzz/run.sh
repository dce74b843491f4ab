#!/usr/bin/env bash
# Fuzzing at scale on one machine: N workers on one target with a shared,
# synced corpus, a time bound, and a summary (executions, coverage,
# findings). Engines: libFuzzer in fork mode (ASan+UBSan build), or AFL++
# (one main and N-1 secondary instances, persistent mode through its
# libFuzzer driver, the structure-aware custom mutator).
# usage: fuzz/run.sh [-e libfuzzer|afl|vhost] [-j N] [-t SECONDS] [-o DIR] [-f FLAGS] [-d MODEL] TARGET
#   -e vhost: black-box fuzzing of a vhost-user back-end process (TARGET:
#       the back-end command, default vhost/backends/qemu-storage-daemon.sh,
#       given the socket path; the default one is its own fork server,
#       vhost/forksrv.c, so a crash costs a fork, not a start:
#       VC_VHOST_FORKSRV=0 turns that off, =1 asks for it with another;
#       restarted after a hang), through libFuzzer, one long-lived process
#       per worker (-j), each with its own back-end; findings kept one
#       reproducer per signature
#   -d MODEL (with -e vhost): differential mode, every scenario also played
#       on the reference device's model (blk, net, rng, ...) and compared
#   TARGET: chain, model_blk, model_net, ... (fuzz/target_<name>.c)
#   -f: more libFuzzer options (default for chain: -use_counters=0, edges
#       without hit counts; -f -use_counters=1 brings them back; for vhost:
#       -entropic_scale_per_exec_time=1, fast inputs mutated more)
# Findings land in DIR (default build/fuzz-run/<engine>-<target>); at the end
# they are grouped by signature (fuzz/summary.py). Signatures listed in
# fuzz/known/<target>.txt are passed over while fuzzing (libFuzzer and AFL++
# alike go on looking for new ones; a vhost back-end other than
# qemu-storage-daemon has fuzz/known/vhost-<back-end>.txt). Shrink one with
# fuzz/minimize.sh FILE, replay it with build/plain/fuzz/replay-<target> FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=libfuzzer jobs=$(nproc) secs=300 out= flags= diff=
while getopts "e:j:t:o:f:d:h" o; do
  case $o in
    e) engine=$OPTARG ;; j) jobs=$OPTARG ;; t) secs=$OPTARG ;; o) out=$OPTARG ;; f) flags=$OPTARG ;;
    d) diff=$OPTARG ;;
    *) sed -n 2,22p "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
case $engine in libfuzzer|afl|vhost) ;; *) echo "fuzz/run.sh: engine is libfuzzer, afl or vhost, not '$engine'" >&2; exit 2 ;; esac
if [ "$engine" = vhost ]; then
  # the target is the back-end command; the fuzz binary is fuzz-vhost
  export VC_VHOST_BACKEND=${1:-$PWD/vhost/backends/qemu-storage-daemon.sh}
  # qemu-storage-daemon forks a child per crash instead of starting again
  # (vhost/forksrv.c; VC_VHOST_FORKSRV=0 turns that off); another back-end
  # only when asked (VC_VHOST_FORKSRV=1): whether its state at its first
  # client may be forked is for its author to say
  if [ -z "${1:-}" ]; then export VC_VHOST_FORKSRV=${VC_VHOST_FORKSRV:-1}; fi
  set -- vhost
  # the differential mode: the scratch disk as big as the blk model's (64 sectors)
  if [ -n "$diff" ]; then export VC_VHOST_DIFF=$diff VC_QSD_SIZE=32K; fi
elif [ -n "$diff" ]; then
  echo "fuzz/run.sh: -d goes with -e vhost" >&2; exit 2
fi
target=${1:-}
# the tree's targets, and backends added with vc_add_backend_target (README)
targets=$( (ls fuzz/target_*.c | sed 's|fuzz/target_||; s|\.c$||'
            grep -ho 'vc_add_backend_target([A-Za-z0-9_]*' fuzz/CMakeLists.txt | sed 's|.*(||'
            [ "$engine" != vhost ] || echo vhost) | sort -u)
if [ -z "$target" ] || ! printf '%s\n' "$targets" | grep -qx "$target"; then
  echo "fuzz/run.sh: unknown target '${target}'; have: $(echo $targets)" >&2
  exit 2
fi
case $jobs$secs in *[!0-9]*) echo "fuzz/run.sh: -j and -t take numbers" >&2; exit 2 ;; esac
[ "$jobs" -ge 1 ] && [ "$secs" -ge 1 ] || { echo "fuzz/run.sh: -j and -t must be positive" >&2; exit 2; }
# The ring layer's loops run once per descriptor: hit-count features keep
# scenarios that repeat one chain hundreds of times (a fuzzed corpus then
# runs at 140k exec/s instead of 320k, for no further edge; the mutator
# grows chains by itself, and every planted bug is found as fast either way).
if [ -z "$flags" ] && [ "$target" = chain ]; then flags=-use_counters=0; fi
# A back-end's time per input varies a hundredfold (qemu-storage-daemon
# completes every request a fuzzed available index makes it see: 17-35 ms
# for some inputs, under 0.2 ms for most); libFuzzer's energy per input
# then follows its time (AFL++ favours fast inputs by itself), unless -f
# sets it: 2-3x the scenarios per second, no fewer edges (README).
if [ "$engine" = vhost ] && [[ $flags != *entropic_scale_per_exec_time* ]]; then
  flags="-entropic_scale_per_exec_time=1 $flags"
fi
out=${out:-build/fuzz-run/$engine-$target}
mkdir -p "$out/corpus"
[ -d "corpus/$target" ] && cp -rn "corpus/$target/." "$out/corpus/"
dict=(); [ -f "fuzz/dict/$target.dict" ] && dict=("fuzz/dict/$target.dict")
known=fuzz/known/$target.txt
# a vhost-user back-end other than qemu-storage-daemon has a file of its own
if [ "$engine" = vhost ]; then
  name=$(basename "${VC_VHOST_BACKEND%% *}"); name=${name%.sh}
  [ "$name" = qemu-storage-daemon ] || known=fuzz/known/vhost-$name.txt
fi
if [ -f "$known" ]; then export VC_FZ_KNOWN=$PWD/$known; fi

case $engine in
libfuzzer)
  CC=clang cmake -S . -B build/fuzz -DVC_FUZZ=ON -DVC_SANITIZE=ON -DVC_PROBE=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/fuzz -j "$(nproc)" --target "fuzz-$target" >/dev/null
  mkdir -p "$out/findings"
  set +e
  # shellcheck disable=SC2086 # $flags holds several options
  build/fuzz/fuzz/fuzz-$target ${dict:+-dict="${dict[0]}"} $flags -fork="$jobs" -ignore_crashes=1 \
    -max_total_time="$secs" -max_len=4096 -timeout=10 -artifact_prefix="$out/findings/" \
    -print_final_stats=1 "$out/corpus" >"$out/log" 2>&1
  set -e
  cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -1 | grep -o '[0-9]*' || true)
  total=$(grep -oE '#[0-9]+' "$out/log" | tail -1 | tr -d '#' || true)
  execs=$(( ${total:-0} / secs ))
  nfind=$(find "$out/findings" -type f | wc -l)
  echo "libFuzzer $target: $jobs workers, ${secs}s, ${total:-?} executions (${execs}/s)," \
       "${cov:-?} edges, corpus $(ls "$out/corpus" | wc -l), findings $nfind in $out/findings"
  ;;
vhost)
  # What is fuzzed is the back-end process: the harness runs without
  # sanitizers (ASan checks every byte of the front-end's memory comparisons:
  # twice the harness's time per scenario, for nothing the plain replay of
  # each finding at the end would not show). Each worker is one long-lived
  # libFuzzer process with its own back-end (no fork mode: its driver,
  # vhost/driver_vhost.c, records findings by signature instead of
  # crashing); the workers share the corpus.
  CC=clang cmake -S . -B build/fuzz-vhost -DVC_FUZZ=ON -DVC_SANITIZE=OFF -DVC_PROBE=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/fuzz-vhost -j "$(nproc)" --target fuzz-vhost >/dev/null
  mkdir -p "$out/findings" "$out/tmp"
  TMPDIR=$(cd "$out/tmp" && pwd); export TMPDIR  # the back-ends' sockets and scratch images
  [ -d "corpus/$target" ] || cp -rn corpus/chain/. "$out/corpus/"
  pids=()
  for i in $(seq 1 "$jobs"); do
    # shellcheck disable=SC2086 # $flags holds several options
    build/fuzz-vhost/vhost/fuzz-vhost ${dict:+-dict="${dict[0]}"} $flags -max_total_time="$secs" -max_len=4096 \
      -timeout=60 -reload=1 -artifact_prefix="$out/findings/" -print_final_stats=1 "$out/corpus" \
      >"$out/log.$i" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || echo "fuzz/run.sh: a worker failed; see $out/log.*" >&2; done
  total=$(cat "$out"/log.* | sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s += $1} END {print s + 0}')
  cov=$(cat "$out"/log.* | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' | sort -n | tail -1 || true)
  nfind=$(find "$out/findings" -type f -name 'finding-*' | wc -l)
  echo "libFuzzer vhost: $jobs workers, ${secs}s, $total executions ($((total / secs))/s)," \
       "${cov:-?} edges, corpus $(ls "$out/corpus" | wc -l), $nfind finding signatures in $out/findings"
  grep -h 'cpu per scenario' "$out"/log.* | sed 's/^vconform vhost: /  /' || true
  ;;
afl)
  command -v afl-fuzz >/dev/null || { echo "fuzz/run.sh: afl-fuzz missing (scripts/deps.sh fuzz)" >&2; exit 2; }
  CC=afl-clang-fast cmake -S . -B build/afl -DVC_FUZZ=ON -DVC_PROBE=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  AFL_QUIET=1 cmake --build build/afl -j "$(nproc)" --target "fuzz-$target" >/dev/null
  cmake -S . -B build/plain >/dev/null
  cmake --build build/plain -j "$(nproc)" --target vc_afl_mutator >/dev/null
  # the scenario mutator knows chains; control-plane sequences (ctl) get AFL++'s own
  if [ "$target" != ctl ]; then export AFL_CUSTOM_MUTATOR_LIBRARY=$PWD/build/plain/fuzz/libvc_afl_mutator.so; fi
  export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
  bin=$PWD/build/afl/fuzz/fuzz-$target
  pids=()
  for i in $(seq 1 "$jobs"); do
    role=-S; name=s$i; [ "$i" -eq 1 ] && role=-M && name=main
    afl-fuzz -i "$out/corpus" -o "$out/sync" $role $name -V "$secs" ${dict:+-x "${dict[0]}"} \
      -- "$bin" >"$out/$name.log" 2>&1 &
    pids+=($!)
  done
  rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  execs=0 nfind=0 cov=
  for st in "$out"/sync/*/fuzzer_stats; do
    [ -f "$st" ] || continue
    execs=$((execs + $(awk -F: '/^execs_done/ {print $2+0}' "$st")))
    nfind=$((nfind + $(awk -F: '/^saved_crashes/ {print $2+0}' "$st")))
    cov=$(awk -F: '/^bitmap_cvg/ {gsub(/ /, "", $2); print $2}' "$st")
  done
  echo "AFL++ $target: $jobs instances, ${secs}s, $execs executions ($((execs / secs))/s)," \
       "bitmap ${cov:-?}, findings $nfind in $out/sync/*/crashes"
  [ "$rc" -eq 0 ] || echo "fuzz/run.sh: an afl-fuzz instance failed; see $out/*.log" >&2
  ;;
esac

if [ "$engine" = vhost ]; then
  # what each worker saw while fuzzing (inputs per signature), then each
  # reproducer against a fresh back-end (one may crash it), grouped by kind,
  # requirement and tier; at most 20
  grep -h -E '^vconform vhost: +[0-9]+  ' "$out"/log.* | sed 's/^vconform vhost: /  while fuzzing: /' || true
  cmake -S . -B build/plain >/dev/null
  cmake --build build/plain -j "$(nproc)" --target vconform-vhost >/dev/null
  for f in $(ls -S -r "$out/findings" | grep -v '\.tmp$' | head -20); do
    d=$(mktemp -d -p "$TMPDIR")
    $VC_VHOST_BACKEND "$d/s.sock" >/dev/null 2>&1 & bpid=$!
    for _ in $(seq 100); do [ -S "$d/s.sock" ] && break; sleep 0.1; done
    timeout 60 build/plain/vhost/vconform-vhost replay "$d/s.sock" "$out/findings/$f" ${diff:+--diff "$diff"} |
      grep -v '^vconform-vhost replay' || true
    kill -9 $bpid 2>/dev/null || true; wait $bpid 2>/dev/null || true; rm -rf "$d"
  done | sed -E 's/^[^:]*: ([^:]*): .*/\1/' | sort | uniq -c | sort -rn
  echo "replay one: build/plain/vhost/vconform-vhost replay SOCKET FILE (a back-end serving SOCKET);" \
       "shrink one: fuzz/minimize.sh FILE"
  exit 0
fi

# one line per finding signature, known ones marked (replayed in a plain
# build: clang's when the target is a pointer-style backend gcc cannot trace)
replay_build=build/plain
cmake -S . -B build/plain >/dev/null
if ! cmake --build build/plain -j "$(nproc)" --target "replay-$target" >/dev/null 2>&1; then
  replay_build=build/clang
  CC=clang cmake -S . -B build/clang -DVC_PROBE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build/clang -j "$(nproc)" --target "replay-$target" >/dev/null
fi
found=("$out/findings" "$out"/sync/*/crashes)
existing=(); for d in "${found[@]}"; do [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && existing+=("$d"); done
if [ ${#existing[@]} -gt 0 ]; then python3 fuzz/summary.py -b "$replay_build" "$target" "${existing[@]}" || true; fi
