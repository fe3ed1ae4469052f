"""Reading a file whole, with a size cap checked before reading, and plain messages."""

from __future__ import annotations

import os


class CappedReadError(ValueError):
    """The file cannot be read; the message names it and says why."""


def read_capped(path: str | os.PathLike, max_bytes: int, what: str) -> bytes:
    """The bytes of ``path``, refused when larger than ``max_bytes``.

    ``what`` names the kind of file in messages ("a network file", "a session file"):
    ``net.json: file not found``, ``x: is a folder, not a network file``,
    ``big.json: the file is 90 MB, more than the 64 MB a network file may have``.
    """
    name = os.fspath(path)
    kind = what.split(" ", 1)[1] if what.startswith(("a ", "an ")) else what
    try:
        size = os.path.getsize(name)
        if size > max_bytes:
            raise CappedReadError(
                f"{name}: the file is {size / 1e6:.0f} MB, more than the "
                f"{max_bytes / 1e6:.0f} MB {what} may have"
            )
        with open(name, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise CappedReadError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise CappedReadError(f"{name}: is a folder, not {what}") from None
    except OSError as exc:
        raise CappedReadError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise CappedReadError(f"{name}: the file grew larger than {kind}s may be while reading")
    return raw
