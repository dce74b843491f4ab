#!/usr/bin/env python3
"""The control-plane sequence codec and text form (fuzz/ctl_seq.c, ctl_text.c).

usage: check_ctl_text.py VCONFORM_CTL [CORPUS_DIR]
- any byte string decodes, prints, parses back (lax) and encodes to the same
  bytes (600 seeded random inputs, and edge lengths);
- a sequence written by hand survives text -> binary -> text;
- malformed text is refused with a message naming the line;
- every file of CORPUS_DIR (corpus/control) parses strictly, and the folder
  is what tools/gen_control.py writes.
"""
import os
import random
import subprocess
import sys
import tempfile

GOOD = """# a hand-written sequence
ctl name=feat-after-ok modes=legacy,transitional,modern spec=ignore requires=dev.pci_common.4
requires dev.status.x,dev.y.2
INIT value=ALL expect=eq ms=200 req=-
FEATURES value=0
RD reg=gf expect=unchanged req=dev.pci_common.4
RD reg=status expect=oneof value=0 mask=FEATURES_OK req=-
ALSO value=FEATURES_OK
WAIT reg=status value=NEEDS_RESET mask=NEEDS_RESET ms=50 soft=1
REQUEST q=0 expect=eq ms=500 req=-
RESET ms=100 req=dev.status.x
"""

BAD = [
    ("INIT\n", 1, "before the 'ctl' header"),
    ("ctl\nRD reg=nosuch expect=eq value=1\n", 2, "unknown reg"),
    ("ctl\nREAD space=common off=0 width=5\n", 2, "1, 2, 3, 4 or 8"),
    ("ctl modes=legacy\nREAD space=common off=0 width=4\n", 2, "modern"),
    ("ctl modes=modern\nWR reg=qpfn value=1\n", 2, "not in the modern interface"),
    ("ctl\n\nRD reg=qenable\n", 3, "not in the legacy interface"),
    ("ctl modes=modern\nWAIT reg=status value=0\n", 2, "bound"),
    ("ctl modes=modern\nREQUEST q=0 ms=10 expect=oneof req=-\n", 2, "expect=eq"),
    ("ctl modes=modern\nALSO value=1\n", 2, "ALSO follows"),
    ("ctl modes=modern\nWR reg=status value=0x100\n", 2, None),  # fine: registers are 64-bit values
    ("ctl modes=modern\nWRITE space=common off=0x100000000 width=1 value=0\n", 2, "out of range"),
    ("ctl modes=modern\nWR reg=status value=-1\n", 2, "negative"),
    ("ctl modes=modern\nWR reg=status value=BOGUS\n", 2, "known symbol"),
    ("ctl modes=modern\nWR reg=status value=1 value=2\n", 2, "twice"),
    ("ctl modes=modern\nctl\n", 2, "second 'ctl'"),
    ("ctl modes=modern name=a/b\n", 1, "name"),
    ("ctl modes=modern\nRD reg=status width=1\n", 2, "own width"),
    ("ctl modes=modern\nREAD space=bar bar=1 ms=2 off=0 width=4\n", 2, "twice"),
    ("ctl modes=modern\nRD reg=status\x00\n", 2, "NUL"),
    ("ctl modes=modern\n" + "#" * 600 + "\n", 2, "too long"),
    ("ctl modes=nosuch\n", 1, "unknown"),
    ("ctl modes=modern\n" + "".join("RD reg=status req=dev.r.%d\n" % i for i in range(16)), 17,
     "more than 15"),
    ("", 0, "no 'ctl' header"),
]


def run(tool, *args):
    return subprocess.run([tool, *args], capture_output=True, text=True, timeout=30)


def main():
    tool = sys.argv[1]
    corpus = sys.argv[2] if len(sys.argv) > 2 else None
    fails = []
    with tempfile.TemporaryDirectory() as tmp:
        rnd = random.Random(16)
        lengths = [0, 1, 63, 64, 65, 95, 96, 97, 64 + 32 * 15, 64 + 32 * 15 + 1]
        lengths += [rnd.randrange(0, 2000) for _ in range(590)]
        for i, n in enumerate(lengths):
            p = os.path.join(tmp, "r%d" % i)
            with open(p, "wb") as fh:
                fh.write(bytes(rnd.randrange(256) for _ in range(n)))
            r = run(tool, "roundtrip", p)
            if r.returncode != 0:
                fails.append("roundtrip of %d random bytes (seed 16, #%d): %s" % (n, i, r.stderr[:300]))
        good = os.path.join(tmp, "good.ctl")
        with open(good, "w") as fh:
            fh.write(GOOD)
        binp = os.path.join(tmp, "good.bin")
        r = run(tool, "build", good, binp)
        if r.returncode != 0:
            fails.append("hand-written sequence refused: " + r.stderr)
        else:
            text = run(tool, "print", binp).stdout
            for want in ("name=feat-after-ok", "RD reg=gf expect=unchanged req=dev.pci_common.4",
                         "ALSO value=0x8", "soft=1", "REQUEST ms=500 value=0x0 expect=eq req=-",
                         "requires dev.pci_common.4,dev.status.x,dev.y.2", "RESET ms=100 req=dev.status.x"):
                if want not in text:
                    fails.append("printed sequence lacks %r:\n%s" % (want, text))
            again = os.path.join(tmp, "again.ctl")
            with open(again, "w") as fh:
                fh.write(text)
            bin2 = os.path.join(tmp, "again.bin")
            if run(tool, "build", again, bin2).returncode != 0 or \
                    open(binp, "rb").read() != open(bin2, "rb").read():
                fails.append("text -> binary -> text -> binary differs")
        for i, (text, line, msg) in enumerate(BAD):
            p = os.path.join(tmp, "bad%d.ctl" % i)
            with open(p, "w", encoding="latin-1") as fh:
                fh.write(text)
            r = run(tool, "check", p)
            if msg is None:
                if r.returncode != 0:
                    fails.append("refused %r: %s" % (text, r.stderr))
                continue
            where = "line %d:" % line if line else ""
            if r.returncode != 1 or msg not in r.stderr or where not in r.stderr:
                fails.append("bad text %r: want exit 1 with %r at %r, got %d %r"
                             % (text[:60], msg, where, r.returncode, r.stderr))
    if corpus:
        files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".ctl"))
        if not files:
            fails.append("no .ctl files in " + corpus)
        r = run(tool, "check", *files) if files else None
        if r and r.returncode != 0:
            fails.append("corpus sequences refused:\n" + r.stderr)
        # the folder is what tools/gen_control.py writes: no hand edits lost
        gen = os.path.join(corpus, "..", "..", "tools", "gen_control.py")
        with tempfile.TemporaryDirectory() as tmp:
            g = subprocess.run([sys.executable, gen, tmp], capture_output=True, text=True, timeout=60)
            fresh = sorted(f for f in os.listdir(tmp) if f.endswith(".ctl"))
            stale = [f for f in fresh if f not in [os.path.basename(x) for x in files] or
                     open(os.path.join(tmp, f), "rb").read() != open(os.path.join(corpus, f), "rb").read()]
            if g.returncode != 0 or stale or len(fresh) != len(files):
                fails.append(f"corpus/control differs from tools/gen_control.py's output: {stale[:5]} "
                             f"({len(fresh)} generated, {len(files)} in the folder) {g.stderr[-200:]}")
    for f in fails:
        print("FAIL", f)
    print("ctl_text: %d failures" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
