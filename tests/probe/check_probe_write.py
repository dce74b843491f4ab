#!/usr/bin/env python3
"""Results that cannot be written are never a passing run: the probe exits
non-zero and says so on stderr (here: --json /dev/full, every write fails).

usage: check_probe_write.py PATH/TO/vconform-probe
"""
import subprocess
import sys


def main():
    probe = sys.argv[1]
    p = subprocess.run([probe, "--sim", "rng:modern", "--json", "/dev/full", "--quiet"],
                       capture_output=True, text=True, timeout=60)
    problems = []
    if p.returncode == 0:
        problems.append("exit 0 although no result could be written")
    if "/dev/full" not in p.stderr:
        problems.append(f"no message naming /dev/full on stderr: {p.stderr.strip()!r}")
    for m in problems:
        print("FAIL:", m)
    print(f"probe write checks: {len(problems)} problem(s) (exit {p.returncode}, stderr {p.stderr.strip()!r})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
