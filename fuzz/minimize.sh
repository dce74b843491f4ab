#!/usr/bin/env bash
# Shrinks a reproducer while it keeps the same finding, and prints it as text.
# usage: fuzz/minimize.sh FILE [-t TARGET] [-o OUT]   (fuzz/minimize.py --help)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build/plain >/dev/null
cmake --build build/plain -j "$(nproc)" --target vconform-scn >/dev/null
cmake --build build/plain -j "$(nproc)" --target vconform-vhost >/dev/null  # -t vhost
for t in fuzz/target_*.c; do t=${t#fuzz/target_}; cmake --build build/plain -j "$(nproc)" --target "replay-${t%.c}" >/dev/null; done
exec python3 fuzz/minimize.py "$@"
