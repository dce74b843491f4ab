#!/usr/bin/env python3
"""Boots a hostile /init (hostile_init.c) in a real QEMU VM through
vconform-run and checks that no cell passes, every report is written and
parses, and nothing the guest sent reaches the terminal raw.
usage: run_hostile_init.py BUILD_DIR RESULTS_DIR"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def main(build, results):
    init = os.path.abspath(os.path.join(build, "tests", "hostile_init"))
    if not os.access(init, os.X_OK):
        print(f"run_hostile_init: {init} is not built", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="vc-hostile-init-") as fake_build:
        os.makedirs(os.path.join(fake_build, "guest-probe"))
        os.symlink(init, os.path.join(fake_build, "guest-probe", "vconform-probe"))
        p = subprocess.run([sys.executable, os.path.join(ROOT, "harness", "vconform-run"), "--build", fake_build,
                            "--config", "i440fx-2.6", "--device", "rng", "--results", results, "--quiet"],
                           capture_output=True, timeout=300)
    problems = []
    if b"Traceback" in p.stderr:
        problems.append("the runner raised: " + p.stderr.decode(errors="replace")[-800:])
    if b"\x1b" in p.stdout or b"\x1b" in p.stderr:
        problems.append("an escape sequence from the guest reached the terminal")
    if p.returncode != 1:
        problems.append(f"exit status {p.returncode}, want 1 (unexpected results): "
                        + p.stderr.decode(errors="replace")[-300:])
    run = os.path.join(results, "latest")
    try:
        with open(os.path.join(run, "results.json"), encoding="utf-8") as fh:
            doc = json.loads(fh.read(), parse_constant=lambda c: problems.append(f"{c} in results.json"))
        ET.parse(os.path.join(run, "junit.xml"))
        for c in doc["cells"]:
            if c["verdict"] in ("conforms", "known-violation"):
                problems.append(f"{c['cell']} {c['verdict']} on forged records")
            print(f"{c['cell']}: {c['verdict']}: {c['reason'][:200]}")
    except (OSError, ValueError, ET.ParseError, KeyError) as e:
        problems.append(f"reports: {e}")
    for line in problems:
        print(f"run_hostile_init: FAIL: {line}", file=sys.stderr)
    print(f"hostile /init: {0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
