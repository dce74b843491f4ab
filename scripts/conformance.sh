#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what it needs,
# builds the guest probe, and runs the conformance matrix against the local
# QEMU. Results land in results/<run>/ (report.html, results.json, junit.xml).
# Extra arguments go to the runner (see harness/vconform-run --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh matrix
cmake -S . -B build/plain -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/plain -j "$(nproc)"
exec python3 harness/vconform-run --build build/plain "$@"
