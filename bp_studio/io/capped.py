"""Opening files to read: only regular files, a size cap checked before reading, plain messages.

Sizes in messages are in MiB (2**20 bytes), the unit the caps are set in, for every kind of
file (``size_text``): ``the file is 90 MiB, more than the 64 MiB a network file may have``.

A named pipe (FIFO), a device or a socket is refused before it is read: reading one would
block until another program writes to it, or never end. Files are opened with ``O_NONBLOCK``
(which changes nothing for a regular file) and checked with ``fstat`` on the open file, so a
pipe swapped in after a check cannot block the open either.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

__all__ = [
    "CappedReadError",
    "NotARegularFileError",
    "NOT_REGULAR",
    "open_regular_file",
    "read_capped",
    "size_over_cap",
    "size_text",
]

NOT_REGULAR = "not a regular file (a pipe, device or socket)"
"""Why a path that is neither a file nor a folder is refused (messages append what to give)."""

MIB = 1024 * 1024


class CappedReadError(ValueError):
    """The file cannot be read; the message names it and says why."""


class NotARegularFileError(OSError):
    """The path names a pipe, a device or a socket, which is never read."""


def size_text(n_bytes: int, digits: int = 1) -> str:
    """``n_bytes`` in MiB with up to ``digits`` decimals, trailing zeros dropped: ``1.5 MiB``."""
    text = f"{n_bytes / MIB:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} MiB"


def size_over_cap(size: int, cap: int) -> tuple[str, str]:
    """``size`` and ``cap`` in MiB with just enough decimals to tell them apart."""
    for digits in range(1, 7):
        size_shown, cap_shown = size_text(size, digits), size_text(cap, digits)
        if size_shown != cap_shown:
            return size_shown, cap_shown
    return f"{size} bytes", f"{cap} bytes"


def open_regular_file(path: str | os.PathLike) -> tuple[BinaryIO, int]:
    """Open ``path`` for reading in binary; return the file and its size in bytes.

    Raises ``FileNotFoundError`` (also for a missing folder on the way), ``IsADirectoryError``,
    ``NotARegularFileError`` for a pipe, device or socket (never blocking on it), and other
    ``OSError`` (e.g. ``PermissionError``) as the system gives them.
    """
    name = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except NotADirectoryError:
        raise FileNotFoundError(2, "No such file or directory", name) from None
    except PermissionError:
        if os.path.isdir(name):  # Windows refuses to open a folder with EACCES
            raise IsADirectoryError(21, "Is a directory", name) from None
        raise
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory", name)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFileError(0, NOT_REGULAR, name)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), int(st.st_size)
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: str | os.PathLike, max_bytes: int, what: str) -> bytes:
    """The bytes of ``path``, refused when larger than ``max_bytes``.

    ``what`` names the kind of file in messages ("a network file", "a session file"):
    ``net.json: file not found``, ``x: is a folder, not a network file``,
    ``p: not a regular file (a pipe, device or socket), not a network file``,
    ``big.json: the file is 90 MiB, more than the 64 MiB a network file may have``.
    """
    name = os.fspath(path)
    kind = what.split(" ", 1)[1] if what.startswith(("a ", "an ")) else what
    try:
        handle, size = open_regular_file(name)
        with handle:
            if size > max_bytes:
                size_shown, cap_shown = size_over_cap(size, max_bytes)
                raise CappedReadError(
                    f"{name}: the file is {size_shown}, more than the {cap_shown} {what} may have"
                )
            # Read what fstat promised (plus one byte, to see growth): reading max_bytes + 1
            # would allocate a buffer of the cap for every small file.
            raw = handle.read(size + 1)
            if len(raw) > size:  # the file grew since it was opened
                raw += handle.read(max_bytes + 1 - len(raw))
    except FileNotFoundError:
        raise CappedReadError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise CappedReadError(f"{name}: is a folder, not {what}") from None
    except NotARegularFileError:
        raise CappedReadError(f"{name}: {NOT_REGULAR}, not {what}") from None
    except OSError as exc:
        raise CappedReadError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise CappedReadError(f"{name}: the file grew larger than {kind}s may be while reading")
    return raw
