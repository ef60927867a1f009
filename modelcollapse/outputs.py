"""Every file and folder the package writes goes through here: atomically, never over an
existing output unless asked, checked before any work starts.

A file is written to a hidden temporary file in its target folder (same file system, same
suffix, so libraries that choose the format by suffix still do), flushed to disk with
``fsync`` and renamed into place: a reader sees the old file or the complete new one, never a
truncated or empty one, and an interrupted run leaves nothing. Without ``overwrite`` the
rename is a hard link, which fails if the target appeared meanwhile, so a concurrent writer
never loses its file either. A folder of results (``reproduce``) is built in a temporary
folder next to its target and moved into place complete, under a lock against a concurrent
run into the same folder.

Ctrl-C: the command line notes every SIGINT (:func:`request_interrupt`), because some
libraries catch ``KeyboardInterrupt`` and carry on (PyMC returns the draws so far); every
commit here checks that note first. :func:`deferred_interrupt` holds SIGINT back while a
library writes a temporary file (an interrupted HDF5 write can deadlock on its own lock).
The command line takes SIGTERM as it takes SIGINT (exit status 143), so it cleans up too.

>>> import os, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = os.path.join(tmp, "a.txt")
...     _ = write_text(path, "one\\n")
...     try:
...         write_text(path, "two\\n")
...     except OutputExistsError as exc:
...         print(str(exc).replace(tmp, "TMP"))
...     _ = write_text(path, "two\\n", overwrite=True)
...     print(Path(path).read_text().strip(), sorted(os.listdir(tmp)))
out 'TMP/a.txt' exists; pass overwrite=True to replace it
two ['a.txt']
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import stat
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

__all__ = ["OutputExistsError", "OutputWriteError", "check_output", "check_input",
           "atomic_path", "atomic_paths", "write_text", "write_with", "atomic_folder",
           "deferred_interrupt",
           "request_interrupt", "clear_interrupt", "interrupt_requested", "raise_if_interrupted"]

_INTERRUPT = threading.Event()
#: errors of a write that failed for want of room or of a device, not of a bad path
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS)


class OutputExistsError(FileExistsError, ValueError):
    """The output exists and ``overwrite`` was not given (a ``ValueError``: bad input)."""


class OutputWriteError(OSError, ValueError):
    """Writing an output failed (a full disk, a quota): one line naming it; nothing was left
    in its place. A ``ValueError`` too, so the command line reports it like a bad ``--out``."""


def _write_error(name: str, target: Path, exc: OSError) -> OutputWriteError:
    error = OutputWriteError(f"cannot write {name} {str(target)!r}: {exc.strerror or exc}")
    error.errno = exc.errno  # kept for callers; the message stays one plain line
    return error


def _hint(name: str) -> str:
    return "pass --overwrite" if name.startswith("--") else "pass overwrite=True"


def request_interrupt() -> None:
    """Note a SIGINT: every later commit raises ``KeyboardInterrupt`` instead."""
    _INTERRUPT.set()


def clear_interrupt() -> None:
    """Forget a noted SIGINT (the start of a command)."""
    _INTERRUPT.clear()


def interrupt_requested() -> bool:
    """Whether a SIGINT was noted since :func:`clear_interrupt`."""
    return _INTERRUPT.is_set()


def raise_if_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` when a SIGINT was noted (also one some library swallowed)."""
    if _INTERRUPT.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Hold SIGINT back for the body, then raise ``KeyboardInterrupt`` if one came.

    SIGTERM too where a Python handler takes it (the command line's turns it into an
    interrupt): that handler is called after the body. At its default SIGTERM still ends the
    process at once, as it would anyway. Only in the main thread (the only one that receives
    signals); elsewhere a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = [s for s, kept in ((signal.SIGINT, signal.getsignal(signal.SIGINT) is not
                               signal.SIG_IGN),  # an ignored SIGINT stays ignored
                              (signal.SIGTERM, callable(signal.getsignal(signal.SIGTERM))))
            if kept]
    if not held:
        yield
        return
    received: list[int] = []

    def note(signum: int, frame: object) -> None:
        received.append(signum)
        if signum == signal.SIGINT:
            request_interrupt()

    previous = {s: signal.signal(s, note) for s in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if signal.SIGTERM in received:
        previous[signal.SIGTERM](signal.SIGTERM, None)  # the caller's own response
    if signal.SIGINT in received:
        raise KeyboardInterrupt


def _as_path(path: object, name: str) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {path!r}")
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name} must be a non-empty path, got {text!r}")
    if "\x00" in text:
        raise ValueError(f"{name} must not contain a NUL character, got {text!r}")
    return Path(text)


def check_output(path: str | os.PathLike[str], *, name: str = "out", overwrite: bool = False,
                 folder: bool = False) -> Path:
    """Check that ``path`` can be written, before any work: return it as a :class:`Path`.

    Its folder must exist and be writable; a file target must not be a folder (a folder
    target not a file); an existing target needs ``overwrite`` (an existing empty folder is
    taken as it is). ``name`` is how messages call it (``"--out"`` on the command line).

    Raises
    ------
    TypeError
        ``path`` is not a str or path.
    ValueError
        Empty path, missing or read-only folder, wrong kind of target, or
        :class:`OutputExistsError`.

    >>> check_output("")
    Traceback (most recent call last):
    ...
    ValueError: out must be a non-empty path, got ''
    """
    target = _as_path(path, name)
    text = os.fspath(path)
    if os.path.basename(text.rstrip(os.sep) if folder else text) in ("", ".", ".."):
        raise ValueError(f"{name} must end in a {'folder' if folder else 'file'} name, "
                         f"got {os.fspath(path)!r}")
    try:
        _check_target(target, name, overwrite, folder)
    except OutputExistsError:
        raise
    except OSError as exc:  # a name too long, a folder that cannot be searched, ...
        raise ValueError(f"{name} {text!r} cannot be written: {exc.strerror or exc}") from None
    return target


def _check_target(target: Path, name: str, overwrite: bool, folder: bool) -> None:
    parent = target.parent
    if not parent.is_dir():
        raise ValueError(f"the folder of {name} does not exist: {str(parent)!r}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"the folder of {name} is not writable: {str(parent)!r}")
    if folder:
        if target.exists() and not target.is_dir():
            raise ValueError(f"{name} {str(target)!r} is a file; allowed: a folder")
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise OutputExistsError(f"{name} {str(target)!r} exists; {_hint(name)} to replace "
                                    "it as a whole")
    else:
        if target.is_dir():
            raise ValueError(f"{name} {str(target)!r} is a folder; allowed: a file path")
        if (target.exists() or target.is_symlink()) and not overwrite:
            raise OutputExistsError(f"{name} {str(target)!r} exists; {_hint(name)} to replace "
                                    "it")


def check_input(path: str | os.PathLike[str], *, name: str = "data") -> Path:
    """Check that ``path`` is a readable regular file (not a folder, FIFO or device).

    >>> check_input("/dev/zero", name="--data")
    Traceback (most recent call last):
    ...
    ValueError: --data '/dev/zero' is not a regular file; allowed: a file
    """
    source = _as_path(path, name)
    try:
        info = source.stat()
    except FileNotFoundError:
        raise ValueError(f"{name} {str(source)!r} does not exist") from None
    except OSError as exc:
        raise ValueError(f"{name} {str(source)!r} cannot be read: "
                         f"{exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{name} {str(source)!r} is not a regular file; allowed: a file")
    if not os.access(source, os.R_OK):
        raise ValueError(f"{name} {str(source)!r} is not readable")
    return source


def _short(name: str) -> str:
    """``name``, or for a long one its head and a hash: a hidden sibling's name (``.NAME.``
    plus a tag) stays within the 255 bytes a file name may have, and stays one per target."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= 100:
        return name
    return f"{raw[:60].decode('utf-8', 'ignore')}-{hashlib.sha256(raw).hexdigest()[:16]}"


def _umask_mode(mode: int) -> int:
    current = os.umask(0)
    os.umask(current)
    return mode & ~current


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system syncs a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temporary(target: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{_short(target.stem)}.",
                               suffix=f".tmp{target.suffix[:20]}",
                               dir=target.parent)
    os.close(fd)
    os.chmod(tmp, _umask_mode(0o666))  # mkstemp makes 0600; a normal file follows the umask
    return Path(tmp)


def _commit(tmp: Path, target: Path, overwrite: bool, name: str) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails if the target appeared meanwhile: no lost file
    except FileExistsError:
        raise OutputExistsError(f"{name} {str(target)!r} exists; {_hint(name)} to replace "
                                "it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if target.exists():  # a file system without hard links: check, then rename
            raise OutputExistsError(f"{name} {str(target)!r} exists; {_hint(name)} to "
                                    "replace it") from None
        os.replace(tmp, target)
        return
    tmp.unlink()


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | os.PathLike[str]], *, overwrite: bool = False,
                 name: str = "out") -> Iterator[list[Path]]:
    """Temporary paths for ``paths``, renamed into place together when the body succeeds.

    Every target is checked first (:func:`check_output`); the body writes the temporary
    files; on success each is fsynced and renamed, on any exception (Ctrl-C included) all
    are removed and no target is touched.
    """
    targets = [check_output(p, name=name, overwrite=overwrite) for p in paths]
    temps: list[Path] = []
    try:
        try:
            temps = [_temporary(t) for t in targets]
            yield temps
            raise_if_interrupted()
            with deferred_interrupt():
                for tmp, target in zip(temps, targets, strict=True):
                    _commit(tmp, target, overwrite, name)
                for folder in {t.parent for t in targets}:
                    _fsync_folder(folder)
        except (OutputExistsError, OutputWriteError):
            raise
        except OSError as exc:  # ENOSPC, EDQUOT, EIO while writing or renaming
            raise _write_error(name, targets[0], exc) from None
    finally:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = False,
                name: str = "out") -> Iterator[Path]:
    """A temporary path to write ``path`` through (see :func:`atomic_paths`)."""
    with atomic_paths([path], overwrite=overwrite, name=name) as temps:
        yield temps[0]


def write_with(path: str | os.PathLike[str], writer: Callable[[str], object], *,
               overwrite: bool = False, name: str = "out") -> str:
    """Call ``writer(temporary_path)`` (e.g. ``ds.to_netcdf``) with SIGINT held back, then
    move the file into place; return ``str(path)``."""
    with atomic_path(path, overwrite=overwrite, name=name) as tmp, deferred_interrupt():
        writer(str(tmp))
    return os.fspath(path)


def write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = False,
               name: str = "out") -> str:
    """Write ``text`` (UTF-8) to ``path`` atomically; return ``str(path)``."""
    with atomic_path(path, overwrite=overwrite, name=name) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return os.fspath(path)


class _FolderLock:
    """An exclusive ``flock`` on ``.NAME.lock`` beside the target, removed on release.

    Re-checked after locking that the file is still the one at that path: a run that
    released and removed it meanwhile would otherwise leave two holders of two files.
    """

    def __init__(self, target: Path, name: str) -> None:
        self.path = target.parent / f".{_short(target.name)}.lock"
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise ValueError(f"another run is writing into {name} {str(target)!r} (lock "
                                 f"{self.path.name}); wait for it or choose another "
                                 "folder") from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                return
            os.close(fd)

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self.fd)


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike[str], *, overwrite: bool = False,
                  name: str = "out") -> Iterator[Path]:
    """A temporary folder beside ``path``, moved into place complete when the body succeeds.

    A lock beside the target refuses a concurrent run into the same folder. An existing
    target is replaced as a whole (with ``overwrite``; an empty one always), never mixed with
    the new files; on any exception the temporary folder is removed and the target is
    untouched.
    """
    target = check_output(path, name=name, overwrite=overwrite, folder=True)
    lock = _FolderLock(target, name)
    tmp: Path | None = None
    try:
        # under the lock, so the check sees what the move will meet
        check_output(path, name=name, overwrite=overwrite, folder=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{_short(target.name)}.", suffix=".tmp",
                                    dir=target.parent))
        os.chmod(tmp, _umask_mode(0o777))
        try:
            yield tmp
            raise_if_interrupted()
            with deferred_interrupt():
                _move_folder(tmp, target, overwrite, name)
        except (OutputExistsError, OutputWriteError):
            raise
        except OSError as exc:
            if exc.errno not in _WRITE_ERRNOS:  # not a failed write: as it is
                raise
            raise _write_error(name, target, exc) from None
    finally:
        try:
            if tmp is not None and tmp.exists():
                with deferred_interrupt():  # a second Ctrl-C must not leave half a folder
                    shutil.rmtree(tmp, ignore_errors=True)
        finally:
            lock.release()


def _move_folder(tmp: Path, target: Path, overwrite: bool, name: str) -> None:
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if target.exists():
        if not overwrite:
            raise OutputExistsError(f"{name} {str(target)!r} exists; {_hint(name)} to replace "
                                    "it as a whole")
        old = target.parent / f".{_short(target.name)}.{uuid.uuid4().hex[:8]}.old"
        os.rename(target, old)
        os.rename(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, target)
    _fsync_folder(target.parent)
