"""Capped whole-file reads: the cap is checked before reading, messages name the file."""

import pytest

from bp_studio.io.capped import CappedReadError, read_capped


def test_reads_small_files(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"abc")
    assert read_capped(path, 3, "a test file") == b"abc"


def test_messages(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2_000_001)
    with pytest.raises(CappedReadError, match=r"big.bin: the file is 2 MB, more than the 1 MB a"):
        read_capped(big, 1_000_000, "a test file")
    with pytest.raises(CappedReadError, match=r"missing.bin: file not found"):
        read_capped(tmp_path / "missing.bin", 10, "a test file")
    with pytest.raises(CappedReadError, match=r"is a folder, not a test file"):
        read_capped(tmp_path, 1_000_000, "a test file")
