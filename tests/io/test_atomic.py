"""Tests for bp_studio.io.atomic: atomic writes keep the old file on failure."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

import pytest

from bp_studio.io import atomic
from bp_studio.io.atomic import AtomicWriteError, atomic_write_bytes, atomic_write_text


def _leftovers(folder: Path) -> list[str]:
    """Names of temporary files left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_new_file(tmp_path: Path) -> None:
    target = tmp_path / "net.json"
    atomic_write_bytes(target, b"\x00\x01data")
    assert target.read_bytes() == b"\x00\x01data"
    assert _leftovers(tmp_path) == []


def test_accepts_str_path_and_bytearray(tmp_path: Path) -> None:
    target = str(tmp_path / "a.bin")
    atomic_write_bytes(target, bytearray(b"abc"))
    assert Path(target).read_bytes() == b"abc"


def test_overwrites_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "net.json"
    target.write_text("old content, longer than the new one")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert _leftovers(tmp_path) == []


def test_text_is_utf8_and_newlines_untouched(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    atomic_write_text(target, "äöü η\r\nend\n")
    assert target.read_bytes() == "äöü η\r\nend\n".encode()


def test_text_other_encoding(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    atomic_write_text(target, "ä", encoding="latin-1")
    assert target.read_bytes() == b"\xe4"


def test_unencodable_text_raises_and_keeps_old(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "η", encoding="ascii")
    assert str(info.value).startswith(f"cannot write {target}: the text contains 'η'")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_empty_data(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.write_bytes(b"something")
    atomic_write_bytes(target, b"")
    assert target.read_bytes() == b""


def test_rejects_wrong_data_types(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        atomic_write_bytes(tmp_path / "x", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        atomic_write_text(tmp_path / "x", b"bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_keeps_permission_bits_of_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "secret.json"
    target.write_text("old")
    os.chmod(target, 0o600)
    atomic_write_text(target, "new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    os.chmod(target, 0o755)
    atomic_write_text(target, "newer")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o755


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o644)])
def test_new_file_mode_honours_umask(tmp_path: Path, mask: int, expected: int) -> None:
    old = os.umask(mask)
    try:
        atomic_write_text(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "f.txt").st_mode) == expected


def test_symlink_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_temp_file_is_in_same_folder_with_expected_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(src)
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    atomic_write_text(tmp_path / "net.json", "x")
    (src,) = seen
    assert Path(src).parent == tmp_path
    assert Path(src).name.startswith(".net.json.")
    assert src.endswith(".tmp")


def test_replace_fails_no_space_keeps_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "net.json"
    target.write_text("old")

    def broken(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", broken)
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "new")
    assert str(info.value) == f"cannot write {target}: no space left on device"
    assert info.value.errno == errno.ENOSPC
    assert info.value.path == str(target)
    assert info.value.reason == "no space left on device"
    assert isinstance(info.value, OSError)
    assert isinstance(info.value.__cause__, OSError)
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_fsync_fails_keeps_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "net.json"
    target.write_text("old")

    def broken(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", broken)
    with pytest.raises(AtomicWriteError, match="no space left on device"):
        atomic_write_bytes(target, b"new")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_read_only_folder_gives_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod does not stop writes; simulate the folder instead.
    target = tmp_path / "net.json"
    target.write_text("old")

    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "new")
    assert str(info.value) == f"cannot write {target}: permission denied"
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_read_only_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
    target = tmp_path / "x.json"
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "new")
    assert str(info.value) == f"cannot write {target}: the file system is read-only"
    assert not target.exists()


def test_write_fails_midway_removes_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "net.json"
    target.write_text("old")
    made: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: object, **kwargs: object) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        made.append(name)
        return fd, name

    def broken_chmod(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(atomic.os, "chmod", broken_chmod)
    with pytest.raises(AtomicWriteError, match="input/output error"):
        atomic_write_text(target, "new")
    assert made and not os.path.exists(made[0])
    assert target.read_text() == "old"


def test_interrupt_removes_temp_and_propagates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "net.json"
    target.write_text("old")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_unknown_errno_uses_strerror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(src: str, dst: str) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(atomic.os, "replace", broken)
    target = tmp_path / "x"
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_bytes(target, b"1")
    assert str(info.value) == f"cannot write {target}: invalid cross-device link"


def test_missing_folder_names_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nope"
    target = folder / "y.json"
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "x")
    assert str(info.value) == f"cannot write {target}: folder {folder} does not exist"
    assert info.value.errno == errno.ENOENT
    assert not folder.exists()


def test_relative_path_in_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(os.path.join("out", "y.json"), "x")
    expected = f"cannot write {os.path.join('out', 'y.json')}: folder out does not exist"
    assert str(info.value) == expected


def test_relative_path_in_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    atomic_write_text("here.txt", "x")
    assert (tmp_path / "here.txt").read_text() == "x"
    assert _leftovers(tmp_path) == []


def test_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = blocker / "y.json"
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "x")
    assert str(info.value) == f"cannot write {target}: {blocker} is not a folder"


def test_target_is_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "sub"
    target.mkdir()
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "x")
    assert str(info.value) == f"cannot write {target}: {target} is a folder"
    assert target.is_dir()
    assert _leftovers(tmp_path) == []


def test_error_is_catchable_as_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "missing" / "x", "x")


# -- write-protected targets, checks before work, stale temporary files (issue 13, 9-11) ----


def test_a_write_protected_file_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "net.json"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(AtomicWriteError) as info:
        atomic_write_text(target, "new")
    assert str(info.value) == (
        f"cannot write {target}: the file is write-protected (allow writing to it, or choose "
        "another name)"
    )
    assert info.value.errno == errno.EACCES
    target.chmod(0o644)
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_check_writable_says_what_the_write_would_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bp_studio.io.atomic import check_writable

    check_writable(tmp_path / "new.json")  # fine: nothing is left behind
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(AtomicWriteError, match="folder .*nowhere does not exist"):
        check_writable(tmp_path / "nowhere" / "x.json")
    with pytest.raises(AtomicWriteError, match="is a folder"):
        check_writable(tmp_path)
    protected = tmp_path / "p.json"
    protected.write_text("keep")
    protected.chmod(0o444)
    with pytest.raises(AtomicWriteError, match="write-protected"):
        check_writable(protected)
    protected.chmod(0o644)

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
    with pytest.raises(AtomicWriteError) as info:
        check_writable(tmp_path / "x.json")
    assert str(info.value) == f"cannot write {tmp_path / 'x.json'}: the file system is read-only"


def _age(path: Path, seconds: float) -> None:
    then = os.stat(path).st_mtime - seconds
    os.utime(path, (then, then))


def test_stale_temp_files_of_our_own_pattern_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "net.json"
    stale = tmp_path / ".net.json.k2x9_q0a.tmp"
    fresh = tmp_path / ".net.json.zzzzzzzz.tmp"
    other = tmp_path / ".other.json.k2x9_q0a.tmp"
    not_ours = tmp_path / ".net.json.backup.tmp"
    for path in (stale, fresh, other, not_ours):
        path.write_bytes(b"partial")
    for path in (stale, other, not_ours):
        _age(path, 3600)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert not stale.exists()  # ours, next to this target, and no longer written to
    assert fresh.exists()  # may be another save in progress
    assert other.exists() and not_ours.exists()  # another target's, or not our pattern


@pytest.mark.skipif(os.name != "posix", reason="POSIX locks")
def test_a_temp_file_another_process_is_writing_is_left_alone(tmp_path: Path) -> None:
    import fcntl

    busy = tmp_path / ".net.json.abcdefgh.tmp"
    busy.write_bytes(b"partial")
    _age(busy, 3600)
    with open(busy, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        atomic_write_text(tmp_path / "net.json", "new")
        assert busy.exists()


@pytest.mark.skipif(os.name != "posix", reason="sends SIGKILL")
def test_the_temp_file_of_a_killed_save_is_cleaned_up_by_the_next_save(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    child = (
        "import os, sys, time\n"
        "from bp_studio.io import atomic\n"
        "atomic.os.fsync = lambda fd: (print('writing', flush=True), time.sleep(120))\n"
        "atomic.atomic_write_bytes(sys.argv[1], b'x' * 100000)\n"
    )
    target = tmp_path / "net.json"
    target.write_text("old")
    process = subprocess.Popen(
        [sys.executable, "-c", child, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline() == "writing\n"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    (left,) = _leftovers(tmp_path)  # what a killed save leaves
    assert target.read_text() == "old"
    time.sleep(0.01)
    _age(tmp_path / left, 60)
    atomic_write_text(target, "new")
    assert _leftovers(tmp_path) == []
    assert target.read_text() == "new"
