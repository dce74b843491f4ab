#!/usr/bin/env python3
"""The pointer route sees what the vc_gmem route sees: replays inputs on
ptr_ring built in the pointer style (clang's load/store tracing) and on its
vc_gmem twin, clean and with each planted bug ($PR_MUTANT), and requires the
same findings input by input, and every planted bug found.
usage: check_ptr_twin.py BUILD_DIR INPUT_DIR..."""
import os
import re
import subprocess
import sys

MUTANTS = {0: "none", 1: "reads a descriptor not yet available",
           2: "stores into a device-readable buffer", 3: "the same through memcpy"}


def findings(binary, inputs, mutant):
    env = dict(os.environ, PR_MUTANT=str(mutant))
    out = subprocess.run([binary, *inputs], capture_output=True, text=True, env=env, timeout=300).stdout
    per_input, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^FINDING (\S+) \(\w+\):$", line)
        if m:
            cur = m.group(1)
            per_input[cur] = []
        elif cur and re.match(r"^[a-z-]+ \[", line):
            per_input[cur].append(line)
    return per_input


def main(build, inputs):
    ptr = os.path.join(build, "fuzz", "replay-ptr_ring")
    twin = os.path.join(build, "fuzz", "replay-ptr_ring_gmem")
    for b in (ptr, twin):
        if not os.access(b, os.X_OK):
            print(f"check_ptr_twin: {b} is not built (a clang build)", file=sys.stderr)
            return 2
    bad = ok = 0
    for m, what in MUTANTS.items():
        a, b = findings(ptr, inputs, m), findings(twin, inputs, m)
        same = a == b
        caught = bool(a) if m else not a
        print(f"mutant {m} ({what}): pointer route {len(a)} inputs with findings, vc_gmem twin {len(b)}; "
              f"{'same findings' if same else 'DIFFERENT findings'}"
              f"{'' if caught else (' - NOT CAUGHT' if m else ' - findings on a clean backend')}")
        if not same:
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    print(f"  {k}: pointer {a.get(k)} / twin {b.get(k)}")
        ok += same and caught
        bad += not (same and caught)
    print(f"ptr twin: {ok} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
