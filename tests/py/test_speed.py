"""What makes a matrix VM cheaper must not change what it reports: the
results ring drained over QMP gives every byte the guest wrote, in order,
and gives up (killing the VM, so the runner re-runs it with the file
channel) when the monitor misbehaves; the PVH kernel is the bzImage's own
payload and is used only where QEMU starts it; the slimmer initramfs still
holds every library, once, with links for the loader's paths."""
import base64
import gzip
import json
import os
import socket
import stat
import struct
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from vcharness import configs, guest, matrix, plan, procs, pvh, ringdrain, run  # noqa: E402


class FakeRing(threading.Thread):
    """A QMP server holding a ring: ringbuf-read hands out `chunks` one per
    call (then empty ones), SHUTDOWN comes with the read after the last
    chunk; `bad` answers ringbuf-read with this instead."""

    def __init__(self, path, chunks, bad=None):
        super().__init__(daemon=True)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.chunks, self.bad, self.seen = list(chunks), bad, []

    def run(self):
        conn, _ = self.srv.accept()
        try:
            self.serve(conn)
        finally:
            conn.close()
            self.srv.close()

    def serve(self, conn):
        conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
        buf, sent_all = b"", False
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, _, buf = buf.partition(b"\n")
                cmd = json.loads(line)
                self.seen.append(cmd["execute"])
                if cmd["execute"] == "ringbuf-read":
                    if self.bad is not None:
                        conn.sendall(self.bad)
                        continue
                    chunk = self.chunks.pop(0) if self.chunks else b""
                    if not self.chunks and not sent_all:
                        sent_all = True
                        conn.sendall(b'{"event": "SHUTDOWN", "data": {"guest": true}}\n')
                    conn.sendall(json.dumps({"return": base64.b64encode(chunk).decode()}).encode() + b"\n")
                else:
                    conn.sendall(b'{"return": {}}\n')
                if cmd["execute"] == "quit":
                    return


class Ring(unittest.TestCase):
    def drain(self, chunks, bad=None):
        with tempfile.TemporaryDirectory() as d:
            sock = ringdrain.sock_path(d)
            srv = FakeRing(sock, chunks, bad)
            srv.start()
            killed = []
            with open(os.path.join(d, "probe.jsonl"), "wb") as out:
                dr = ringdrain.Drain(sock, out, lambda: killed.append(1), lambda: not killed)
                dr.start()
                dr.join(10)
            with open(os.path.join(d, "probe.jsonl"), "rb") as fh:
                return fh.read(), dr, srv, killed

    def test_every_byte_in_order_then_quit(self):
        chunks = [b'{"v":1,"type":"start"}\n', b"\x00\xff raw \x1b bytes", b'\n{"v":1,"type":"end"}\n']
        data, dr, srv, killed = self.drain(chunks)
        self.assertEqual(data, b"".join(chunks))
        self.assertTrue(dr.finished)
        self.assertIsNone(dr.error)
        self.assertEqual(srv.seen[0], "qmp_capabilities")
        self.assertEqual(srv.seen[-1], "quit")
        self.assertFalse(killed)

    def test_a_bad_answer_kills_the_vm(self):
        data, dr, srv, killed = self.drain([b"x"], bad=b'{"return": "not base64 !"}\n')
        self.assertTrue(killed)
        self.assertIn("results ring", dr.error)
        self.assertFalse(dr.finished)
        self.assertNotIn("quit", srv.seen)

    def test_a_reply_that_is_no_object_kills_the_vm(self):
        data, dr, srv, killed = self.drain([b"x"], bad=b'[1, 2]\n')
        self.assertTrue(killed)
        self.assertIn("AttributeError", dr.error)

    def test_command_line(self):
        c = next(c for c in configs.load([configs.DEFAULT_FILE]) if c.name == "q35")
        ring = matrix.vm_command("qemu", c, c.devices, "K", "I", "D", "/w", sockdir="/s", ring=True)
        plain = matrix.vm_command("qemu", c, c.devices, "K", "I", "D", "/w", sockdir="/s")
        self.assertIn(f"ringbuf,id=results,size={ringdrain.RING}", ring)
        self.assertIn("unix:/s/results.sock,server=on,wait=off", ring)
        self.assertIn("shutdown=pause", ring)
        self.assertIn("file,id=results,path=/w/probe.jsonl", plain)
        self.assertNotIn("-action", plain)

    def test_usable(self):
        class P:
            def __init__(self, out):
                self.returncode, self.stdout = 0, out

        def run(cmd, **kw):
            return P(b"Available chardev backend types:\n  ringbuf\n  file\n")
        self.assertTrue(ringdrain.usable("q", "7.2.22 (Debian)", run))
        self.assertFalse(ringdrain.usable("q", "5.2.0", run))  # no -action before 6.0
        self.assertFalse(ringdrain.usable("q", "7.2.0", lambda cmd, **kw: P(b"file\n")))


def elf_with_pvh_note(pvh_note=True):
    """A minimal 64-bit ELF whose one program header is a PT_NOTE."""
    name = b"Xen\0"
    note = struct.pack("<III", len(name), 8, pvh.PVH_NOTE if pvh_note else 5) + name + b"\0" * 8
    ph = struct.pack("<IIQQQQQQ", 4, 0, 64 + 56, 0, 0, len(note), len(note), 4)
    head = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    head += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    return head + ph + note


def bzimage(payload):
    """A bzImage-shaped file: setup sectors, HdrS, payload offset and length."""
    setup = 4
    img = bytearray((setup + 1) * 512)
    img[0x1F1] = setup
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x20F)
    struct.pack_into("<II", img, 0x248, 16, len(payload))
    return bytes(img) + b"\0" * 16 + payload + b"\0" * 64


class Pvh(unittest.TestCase):
    def test_machine_types(self):
        for m in ("pc", "q35", "pc-i440fx-7.2", "pc-q35-4.0"):
            self.assertTrue(pvh.machine_ok(m), m)
        for m in ("pc-i440fx-2.6", "pc-i440fx-2.7", "pc-q35-3.1", "microvm", "isapc"):
            self.assertFalse(pvh.machine_ok(m), m)
        self.assertTrue(pvh.qemu_ok("7.2.22 (Debian)"))
        self.assertFalse(pvh.qemu_ok("3.1.0"))

    def test_payload_with_the_entry_is_cached_once(self):
        elf = elf_with_pvh_note()
        self.assertTrue(pvh.has_pvh_entry(elf))
        self.assertFalse(pvh.has_pvh_entry(elf_with_pvh_note(False)))
        with tempfile.TemporaryDirectory() as d:
            k = os.path.join(d, "vmlinuz")
            with open(k, "wb") as fh:  # the kernel appends the size after the gzip stream
                fh.write(bzimage(gzip.compress(elf) + struct.pack("<I", len(elf))))
            path, why = pvh.elf_kernel(k, os.path.join(d, "cache"))
            self.assertEqual(why, "")
            with open(path, "rb") as fh:
                self.assertEqual(fh.read(), elf)
            self.assertEqual(pvh.elf_kernel(k, os.path.join(d, "cache"))[0], path)

    def test_no_entry_or_no_bzimage_keeps_the_bzimage(self):
        with tempfile.TemporaryDirectory() as d:
            k = os.path.join(d, "vmlinuz")
            with open(k, "wb") as fh:
                fh.write(bzimage(gzip.compress(elf_with_pvh_note(False))))
            self.assertIsNone(pvh.elf_kernel(k, d)[0])
            with open(k, "wb") as fh:
                fh.write(b"MZ not a kernel" * 100)
            self.assertIsNone(pvh.elf_kernel(k, d)[0])


class Initramfs(unittest.TestCase):
    def test_libraries_once_with_links(self):
        with tempfile.TemporaryDirectory() as d:
            real = os.path.join(d, "usr", "lib", "libx.so.1.2")
            os.makedirs(os.path.dirname(real))
            with open(real, "wb") as fh:
                fh.write(b"LIBRARY")
            alias = os.path.join(d, "libx.so.1")
            os.symlink(real, alias)
            probe = os.path.join(d, "probe")
            with open(probe, "wb") as fh:
                fh.write(b"PROBE")
            img = guest._write_initramfs(probe, os.path.join(d, "i.img"), [alias], [])
            with open(img, "rb") as fh:
                data = fh.read()
            entries, pos = {}, 0
            while pos < len(data):
                hdr = data[pos:pos + 110]
                mode, size, namesize = int(hdr[14:22], 16), int(hdr[54:62], 16), int(hdr[94:102], 16)
                name = data[pos + 110:pos + 110 + namesize - 1].decode()
                pos = (pos + 110 + namesize + 3) & ~3
                entries[name] = (mode, data[pos:pos + size])
                pos = (pos + size + 3) & ~3
                if name == "TRAILER!!!":
                    break
            self.assertEqual(entries["init"][1], b"PROBE")
            self.assertEqual(entries[real.lstrip("/")][1], b"LIBRARY")
            mode, target = entries[alias.lstrip("/")]
            self.assertTrue(stat.S_ISLNK(mode))
            self.assertEqual(target, real.encode())
            self.assertEqual(data.count(b"LIBRARY"), 1)


def elf_object(names):
    """A minimal ELF64 relocatable with sections named names (and .shstrtab)."""
    strtab = b"\0" + b"".join(n + b"\0" for n in names) + b".shstrtab\0"
    offs, pos = [], 1
    for n in names:
        offs.append(pos)
        pos += len(n) + 1
    shoff = 64 + len(strtab)
    head = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    head += struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, len(names) + 2, len(names) + 1)
    sh = b"\0" * 64
    for o in offs:
        sh += struct.pack("<IIQQQQIIQQ", o, 1, 0, 0, 64, 0, 0, 0, 1, 0)
    sh += struct.pack("<IIQQQQIIQQ", pos, 3, 0, 0, 64, len(strtab), 0, 0, 1, 0)
    return head + strtab + sh


def section_names(data):
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    num, strndx = struct.unpack_from("<HH", data, 0x3C)
    stroff = struct.unpack_from("<Q", data, shoff + strndx * 64 + 0x18)[0]
    out = []
    for i in range(1, num):
        n = struct.unpack_from("<I", data, shoff + i * 64)[0]
        out.append(data[stroff + n:data.index(b"\0", stroff + n)])
    return out


class LeanModules(unittest.TestCase):
    """The initramfs's modules skip the guest kernel's signature check and
    BTF parsing (guest.lean_module); their code must stay byte for byte."""

    def signed(self, body, sig=b"S" * 300):
        info = bytes([0, 0, 2, 0, 0, 0, 0, 0]) + len(sig).to_bytes(4, "big")  # PKCS#7: no signer, no key id
        return body + sig + info + guest.SIG_MARK

    def test_signature_cut_and_btf_renamed(self):
        body = elf_object([b".text", b".BTF", b".BTF.ext"])
        lean = guest.lean_module(self.signed(body))
        self.assertEqual(len(lean), len(body))
        self.assertEqual(section_names(lean), [b".text", b".btf", b".BTF.ext", b".shstrtab"])
        self.assertEqual(sum(a != b for a, b in zip(lean, body)), 3)  # B, T, F of one name

    def test_initramfs_leans_modules_unless_told_not_to(self):
        with tempfile.TemporaryDirectory() as d:
            probe, mod = os.path.join(d, "probe"), os.path.join(d, "m.ko")
            with open(probe, "wb") as fh:
                fh.write(b"PROBE")
            signed = self.signed(elf_object([b".text", b".BTF"]))
            with open(mod, "wb") as fh:
                fh.write(signed)
            for lean in (True, False):
                img = guest._write_initramfs(probe, os.path.join(d, "i.img"), [], [(mod, "modules/00-m.ko")], lean)
                with open(img, "rb") as fh:
                    data = fh.read()
                self.assertEqual(guest.SIG_MARK in data, not lean)
                self.assertEqual(b".btf\0" in data, lean)

    def test_a_shared_name_or_no_elf_stays(self):
        shared = elf_object([b".text", b".rela.BTF"])  # ".BTF" as the tail of another name
        data = bytearray(shared)  # point a second section at that tail
        shoff = struct.unpack_from("<Q", data, 0x28)[0]
        struct.pack_into("<I", data, shoff + 3 * 64, 1 + len(b".text\0") + len(b".rela"))
        data = bytes(data)
        self.assertEqual(guest.lean_module(data), data)
        self.assertEqual(guest.lean_module(b"not an ELF" * 20), b"not an ELF" * 20)
        self.assertEqual(guest.lean_module(self.signed(b"\x7fELF junk")), b"\x7fELF junk")

    def test_the_real_modules_load_shape(self):
        """Every module of the cached kernel that the initramfs takes: shorter
        by its signature, one section renamed, all else equal."""
        import glob
        kernels = sorted(glob.glob(os.path.join(guest.cache_dir(), "kernel", "*", "boot", "vmlinuz-*")))
        moddir = kernels and guest.kernel_modules_dir(kernels[-1])  # never a download from a test
        if not moddir:
            self.skipTest("no cached guest kernel")
        for src, _ in guest.driver_modules(moddir) + guest.irq_modules(moddir):
            with open(src, "rb") as fh:
                data = fh.read()
            lean = guest.lean_module(data)
            self.assertFalse(lean.endswith(guest.SIG_MARK), src)
            self.assertLess(len(lean), len(data), src)
            self.assertIn(b".btf", section_names(lean), src)
            self.assertNotIn(b".BTF", section_names(lean), src)
            self.assertEqual(sum(a != b for a, b in zip(lean, data)), 3, src)


class Runner(unittest.TestCase):
    def test_qemu_cpu_time_is_recorded(self):
        """run._wait reads QEMU's CPU time before reaping it (results.json's
        vms[].cpu, the figure to compare speed by on a shared machine)."""
        import subprocess
        import time
        with tempfile.TemporaryDirectory() as d:
            burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
            p = subprocess.Popen([sys.executable, "-c", burn])
            self.assertFalse(procs.exited(p))
            usage = {}
            rc, status, _ = run._wait(p, 30, d, time.monotonic(), threading.Event(), watchdogs=False, usage=usage)
            self.assertEqual((rc, status), (0, "ok"))
            self.assertGreaterEqual(usage["cpu"], 0.25)
            self.assertTrue(procs.exited(p))

    def test_a_refused_configuration_starts_once_per_device(self):
        cfgs = {c.name: c for c in configs.load([configs.DEFAULT_FILE])}
        cells = matrix.cells([cfgs["pc-both-off"], cfgs["q35"]])
        plans = plan.plan(cells)
        refused = [vp for vp in plans if vp.config.name == "pc-both-off"]
        self.assertEqual(len(refused), len(cfgs["pc-both-off"].devices))
        self.assertTrue(all(len(vp.cells) == 1 for vp in refused))
        self.assertEqual(sorted(vp.name for vp in refused),
                         sorted(f"pc-both-off-{d}" for d in cfgs["pc-both-off"].devices))

    def test_kernel_command_line(self):
        line = matrix.kernel_cmdline(["--json", "x"])
        for opt in ("cryptomgr.notests", "noapictimer", "no_timer_check"):
            self.assertIn(opt, line.split())


if __name__ == "__main__":
    unittest.main()
