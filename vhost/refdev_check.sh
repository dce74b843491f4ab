#!/usr/bin/env bash
# ctest: the front-end against the tree's own back-end (vconform-vhost-dev
# serving the reference blk model), which offers packed rings: every seed
# of corpus/chain, split and packed, must replay without a finding but
# split-big-queue's (a ring of 1024 entries, which the model does not take
# and does not refuse either: its chains never come back), and the
# differential mode must agree with the same model in process on the
# packed seeds.
# usage: vhost/refdev_check.sh VCONFORM-VHOST VCONFORM-VHOST-DEV CORPUS-DIR
set -euo pipefail
tool=$1 dev=$2 corpus=$3
dir=$(mktemp -d)
pid=
cleanup() {
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$dir"
}
trap cleanup EXIT
"$dev" --socket "$dir/d.sock" --device blk --connections 0 --log "$dir/dev.jsonl" 2>"$dir/dev.err" &
pid=$!
for _ in $(seq 100); do [ -S "$dir/d.sock" ] && break; sleep 0.1; done
[ -S "$dir/d.sock" ] || { echo "vconform-vhost-dev did not listen"; cat "$dir/dev.err"; exit 1; }
set +e
timeout 120 "$tool" replay "$dir/d.sock" "$corpus" >"$dir/all.txt"
timeout 120 "$tool" replay "$dir/d.sock" "$corpus"/packed-* --diff blk >"$dir/diff.txt"
set -e
cat "$dir/all.txt" "$dir/diff.txt"
seen=$(grep -hv '^vconform-vhost replay' "$dir/all.txt" "$dir/diff.txt" | sed -E 's|^[^:]*/([^/:]*): ([^ ]*) .*|\1 \2|' | sort)
if [ "$seen" != "split-big-queue chain-not-returned" ]; then
  echo "unexpected findings against the reference back-end:"; echo "$seen"; exit 1
fi
grep -q '^vconform-vhost replay: 6 scenarios' "$dir/diff.txt" || { echo "packed seeds not all played"; exit 1; }
echo "reference back-end over vhost-user: split and packed seeds as expected"
