#!/usr/bin/env python3
"""Control-plane sequences (vconform-probe --control) against the in-process
reference device: every sequence of corpus/control conforms on every device
type in all three modes (or is skipped for a reason the suite accepts),
at least 40 are judged per mode on each type, the binary form plays like
the text form, random binary sequences each get a verdict without a crash,
and each planted fault changes the verdicts it must, naming
the requirement it breaks, and no others.

usage: check_probe_ctl.py PATH/TO/vconform-probe PATH/TO/vconform-ctl SOURCE_DIR
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

TYPES = ["rng", "blk", "net", "console", "balloon", "scsi"]
MODES = ("legacy", "transitional", "modern")
MIN_PER_MODE = 40
RANDOM_SEQS = 40
# reasons a clean reference device may give for not playing a sequence
OK_SKIPS = ("is not for", "no MSI-X capability", "does not offer feature bit",
            "has no device-specific configuration")
# fault -> (devices, {sequence: requirement its failure names (None: wedged)})
FAULTS = {
    "qselpast": ("blk:modern:qselpast,net:transitional:qselpast,rng:legacy:qselpast",
                 {"queue-select-past-end.m.ctl": "dev.pci_common.14",
                  "queue-select-past-end-enable.m.ctl": "dev.pci_common.14"}),
    "isrsticky": ("rng:transitional:isrsticky",
                  {"isr-read-clears.m.ctl": "dev.pci_isr.5", "isr-read-clears.l.ctl": "dev.pci_isr.5",
                   "legacy-isr-odd.l.ctl": "dev.pci_isr.5"}),
    "badwindow": ("blk:modern:badwindow",
                  {"window-read-matches.m.ctl": "dev.pci_cfg_access.3", "window-odd-offsets.m.ctl":
                   "dev.pci_cfg_access.3", "window-bad-bar.m.ctl": "dev.pci_cfg_access.3",
                   "window-device-config.m.ctl": "dev.pci_cfg_access.3"}),  # its writes pass: a write through the window is not changed
}


def run(probe, spec, path):
    p = subprocess.run([probe, "--sim", spec, "--control", path, "--json", "-", "--quiet", "--timeout-ms", "300"],
                       capture_output=True, text=True, timeout=300)
    recs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, [r for r in recs if r["type"] == "check" and "scenario" in r], recs


def outcomes(checks):
    """{(addr, sequence): (outcome, reqs of its failing checks)}"""
    out = {}
    for c in checks:
        key = (c["addr"], c["scenario"])
        o, reqs = out.get(key, ("conforms", set()))
        if c["verdict"] == "fail":
            o = c.get("outcome", o)
            reqs |= set(c.get("reqs", []))
        elif c["verdict"] == "skip":
            o = "skipped"
        out[key] = (o, reqs)
    return out


def main():
    probe, tool, src = sys.argv[1], sys.argv[2], sys.argv[3]
    suite = os.path.join(src, "corpus", "control")
    names = sorted(f for f in os.listdir(suite) if f.endswith(".ctl"))
    problems = []
    clean = {}
    for mode in MODES:
        spec = ",".join(f"{t}:{mode}" for t in TYPES) + (",input:modern" if mode == "modern" else "")
        rc, checks, recs = run(probe, spec, suite)
        devices = [r for r in recs if r["type"] == "device"]
        if len(checks) != len(names) * len(devices):
            problems.append(f"{mode}: {len(checks)} records for {len(names)} sequences on {len(devices)} devices")
        bad = [(c["addr"], c["scenario"], c["id"], c["detail"][:140]) for c in checks
               if c["verdict"] in ("fail", "error") or (c["verdict"] == "skip" and
                                                        not any(s in c["detail"] for s in OK_SKIPS))]
        if rc != 0 or bad:
            problems.append(f"{mode}: clean device: exit {rc}, unexpected {bad[:5]}")
        judged = {}
        for c in checks:
            if c["verdict"] == "pass":
                judged[c["addr"]] = judged.get(c["addr"], 0) + 1
        thin = {a: n for a, n in judged.items() if n < MIN_PER_MODE}
        if thin or not judged:
            problems.append(f"{mode}: fewer than {MIN_PER_MODE} sequences judged on {thin or 'any device'}")
        named = {q for c in checks if c["verdict"] == "pass" for q in c["reqs"]}
        clean[mode] = named
        print(f"{mode}: {len(names)} sequences x {len(devices)} devices, judged per device "
              f"{min(judged.values(), default=0)}-{max(judged.values(), default=0)}, {len(named)} requirements checked")
    # the binary form plays as the text form does
    with tempfile.TemporaryDirectory() as tmp:
        binp = os.path.join(tmp, "queue-select-past-end.m.ctl")
        subprocess.run([tool, "build", os.path.join(suite, "queue-select-past-end.m.ctl"), binp], check=True)
        for fault, want in (("", "conforms"), (":qselpast", "violates")):
            _, checks, _ = run(probe, f"blk:modern{fault}", binp)
            got = [c.get("outcome") for c in checks]
            if got != [want]:
                problems.append(f"binary sequence on blk:modern{fault}: {got}, want [{want}]")
    # untrusted input: seeded random binary sequences (every byte string is
    # one) play to a verdict each, within the per-sequence budget, no crash
    rnd = random.Random(16)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(RANDOM_SEQS):
            n = rnd.randrange(96, 64 + 32 * 30)
            b = bytearray(rnd.randrange(256) for _ in range(n))
            b[1], b[3], b[4:15] = 7, rnd.randrange(2), bytes(11)  # every mode, any feature, any type
            for off in range(64 + 32 * b[3], n - 31, 32):  # small bounds and offsets, so ops land
                b[off + 12:off + 16] = bytes([rnd.randrange(60), 0, 0, 0])
                if rnd.random() < 0.7:
                    b[off + 8:off + 12] = bytes([rnd.randrange(64), 0, 0, 0])
            with open(os.path.join(tmp, f"r{i:03d}.ctl"), "wb") as fh:
                fh.write(bytes(b))
        t0 = time.monotonic()
        rc, checks, recs = run(probe, "blk:transitional,rng:modern,net:legacy", tmp)
        secs = time.monotonic() - t0
        if rc not in (0, 1) or len(checks) < 3 * RANDOM_SEQS or secs > 3 * RANDOM_SEQS * 4:
            problems.append(f"random sequences: exit {rc}, {len(checks)} records for {3 * RANDOM_SEQS}, {secs:.0f} s")
        print(f"random: {RANDOM_SEQS} binary sequences x 3 devices in {secs:.1f} s, exit {rc}")
    # planted faults: exactly the sequences they must break, naming the requirement
    for fault, (spec, want) in FAULTS.items():
        base_spec = ",".join(d.rsplit(":", 1)[0] for d in spec.split(","))
        _, base, _ = run(probe, base_spec, suite)
        _, faulty, _ = run(probe, spec, suite)
        b, f = outcomes(base), outcomes(faulty)
        changed = {k[1]: v for k, v in f.items() if v[0] != b.get(k, ("?",))[0]}
        for seq, req in want.items():
            if seq not in changed:
                problems.append(f"{fault}: {seq} not caught")
            elif req and req not in changed[seq][1]:
                problems.append(f"{fault}: {seq} names {sorted(changed[seq][1])}, not {req}")
        extra = sorted(set(changed) - set(want))
        if extra:
            problems.append(f"{fault}: also changed {extra}")
        print(f"{fault}: {len(changed)} sequence verdict(s) changed: {sorted(changed)}")
    for p in problems:
        print("FAIL", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
