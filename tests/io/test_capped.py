"""Capped whole-file reads: the cap is checked before reading, messages name the file."""

import os

import pytest

from bp_studio.io.capped import CappedReadError, read_capped, size_over_cap, size_text


def test_reads_small_files(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    assert read_capped(path, 3, "a test file") == b"abc"


def test_messages(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (2 * 1024 * 1024))
    with pytest.raises(
        CappedReadError, match=r"big.bin: the file is 2 MiB, more than the 1 MiB a test file may"
    ):
        read_capped(big, 1024 * 1024, "a test file")
    with pytest.raises(CappedReadError, match=r"missing.bin: file not found"):
        read_capped(tmp_path / "missing.bin", 10, "a test file")
    with pytest.raises(CappedReadError, match=r"missing.bin: file not found"):
        read_capped(big / "missing.bin", 10, "a test file")
    with pytest.raises(CappedReadError, match=r"is a folder, not a test file"):
        read_capped(tmp_path, 1_000_000, "a test file")


def test_one_unit_for_sizes_and_caps():
    # the caps are set in MiB: a 64 MiB cap is shown as 64 MiB, not 67 MB
    assert size_text(64 * 1024 * 1024) == "64 MiB"
    assert size_text(1536 * 1024) == "1.5 MiB"
    assert size_over_cap(64 * 1024 * 1024 + 1, 64 * 1024 * 1024) == ("64.000001 MiB", "64 MiB")
    assert size_over_cap(90 * 1024 * 1024, 64 * 1024 * 1024) == ("90 MiB", "64 MiB")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_refused_without_blocking(tmp_path, time_limit):
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    with time_limit(20), pytest.raises(CappedReadError) as info:
        read_capped(pipe, 1000, "a network file")
    assert str(info.value) == (
        f"{pipe}: not a regular file (a pipe, device or socket), not a network file"
    )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused(time_limit):
    with time_limit(20), pytest.raises(CappedReadError, match="not a regular file"):
        read_capped("/dev/zero", 1000, "a session file")
