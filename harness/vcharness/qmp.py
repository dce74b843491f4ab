"""Configuration changes the probe asks for, made through QEMU's monitor.

The results channel is one-way (the guest writes, the runner reads), so the
probe writes a note record ({"type":"note","want":"blk-resize",
"slot_path":"02.0"}) and waits, bounded, for the device's configuration to
change. A Changer thread per VM reads the probe's output as it grows and
answers each note on the VM's QMP socket. The guest is untrusted: only the
wants below, only on devices this runner configured (by slot path), at most
MAX_ACTIONS per configuration in the VM, every socket wait bounded."""
import json
import os
import socket
import threading
import time

# want -> the device type it applies to
WANTS = {"blk-resize": "blk", "net-link-down": "net", "net-link-up": "net", "net-announce": "net",
         "net-inject-oversize": "net"}
# device semantics (PROTOCOL.md): input updates injected, balloon statistics asked for
WANTS.update({"input-abs-batch": "input", "balloon-stats-poll": "balloon",
              "scsi-hotplug": "scsi", "scsi-unplug": "scsi", "console-port-cycle": "console",
              "scsi-cd-hotplug": "scsi", "scsi-cd-change": "scsi", "balloon-swap": "balloon"})
HOTPLUG_BYTES = 1 << 20  # the null disk scsi-hotplug attaches at target 1, LUN 0
CD_LATENCY_NS = 150 * 1000 * 1000  # the changed CD medium's reads: one stays in flight while the CD goes
# the two updates input-abs-batch injects, in order (each ends with SYN_REPORT)
INPUT_BATCHES = ([("x", 0x1234), ("y", 0x2345)], [("x", 0x777)])
MAX_ACTIONS = 48     # per configuration in the VM (q35-port's probe asks for 30)
# net-inject-oversize: two broadcast frames of the probe's experimental
# ethertype, each tagged "vconform" and a nonce, sent into the device's
# datagram backend: a full standard frame (1514 bytes: over any mtu below
# 1500) and then a short one, which closes the pair (datagrams keep order)
INJECT_NONCES = (0x7E000001, 0x7E000002)
INJECT_LENS = (1514, 78)


def inject_frame(nonce, length):
    """One injected frame (dev_net_sem.c's oversize check reads the nonce)."""
    head = b"\xff" * 6 + bytes([0x02, 0x76, 0x63, 0x00, 0x00, 0xFE]) + b"\x88\xb5vconform" + nonce.to_bytes(4, "little")
    return head + bytes((i * 13) & 0xFF for i in range(len(head), length))
GROW = 64 << 10      # bytes each resize adds to the disk (its snapshot overlay)
POLL = 0.01          # the probe waits for the change: answer fast
PLUG_TRIES = 50      # console-port-cycle's plug, POLL apart
SWAP_TRIES = 300     # balloon-swap's plug, POLL apart: the guest's ACPI eject ends the unplug
TIMEOUT = 2.0        # per QMP exchange


def virtserialport(index):
    """The -device value of console device index's data port: matrix.py
    gives it to QEMU, console-port-cycle plugs it again after unplugging it."""
    return f"virtserialport,id=vport{index},bus=vser{index}.0,chardev=port{index},name=vconform.{index}"


def wanted(profile, devices):
    """Whether a VM gets a monitor: probe VMs with a device a note can name."""
    return profile == "probe" and any(WANTS[w] in devices for w in WANTS)


class QmpError(Exception):
    pass


class Qmp:
    """One QMP session: greeting, capabilities, then commands in turn."""

    def __init__(self, path, timeout=TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.sock.connect(path)
        self._read()  # the greeting
        self.command("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise QmpError("monitor line too long")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise QmpError("monitor closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def command(self, execute, /, **arguments):
        msg = {"execute": execute, **({"arguments": arguments} if arguments else {})}
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        for _ in range(64):  # events may come first
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise QmpError(f"{execute}: {reply['error'].get('desc', reply['error'])}")
        raise QmpError(f"{execute}: no answer")

    def close(self):
        self.sock.close()


class Changer(threading.Thread):
    """Answers the probe's notes for one VM. targets: {slot path: (device
    type, index)} (the index names the device's backends, blk<i>, net<i>);
    disk: the image behind every blk (its size is where resizes start)."""

    def __init__(self, jsonl, qmp_path, targets, disk_bytes, swaps=(), configs=1):
        super().__init__(daemon=True)
        self.jsonl, self.qmp_path, self.targets = jsonl, qmp_path, targets
        self.max_actions = MAX_ACTIONS * max(1, configs)
        # balloon-swap: the balloons held back, in order (slot path, device_add
        # arguments), and the slot path of the one present
        self.swaps = list(swaps)
        held = {p for p, _ in self.swaps}
        self.balloon_at = next((p for p, t in targets.items() if t[0] == "balloon" and p not in held), None)
        self.sizes = {}
        self.disk_bytes = disk_bytes
        self.done = threading.Event()
        self.actions = []  # (want, slot path, result) for the VM's record
        self.balloon_stats = {}  # slot path: [(free, total) the host showed at each balloon-stats-poll]
        self.hotplugged = {}  # scsi index: the id of the disk scsi-hotplug attached last
        self.qmp = None

    def stop(self):
        self.done.set()
        self.join(timeout=2 * TIMEOUT)
        if self.qmp:
            self.qmp.close()

    def run(self):
        pos, partial = 0, b""
        while not self.done.is_set() and len(self.actions) < self.max_actions:
            try:
                with open(self.jsonl, "rb") as fh:
                    fh.seek(pos)
                    data = fh.read(1 << 20)
            except OSError:
                data = b""
            pos += len(data)
            lines = (partial + data).split(b"\n")
            partial = lines.pop()[-8192:]
            for line in lines:
                if b'"note"' in line:
                    self._note(line)
            self.done.wait(POLL)

    def _balloon_poll(self, path):
        """Reads what the balloon took from the driver's last statistics
        buffer, then makes it ask for fresh ones: the polling interval from 0
        to 1 s polls at once (QEMU's timer starts at 0 when the interval
        leaves 0)."""
        qom = f"/machine/peripheral/balloon{self.targets[path][1]}"
        got = self.qmp.command("qom-get", path=qom, property="guest-stats")
        stats = got.get("stats", {}) if isinstance(got, dict) else {}
        pick = tuple(stats.get(k) if isinstance(stats, dict) else None
                     for k in ("stat-free-memory", "stat-total-memory"))
        self.balloon_stats.setdefault(path, []).append(
            tuple(v if isinstance(v, int) and not isinstance(v, bool) else None for v in pick))
        for interval in (0, 1):
            self.qmp.command("qom-set", path=qom, property="guest-stats-polling-interval", value=interval)

    def _balloon_swap(self, path):
        """Unplugs the balloon at path, which the probe is done with, and
        plugs the next one held back: QEMU takes a balloon only when none is
        left, which needs the guest's ACPI eject, so the plug is retried
        (bounded)."""
        if path != self.balloon_at or not self.swaps:
            raise QmpError("not the balloon present, or none left to plug")
        nxt, props = self.swaps.pop(0)
        self.balloon_at = None  # one try: a swap that fails ends the swaps (the probe stops asking)
        self.qmp.command("device_del", id=f"balloon{self.targets[path][1]}")
        for attempt in range(SWAP_TRIES):
            try:
                self.qmp.command("device_add", **props)
                break
            except QmpError:
                if attempt == SWAP_TRIES - 1 or self.done.is_set():
                    self.swaps = []
                    raise
                time.sleep(POLL)
        self.balloon_at = nxt

    def _port_cycle(self, index):
        """Unplugs console device index's data port and plugs it again, on the
        same chardev: QEMU lets go of the chardev a little after device_del
        returns, so the plug is retried (bounded)."""
        self.qmp.command("device_del", id=f"vport{index}")
        opts = dict(kv.split("=", 1) for kv in virtserialport(index).split(",")[1:])
        for attempt in range(PLUG_TRIES):
            try:
                self.qmp.command("device_add", driver="virtserialport", **opts)
                return
            except QmpError:
                if attempt == PLUG_TRIES - 1:
                    raise
                time.sleep(POLL)

    def _note(self, line):
        if len(self.actions) >= self.max_actions:
            return
        try:
            rec = json.loads(line[:8192])
        except (ValueError, RecursionError):
            return
        if not isinstance(rec, dict) or rec.get("type") != "note":
            return
        want, path = rec.get("want"), rec.get("slot_path")
        target = self.targets.get(path) if isinstance(path, str) else None
        if not isinstance(want, str) or want not in WANTS or not target or target[0] != WANTS[want]:
            self.actions.append((str(want)[:40], str(path)[:64], "refused"))
            return
        try:
            self.qmp = self.qmp or Qmp(self.qmp_path)
            _, index = target
            if want == "input-abs-batch":
                for batch in INPUT_BATCHES:
                    self.qmp.command("input-send-event", events=[
                        {"type": "abs", "data": {"axis": axis, "value": value}} for axis, value in batch])
            elif want == "balloon-stats-poll":
                self._balloon_poll(path)
            elif want == "balloon-swap":
                self._balloon_swap(path)
            elif want == "scsi-hotplug":  # a fresh null disk each time: an unplugged one lets go late
                name = f"hp{index}n{len(self.actions)}"
                self.qmp.command("blockdev-add", driver="null-co", size=HOTPLUG_BYTES, **{"node-name": name})
                self.qmp.command("device_add", driver="scsi-hd", id=name, bus=f"scsi{index}.0", drive=name,
                                 **{"scsi-id": 1, "lun": 0})
                self.hotplugged[index] = name
            elif want == "scsi-cd-hotplug":  # a CD drive (an MMC device) with a null medium
                name = f"cd{index}n{len(self.actions)}"
                self.qmp.command("blockdev-add", driver="null-co", size=HOTPLUG_BYTES, **{"node-name": name})
                self.qmp.command("device_add", driver="scsi-cd", id=name, bus=f"scsi{index}.0", drive=name,
                                 **{"scsi-id": 1, "lun": 0})
                self.hotplugged[index] = name
            elif want == "scsi-cd-change":  # the medium swapped for a larger one: a capacity change
                cd = self.hotplugged.get(index, f"cd{index}")
                medium = f"{cd}m{len(self.actions)}"
                self.qmp.command("blockdev-add", driver="null-co", size=2 * HOTPLUG_BYTES,
                                 **{"node-name": medium, "latency-ns": CD_LATENCY_NS})
                self.qmp.command("blockdev-open-tray", id=cd, force=True)
                self.qmp.command("blockdev-remove-medium", id=cd)
                self.qmp.command("blockdev-insert-medium", id=cd, **{"node-name": medium})
                self.qmp.command("blockdev-close-tray", id=cd)
            elif want == "scsi-unplug":
                self.qmp.command("device_del", id=self.hotplugged.pop(index, f"hp{index}"))
            elif want == "console-port-cycle":  # unplugged (PORT_REMOVE), then plugged again (PORT_ADD)
                self._port_cycle(index)
            elif want == "blk-resize":
                size = self.sizes.get(index, self.disk_bytes) + GROW
                self.qmp.command("block_resize", device=f"blk{index}", size=size)
                self.sizes[index] = size
            elif want == "net-inject-oversize":  # the backend's own socket takes datagrams from anyone
                sock = os.path.join(os.path.dirname(self.qmp_path), f"net{index}.sock")
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                    s.settimeout(TIMEOUT)
                    for nonce, length in zip(INJECT_NONCES, INJECT_LENS):
                        s.sendto(inject_frame(nonce, length), sock)
            elif want == "net-announce":  # one round: QEMU sets ANNOUNCE where GUEST_ANNOUNCE is negotiated
                self.qmp.command("announce-self", initial=50, max=550, rounds=1, step=100)
            else:
                self.qmp.command("set_link", name=f"net{index}", up=want == "net-link-up")
            self.actions.append((want, path, "done"))
        except (OSError, ValueError, TypeError, AttributeError, QmpError) as e:  # the monitor's answers are data too
            self.actions.append((want, path, f"failed: {e}"[:200]))


def start(parts, paths, first, workdir, qmp_path, disk, swaps=()):
    """A running Changer for a VM of parts, or None when it has no monitor;
    swaps: its balloons held back (matrix.held_balloons)."""
    config = parts[0][0]
    if not wanted(config.profile, [d for _, ds in parts for d in ds]):
        return None
    targets = {}
    for (cfg, dev), slots in paths.items():
        if dev in ("blk", "net") and slots:
            targets[slots[0]] = (dev, first[(cfg, dev)])
        if dev in ("input", "balloon", "scsi", "console"):  # input: keyboard, mouse and tablet
            targets.update((slot, (dev, first[(cfg, dev)])) for slot in slots)
    try:
        size = os.path.getsize(disk)
    except OSError:
        size = 0
    ch = Changer(os.path.join(workdir, "probe.jsonl"), qmp_path, targets, size, swaps, len(parts))
    ch.start()
    return ch
