#!/usr/bin/env python3
"""The probe's scenario replay (--scenarios) against the in-process
reference device: the curated hostile suite conforms on every device type
in all three modes, strictly (every forbidden chain refused with
NEEDS_RESET), the verdict oracle reads each scenario as its '#@ oracle='
line says, a host fuzz corpus in the binary form replays, and each planted
fault of the simulated device is caught in the guest path with the
requirement it breaks.

usage: check_probe_replay.py PATH/TO/vconform-probe SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys

TYPES = ["rng", "blk", "net", "console", "balloon", "scsi"]
ALL_MODES = ",".join(f"{t}:{m}" for t in TYPES for m in ("modern", "transitional", "legacy")) + ",input:modern"
# fault -> (device spec, check id that must fail, requirement it names or None)
FAULTS = {
    "descwrite": ("rng:modern:descwrite,blk:legacy:descwrite", "replay.wrote_descriptors", "dev.vq_desc.2"),
    "usedlen": ("rng:transitional:usedlen", "replay.used_len", "dev.vq_used.2"),
    "silentreset": ("balloon:modern:silentreset", "replay.needs_reset_silent", "dev.status.3"),
    "wedge": ("scsi:modern:wedge", "replay.wedged", None),  # the probe stops there
}


def run(probe, spec, scenarios, *extra):
    p = subprocess.run([probe, "--sim", spec, "--scenarios", scenarios, "--json", "-", "--quiet",
                        "--timeout-ms", "200", "--replay-quiet-ms", "1", *extra], capture_output=True, text=True, timeout=300)
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, [r for r in recs if r["type"] == "check" and "scenario" in r], recs


def main():
    probe, src = sys.argv[1], sys.argv[2]
    hostile = os.path.join(src, "corpus", "hostile")
    problems = []

    rc, checks, recs = run(probe, ALL_MODES, hostile, "--replay-strict")
    bad = [(c["scenario"], c["id"], c["detail"][:120]) for c in checks if c["verdict"] in ("fail", "error")]
    if rc != 0 or bad:
        problems.append(f"hostile suite, strict, clean device: exit {rc}, failures {bad[:4]}")
    names = sorted(f for f in os.listdir(hostile) if not f.startswith((".", "README")))
    devices = [r for r in recs if r["type"] == "device"]
    if len(checks) != len(names) * len(devices):
        problems.append(f"{len(checks)} scenario records for {len(names)} scenarios on {len(devices)} devices")
    notes = [r for r in recs if r["type"] == "note" and r.get("event") == "begin"]
    if len(notes) != len(checks):
        problems.append(f"{len(notes)} begin notes for {len(checks)} scenario records")
    # what the oracle read must be what the file says; every split scenario
    # that can be placed replays through the legacy interface too
    want = {}
    for f in names:
        m = re.search(r"#@ oracle=(\S+)", open(os.path.join(hostile, f)).read())
        want[f] = m.group(1) if m else None
    for c in checks:
        if c["verdict"] == "pass":
            m = re.search(r"oracle: (\S+)", c["detail"])
            got = m.group(1) if m else "VC_OK"
            if got != want[c["scenario"]]:
                problems.append(f"{c['scenario']}: the oracle read {got}, the file says {want[c['scenario']]}")
                break
    legacy_skips = [c["detail"] for c in checks if c["driver"] == "legacy" and c["verdict"] == "skip"
                    and not re.search(r"packed ring|IN_ORDER|big region", c["detail"])]
    if legacy_skips:
        problems.append(f"legacy skips beyond packed, IN_ORDER and the big region: {legacy_skips[:3]}")
    passed = sum(c["outcome"] == "conforms" for c in checks)
    if passed < 900:
        problems.append(f"only {passed} conforming replays")

    # a host fuzz corpus, binary form, replays on the clean device
    rc, checks, _ = run(probe, "rng:modern,blk:legacy", os.path.join(src, "corpus", "chain"))
    bad = [(c["scenario"], c["id"]) for c in checks if c["verdict"] in ("fail", "error")]
    if rc != 0 or bad or not any(c["outcome"] == "conforms" for c in checks):
        problems.append(f"corpus/chain: exit {rc}, failures {bad[:4]}")

    for fault, (spec, cid, req) in FAULTS.items():
        rc, checks, _ = run(probe, spec, hostile)
        hits = [c for c in checks if c["id"] == cid and c["verdict"] == "fail"]
        if rc != 1 or not hits:
            problems.append(f"fault {fault}: exit {rc}, no failing {cid}")
        elif req and req not in hits[0]["reqs"]:
            problems.append(f"fault {fault}: {cid} names {hits[0]['reqs']}, not {req}")
        elif any(not c.get("scenario") for c in hits):
            problems.append(f"fault {fault}: a finding names no scenario")

    # bad input: exit 2 with a message
    for args in (["--scenarios", "/nonexistent"], ["--scenarios", hostile, "--list"],
                 ["--scenarios", hostile, "--scenario-skip", "x"]):
        p = subprocess.run([probe, "--sim", "rng:modern", *args], capture_output=True, text=True, timeout=30)
        if p.returncode != 2 or not p.stderr:
            problems.append(f"{args}: exit {p.returncode}, expected 2 with a message")
    # --scenario-skip/--scenario-count select by position in the sorted list
    _, checks, _ = run(probe, "rng:modern", hostile, "--scenario-skip", "3", "--scenario-count", "2")
    if [c["scenario"] for c in checks] != names[3:5]:
        problems.append(f"skip 3 count 2 replayed {[c['scenario'] for c in checks]}, not {names[3:5]}")
    for p in problems:
        print("FAIL:", p)
    print(f"probe replay checks: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
