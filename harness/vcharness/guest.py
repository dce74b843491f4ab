"""The guest image: a Debian cloud kernel and an initramfs whose /init is
the probe (with the shared libraries it needs). Built with the standard
library only: the cpio archive is written here, not by cpio(1)."""
import glob
import os
import re
import shutil
import stat
import subprocess
import tempfile

KERNEL_META = "linux-image-cloud-amd64"


class GuestError(Exception):
    """The guest image cannot be built (clear message for the user)."""


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "vconform")


def _kernel_package():
    """The versioned cloud kernel package the meta package points at."""
    m = None
    for attempt in (0, 1):
        try:
            out = subprocess.run(["apt-cache", "depends", KERNEL_META], capture_output=True,
                                 text=True, timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            raise GuestError(f"apt-cache is not usable: {e}") from e
        m = re.search(r"Depends:\s*(linux-image-[0-9][^\s]*-cloud-amd64)", out)
        if m or attempt or os.geteuid() != 0:
            break
        # a fresh machine may have no package lists yet
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600)
    if not m:
        raise GuestError(f"apt-cache knows no {KERNEL_META}: run 'apt-get update', or pass --kernel")
    return m.group(1)


def fetch_kernel(cache=None, log=print):
    """Path of a cloud kernel (vmlinuz), downloaded and unpacked once into the cache."""
    cache = cache or cache_dir()
    found = sorted(glob.glob(os.path.join(cache, "kernel", "*", "boot", "vmlinuz-*")))
    if found:
        return found[-1]
    pkg = _kernel_package()
    dest = os.path.join(cache, "kernel", pkg)
    os.makedirs(cache, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        log(f"fetching {pkg} (apt-get download) ...")
        p = subprocess.run(["apt-get", "download", pkg], cwd=tmp, capture_output=True, text=True,
                           timeout=600)
        debs = glob.glob(os.path.join(tmp, "*.deb"))
        if p.returncode != 0 or not debs:
            raise GuestError(f"apt-get download {pkg} failed: {p.stderr.strip()[-300:]}")
        unpack = os.path.join(tmp, "x")
        p = subprocess.run(["dpkg-deb", "-x", debs[0], unpack], capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0:
            raise GuestError(f"dpkg-deb -x failed: {p.stderr.strip()[-300:]}")
        os.makedirs(os.path.join(dest, "boot"), exist_ok=True)
        for f in glob.glob(os.path.join(unpack, "boot", "vmlinuz-*")):
            shutil.copy2(f, os.path.join(dest, "boot"))
        mods = glob.glob(os.path.join(unpack, "lib", "modules", "*"))
        if mods:  # the driver-certification profile loads virtio drivers from here, the probe uio
            shutil.move(mods[0], os.path.join(dest, "modules"))
    found = sorted(glob.glob(os.path.join(dest, "boot", "vmlinuz-*")))
    if not found:
        raise GuestError(f"{pkg} has no boot/vmlinuz-*")
    return found[-1]


def check_kernel(path):
    """A Linux bzImage (or an ELF kernel) QEMU can boot with -kernel; said
    before any VM starts, not as a refusal in every cell."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(0x210)
    except IsADirectoryError:
        raise GuestError(f"kernel {path} is a folder") from None
    except OSError as e:
        raise GuestError(f"cannot read kernel {path}: {e.strerror}") from None
    if head[:4] != b"\x7fELF" and head[0x202:0x206] != b"HdrS":
        raise GuestError(f"{path} is not a kernel image (no bzImage header 'HdrS' at 0x202, no ELF header)")


def shared_libs(binary):
    """Absolute paths of the shared libraries (and the loader) binary needs."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        if "not a dynamic executable" in (p.stdout + p.stderr):
            return []
        raise GuestError(f"ldd {binary}: {p.stderr.strip()}")
    libs = []
    for line in p.stdout.splitlines():
        m = re.search(r"(/\S+)\s+\(0x", line)
        if "not found" in line:
            raise GuestError(f"{binary} needs a library that is not installed: {line.strip()}")
        if m:
            libs.append(m.group(1))
    return libs


def _cpio_entry(out, name, mode, data=b"", ino=[1000]):
    ino[0] += 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08x}" for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
    out.write(hdr.encode() + name_b)
    out.write(b"\0" * ((4 - (110 + len(name_b)) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def _stripped(probe, tmpdir):
    """The probe without its debug information (a quarter of the size: the
    guest kernel unpacks every byte of the initramfs under TCG), or the
    probe itself when strip(1) is not there."""
    out = os.path.join(tmpdir, "init")
    try:
        p = subprocess.run(["strip", "--strip-debug", "-o", out, probe], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return probe
    return out if p.returncode == 0 and os.path.exists(out) else probe


def build_initramfs(probe, dest, extra_files=(), lean=True):
    """Writes a newc cpio initramfs at dest: /init is the probe (without
    debug information), each shared library once, under its real path, with
    a symbolic link for the path the loader asks for; lean: kernel modules
    through lean_module (not for a user's --modules: a kernel of theirs may
    enforce signatures)."""
    if not os.access(probe, os.X_OK):
        raise GuestError(f"probe binary {probe} is missing: build it first (cmake --build)")
    with tempfile.TemporaryDirectory() as tmpdir:
        return _write_initramfs(_stripped(probe, tmpdir), dest, shared_libs(probe), extra_files, lean)


def _write_initramfs(probe, dest, libs, extra_files, lean=True):
    files, links = [(probe, "init")], {}
    for lib in libs:
        real = os.path.realpath(lib)
        files.append((real, real.lstrip("/")))
        if real != lib:  # the path the loader asks for is often a link (merged /usr)
            links[lib.lstrip("/")] = real
    files.extend(extra_files)
    dirs = {"proc", "sys", "dev", "tmp"}
    for arc in [arc for _, arc in files] + list(links):
        parts = arc.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    tmp = dest + ".tmp"
    with open(tmp, "wb") as out:
        for d in sorted(dirs):
            _cpio_entry(out, d, stat.S_IFDIR | 0o755)
        seen = set()
        for src, arc in files:
            if arc in seen:
                continue
            seen.add(arc)
            with open(src, "rb") as fh:
                data = fh.read()
            if lean and arc.endswith(".ko"):
                data = lean_module(data)
            _cpio_entry(out, arc, stat.S_IFREG | 0o755, data)
        for arc, target in sorted(links.items()):
            if arc not in seen:
                seen.add(arc)
                _cpio_entry(out, arc, stat.S_IFLNK | 0o777, target.encode())
        _cpio_entry(out, "TRAILER!!!", 0)
    os.replace(tmp, dest)
    return dest


SIG_MARK = b"~Module signature appended~\n"


def lean_module(data):
    """A kernel module as the guest loads it fastest, its code untouched:
    without its appended signature (the kernel hashes the module and checks
    an RSA signature under TCG, then loads it anyway, tainted 'E'), and with
    its .BTF section renamed so the kernel does not parse its type
    information: together about 0.25 s of QEMU CPU time per VM with the
    seventeen driver modules. Anything unexpected leaves data as it is."""
    if data.endswith(SIG_MARK) and len(data) > len(SIG_MARK) + 12:
        # struct module_signature (12 bytes, sig_len big-endian last) before the mark
        info = data[-len(SIG_MARK) - 12:-len(SIG_MARK)]
        sig_len = int.from_bytes(info[8:12], "big")
        cut = len(SIG_MARK) + 12 + sig_len + info[3] + info[4]  # signer, key id
        if cut < len(data):
            data = data[:-cut]
    return _rename_section(data, b".BTF", b".btf")


def _rename_section(data, old, new):
    """data (an ELF64 little-endian object) with section old named new
    (same length), when old's name is a string of its own."""
    if len(old) != len(new) or data[:6] != b"\x7fELF\x02\x01" or len(data) < 64:
        return data
    shoff = int.from_bytes(data[0x28:0x30], "little")
    shentsize, shnum, shstrndx = (int.from_bytes(data[o:o + 2], "little") for o in (0x3A, 0x3C, 0x3E))
    if shentsize != 64 or shstrndx >= shnum or shoff + shnum * 64 > len(data):
        return data
    hdr = [data[shoff + i * 64:shoff + i * 64 + 64] for i in range(shnum)]
    stroff = int.from_bytes(hdr[shstrndx][0x18:0x20], "little")
    strsize = int.from_bytes(hdr[shstrndx][0x20:0x28], "little")
    names = [int.from_bytes(h[0:4], "little") for h in hdr]
    at = [n for n in names if n + len(old) < strsize and data[stroff + n:stroff + n + len(old) + 1] == old + b"\0"]
    if len(at) != 1:
        return data  # absent, or twice
    pos = stroff + at[0]
    for n in names:  # a name sharing the string (".rela.BTF" ends in it) keeps it
        start = stroff + n
        end = data.find(b"\0", start)
        if n != at[0] and start < pos + len(old) and (end < 0 or end > pos):
            return data
    return data[:pos] + new + data[pos + len(new):]


def pattern_disk(path, sectors=2048):
    """Raw disk image carrying the probe's known pattern (PROTOCOL.md)."""
    ramp = bytes(range(256)) * 3  # byte i of sector s is (s + i) & 0xFF: a slice of the ramp
    with open(path, "wb") as fh:
        fh.write(b"".join(b"vconform" + s.to_bytes(8, "little") + ramp[(s + 16) % 256:(s + 16) % 256 + 496]
                          for s in range(sectors)))
    return path


DRIVER_MODULES = ["virtio_pci", "virtio_rng", "virtio_blk", "virtio_net", "virtio_console",
                  "virtio_balloon", "virtio_scsi", "sd_mod", "virtio_input"]


def _modinfo_depends(path):
    with open(path, "rb") as fh:
        data = fh.read()
    i = data.find(b"\0depends=")
    if i < 0:
        return []
    end = data.find(b"\0", i + 1)
    return [d for d in data[i + 9:end].decode("ascii", "replace").split(",") if d]


# what the probe profile loads to count INTx (the kernel's vfio has no
# no-IOMMU mode, so uio_pci_generic is the interrupt driver it can use)
IRQ_MODULES = ["uio_pci_generic"]
IRQ_DIR = "irqmod"


def driver_modules(moddir, wanted=DRIVER_MODULES, folder="modules", need="virtio_pci"):
    """(path, name in the initramfs) of the wanted modules and everything they
    depend on (from each module's own depends= field), numbered in load order
    in folder; GuestError when need is not among them."""
    paths = {}
    for dirpath, _, files in os.walk(moddir):
        for f in files:
            if f.endswith(".ko"):
                paths[f[:-3].replace("-", "_")] = os.path.join(dirpath, f)
    order, seen = [], set()

    def visit(name, depth=0):
        if name in seen or depth > 32:
            return
        seen.add(name)
        if name not in paths:
            return  # built into the kernel
        for dep in _modinfo_depends(paths[name]):
            visit(dep.replace("-", "_"), depth + 1)
        order.append(name)

    for w in wanted:
        visit(w)
    if need and need not in order:
        raise GuestError(f"{moddir} has no {need} module")
    return [(paths[n], f"{folder}/{i:02d}-{n}.ko") for i, n in enumerate(order)]


def irq_modules(moddir):
    """The INTx modules for the probe's initramfs; none when the kernel
    lacks them (the probe then says INTx is not counted)."""
    if not moddir:
        return []
    return driver_modules(moddir, IRQ_MODULES, IRQ_DIR, need=None)


def kernel_modules_dir(kernel):
    """The modules folder fetched beside a cached kernel, or None."""
    d = os.path.join(os.path.dirname(os.path.dirname(kernel)), "modules")
    return d if os.path.isdir(d) else None


QBOOT_PATHS = ["/usr/share/qemu/qboot.rom"]  # Debian: qemu-system-data


def firmware(choice):
    """The -bios image for a --firmware choice; None for QEMU's own SeaBIOS.
    qboot only loads the kernel: it skips SeaBIOS's device set-up (0.4 s per
    VM under TCG), and the devices under test meet no firmware driver first."""
    if choice == "seabios":
        return None
    if choice in ("auto", "qboot"):
        found = next((p for p in QBOOT_PATHS if os.path.exists(p)), None)
        if found or choice == "auto":
            return found
        raise GuestError("qboot.rom not found (" + ", ".join(QBOOT_PATHS) + "): install qemu-system-data")
    if not os.path.exists(choice):
        raise GuestError(f"firmware image {choice} does not exist")
    return os.path.abspath(choice)
