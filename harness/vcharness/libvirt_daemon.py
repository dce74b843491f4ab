"""A private libvirt for one run: libvirtd in session mode, every file it
keeps (configuration, socket, state, logs, QEMU's capabilities cache) in
one fresh temporary folder, started here and stopped here. As root it
runs as the unprivileged user 'nobody': a root libvirtd is the system
instance, whose paths (/run/libvirt, /var/lib/libvirt, /etc/libvirt) are
fixed and shared and which needs the libvirt-qemu user; a session daemon
needs neither, and its QEMU runs unprivileged. Nothing survives close():
libvirtd's process group is killed, any QEMU it started (QEMU leaves the
daemon's group) is found by the folder's path in its command line or
environment and killed, and the folder is removed. Only the capabilities
cache is kept, in vconform's cache folder, so the next run does not probe
QEMU again (libvirt checks it against the binary itself)."""
import grp
import os
import pwd
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from . import guest as guestmod

START_SECONDS = 20     # libvirtd's socket appears within 0.1 s
VIRSH_SECONDS = 60     # a first 'create' probes QEMU's capabilities: 2-3 s under TCG
PROBE_BYTES = 1 << 16


class DaemonError(Exception):
    """The private libvirt cannot be used (a message for the user)."""


def installed():
    """None when libvirtd and virsh are there, else what to do."""
    missing = [b for b in ("libvirtd", "virsh") if not _which(b)]
    if missing:
        return f"{' and '.join(missing)} not found: install libvirt (scripts/deps.sh libvirt)"
    return None


def _which(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


class Daemon:
    def __init__(self, procs, log=lambda *a: None, caps_cache=None):
        self.procs, self.log = procs, log
        self.caps_cache = caps_cache or os.path.join(guestmod.cache_dir(), "libvirt-caps")
        self.dir = None
        self.proc = None
        self.uid, self.gid = (None, None)
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("nobody")
            except KeyError:
                raise DaemonError("running as root, libvirt's session daemon needs an unprivileged user, "
                                  "and there is no user 'nobody'") from None
            self.uid, self.gid = pw.pw_uid, pw.pw_gid

    # -- the folder ------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def mkdir(self, rel):
        """rel and its parents inside the folder, each the daemon user's."""
        p = self.dir
        for part in rel.split("/"):
            p = os.path.join(p, part)
            if not os.path.isdir(p):
                os.mkdir(p, 0o700)
                self.own(p)
        return p

    def own(self, path):
        """path belongs to the daemon's user (it runs QEMU, which opens it)."""
        if self.uid is not None:
            os.chown(path, self.uid, self.gid, follow_symlinks=False)

    def write(self, rel, data, own=True):
        """A new file (O_EXCL: never through a link the daemon's user put
        there); the daemon's user's unless own is False (read-only for it)."""
        path = self.path(rel)
        with open(path, "xb" if isinstance(data, bytes) else "x") as fh:
            fh.write(data)
        if own:
            self.own(path)
        return path

    def _env(self):
        d = self.dir
        env = {"HOME": d, "XDG_CONFIG_HOME": f"{d}/config", "XDG_CACHE_HOME": f"{d}/cache",
               "XDG_DATA_HOME": f"{d}/data", "XDG_RUNTIME_DIR": f"{d}/run", "LC_ALL": "C",
               "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        return ["env", "-i"] + [f"{k}={v}" for k, v in env.items()]

    def _as_user(self):
        if self.uid is None:
            return []
        groups = "--clear-groups"
        if os.path.exists("/dev/kvm"):   # KVM, when the runner chose it, needs the kvm group
            try:
                groups = f"--groups={grp.getgrnam('kvm').gr_gid}"
            except KeyError:
                pass
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", groups]

    # -- lifecycle -------------------------------------------------------
    def start(self):
        """Makes the folder and starts libvirtd; bounded by START_SECONDS."""
        # /tmp keeps the socket's path short (unix sockets: 107 bytes)
        self.dir = tempfile.mkdtemp(prefix="vconform-libvirt-", dir="/tmp")
        # the folder and files/ stay ours (root's): the daemon's user, and a
        # QEMU a guest took over, cannot swap them for links to elsewhere
        os.chmod(self.dir, 0o755)
        os.mkdir(self.path("files"), 0o755)
        for sub in ("config/libvirt", "cache/libvirt/qemu/cache/capabilities", "data", "run"):
            self.mkdir(sub)
        # no virtlogd: QEMU's output goes straight to the domain's log file
        self.write("config/libvirt/qemu.conf", 'stdio_handler = "file"\n')
        self.write("config/libvirt/libvirtd.conf", 'log_outputs = "3:stderr"\n')
        self._load_caps()
        log = open(self.path("libvirtd.log"), "xb")
        try:
            self.proc = self.procs.spawn(self._as_user() + self._env() + [_which("libvirtd")], stdout=log, stderr=log)
        except InterruptedError:
            raise
        except OSError as e:
            raise DaemonError(f"cannot start libvirtd: {e}") from None
        finally:
            log.close()
        sock = self.path("run", "libvirt", "libvirt-sock")
        t0 = time.monotonic()
        while not os.path.exists(sock):
            if self.proc.poll() is not None:
                raise DaemonError(f"libvirtd exited at once (status {self.proc.returncode}): "
                                  f"{self.tail('libvirtd.log')}")
            if self.procs.stopping.is_set():
                raise InterruptedError("the run is stopping")
            if time.monotonic() - t0 > START_SECONDS:
                raise DaemonError(f"libvirtd made no socket within {START_SECONDS} s: {self.tail('libvirtd.log')}")
            time.sleep(0.02)
        self.uri = f"qemu+unix:///session?socket={sock}"

    def virsh(self, *args, timeout=VIRSH_SECONDS):
        """(exit status, stdout, stderr) of virsh against this daemon."""
        cmd = self._as_user() + self._env() + [_which("virsh"), "-q", "-c", self.uri] + list(args)
        p = self.procs.spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.procs.end(p)
            p.communicate()
            return None, "", f"virsh {args[0]} did not answer within {timeout:g} s"
        finally:
            self.procs.end(p)
        if self.procs.stopping.is_set():
            raise InterruptedError("the run is stopping")
        return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def pidfile(self, name):
        return self.path("run", "libvirt", "qemu", "run", f"{name}.pid")

    def domain_log(self, name):
        return self.path("cache", "libvirt", "qemu", "log", f"{name}.log")

    def tail(self, rel, n=600):
        try:
            with open(self.path(rel), "rb") as fh:
                fh.seek(0, 2)
                fh.seek(max(0, fh.tell() - n))
                return fh.read().decode("utf-8", "replace").strip().replace("\n", " | ")
        except OSError:
            return ""

    def close(self, keep=None):
        """Stops libvirtd and every process that uses the folder, keeps
        the capabilities cache (and what keep(folder) copies out), removes
        the folder. Safe to call twice."""
        if self.proc is not None:
            self.procs.end(self.proc)
            self.proc = None
        if self.dir is None:
            return
        left = kill_users(self.dir, self.uid if self.uid is not None else os.getuid())
        if left:
            self.log(f"vconform-run: processes still using {self.dir} after SIGKILL: {left}")
        self._save_caps()
        if keep:
            keep(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    # -- QEMU's capabilities, kept between runs --------------------------
    def _load_caps(self):
        dest = self.path("cache", "libvirt", "qemu", "cache", "capabilities")
        try:
            names = [n for n in os.listdir(self.caps_cache) if n.endswith(".xml")]
        except OSError:
            return
        for n in names[:16]:
            try:
                with open(os.path.join(self.caps_cache, n), "rb") as fh:
                    self.write(os.path.join(dest, n), fh.read(8 << 20))
            except OSError:
                pass

    def _save_caps(self):
        src = self.path("cache", "libvirt", "qemu", "cache", "capabilities")
        try:
            names = [n for n in os.listdir(src) if n.endswith(".xml")]
            os.makedirs(self.caps_cache, exist_ok=True)
        except OSError:
            return
        for n in names[:16]:
            data = read_private(os.path.join(src, n), 8 << 20)
            if not data.startswith(b"<qemuCaps>"):
                continue
            tmp = os.path.join(self.caps_cache, f".{n}.{os.getpid()}")
            try:
                with open(tmp, "xb") as fh:
                    fh.write(data)
                os.replace(tmp, os.path.join(self.caps_cache, n))
            except OSError:
                pass


def read_private(path, limit):
    """Bytes of a regular file in the daemon's folder (its user could have
    put a link or a FIFO there): no link followed, nothing that blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b""
    try:
        if not _regular(fd):
            return b""
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit)
    finally:
        os.close(fd)


def _regular(fd):
    return stat.S_ISREG(os.fstat(fd).st_mode)


def users(folder, uid):
    """Pids of the processes (of uid, when given) whose command line or
    environment names folder: libvirtd, its QEMU, helpers."""
    mark = folder.encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if uid is not None and os.stat(f"/proc/{entry}").st_uid != uid:
                continue
            for what in ("cmdline", "environ"):
                with open(f"/proc/{entry}/{what}", "rb") as fh:
                    if mark in fh.read(1 << 20):
                        out.append(int(entry))
                        break
        except OSError:
            continue
    return out


def kill_users(folder, uid, wait=5.0):
    """SIGKILLs every process users() finds, until none is left or wait
    seconds passed; returns the pids still there."""
    t0 = time.monotonic()
    while True:
        pids = [p for p in users(folder, uid) if not _zombie(p)]
        if not pids or time.monotonic() - t0 > wait:
            return pids
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(") ", 1)[1][:1] == "Z"
    except (OSError, IndexError):
        return True


class Qemu:
    """The QEMU of a running domain, held by a pidfd: waiting for it and
    killing it can never reach another process that reused its pid."""

    def __init__(self, pid, folder):
        self.pid = pid
        self.fd = os.pidfd_open(pid)
        # the pid was read from a file the daemon's user can write: it
        # must be a process that uses our folder
        if pid not in users(folder, None):
            os.close(self.fd)
            raise DaemonError(f"pid {pid} from the domain's pid file is not this run's QEMU")

    def wait(self, seconds):
        """True when QEMU has exited (within seconds)."""
        p = select.poll()
        p.register(self.fd, select.POLLIN)
        return bool(p.poll(max(0, seconds) * 1000))

    def kill(self):
        try:
            signal.pidfd_send_signal(self.fd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.wait(10)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
