"""Findings of the fuzz targets as signatures: what minimize.py keeps while it
shrinks, what summary.py groups a run's reproducers by, and what a
known-findings file (fuzz/known/<target>.txt) lists. A signature is the
finding's kind, its requirement and where it came from (the backend in a
differential target, else '-'); a sanitizer report's is its bug type and
the first frame in our code. Replay output is untrusted text: lines that
fit neither form are ignored."""
import os
import re
import subprocess

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# "kind [req] (tier): detail", or "who: kind [req] (tier): detail" from the
# differential target (older output has no tier)
FINDING_RE = re.compile(
    r"^(?:([a-z0-9_]+): )?([a-z0-9][a-z0-9-]*) \[([a-z0-9_.-]+)\](?: \(([a-z-]+)\))?: ", re.M)
SANITIZER_RE = re.compile(r"^SUMMARY: (\w+Sanitizer): ([\w-]+) (?:\S*/)?([^\s/]+:\d+)", re.M)
# Tiers, most serious first (fuzz/exec.h vc_fz_tier; "memory" is a sanitizer's)
TIERS = ("device", "memory", "liveness", "should", "tolerated", "reference")


def classified(text):
    """(signature, tier) for each finding in a replay's output, in order, each
    signature once. A line without a tier gets 'tolerated' for a driver rule,
    else 'device', as vc_fz_tier would."""
    out, seen = [], set()
    for m in FINDING_RE.finditer(text):
        sig = (m.group(2), m.group(3), m.group(1) or "-")
        tier = m.group(4) or ("tolerated" if sig[1].startswith("drv.") else "device")
        if sig not in seen:
            seen.add(sig)
            out.append((sig, tier))
    for m in SANITIZER_RE.finditer(text):
        sig = (m.group(2), m.group(1), m.group(3))
        if sig not in seen:
            seen.add(sig)
            out.append((sig, "memory"))
    return out


def signatures(text):
    """The signatures in a replay's output, in order, each once."""
    return [sig for sig, _ in classified(text)]


def show(sig):
    return " ".join(sig)


def load_known(path):
    """Signatures listed in a known-findings file: 'kind requirement [site]'
    per line, '#' comments; a missing file lists none."""
    known = set()
    if not path or not os.path.exists(path):
        return known
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) not in (2, 3):
                raise ValueError(f"{path}:{n}: want 'kind requirement [site]'")
            known.add(tuple(words) if len(words) == 3 else (words[0], words[1], "*"))
    return known


def is_known(sig, known):
    return sig in known or (sig[0], sig[1], "*") in known


def replay_text(binary, path, timeout=60):
    """Output of one input replayed by a replay-<target> binary, or None when
    it timed out."""
    try:
        p = subprocess.run([binary, path], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return (p.stdout + p.stderr).decode("utf-8", "replace")


def replay(binary, path, timeout=60):
    """(signatures, output) of one input replayed by a replay-<target> binary."""
    text = replay_text(binary, path, timeout)
    if text is None:
        return [("timeout", "-", "-")], "replay timed out"
    return signatures(text), text
