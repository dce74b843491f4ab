"""A build folder and kernel for running vconform-run against a fake QEMU:
the runner only needs an executable probe (it is never run: the fake QEMU
writes the results) and a file with a bzImage header."""
import os


def make(root):
    """(build folder, kernel path) under root."""
    build = os.path.join(root, "build")
    os.makedirs(os.path.join(build, "guest-probe"))
    probe = os.path.join(build, "guest-probe", "vconform-probe")
    with open(probe, "w") as fh:
        fh.write("#!/bin/sh\nexit 0\n")
    os.chmod(probe, 0o755)
    kernel = os.path.join(root, "vmlinuz")
    with open(kernel, "wb") as fh:  # a bzImage header is all the runner checks
        fh.write(b"\0" * 0x202 + b"HdrS" + b"\0" * 64)
    return build, kernel
