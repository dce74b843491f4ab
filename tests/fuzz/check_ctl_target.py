#!/usr/bin/env python3
"""The ctl fuzz target, end to end in the plain build:
- the binary seeds (corpus/ctl) are the written sequences (corpus/ctl-text)
  built by vconform-ctl, so the two cannot drift;
- the written sequences, and the control-plane sequences of corpus/control
  where they exist, replay clean on the reference device with their
  expectations judged, in every type and mode they apply to
  (VC_CTL_WRITTEN=1), and a text form plays as its binary otherwise;
- the oracle can fail: each runtime fault of the PCI front ($VC_CTL_FAULTS)
  is caught by the finding it must give, on the seeds.
usage: check_ctl_target.py BUILD_DIR SOURCE_DIR"""
import os
import re
import subprocess
import sys
import tempfile

# fault -> a finding (kind and requirement) it must cause on the seeds
FAULTS = {
    "isrsticky": ("isr-not-cleared", "dev.pci_isr.5"),
    "stuck": ("reset-incomplete", "dev.pci_common.7"),
    "noqreset": ("queue-state-after-queue-reset", "dev.vq_reset.2"),
    "mult3": ("notify-multiplier", "dev.pci_notify_cap.3"),
    "badwindow": ("window-read-differs", "dev.pci_cfg_access.3"),
    "resetwrite": ("write-before-driver-ok", "dev.status.1"),
    "nogen": ("generation-unchanged", "dev.pci_common.6"),
    "mute": ("wedged", "-"),
    "qselpast": ("queue-size-past-last", "dev.pci_common.14"),
}
FINDING = re.compile(r"^(?:[a-z]+: )?([a-z0-9-]+) \[([a-z0-9_.-]+)\]: \((device|should|liveness|input)\) ", re.M)


def replay(build, inputs, faults="", written=True):
    env = dict(os.environ, VC_CTL_FAULTS=faults, VC_CTL_WRITTEN="1" if written else "0")
    p = subprocess.run([os.path.join(build, "fuzz", "replay-ctl"), *inputs], capture_output=True, text=True,
                       env=env, timeout=600)
    return p.returncode, p.stdout + p.stderr


def main(build, src):
    bad = []
    text_dir, bin_dir = os.path.join(src, "corpus", "ctl-text"), os.path.join(src, "corpus", "ctl")
    texts = sorted(f for f in os.listdir(text_dir) if f.endswith(".ctl"))
    if not texts:
        bad.append("no written sequences in corpus/ctl-text")
    with tempfile.TemporaryDirectory() as tmp:
        for t in texts:
            out = os.path.join(tmp, t[:-4])
            subprocess.run([os.path.join(build, "fuzz", "vconform-ctl"), "build", os.path.join(text_dir, t), out],
                           check=True, capture_output=True, timeout=60)
            seed = os.path.join(bin_dir, t[:-4])
            if not os.path.exists(seed) or open(seed, "rb").read() != open(out, "rb").read():
                bad.append(f"corpus/ctl/{t[:-4]} is not corpus/ctl-text/{t} built (vconform-ctl build)")
    inputs = [text_dir]
    control = os.path.join(src, "corpus", "control")
    if os.path.isdir(control) and os.listdir(control):
        inputs.append(control)
    rc, out = replay(build, inputs)
    if rc != 0:
        bad.append(f"written sequences do not replay clean:\n{out[-3000:]}")
    # a text form plays as its binary (fuzzer semantics)
    for t in texts[:4]:
        a = replay(build, [os.path.join(text_dir, t)], "isrsticky", written=False)[1].splitlines()[1:]
        b = replay(build, [os.path.join(bin_dir, t[:-4])], "isrsticky", written=False)[1].splitlines()[1:]
        if a != b:
            bad.append(f"{t} plays differently from corpus/ctl/{t[:-4]}")
    for fault, (kind, req) in FAULTS.items():
        rc, out = replay(build, [text_dir], fault)
        rc2, out2 = replay(build, [bin_dir], fault, written=False)
        sigs = {(m.group(1), m.group(2)) for m in FINDING.finditer(out + out2)}
        if max(rc, rc2) != 1 or (kind, req) not in sigs:
            bad.append(f"fault {fault}: want {kind} [{req}], got {sorted(sigs)[:6]} (exit {rc})")
    for b in bad:
        print("check_ctl_target:", b)
    print(f"check_ctl_target: {len(texts)} written sequences, {len(FAULTS)} planted faults, "
          f"{'FAILED' if bad else 'ok'}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
