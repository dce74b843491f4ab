#!/usr/bin/env python3
"""Groups a fuzz run's reproducers by finding signature (fuzz/findings.py):
each is replayed with the plain build's replay-TARGET; one line per
signature with its count, whether fuzz/known/TARGET.txt lists it, its tier
(device, memory, liveness, should, tolerated, reference: most serious first)
and the smallest reproducer (the one to minimise and read first).
usage: summary.py [-b BUILD] TARGET FILE_OR_DIR..."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import findings  # noqa: E402


def reproducers(paths):
    for p in paths:
        if os.path.isdir(p):
            for dirpath, _, files in os.walk(p):
                for f in sorted(files):
                    if not f.startswith(".") and f != "README.txt":
                        yield os.path.join(dirpath, f)
        elif os.path.isfile(p):
            yield p


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-b", "--build", default=os.path.join(findings.ROOT, "build", "plain"))
    ap.add_argument("target")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args(argv)
    replay = os.path.join(a.build, "fuzz", f"replay-{a.target}")
    if not os.access(replay, os.X_OK):
        ap.error(f"{replay} is not built")
    known = findings.load_known(os.path.join(findings.ROOT, "fuzz", "known", f"{a.target}.txt"))
    groups, tiers, clean = {}, {}, []
    for path in reproducers(a.paths):
        text = findings.replay_text(replay, path)
        found = findings.classified(text) if text is not None else [(("timeout", "-", "-"), "liveness")]
        if not found:
            clean.append(path)  # found under sanitizers or by chance: replays clean in the plain build
            continue
        sig, tier = found[0]
        groups.setdefault(sig, []).append(path)
        tiers[sig] = tier
    # most serious tier first, then the most frequent
    order = {t: i for i, t in enumerate(findings.TIERS)}
    for sig, files in sorted(groups.items(), key=lambda kv: (order.get(tiers[kv[0]], 99), -len(kv[1]))):
        smallest = min(files, key=os.path.getsize)
        tag = "known" if findings.is_known(sig, known) else "NEW"
        print(f"{len(files):5} {tag:5} {tiers[sig]:9} {findings.show(sig)}  e.g. {smallest}")
    if clean:
        print(f"{len(clean):5} clean  replay without a finding in the plain build (sanitizer-only?): "
              f"e.g. {min(clean, key=os.path.getsize)}")
    new = sum(1 for s in groups if not findings.is_known(s, known))
    print(f"summary: {sum(map(len, groups.values()))} reproducers, {len(groups)} signatures, {new} new")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
