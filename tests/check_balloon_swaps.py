#!/usr/bin/env python3
"""After a run whose configurations share VMs with balloons in turn: every
swap happened (probe.balloon_swap info records, none an error) and no
balloon fell back to a VM of its own, so a swap that silently failed cannot
pass. usage: check_balloon_swaps.py RESULTS_DIR MIN_SWAPS"""
import glob
import json
import os
import sys


def main():
    run, want = sys.argv[1], int(sys.argv[2])
    swaps, errors = 0, []
    for f in glob.glob(os.path.join(run, "vm", "*", "probe.jsonl")):
        for line in open(f, encoding="utf-8", errors="replace"):
            if '"probe.balloon_swap"' not in line:
                continue
            rec = json.loads(line)
            if rec.get("verdict") == "info":
                swaps += 1
            else:
                errors.append(f"{os.path.basename(os.path.dirname(f))}: {rec.get('detail')}")
    with open(os.path.join(run, "results.json"), encoding="utf-8") as fh:
        alone = [v["config"] for v in json.load(fh)["vms"]
                 if v["config"].endswith("-balloon") and v["status"] != "refused"]
    problems = errors + [f"balloon in a VM of its own: {a}" for a in alone]
    if swaps < want:
        problems.append(f"{swaps} balloon swaps, expected at least {want}")
    for p in problems:
        print("FAIL:", p)
    print(f"balloon swaps: {swaps}, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
