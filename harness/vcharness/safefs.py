"""The run folder: created fresh for one run, and the only place the runner
writes. Everything inside it is created here (O_EXCL, O_NOFOLLOW), so a
link or file planted in the results folder is never followed, replaced or
deleted: the runner touches only what it made itself."""
import datetime
import errno
import os
import tempfile
import threading

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class RunDirError(Exception):
    """The results folder cannot be used (message for the user)."""


class RunDir:
    """One run's folder under a results folder, unique even when runs or
    shards start in the same second (mkdir is the arbiter)."""

    def __init__(self, results, tag=""):
        try:
            os.makedirs(results, exist_ok=True)
        except FileExistsError:
            raise RunDirError(f"results path {results} exists and is not a folder") from None
        except OSError as e:
            raise RunDirError(f"cannot create results folder {results}: {e.strerror}") from None
        if not os.path.isdir(results):
            raise RunDirError(f"results path {results} is not a folder")
        if not os.access(results, os.W_OK | os.X_OK):
            raise RunDirError(f"results folder {results} is not writable")
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + (f"-{tag}" if tag else "")
        for n in range(1, 1000):
            name = stamp if n == 1 else f"{stamp}.{n}"
            path = os.path.join(results, name)
            try:
                os.mkdir(path, 0o755)
            except FileExistsError:
                continue
            except OSError as e:
                raise RunDirError(f"cannot create a run folder in {results}: {e.strerror}") from None
            self.results, self.name, self.path = results, name, path
            self._dirs = {path}
            self._files = set()
            self._lock = threading.Lock()  # VM threads make their folders at once
            return
        raise RunDirError(f"{results} already holds 999 runs named {stamp}")

    def mkdir(self, *parts):
        """A folder inside the run folder (and its parents), created by us
        or already created by us: anything else there is refused."""
        path = self.path
        with self._lock:
            for p in parts:
                path = os.path.join(path, p)
                if path in self._dirs:
                    continue
                try:
                    os.mkdir(path, 0o755)
                except FileExistsError:
                    raise RunDirError(f"{path} exists and was not made by this run") from None
                self._dirs.add(path)
        return path

    def open(self, rel, mode="w", **kw):
        """A new file inside the run folder, opened for writing; never an
        existing name (a planted link or file makes this fail)."""
        path = os.path.join(self.path, rel)
        if os.path.dirname(path) not in self._dirs:
            raise RunDirError(f"{os.path.dirname(path)} was not made by this run")
        fd = os.open(path, _FLAGS, 0o644)
        with self._lock:
            self._files.add(path)
        return os.fdopen(fd, mode, **kw)

    def write(self, rel, text):
        """Writes a whole file atomically: a temporary file, renamed over a
        name this run created or onto a new one."""
        path = os.path.join(self.path, rel)
        if os.path.dirname(path) not in self._dirs:
            raise RunDirError(f"{os.path.dirname(path)} was not made by this run")
        if os.path.lexists(path) and path not in self._files:
            raise RunDirError(f"{path} exists and was not written by this run")
        # a fresh temporary name (mkstemp: O_EXCL, retried on a clash), so a
        # name planted beside it is never opened
        fd, tmp_path = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(rel)}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
                fh.write(text)
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, path)
        except BaseException:
            os.unlink(tmp_path)
            raise
        with self._lock:
            self._files.add(path)
        return path

    def read(self, rel):
        with open(os.path.join(self.path, rel), encoding="utf-8") as fh:
            return fh.read()

    def point_latest(self):
        """results/latest -> this run, when latest is absent or a link to a
        run folder beside it; anything else a user put there is left alone.
        Returns a warning, or None."""
        latest = os.path.join(self.results, "latest")
        if os.path.lexists(latest) and not (os.path.islink(latest) and "/" not in os.readlink(latest)):
            return f"{latest} is not a link this runner made: left as it is"
        tmp = os.path.join(self.results, f".latest.{self.name}")
        try:
            os.symlink(self.name, tmp)
            os.replace(tmp, latest)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if e.errno not in (errno.EPERM, errno.EACCES, errno.EROFS):
                return f"cannot point {latest} at {self.name}: {e.strerror}"
        return None
