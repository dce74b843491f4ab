"""The monitor side of the probe's configuration-change notes (qmp.py):
what the VM's command line gets, and a Changer answering notes against a
fake QMP server, refusing what the runner did not configure."""
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from vcharness import matrix, qmp  # noqa: E402


def cfg(name):
    return next(c for c in matrix.DEFAULT_CONFIGS if c.name == name)


class FakeQmp(threading.Thread):
    """A QMP server on a unix socket: greets, answers every command with
    return {} (after an event, as QEMU may), records what it was asked."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.seen = []

    def run(self):
        conn, _ = self.srv.accept()
        conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, _, buf = buf.partition(b"\n")
                self.seen.append(json.loads(line))
                conn.sendall(b'{"event": "X", "data": {}}\n{"return": {}}\n')


def notes(*items):
    return "".join(json.dumps({"v": 1, "type": "note", "addr": "0000:00:02.0", "slot_path": p, "want": w}) + "\n"
                   for p, w in items)


class Changer(unittest.TestCase):
    def run_changer(self, text, targets, server=True, swaps=()):
        with tempfile.TemporaryDirectory() as d:
            sock = os.path.join(d, "qmp.sock")
            fake = FakeQmp(sock) if server else None
            if fake:
                fake.start()
            jsonl = os.path.join(d, "probe.jsonl")
            with open(jsonl, "w") as fh:
                fh.write(text[:len(text) // 2])  # the rest comes later, as from a running probe
            ch = qmp.Changer(jsonl, sock, targets, 1 << 20, swaps)
            ch.start()
            time.sleep(0.05)
            with open(jsonl, "a") as fh:
                fh.write(text[len(text) // 2:])
            deadline = time.monotonic() + 5
            while len(ch.actions) < min(text.count('"note"'), qmp.MAX_ACTIONS) and time.monotonic() < deadline:
                time.sleep(0.01)
            ch.stop()
            return ch.actions, [m for m in fake.seen] if fake else []

    def test_balloon_swap_in_order_from_the_present_one_only(self):
        targets = {"06.0": ("balloon", 5), "0f.0": ("balloon", 12), "18.0": ("balloon", 19)}
        swaps = [("0f.0", {"driver": "virtio-balloon-pci", "id": "balloon12", "addr": "0x0f.0"}),
                 ("18.0", {"driver": "virtio-balloon-pci-transitional", "id": "balloon19", "addr": "0x18.0"})]
        text = notes(("0f.0", "balloon-swap"), ("06.0", "balloon-swap"), ("06.0", "balloon-swap"),
                     ("0f.0", "balloon-swap"), ("18.0", "balloon-swap"))
        actions, seen = self.run_changer(text, targets, swaps=swaps)
        self.assertEqual([a[2][:6] for a in actions], ["failed", "done", "failed", "done", "failed"])
        self.assertEqual(seen[1:], [
            {"execute": "device_del", "arguments": {"id": "balloon5"}},
            {"execute": "device_add", "arguments": swaps[0][1]},
            {"execute": "device_del", "arguments": {"id": "balloon12"}},
            {"execute": "device_add", "arguments": swaps[1][1]}])

    def test_answers_configured_devices_only(self):
        text = notes(("02.0", "blk-resize"), ("02.0", "blk-resize"), ("03.0", "net-link-down"),
                     ("03.0", "net-link-up"), ("04.0", "blk-resize"), ("02.0", "net-link-down"),
                     ("03.0", "reboot"))
        actions, seen = self.run_changer(text, {"02.0": ("blk", 2), "03.0": ("net", 1)})
        self.assertEqual([a[2] for a in actions], ["done"] * 4 + ["refused"] * 3)
        self.assertEqual(seen[0]["execute"], "qmp_capabilities")
        self.assertEqual(seen[1:], [
            {"execute": "block_resize", "arguments": {"device": "blk2", "size": (1 << 20) + qmp.GROW}},
            {"execute": "block_resize", "arguments": {"device": "blk2", "size": (1 << 20) + 2 * qmp.GROW}},
            {"execute": "set_link", "arguments": {"name": "net1", "up": False}},
            {"execute": "set_link", "arguments": {"name": "net1", "up": True}}])

    def test_announce_is_one_round_of_announce_self(self):
        actions, seen = self.run_changer(notes(("03.0", "net-announce"), ("02.0", "net-announce")),
                                         {"02.0": ("blk", 2), "03.0": ("net", 1)})
        self.assertEqual([a[2] for a in actions], ["done", "refused"])
        self.assertEqual(seen[1:], [{"execute": "announce-self",
                                     "arguments": {"initial": 50, "max": 550, "rounds": 1, "step": 100}}])

    def test_inject_sends_both_frames_into_the_backend(self):
        with tempfile.TemporaryDirectory() as d:
            backend = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            backend.bind(os.path.join(d, "net1.sock"))
            backend.settimeout(5)
            jsonl = os.path.join(d, "probe.jsonl")
            with open(jsonl, "w") as fh:
                fh.write(notes(("03.0", "net-inject-oversize")))
            ch = qmp.Changer(jsonl, os.path.join(d, "qmp.sock"), {"03.0": ("net", 1)}, 0)
            ch.qmp = object()  # no monitor needed for this want
            ch.start()
            got = [backend.recv(4096) for _ in qmp.INJECT_LENS]
            ch.stop = lambda: None
            ch.done.set()
            backend.close()
        self.assertEqual([len(f) for f in got], list(qmp.INJECT_LENS))
        self.assertEqual(got[0][:6], b"\xff" * 6)
        self.assertEqual([int.from_bytes(f[22:26], "little") for f in got], list(qmp.INJECT_NONCES))

    def test_bounded_and_never_raises(self):
        odd = '{"type": "note", "want": ["blk-resize"], "slot_path": {"a": 1}}\n' + "[" * 5000 + '"note"\n'
        text = "garbage\n{\"type\": \"note\"}\n" + odd + notes(*[("02.0", "blk-resize")] * (qmp.MAX_ACTIONS + 5))
        actions, _ = self.run_changer(text, {"02.0": ("blk", 2)}, server=False)
        self.assertEqual(len(actions), qmp.MAX_ACTIONS)
        self.assertTrue(all(a[2].startswith(("failed", "refused")) for a in actions))


class CommandLine(unittest.TestCase):
    def test_monitor_for_probe_vms_with_blk_or_net(self):
        c = matrix.vm_command("qemu", cfg("pc"), ["blk"], "K", "I", "D", "/w", sockdir="/s")
        self.assertEqual(c[c.index("-qmp") + 1], "unix:/s/qmp.sock,server=on,wait=off")
        self.assertIn("--config-change", c[c.index("-append") + 1])
        for config, devices in ((cfg("pc"), ["rng"]), (cfg("i440fx-2.7+kdrv"), ["blk"])):
            c = matrix.vm_command("qemu", config, devices, "K", "I", "D", "/w")
            self.assertNotIn("-qmp", c)
            self.assertNotIn("--config-change", c[c.index("-append") + 1])


if __name__ == "__main__":
    unittest.main()
