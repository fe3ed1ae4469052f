"""Before Qt starts on Linux: find the system libraries its X11 (xcb) platform needs.

Without them Qt aborts with a bare "could not load the Qt platform plugin" message. This
module asks ``ldd`` which libraries the xcb plugin cannot find, adds ``libxcb-cursor.so.0``
(which Qt loads at run time, so ``ldd`` does not list it), and turns the result into the
Debian/Ubuntu package names and the command that installs them.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

KNOWN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
"""Shared library -> the Debian/Ubuntu package that provides it."""


def package_for(library: str) -> str:
    """The Debian package that provides ``library`` (``libfoo-bar.so.1`` -> ``libfoo-bar1``)."""
    if library in KNOWN_PACKAGES:
        return KNOWN_PACKAGES[library]
    match = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\..*)?", library)
    if not match:
        return library
    stem, major = match.groups()
    stem = stem.lower()
    return f"{stem}-{major}" if stem[-1].isdigit() else f"{stem}{major}"


def missing_from_ldd(output: str) -> list[str]:
    """The library names that ``ldd`` output reports as ``not found``, without repeats."""
    found: list[str] = []
    for line in output.splitlines():
        match = re.match(r"\s*(\S+)\s*=>\s*not found", line)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def _qt_folder() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "Qt"


def missing_xcb_libraries() -> list[str]:
    """Libraries the xcb platform plugin needs and cannot find (empty when all is well)."""
    qt = _qt_folder()
    if qt is None:
        return []
    missing: list[str] = []
    for binary in (qt / "plugins" / "platforms" / "libqxcb.so", *qt.glob("lib/libQt6XcbQpa.so*")):
        if not binary.exists():
            continue
        try:
            result = subprocess.run(
                ["ldd", str(binary)], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return []
        for library in missing_from_ldd(result.stdout):
            if library not in missing:
                missing.append(library)
    try:
        ctypes.CDLL("libxcb-cursor.so.0")
    except OSError:
        missing.insert(0, "libxcb-cursor.so.0")
    return missing


def startup_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why the window cannot start here, with the fix; ``None`` when it can (or not Linux)."""
    environ = dict(os.environ if environ is None else environ)
    if not sys.platform.startswith("linux"):
        return None
    platform = environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    if not platform and environ.get("WAYLAND_DISPLAY"):
        return None
    if not environ.get("DISPLAY"):
        return (
            "BP Studio cannot open its window: no display was found (DISPLAY is not set).\n"
            "Run it from a desktop session, or use the command line (bp-studio --help)."
        )
    missing = missing_xcb_libraries()
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(package_for(library) for library in missing))
    return (
        "BP Studio cannot open its window: Qt's X11 platform needs system libraries that are "
        f"missing here: {', '.join(missing)}.\n"
        f"Install them with:\n    sudo apt-get install {packages}\n"
        "(on Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms)"
    )
