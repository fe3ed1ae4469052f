"""Atomic file writes: the target holds either its old content or the new one, never a mix.

The new content goes to a temporary file in the target's folder, is flushed and synced to
disk, and then renamed onto the target with :func:`os.replace` (atomic on POSIX and on
Windows within one volume). If anything fails, the temporary file is removed, the old file
is left untouched and :class:`AtomicWriteError` is raised with a one-line message for the
user, e.g. ``cannot write /x/y.json: no space left on device``.

A file without write permission (``chmod 444``) is not replaced: the user protected it. A
process killed during a save (``SIGKILL``, a power cut) leaves its temporary file
``.<name>.<8 random characters>.tmp`` behind; the next save of the same target removes such
files when nobody is writing them (not written for ``STALE_SECONDS`` and, on POSIX, not
locked: a save holds an ``flock`` on its temporary file). ``check_writable`` tells before
a long job whether the save at its end can work.

Qt-free: standard library only.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable
from typing import NoReturn

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted there anyway
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "STALE_SECONDS",
    "AtomicWriteError",
    "atomic_write_bytes",
    "atomic_write_chunks",
    "atomic_write_text",
    "check_writable",
    "plain_reason",
]

_DEFAULT_MODE = 0o644
STALE_SECONDS = 2.0
"""A temporary file of ours not written for this long, and not locked, is a killed save's."""
_WRITE_PROTECTED = "the file is write-protected (allow writing to it, or choose another name)"

# Plain-word reasons for the errors a user can run into when saving a file.
_REASONS: dict[int, str] = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on device",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EMFILE: "too many open files",
    errno.EIO: "input/output error (the disk or network drive may have failed)",
}
if hasattr(errno, "EDQUOT"):
    _REASONS[errno.EDQUOT] = "disk quota exceeded"


class AtomicWriteError(OSError):
    """A file could not be written; ``str(error)`` is a one-line message for the user.

    Subclass of :class:`OSError`, so code that already catches ``OSError`` keeps working.
    Attributes: ``path`` (the target as given), ``reason`` (plain words, e.g. "permission
    denied") and ``errno`` (the underlying error number, or ``None``).
    """

    def __init__(
        self, message: str, *, path: str = "", reason: str = "", errno: int | None = None
    ) -> None:
        super().__init__(message)
        self.errno = errno
        self.filename = path or None
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    The bytes go to a temporary file ``.<name>.<random>.tmp`` in the same folder, which is
    flushed, fsynced and then renamed onto ``path``. If ``path`` exists, its permission bits
    are kept; a new file gets ``0o644`` minus the process umask. If ``path`` is a symbolic
    link, the file it points to is replaced and the link is kept.

    Raises :class:`AtomicWriteError` (message ``cannot write <path>: <reason>``) on any
    failure; the old file is then untouched and no temporary file is left behind.
    Raises :class:`TypeError` if ``data`` is not bytes-like.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    atomic_write_chunks(path, (data,))


def atomic_write_chunks(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> None:
    """Write the bytes of ``chunks``, one after the other, to ``path`` atomically.

    As :func:`atomic_write_bytes`, but the content is written as it is produced, so a large
    file never has to be whole in memory. An exception raised while producing a chunk removes
    the temporary file and propagates (an :class:`OSError` as :class:`AtomicWriteError`).
    """
    shown, target, folder, name = _checked_target(path)
    mode = _mode_for(target)
    _remove_stale_temporaries(folder, name)

    try:
        fd, tmp_path = tempfile.mkstemp(dir=folder, prefix="." + name + ".", suffix=".tmp")
    except OSError as exc:
        raise _error(shown, folder, exc) from exc

    try:
        try:
            _lock(fd)
            tmp_file = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        with tmp_file:
            for chunk in chunks:
                tmp_file.write(chunk)
            tmp_file.flush()
            os.fsync(tmp_file.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    except BaseException as exc:
        _remove_quietly(tmp_path)
        if isinstance(exc, OSError):
            raise _error(shown, folder, exc) from exc
        raise
    _sync_folder(folder)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically, encoded with ``encoding``.

    Newlines are written exactly as they are in ``text`` (no translation). Otherwise the
    same as :func:`atomic_write_bytes`; a text that cannot be encoded also raises
    :class:`AtomicWriteError` (and nothing is written).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        shown = os.fsdecode(os.fspath(path))
        reason = (
            f"the text contains {exc.object[exc.start : exc.start + 1]!r}, "
            f"which cannot be written as {encoding}"
        )
        _fail(shown, reason)
    except LookupError as exc:
        raise ValueError(f"unknown text encoding {encoding!r}") from exc
    atomic_write_bytes(path, data)


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`AtomicWriteError` if ``atomic_write_bytes(path, ...)`` cannot work now.

    Checks what a save at the end of a long job would run into, with the same messages: a
    missing folder, a folder as the target, a write-protected file, a folder or file system
    that refuses new files (an empty temporary file is created there and removed). A full
    disk is found only when the bytes are written.
    """
    shown, _, folder, name = _checked_target(path)
    try:
        fd, tmp_path = tempfile.mkstemp(dir=folder, prefix="." + name + ".", suffix=".tmp")
    except OSError as exc:
        raise _error(shown, folder, exc) from exc
    os.close(fd)
    _remove_quietly(tmp_path)


def plain_reason(exc: OSError) -> str:
    """Plain words for an :class:`OSError`: ``no space left on device``, ``permission denied``."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    if exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _checked_target(path: str | os.PathLike[str]) -> tuple[str, str, str, str]:
    """``(shown, target, folder, name)`` of a path to save to; ``AtomicWriteError`` if unfit."""
    shown = os.fsdecode(os.fspath(path))
    target = os.path.realpath(shown) if os.path.islink(shown) else shown
    folder = os.path.dirname(target) or os.curdir
    name = os.path.basename(target)
    if not name:
        _fail(shown, "the path names a folder, not a file")
    _check_folder(shown, folder)
    if os.path.isdir(target):
        _fail(shown, f"{shown} is a folder", errno.EISDIR)
    if _write_protected(target):
        _fail(shown, _WRITE_PROTECTED, errno.EACCES)
    return shown, target, folder, name


def _write_protected(target: str) -> bool:
    """An existing file the user may not write, or that has no write permission at all.

    The second test matters for root, whom ``os.access`` lets write anything: a file with
    mode ``444`` was protected on purpose.
    """
    try:
        st = os.stat(target)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    return not os.access(target, os.W_OK) or not st.st_mode & 0o222


def _lock(fd: int) -> None:
    """Hold an exclusive lock on our temporary file while it is written (POSIX)."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # a file system without locks: the age test alone protects it


def _remove_stale_temporaries(folder: str, name: str) -> None:
    """Remove ``.<name>.XXXXXXXX.tmp`` files in ``folder`` left by killed saves (best effort)."""
    pattern = re.compile(r"\." + re.escape(name) + r"\.[a-z0-9_]{8}\.tmp")
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < STALE_SECONDS:
                continue
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(entry.path, flags)
        except OSError:
            continue
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails if a save holds it
            os.unlink(entry.path)
        except OSError:
            pass
        finally:
            os.close(fd)


def _fail(shown: str, reason: str, err: int | None = None) -> NoReturn:
    """Raise an :class:`AtomicWriteError` for ``shown`` with ``reason``."""
    raise AtomicWriteError(f"cannot write {shown}: {reason}", path=shown, reason=reason, errno=err)


def _check_folder(shown: str, folder: str) -> None:
    """Raise :class:`AtomicWriteError` if ``folder`` does not exist or is not a folder."""
    if os.path.isdir(folder):
        return
    if os.path.lexists(folder):
        _fail(shown, f"{folder} is not a folder", errno.ENOTDIR)
    _fail(shown, f"folder {folder} does not exist", errno.ENOENT)


def _error(shown: str, folder: str, exc: OSError) -> AtomicWriteError:
    """Turn an :class:`OSError` into an :class:`AtomicWriteError` with a plain reason."""
    code = exc.errno
    if code in _REASONS:
        reason = _REASONS[code]
    elif code == errno.ENOENT:
        reason = f"folder {folder} does not exist"
    elif code == errno.ENOTDIR:
        reason = f"{folder} is not a folder"
    elif code == errno.EISDIR or os.path.isdir(shown):
        reason = f"{shown} is a folder"
    elif exc.strerror:
        reason = exc.strerror[:1].lower() + exc.strerror[1:]
    else:
        reason = str(exc) or type(exc).__name__
    return AtomicWriteError(
        f"cannot write {shown}: {reason}", path=shown, reason=reason, errno=code
    )


def _mode_for(target: str) -> int:
    """Permission bits for the new file: the existing file's, else 0o644 minus the umask."""
    try:
        st = os.stat(target)
    except OSError:
        return _DEFAULT_MODE & ~_current_umask()
    if stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode)
    return _DEFAULT_MODE & ~_current_umask()


def _current_umask() -> int:
    """The process umask (read from /proc when possible, so it is never changed)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_quietly(tmp_path: str) -> None:
    """Delete the temporary file, ignoring errors (it may already be gone)."""
    try:
        os.unlink(tmp_path)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    """Best effort: fsync the folder so the rename itself survives a crash (POSIX only)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
