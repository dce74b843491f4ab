"""The results channel through QEMU's memory: the debug console writes
into a ring buffer chardev (no system call per byte: a file chardev makes
one write(2) for every byte the guest sends to port 0xe9, 0.3 s of host
time per probe VM under TCG), and a Drain thread copies it out over a QMP
socket of its own into probe.jsonl, which grows as before (the watchdogs,
the configuration changer and the reports read that file). The VM pauses
when the guest powers off (-action shutdown=pause), the thread empties
the ring and quits QEMU, so no byte is lost on a normal end.

What the ring cannot keep: bytes written in the last poll interval before
QEMU crashes or is killed. run.py runs such a VM again with the file
channel, so a crash is pinned as precisely as before. The guest is
untrusted: the ring overwrites what it cannot hold (lines lost are counted
against the end record), the file's growth is bounded by the runner's
flood limit, every socket wait is bounded."""
import base64
import binascii
import json
import os
import socket
import threading
import time

RING = 4 << 20        # bytes the ring holds (a power of two, as QEMU wants)
CHUNK = 1 << 20       # bytes asked for per read
# Seconds between reads: POLL_BUSY after a read that found data (the guest
# is writing; the probe's notes to the configuration changer (qmp.py) come
# in the middle of its output and wait for an answer, so they must not wait
# long here), doubling on each empty read up to POLL_IDLE (a booting guest).
POLL_BUSY = 0.003
POLL_IDLE = 0.02
TIMEOUT = 5.0         # per QMP exchange
CONNECT = 20.0        # QEMU creates the socket at start-up (run.BOOT_TIMEOUT)


def qemu_args(sock):
    """QEMU arguments for the ring channel: the chardev the debug console
    writes to (id results), its monitor, and a pause at power-off."""
    from .matrix import qopt
    return ["-chardev", f"ringbuf,id=results,size={RING}",
            "-qmp", "unix:" + qopt(sock) + ",server=on,wait=off",
            "-action", "shutdown=pause"]


def usable(qemu, version, run=None):
    """Whether this QEMU lists ring buffer chardevs and has -action (6.0
    on; version as 'qemu --version' gave it, '7.2.11 (Debian ...)')."""
    import re
    import subprocess
    m = re.match(r"(\d+)\.", version or "")
    if not m or int(m.group(1)) < 6:
        return False
    try:
        chardevs = (run or subprocess.run)([qemu, "-chardev", "help"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return chardevs.returncode == 0 and b"ringbuf" in chardevs.stdout


class Drain(threading.Thread):
    """Copies the ring into out (an open binary file) until QEMU has shut
    the guest down and quit; kill() ends QEMU when the drain cannot go on
    (a paused VM would otherwise wait for its time limit)."""

    def __init__(self, sock, out, kill, alive):
        super().__init__(daemon=True)
        self.sock_path, self.out, self.kill, self.alive = sock, out, kill, alive
        self.stopping = threading.Event()
        self.error = None     # why the drain gave up (the VM then runs again with the file channel)
        self.finished = False  # the guest shut down and every byte was copied
        self.sock, self.buf = None, b""

    def stop(self):
        self.stopping.set()
        self.join(timeout=2 * TIMEOUT)

    def run(self):
        try:
            self._connect()
            if self.sock is None:
                return
            self._command("qmp_capabilities")
            shut, nap = False, POLL_IDLE
            while not self.stopping.is_set():
                events, data = self._read()
                shut = shut or "SHUTDOWN" in events
                if shut and not data:  # everything written before the power-off is out
                    self.finished = True
                    self._command("quit")
                    return
                nap = POLL_BUSY if data else min(2 * nap, POLL_IDLE)
                self.stopping.wait(nap)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError, binascii.Error) as e:
            # QEMU closing the monitor as it exits (a refusal, a crash) is
            # QEMU's outcome, not the drain's
            end = time.monotonic() + 1.0
            while self.alive() and time.monotonic() < end and not self.stopping.is_set():
                time.sleep(0.01)
            if self.alive() and not self.stopping.is_set():
                self.error = f"results ring: {type(e).__name__}: {e}"[:200]
                self.kill()
        finally:
            if self.sock:
                self.sock.close()

    def _connect(self):
        end = time.monotonic() + CONNECT
        while not self.stopping.is_set() and self.alive():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(TIMEOUT)
            try:
                s.connect(self.sock_path)
                self.sock = s
                self._line()  # the greeting
                return
            except OSError:
                s.close()
                self.sock = None
                if time.monotonic() > end:
                    raise
                time.sleep(0.005)

    def _line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 4 * CHUNK:
                raise ValueError("monitor line too long")
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise OSError("monitor closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)

    def _command(self, execute, **arguments):
        """(events seen before the answer, the answer's return value)."""
        msg = {"execute": execute, **({"arguments": arguments} if arguments else {})}
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        events = []
        for _ in range(256):
            reply = self._line()
            if "return" in reply:
                return events, reply["return"]
            if "error" in reply:
                raise ValueError(f"{execute}: {reply['error'].get('desc', reply['error'])}")
            events.append(reply.get("event"))
        raise ValueError(f"{execute}: no answer")

    def _read(self):
        events, ret = self._command("ringbuf-read", device="results", size=CHUNK, format="base64")
        data = base64.b64decode(ret, validate=True) if ret else b""
        if data:
            self.out.write(data)
            self.out.flush()
        return events, data


def sock_path(sockdir):
    return os.path.join(sockdir, "results.sock")
