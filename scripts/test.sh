#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs, builds the plain (gcc) and sanitizer (ASan+UBSan) variants and runs
# ctest on both, then the clang fuzz build with a short bounded fuzz run.
# usage: scripts/test.sh [--quick]   (--quick: plain build only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/deps.sh test fuzz libvirt dpdk # dpdk: vhost/smoke.sh fuzzes a DPDK net_vhost port too
jobs=$(nproc)

step() { printf '\n=== %s\n' "$*"; }

step "plain build (gcc)"
cmake -S . -B build/plain -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/plain -j "$jobs"
step "tests (gcc)"
ctest --test-dir build/plain --output-on-failure -j "$jobs"

[ "$quick" -eq 1 ] && exit 0

step "sanitizer build (ASan+UBSan)"
cmake -S . -B build/asan -DVC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/asan -j "$jobs"
step "tests (ASan+UBSan)"
ctest --test-dir build/asan --output-on-failure -j "$jobs"

step "QEMU integration: the three seed configurations, seven device types"
# i440fx-2.6 (legacy), i440fx-2.7 (transitional), q35 behind a root port (modern-only)
python3 harness/vconform-run --build build/plain --quiet --retries 1 \
  --config i440fx-2.6 --config i440fx-2.7 --config q35-port --results "build/results,seed"

step "balloons in turn: three pc configurations in one VM, two balloons swapped in through QMP"
python3 harness/vconform-run --build build/plain --quiet --retries 1 \
  --config pc --config pc-modern-off --config pc-legacy-off --results build/results-swaps
python3 tests/check_balloon_swaps.py build/results-swaps/latest 2

step "a configurations file: bridges, a multifunction slot, devices without backends (qboot, SeaBIOS)"
for fw in qboot seabios; do
  python3 harness/vconform-run --build build/plain --quiet --firmware "$fw" \
    --configs harness/configs/examples/bridges.cfg --config '*bridge*' --config '*multifunction' \
    --config '*-input' --config '*-backends' --config '*-nopeer' --results build/results-configs
done

step "libvirt: a domain XML through a private libvirtd (modes by placement, Ctrl-C, --compare), nothing left behind"
python3 tests/libvirt/run_libvirt_e2e.py build/plain build/results-libvirt

step "drivers through vhost-user: the guest kernel's in legacy and modern-only mode, the probe's, a planted fault"
python3 harness/vconform-run --build build/plain --quiet --retries 1 --configs harness/configs/vhost.cfg \
  --config i440fx-2.6+vhost --config q35-port+vhost --config i440fx-2.7+vhost-probe --results build/results-vhost
# the planted driver fault must be caught and named (the cells violate on purpose)
python3 harness/vconform-run --build build/plain --quiet --configs harness/configs/examples/vhost-planted.cfg \
  --config 'planted*' --results build/results-vhost >/dev/null && { echo "planted fault not caught"; exit 1; }
grep -q '"vhost.rule.drv.vq_avail.1"' build/results-vhost/latest/results.json || { echo "planted fault not named"; exit 1; }

step "hostile guest: a forged /init writing malformed records into the results channel"
python3 tests/hostile/run_hostile_init.py build/plain build/results-hostile

step "a pointer-style backend fuzzed as it is: ptr_ring and its vc_gmem twin see the same (clang)"
CC=clang cmake -S . -B build/clang -DVC_PROBE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/clang -j "$jobs" --target replay-ptr_ring replay-ptr_ring_gmem >/dev/null
python3 tests/fuzz/check_ptr_twin.py build/clang corpus/chain corpus/regressions/chain

if [ -x fuzz/smoke.sh ]; then
  step "fuzz smoke (clang, libFuzzer)"
  fuzz/smoke.sh
fi
