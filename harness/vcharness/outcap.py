"""Bounds on what one VM leaves on disk. A guest (or QEMU) can write without
end to its console, results channel or stderr: the runner stops a VM whose
files pass FLOOD_LIMIT, and afterwards keeps the head and tail of any file
past KEEP, with a line saying how much was cut."""
import os

FLOOD_LIMIT = 32 << 20   # one VM's output file past this stops the VM
KEEP = 1 << 20           # kept per file: half from the head, half from the tail
WATCHED = ("console.log", "probe.jsonl", "qemu.stderr")


def largest(workdir, names=WATCHED):
    """(name, size) of the largest watched file."""
    best = (None, 0)
    for n in names:
        try:
            size = os.path.getsize(os.path.join(workdir, n))
        except OSError:
            continue
        if size > best[1]:
            best = (n, size)
    return best


def trim(path, keep=KEEP):
    """Cuts the middle out of a file larger than keep; returns the size it
    had when it was cut, or None."""
    try:
        size = os.path.getsize(path)
        if size <= keep:
            return None
        half = keep // 2
        with open(path, "rb") as fh:
            head = fh.read(half)
            fh.seek(size - half)
            tail = fh.read(half)
        note = f"\n[vconform: {size} bytes, {size - 2 * half} cut from the middle]\n".encode()
        with open(path + ".cut", "xb") as out:  # O_EXCL: never through a planted link
            out.write(head + note + tail)
        os.replace(path + ".cut", path)
        return size
    except OSError:
        return None


def trim_all(workdir, names=WATCHED, keep=KEEP):
    """{name: original size} of the files that were cut."""
    cut = {}
    for n in names:
        size = trim(os.path.join(workdir, n), keep)
        if size is not None:
            cut[n] = size
    return cut
