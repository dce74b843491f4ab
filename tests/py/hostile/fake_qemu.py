#!/usr/bin/env python3
"""A stand-in for qemu-system-x86_64 that writes chosen bytes into the
runner's results channel: the hostile-record suite's VMM. It answers
--version and -machine help, and for a VM writes, for every virtio device
on its command line, the records a conforming probe would write, then
applies the mutations named in $VCONFORM_FAKE (JSON):
  mode      the mode every device reports (default legacy)
  mutate    list of: drop-check, long-line, nested-reqs, surrogate, nan,
            deep, huge-field, extra-device, no-checks, control-chars
  raw       bytes (latin-1 string) written instead of the records
  hang      sleep instead of exiting (with child: a child process too;
            with stop: stopped by SIGSTOP, as a paused QEMU)
  console   bytes written to the serial console file
  flood     bytes to write to the console file, in 1 MiB pieces
  pids      file to append this process's (and its child's) pid to
  version   the --version answer (latin-1 string)
  replay    for a scenario replay (--scenarios in the probe's arguments):
            {"scenarios": [names, sorted], "crash": name, "hang": name,
             "wedge": name, "fail": {name: check id}}: the probe's records
            for each scenario from --scenario-skip, a crash (abort) or hang
            on the named one
"""
import json
import os
import re
import signal
import sys
import time


def opts():
    return json.loads(os.environ.get("VCONFORM_FAKE", "{}"))


def unescape_path(arg, key):
    """path=VALUE from a QEMU option list, with ',,' standing for ','."""
    m = re.search(key + r"=((?:[^,]|,,)*)", arg)
    return m.group(1).replace(",,", ",") if m else None


def records(argv, o):
    recs = [{"v": 1, "type": "start", "probe": "fake", "args": [], "kernel": "fake"}]
    n = 0
    for i, a in enumerate(argv):
        if a != "-device" or not argv[i + 1].startswith("virtio-"):
            continue
        dev = argv[i + 1]
        m = re.search(r"addr=0x([0-9a-f]{2})\.(\d)", dev)
        if not m:
            continue
        n += 1
        kind = {"blk": "blk", "net": "net", "serial": "console", "rng": "rng", "balloon": "balloon",
                "scsi": "scsi", "keyboard": "input", "mouse": "input", "tablet": "input"}
        dev_type = next(v for k, v in kind.items() if f"-{k}-" in dev)
        addr = f"0000:00:{m.group(1)}.{m.group(2)}"
        recs.append({"v": 1, "type": "device", "addr": addr, "slot_path": f"{m.group(1)}.{m.group(2)}",
                     "dev_type": dev_type, "mode": o.get("mode", "legacy")})
        if "no-checks" not in o.get("mutate", []):
            recs.append({"v": 1, "type": "check", "addr": addr, "driver": "pci", "id": "pci.id.vendor",
                         "reqs": ["dev.pci_discovery.1"], "verdict": "pass", "expected": "0x1af4",
                         "observed": "0x1af4", "detail": "", "ms": 1})
    checks = sum(r["type"] == "check" for r in recs)
    recs.append({"v": 1, "type": "end", "passed": checks, "failed": 0, "skipped": 0, "errors": 0,
                 "info": 0, "devices": n, "ms": 2})
    return recs


def mutate(recs, names):
    lines = [json.dumps(r) for r in recs]
    check = next((i for i, r in enumerate(recs) if r["type"] == "check"), 0)
    for name in names:
        if name == "drop-check":
            lines[check] = ""
        elif name == "long-line":
            lines[check] = lines[check][:-1] + ', "pad": "' + "x" * 9000 + '"}'
        elif name == "nested-reqs":
            lines[check] = lines[check].replace('["dev.pci_discovery.1"]', '[["x"]]')
        elif name == "surrogate":
            lines[check] = lines[check].replace('"observed": "0x1af4"', '"observed": "\\ud800"')
        elif name == "nan":
            lines[check] = lines[check].replace('"ms": 1', '"ms": NaN')
        elif name == "deep":
            lines[check] = lines[check][:-1] + ', "x": ' + "[" * 3000 + "]" * 3000 + "}"
        elif name == "huge-field":
            lines[check] = lines[check].replace('"detail": ""', '"detail": "' + "y" * (4 << 20) + '"')
        elif name == "control-chars":
            lines[check] = lines[check].replace('"detail": ""', '"detail": "\\u001b[2J\\u0000\\u0007"')
        elif name == "extra-device":
            extra = {"v": 1, "type": "device", "addr": "0000:00:1d.0", "slot_path": "1d.0",
                     "dev_type": recs[1]["dev_type"], "mode": recs[1]["mode"]}
            end = json.loads(lines[-1])
            end["devices"] += 1
            lines[-1] = json.dumps(end)
            lines.insert(-1, json.dumps(extra))
    return ("\n".join(lines) + "\n").encode()


def replay(argv, o, results):
    """A probe replaying scenarios: begin note, then its check, per scenario."""
    args = next(a for a in argv if "vconform.args=" in a).split("vconform.args=", 1)[1].split(",")
    skip = int(args[args.index("--scenario-skip") + 1]) if "--scenario-skip" in args else 0
    count = int(args[args.index("--scenario-count") + 1]) if "--scenario-count" in args else 0
    omit = set()
    if "--scenario-omit" in args:
        for part in args[args.index("--scenario-omit") + 1].split(":"):
            a, _, b = part.partition("-")
            omit.update(range(int(a), int(b or a) + 1))
    r = o["replay"]
    names = r["scenarios"]
    dev = next(argv[i + 1] for i, a in enumerate(argv) if a == "-device" and argv[i + 1].startswith("virtio-"))
    m = re.search(r"addr=0x([0-9a-f]{2})\.(\d)", dev)  # none behind a root port
    slot = f"{m.group(1)}.{m.group(2)}" if m else "01.0/00.0"
    addr = f"0000:00:{m.group(1)}.{m.group(2)}" if m else "0000:01:00.0"
    kind = next(v for k, v in {"rng": "rng", "blk": "blk"}.items() if f"-{k}-" in dev)
    fh = open(results, "w")

    def put(rec):
        fh.write(json.dumps(rec) + "\n")
        fh.flush()
    put({"v": 1, "type": "start", "probe": "fake", "args": [], "kernel": "fake"})
    put({"v": 1, "type": "device", "addr": addr, "slot_path": slot, "dev_type": kind,
         "mode": o.get("mode", "legacy")})
    n = {"pass": 0, "fail": 0}
    for i, name in enumerate(names[skip:skip + count if count else None], skip):
        if i in omit:
            continue
        put({"v": 1, "type": "note", "event": "begin", "addr": addr, "scenario": name})
        if name == r.get("crash"):
            sys.stderr.write("fake: Assertion `len > 0' failed.\n")
            sys.stderr.flush()
            os.abort()
        if name == r.get("hang"):
            time.sleep(600)
        cid = "replay.wedged" if name == r.get("wedge") else r.get("fail", {}).get(name, "replay")
        verdict = "pass" if cid == "replay" else "fail"
        n[verdict] += 1
        put({"v": 1, "type": "check", "addr": addr, "driver": "modern", "id": cid,
             "reqs": ["dev.vq_used.2"] if cid == "replay.used_len" else [], "verdict": verdict, "expected": "",
             "observed": "", "detail": "", "scenario": name,
             "outcome": {"replay": "conforms", "replay.wedged": "wedged"}.get(cid, "violates")})
        if cid == "replay.wedged":
            break
    put({"v": 1, "type": "end", "passed": n["pass"], "failed": n["fail"], "skipped": 0, "errors": 0, "info": 0,
         "devices": 1, "ms": 1})
    return 0


def main(argv):
    o = opts()
    if "--version" in argv:
        sys.stdout.buffer.write(o.get("version", "QEMU emulator version 7.2.0 (fake)\n").encode("latin-1"))
        return 0
    if "-machine" in argv and argv[argv.index("-machine") + 1] == "help":
        print("Supported machines are:\npc                   Standard PC (alias of pc-i440fx-7.2)\n"
              "pc-i440fx-7.2        Standard PC\npc-i440fx-2.7        Standard PC\n"
              "pc-i440fx-2.6        Standard PC\nq35                  Standard PC (alias of pc-q35-7.2)\n"
              "pc-q35-7.2           Standard PC")
        return 0
    if argv in (["-chardev", "help"], ["-help"]):  # a QEMU with the file channel only (no ringbuf, no -action)
        print("Available chardev backend types:\n  file\n  null" if argv[0] == "-chardev" else "usage: fake")
        return 0
    if o.get("pids"):
        with open(o["pids"], "a") as fh:
            fh.write(f"{os.getpid()}\n")
    results = next(unescape_path(a, "path") for a in argv if a.startswith("file,id=results,"))
    console = next(unescape_path(a, "path") for a in argv if a.startswith("file,id=console,"))
    with open(console, "wb") as fh:
        fh.write(o.get("console", "Linux version fake\n").encode("latin-1"))
        for _ in range(o.get("flood", 0)):
            fh.write(b"z" * (1 << 20))
            fh.flush()
    if "replay" in o and any("--scenarios" in a for a in argv):
        return replay(argv, o, results)
    if o.get("hang"):
        if o.get("child") and os.fork() == 0:
            if o.get("pids"):
                with open(o["pids"], "a") as fh:
                    fh.write(f"{os.getpid()}\n")
            time.sleep(600)
            os._exit(0)
        if o.get("stop"):
            os.kill(os.getpid(), signal.SIGSTOP)
        time.sleep(600)
        return 0
    data = o["raw"].encode("latin-1") if "raw" in o else mutate(records(argv, o), o.get("mutate", []))
    with open(results, "wb") as fh:
        fh.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
