"""QEMU processes the runner starts: each in a session (and so a process
group) of its own, so one kill reaches a wrapper script's children and a
stopped QEMU too, and Ctrl-C in the terminal reaches only the runner, which
then ends every group it started."""
import os
import signal
import subprocess
import threading


class Procs:
    def __init__(self):
        self._lock = threading.RLock()  # stop_all may run in a signal handler
        self._live = {}            # pid (= process group id) -> Popen
        self.stopping = threading.Event()

    def spawn(self, cmd, stdout, stderr):
        """Starts cmd in a new session; refuses once stopping is set."""
        with self._lock:
            if self.stopping.is_set():
                raise InterruptedError("the run is stopping")
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                 start_new_session=True, close_fds=True)
            self._live[p.pid] = p
        return p

    def end(self, p):
        """Kills p's whole process group (whatever is left of it after p
        exited, too) and reaps p."""
        _killpg(p.pid)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:  # unkillable (D state): not ours to wait on for ever
            pass
        with self._lock:
            self._live.pop(p.pid, None)

    def stop_all(self):
        """No new process starts; every live group is killed now."""
        with self._lock:
            self.stopping.set()
            live = list(self._live)
        for pid in live:
            _killpg(pid)

    def count(self):
        with self._lock:
            return len(self._live)


def exited(p):
    """True once p has ended, without reaping it: a zombie's /proc entry
    still holds its CPU time (cpu_seconds). Never reaps, so a thread that
    asks while another waits takes nothing from it."""
    if p.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already
        return True


def cpu_seconds(pid):
    """User plus system CPU time of process pid and all its threads (also
    as a zombie, before it is reaped), or None when /proc cannot say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, IndexError, ValueError):
        return None


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)  # SIGKILL ends a stopped process too
    except (ProcessLookupError, PermissionError):
        pass
