#!/usr/bin/env python3
"""Shrinks a reproducer while it keeps the same finding. libFuzzer's own
minimiser keeps only "still crashes", so it can trade one finding for
another; this keeps the first finding's signature (kind, requirement, who:
fuzz/findings.py) and works on the scenario's text form, deleting lines
(operations, descriptors, raw writes) in halving chunks, then single lines
(ddmin), then lowering numbers field by field. Prints the result as text.
A vhost finding (fuzz/run.sh -e vhost) is replayed with vconform-vhost
against a back-end process this script starts, and starts again when a try
killed it.
usage: minimize.py [-t TARGET] [-b BUILD] [-o OUT] [--backend CMD] FILE"""
import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import findings  # noqa: E402

NUM_RE = re.compile(r"\b([a-z0-9_]+)=(0x[0-9a-f]+|\d+)\b")
DEFAULT_BACKEND = os.path.join(findings.ROOT, "vhost", "backends", "qemu-storage-daemon.sh")


class Backend:
    """A vhost-user back-end process on a socket of its own, and the replay
    of one input against it (vconform-vhost replay, its default 20 ms
    settle, as fuzz/run.sh replays findings). A back-end that died (a try
    crashed it) is started again before the next try."""

    def __init__(self, tool, cmd, tmp, extra=()):
        self.tool, self.cmd, self.extra = tool, cmd, list(extra)
        self.sock = os.path.join(tmp, "backend.sock")
        self.proc = None

    def start(self):
        self.stop()
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(shlex.split(self.cmd) + [self.sock], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the back-end '{self.cmd}' did not listen on {self.sock}")
            time.sleep(0.02)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()
        self.proc = None

    def replay(self, path, timeout=60):
        if not self.proc or self.proc.poll() is not None:
            self.start()
        try:
            p = subprocess.run([self.tool, "replay", self.sock, path] + self.extra, capture_output=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()  # a hung back-end: a new one for the next try
            return [("timeout", "-", "-")], "replay timed out"
        # "PATH: kind [req] (tier): detail" -> the finding line's own form
        text = (p.stdout + p.stderr).decode("utf-8", "replace").replace(path + ": ", "")
        sigs = findings.signatures(text)
        # the tool cannot tell a death from a hang-up; the process is ours:
        # how it ended is the signature that counts (as fuzz-vhost names it)
        if any(k in ("backend-unreachable", "refused-valid-ring") for k, _, _ in sigs) or "hung up" in text:
            try:
                self.proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        rc = self.proc.poll()
        if rc:  # exit status 0 ends a session (virtiofsd serves one connection): no crash
            crash = ("backend-crash", "-", f"signal-{-rc}" if rc < 0 else "-")
            sigs = [crash] + [sg for sg in sigs if sg != crash]
            text += f"\nbackend-crash [-] (crash): the back-end ended ({rc})\n"
        return sigs, text


class Shrinker:
    def __init__(self, scn, replay, want, tmp):
        """replay: a path -> (signatures, output) function."""
        self.scn, self.replay, self.want, self.tmp = scn, replay, want, tmp
        self.tries = 0

    def keeps(self, lines):
        """True when these text lines build a scenario with the same first finding."""
        self.tries += 1
        text = os.path.join(self.tmp, "try.txt")
        out = os.path.join(self.tmp, "try.bin")
        with open(text, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        if subprocess.run([self.scn, "build", text, out], capture_output=True).returncode != 0:
            return False
        sigs, _ = self.replay(out)
        return bool(sigs) and sigs[0] == self.want

    def drop_lines(self, lines):
        """ddmin over the lines after the header (the first line)."""
        head, body = lines[:1], lines[1:]
        chunk = max(1, len(body) // 2)
        while chunk >= 1:
            i, changed = 0, False
            while i < len(body):
                trial = body[:i] + body[i + chunk:]
                if self.keeps(head + trial):
                    body, changed = trial, True
                else:
                    i += chunk
            if not changed:
                chunk //= 2
        return head + body

    def lower_numbers(self, lines):
        """Each number as small as it can be: 0, 1, then halves."""
        for n in range(len(lines)):
            for m in list(NUM_RE.finditer(lines[n])):
                key = m.group(1)
                value = int(m.group(2), 0)
                for smaller in sorted({0, 1, value // 2}):
                    if smaller >= value:
                        continue
                    cur = lines[n]
                    new = re.sub(rf"\b{key}=(0x[0-9a-f]+|\d+)\b", f"{key}={smaller:#x}", cur, count=1)
                    if new != cur and self.keeps(lines[:n] + [new] + lines[n + 1:]):
                        lines = lines[:n] + [new] + lines[n + 1:]
                        break
        return lines


def guess_target(path):
    """corpus/regressions/<t>/..., corpus/<t>/..., build/fuzz-run/<engine>-<t>/..."""
    parts = os.path.abspath(path).split(os.sep)
    for i, p in enumerate(parts[:-1]):
        if p in ("regressions", "corpus") and i + 1 < len(parts) - 1 and parts[i + 1] != "regressions":
            return parts[i + 1]
        m = re.match(r"^(?:libfuzzer|afl|vhost)-(\w+)$", p)
        if m:
            return m.group(1)
    return None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("-t", "--target", help="fuzz target (default: from the file's folder)")
    ap.add_argument("-b", "--build", default=os.path.join(findings.ROOT, "build", "plain"),
                    help="build folder with fuzz/vconform-scn and fuzz/replay-TARGET")
    ap.add_argument("-o", "--out", help="write the minimal scenario (binary) here")
    ap.add_argument("--backend", default=os.environ.get("VC_VHOST_BACKEND") or DEFAULT_BACKEND,
                    help="vhost: the back-end command, given the socket path "
                         "(default $VC_VHOST_BACKEND, else qemu-storage-daemon)")
    a = ap.parse_args(argv)
    target = a.target or guess_target(a.file)
    if not target:
        ap.error("cannot tell the target from the path: give -t TARGET")
    scn = os.path.join(a.build, "fuzz", "vconform-scn")
    if target == "vhost":
        replay = os.path.join(a.build, "vhost", "vconform-vhost")
    else:
        replay = os.path.join(a.build, "fuzz", f"replay-{target}")
    for tool in (scn, replay):
        if not os.access(tool, os.X_OK):
            ap.error(f"{tool} is not built (cmake --build {a.build})")
    if not os.path.isfile(a.file):
        ap.error(f"{a.file} is not a file")
    p = subprocess.run([scn, "print", a.file], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"minimize: vconform-scn print failed: {p.stderr.strip()}", file=sys.stderr)
        return 2
    lines = [ln for ln in p.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
    with tempfile.TemporaryDirectory(prefix="vc-minimize-") as tmp:
        backend = None
        if target == "vhost":
            # as fuzz/run.sh plays them: the queue, the differential model
            extra = []
            if os.environ.get("VC_VHOST_QUEUE"):
                extra += ["--queue", os.environ["VC_VHOST_QUEUE"]]
            if os.environ.get("VC_VHOST_DIFF"):
                extra += ["--diff", os.environ["VC_VHOST_DIFF"]]
            backend = Backend(replay, a.backend, tmp, extra)
            run = backend.replay
        else:
            def run(path):
                return findings.replay(replay, path)
        try:
            return shrink(a, scn, run, lines, tmp, target)
        except RuntimeError as e:
            print(f"minimize: {e}", file=sys.stderr)
            return 2
        finally:
            if backend:
                backend.stop()


def shrink(a, scn, run, lines, tmp, target):
    sigs, _ = run(a.file)
    if not sigs:
        print(f"minimize: {a.file} has no finding on {target}", file=sys.stderr)
        return 1
    want = sigs[0]
    s = Shrinker(scn, run, want, tmp)
    if not s.keeps(lines):
        print("minimize: the text form does not reproduce the finding", file=sys.stderr)
        return 2
    before = len(lines)
    lines = s.drop_lines(lines)
    lines = s.lower_numbers(lines)
    lines = s.drop_lines(lines)
    if a.out:
        with open(os.path.join(tmp, "min.txt"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        subprocess.run([scn, "build", os.path.join(tmp, "min.txt"), a.out], check=True)
    print(f"# finding kept: {findings.show(want)}; {before} lines -> {len(lines)} in {s.tries} tries")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
