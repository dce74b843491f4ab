"""The guest kernel as an ELF with a PVH entry point, so QEMU starts it in
32-bit mode at its PVH entry: no firmware hand-over to the bzImage's
real-mode setup code, and no decompressor. Under TCG the decompressor
(LZ4 for Debian's cloud kernel, 53 MB written) and the setup take about
0.4 s of every VM's boot. The ELF is the bzImage's own payload,
decompressed once into the cache; the kernel that runs is the same.

QEMU loads a PVH ELF with -kernel on machine types from 4.0 on (their
pvh_enabled); older ones (pc-i440fx-2.6 and 2.7 in the default matrix)
keep the bzImage (machine_ok)."""
import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile

PVH_NOTE = 18  # XEN_ELFNOTE_PHYS32_ENTRY: the PVH entry point


def machine_ok(machine):
    """Whether QEMU boots a PVH ELF with -kernel on this machine type: the
    pc and q35 aliases (the newest version) and versioned types from 4.0."""
    if machine in ("pc", "q35"):
        return True
    m = re.match(r"pc-(?:i440fx|q35)-(\d+)\.(\d+)$", machine)
    return bool(m) and int(m.group(1)) >= 4


def qemu_ok(version):
    """QEMU loads PVH ELF kernels since 4.0 ('7.2.11 (Debian ...)')."""
    m = re.match(r"(\d+)\.", version or "")
    return bool(m) and int(m.group(1)) >= 4


def _payload(bz):
    """(compression, bytes) of a bzImage's compressed kernel, or None."""
    if len(bz) < 0x250 or bz[0x202:0x206] != b"HdrS" or struct.unpack_from("<H", bz, 0x206)[0] < 0x208:
        return None
    setup = (bz[0x1F1] or 4) + 1
    off, length = struct.unpack_from("<II", bz, 0x248)
    start = setup * 512 + off
    data = bz[start:start + length]
    if len(data) != length or length < 16:
        return None
    for name, magic in (("gzip", b"\x1f\x8b"), ("xz", b"\xfd7zXZ\x00"), ("lz4", b"\x02\x21\x4c\x18"),
                        ("zstd", b"\x28\xb5\x2f\xfd"), ("bzip2", b"BZh"), ("elf", b"\x7fELF")):
        if data.startswith(magic):
            return name, data
    return None


def _decompress(kind, data, tmp):
    """The payload decompressed: the standard library for gzip, xz and
    bzip2, the lz4 and zstd tools for theirs (None when absent)."""
    import bz2
    import lzma
    import zlib
    if kind == "elf":
        return data
    if kind == "gzip":  # the kernel appends the size after the stream: decode the stream only
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    if kind == "xz":
        # the kernel's xz stream may be followed by its size: decode the first stream only
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    if kind == "bzip2":
        return bz2.BZ2Decompressor().decompress(data)
    tool = {"lz4": ["lz4", "-dc"], "zstd": ["zstd", "-dcq"]}[kind]
    if not shutil.which(tool[0]):
        return None
    src = os.path.join(tmp, "payload")
    with open(src, "wb") as fh:
        fh.write(data)
    # the kernel's lz4 payload is a legacy frame followed by its size; lz4 stops at the end of the frames
    p = subprocess.run(tool + [src], capture_output=True, timeout=120)
    return p.stdout if p.stdout.startswith(b"\x7fELF") else None


def has_pvh_entry(elf):
    """Whether a 64-bit little-endian ELF has a PT_NOTE with the PVH entry."""
    if len(elf) < 64 or elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(min(phnum, 64)):
        base = phoff + i * phentsize
        if base + 56 > len(elf):
            return False
        ptype, = struct.unpack_from("<I", elf, base)
        if ptype != 4:  # PT_NOTE
            continue
        off, = struct.unpack_from("<Q", elf, base + 8)
        size, = struct.unpack_from("<Q", elf, base + 32)
        pos, end = off, min(off + size, len(elf))
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and ntype == PVH_NOTE:
                return True
            pos += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    return False


def elf_kernel(kernel, cache):
    """Path of kernel's PVH ELF (made once in cache/pvh), or (None, why)
    when it has none: (path, "") on success."""
    try:
        with open(kernel, "rb") as fh:
            bz = fh.read(256 << 20)
    except OSError as e:
        return None, f"cannot read {kernel}: {e.strerror}"
    if bz[:4] == b"\x7fELF":
        return (kernel, "") if has_pvh_entry(bz) else (None, "an ELF kernel without a PVH entry")
    key = hashlib.sha256(bz).hexdigest()[:24]
    dest = os.path.join(cache, "pvh", f"vmlinux-{key}")
    if os.path.exists(dest):
        return dest, ""
    found = _payload(bz)
    if not found:
        return None, "not a bzImage with a known payload compression"
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(dest)) as tmp:
        try:
            elf = _decompress(found[0], found[1], tmp)
        except (OSError, EOFError, ValueError, subprocess.TimeoutExpired) as e:
            return None, f"{found[0]} payload: {e}"
        if not elf:
            return None, f"no {found[0]} tool to decompress the payload"
        if not has_pvh_entry(elf):
            return None, "the kernel has no PVH entry point (CONFIG_PVH)"
        part = os.path.join(tmp, "vmlinux")
        with open(part, "wb") as fh:
            fh.write(elf)
        os.replace(part, dest)
    return dest, ""
