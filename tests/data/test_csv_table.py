"""Tests for bp_studio.data.csv_table: strict numeric CSV reading with clear messages."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bp_studio.data import DataError, Table, read_csv, write_csv_text

from helpers import fuzz_examples


def _write(folder: Path, content: str | bytes, name: str = "data.csv") -> Path:
    """Write ``content`` to ``folder/name`` and return the path."""
    path = folder / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


def _message(path: Path, **kwargs: int) -> str:
    """The DataError message for reading ``path``."""
    with pytest.raises(DataError) as info:
        read_csv(path, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    return text


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in ``tmp_path`` so messages show the bare file name ``data.csv``."""
    monkeypatch.chdir(tmp_path)
    return Path(".")


# --- good files --------------------------------------------------------------------------


def test_reads_simple_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "x1,x2,y\n0,1,1\n1,0,1\n")
    table = read_csv(path)
    assert table.columns == ("x1", "x2", "y")
    assert table.values.dtype == np.float64
    assert table.values.shape == (2, 3)
    np.testing.assert_array_equal(table.values, [[0, 1, 1], [1, 0, 1]])
    assert table.path == str(path)
    assert table.n_rows == 2


def test_accepts_pathlike_and_str(tmp_path: Path) -> None:
    path = _write(tmp_path, "a\n1\n")
    assert read_csv(str(path)).columns == ("a",)
    assert read_csv(path).columns == ("a",)


def test_strips_whitespace_bom_blank_lines_and_crlf(tmp_path: Path) -> None:
    content = "\ufeff x1 ,\tx2\r\n\r\n 1.5 , -2e3 \r\n   \r\n3,.5\r\n\r\n\r\n"
    table = read_csv(_write(tmp_path, content))
    assert table.columns == ("x1", "x2")
    np.testing.assert_array_equal(table.values, [[1.5, -2000.0], [3.0, 0.5]])


def test_no_trailing_newline_and_lone_cr(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "a,b\r1,2\r3,4"))
    np.testing.assert_array_equal(table.values, [[1, 2], [3, 4]])


def test_single_column_allowed(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "y\n1\n2\n"))
    assert table.columns == ("y",)
    assert table.values.shape == (2, 1)


def test_quoted_cells_and_names(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, '"a,b","c"\n"1",2\n'))
    assert table.columns == ("a,b", "c")
    np.testing.assert_array_equal(table.values, [[1, 2]])


def test_number_syntax(tmp_path: Path) -> None:
    content = "a,b,c,d,e,f\n1,-1.,+.5,1e5,1E-5,-0.0\n"
    table = read_csv(_write(tmp_path, content))
    np.testing.assert_array_equal(table.values, [[1, -1, 0.5, 1e5, 1e-5, -0.0]])
    assert np.signbit(table.values[0, 5])


def test_header_with_some_numeric_names(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "1,y\n2,3\n"))
    assert table.columns == ("1", "y")


def test_values_are_read_only(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "a\n1\n"))
    with pytest.raises(ValueError):
        table.values[0, 0] = 5.0


def test_select_returns_columns_in_given_order(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "x1,x2,y\n1,2,3\n4,5,6\n"))
    picked = table.select(["y", "x1"])
    np.testing.assert_array_equal(picked, [[3, 1], [6, 4]])
    assert picked.dtype == np.float64
    picked[0, 0] = 99.0  # a copy, writable
    assert table.values[0, 2] == 3.0
    assert table.select([]).shape == (2, 0)


def test_select_unknown_column(in_tmp: Path) -> None:
    table = read_csv(_write(in_tmp, "x1,x2,y\n1,2,3\n"))
    with pytest.raises(DataError) as info:
        table.select(["x1", "z"])
    assert str(info.value) == 'data.csv: no column "z" (the columns are "x1", "x2", "y")'


def test_select_rejects_single_string(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "x1\n1\n"))
    with pytest.raises(TypeError):
        table.select("x1")


def test_table_checks_shape() -> None:
    with pytest.raises(ValueError):
        Table(columns=("a", "b"), values=np.zeros((2, 3)), path="x.csv")
    table = Table(columns=["a"], values=[[1], [2]], path="x.csv")  # type: ignore[arg-type]
    assert table.columns == ("a",)
    assert table.values.dtype == np.float64


def test_table_does_not_freeze_callers_array() -> None:
    data = np.zeros((1, 1))
    Table(columns=("a",), values=data, path="x.csv")
    data[0, 0] = 1.0  # still writable


# --- write_csv_text ----------------------------------------------------------------------


def test_write_csv_text_format() -> None:
    text = write_csv_text(["x", "y,z"], np.array([[0.1, 1.0], [-0.0, 1e-300]]))
    assert text == 'x,"y,z"\n0.1,1.0\n-0.0,1e-300\n'


def test_write_csv_text_checks_shape() -> None:
    with pytest.raises(ValueError):
        write_csv_text(["a", "b"], np.zeros((2, 3)))
    with pytest.raises(ValueError):
        write_csv_text(["a"], np.zeros(3))
    with pytest.raises(ValueError):
        write_csv_text([], np.zeros((0, 0)))


def test_round_trip_exact(tmp_path: Path) -> None:
    values = np.array([[0.1, 1 / 3, -2.5e-308], [1e308, -0.0, 5e-324], [123456789.123, 7, 0]])
    path = _write(tmp_path, write_csv_text(["a", "b", "c"], values))
    table = read_csv(path)
    assert table.columns == ("a", "b", "c")
    assert table.values.tobytes() == values.tobytes()


_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(
    max_examples=fuzz_examples(60), suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
        elements=_finite,
    )
)
def test_round_trip_exact_hypothesis(tmp_path: Path, values: np.ndarray) -> None:
    columns = [f"c{i}" for i in range(values.shape[1])]
    path = _write(tmp_path, write_csv_text(columns, values))
    table = read_csv(path)
    assert table.columns == tuple(columns)
    assert table.values.shape == values.shape
    assert table.values.tobytes() == values.tobytes()  # bit-exact, including -0.0


# --- bad files: exact messages ---------------------------------------------------------


def test_missing_file(in_tmp: Path) -> None:
    assert _message(in_tmp / "data.csv") == "data.csv: file not found"


def test_missing_folder_in_path(in_tmp: Path) -> None:
    assert _message(Path("nope") / "data.csv") == f"{Path('nope') / 'data.csv'}: file not found"


def test_directory(in_tmp: Path) -> None:
    os.mkdir("data.csv")
    assert _message(Path("data.csv")) == "data.csv: is a folder, not a file"


def test_too_large(in_tmp: Path) -> None:
    path = _write(in_tmp, "a\n" + "1\n" * (3 * 1024 * 1024 // 4))  # 1.5 MB
    assert _message(path, max_bytes=1024 * 1024) == (
        "data.csv: the file is 1.5 MB, more than the limit of 1 MB"
    )


def test_too_large_close_to_limit(in_tmp: Path) -> None:
    path = _write(in_tmp, b"a\n" + b"1" * (1024 * 1024))
    assert _message(path, max_bytes=1024 * 1024) == (
        "data.csv: the file is 1.000002 MB, more than the limit of 1 MB"
    )


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        read_csv(_write(tmp_path, "a\n1\n"), max_bytes=0)


def test_exactly_at_limit_is_fine(tmp_path: Path) -> None:
    content = b"a\n1\n"
    table = read_csv(_write(tmp_path, content), max_bytes=len(content))
    assert table.values.shape == (1, 1)


def test_not_utf8(in_tmp: Path) -> None:
    path = _write(in_tmp, b"x,y\n1,2\n3,\xe44\n")
    assert _message(path) == (
        "data.csv, line 3: the file is not UTF-8 text (bad byte 0xe4); save it as UTF-8 CSV"
    )


def test_not_utf8_utf16(in_tmp: Path) -> None:
    path = _write(in_tmp, "x,y\n1,2\n".encode("utf-16"))
    assert _message(path) == (
        "data.csv, line 1: the file is not UTF-8 text (bad byte 0xff); save it as UTF-8 CSV"
    )


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff", "  \r\n \n"])
def test_empty_file(in_tmp: Path, content: str) -> None:
    assert _message(_write(in_tmp, content)) == "data.csv: the file is empty"


def test_header_only(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x1,x2,y\n\n")) == (
        "data.csv: no data rows (the file has only the header line)"
    )


def test_no_header(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "1,2,3\n4,5,6\n")) == (
        "data.csv, line 1: no header row (the first line must name the columns)"
    )


def test_no_header_after_blank_lines_and_with_gaps(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "\n\n1,,nan\n4,5,6\n")) == (
        "data.csv, line 3: no header row (the first line must name the columns)"
    )


def test_empty_column_name(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x1,,y\n1,2,3\n")) == (
        "data.csv, line 1, column 2: the column name is empty"
    )


def test_duplicate_column_name(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x,y, x\n1,2,3\n")) == (
        'data.csv, line 1: the column name "x" is used twice (columns 1 and 3)'
    )


def test_triplicate_column_name(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x,x,y,x\n1,2,3,4\n")) == (
        'data.csv, line 1: the column name "x" is used 3 times (columns 1, 2 and 4)'
    )


def test_ragged_row(in_tmp: Path) -> None:
    content = "a,b,c,d\n1,2,3,4\n1,2,3,4\n\n1,2,3\n"
    assert _message(_write(in_tmp, content)) == (
        "data.csv, line 5 has 3 cells, the header has 4 columns"
    )


def test_ragged_rows_counted(in_tmp: Path) -> None:
    content = "a,b\n1,2,3\n1\n1,2,\n"
    assert _message(_write(in_tmp, content)) == (
        "data.csv, line 2 has 3 cells, the header has 2 columns "
        "(and 2 more rows with the wrong number of cells)"
    )


def test_ragged_singular(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "a\n1,2\n1,2\n")) == (
        "data.csv, line 2 has 2 cells, the header has 1 column "
        "(and 1 more row with the wrong number of cells)"
    )


def test_non_numeric_cell(in_tmp: Path) -> None:
    content = "x1,x2,y\n" + "1,2,3\n" * 5 + "1,abc,3\n"
    assert _message(_write(in_tmp, content)) == (
        'data.csv, line 7, column "x2" (2): "abc" is not a number'
    )


def test_non_numeric_cells_counted(in_tmp: Path) -> None:
    content = "x1,x2,y\n1,2,3\n1,abc,3\nx,y,z\n"
    assert _message(_write(in_tmp, content)) == (
        'data.csv, line 3, column "x2" (2): "abc" is not a number (and 3 more non-numeric cells)'
    )


@pytest.mark.parametrize("cell", ["1,5", "0x10", "1_000", "١", "1e", "--1", "1.2.3", "e5"])
def test_strict_number_syntax(in_tmp: Path, cell: str) -> None:
    content = f'a\n"{cell}"\n'
    assert _message(_write(in_tmp, content)) == (
        f'data.csv, line 2, column "a" (1): "{cell}" is not a number'
    )


def test_long_and_control_text_is_shortened_and_escaped(in_tmp: Path) -> None:
    content = 'a\n"' + "z" * 100 + '"\n"\x07\n"\n'
    message = _message(_write(in_tmp, content))
    assert message == (
        'data.csv, line 2, column "a" (1): "' + "z" * 37 + '..." is not a number '
        "(and 1 more non-numeric cell)"
    )
    message = _message(_write(in_tmp, 'a\n"\x07\nq"\n'))
    assert message == 'data.csv, line 2, column "a" (1): "\\x07\\x0aq" is not a number'


def test_missing_values(in_tmp: Path) -> None:
    content = "x1,x2,y\n1,2,3\n1,,3\n,,\n4,5,6\n, 1,\n"
    assert _message(_write(in_tmp, content)) == (
        'data.csv, line 3, column "x2" (2): missing value (3 rows have missing values)'
    )


def test_missing_value_single_row(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x,y\n1, \n")) == (
        'data.csv, line 2, column "y" (2): missing value (1 row has missing values)'
    )


def test_empty_line_in_single_column_file_is_blank(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "y\n1\n\n2\n"))
    np.testing.assert_array_equal(table.values, [[1], [2]])


@pytest.mark.parametrize("cell", ["nan", "NaN", "-inf", "inf", "Infinity", "+INF", "1e999"])
def test_non_finite(in_tmp: Path, cell: str) -> None:
    content = f"x,y,z\n1,2,3\n4,5,{cell}\n"
    assert _message(_write(in_tmp, content)) == (
        f'data.csv, line 3, column "z" (3): "{cell}" is not a finite number'
    )


def test_non_finite_counted(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x,y\nnan,inf\n-inf,1\n")) == (
        'data.csv, line 2, column "x" (1): "nan" is not a finite number '
        "(and 2 more non-finite cells)"
    )


def test_first_problem_in_file_is_reported(in_tmp: Path) -> None:
    content = "x,y\n1,2\n1,\n1,abc\n1,2,3\n"
    assert _message(_write(in_tmp, content)) == (
        'data.csv, line 3, column "y" (2): missing value (1 row has missing values)'
    )
    content = "x,y\n1,2,3\n1,\n1,abc\n"
    assert _message(_write(in_tmp, content)) == (
        "data.csv, line 2 has 3 cells, the header has 2 columns"
    )


def test_line_numbers_count_multiline_quoted_cells(in_tmp: Path) -> None:
    content = 'x,"multi\nline name"\n1,2\n\n1,oops\n'
    assert _message(_write(in_tmp, content)) == (
        'data.csv, line 5, column "multi\\x0aline name" (2): "oops" is not a number'
    )


def test_line_number_with_bom_and_crlf(in_tmp: Path) -> None:
    content = "\ufeffx\r\n1\r\n\r\nq\r\n"
    assert _message(_write(in_tmp, content)) == (
        'data.csv, line 4, column "x" (1): "q" is not a number'
    )


def test_full_path_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "1\n")
    assert _message(path).startswith(f"{path}, line 1: no header row")


def test_data_error_is_value_error() -> None:
    assert issubclass(DataError, ValueError)


# --- fuzzing: only Table or DataError --------------------------------------------------


def _check_outcome(path: Path) -> None:
    """read_csv gives a well-formed Table or a one-line DataError, nothing else."""
    try:
        table = read_csv(path)
    except DataError as exc:
        message = str(exc)
        assert message and "\n" not in message and "\r" not in message
        return
    assert isinstance(table, Table)
    assert table.values.dtype == np.float64
    assert table.values.ndim == 2
    assert table.values.shape[1] == len(table.columns) >= 1
    assert table.values.shape[0] >= 1
    assert np.all(np.isfinite(table.values))
    assert len(set(table.columns)) == len(table.columns)
    assert all(table.columns)


@settings(
    max_examples=fuzz_examples(300), suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text())
def test_arbitrary_text_gives_table_or_data_error(tmp_path: Path, text: str) -> None:
    _check_outcome(_write(tmp_path, text))


_csvish = st.text(alphabet=st.sampled_from(list('0123456789.,-+eE\n\r "ab\tnaif\x00')))


@settings(
    max_examples=fuzz_examples(300), suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_csvish)
def test_csv_like_text_gives_table_or_data_error(tmp_path: Path, text: str) -> None:
    _check_outcome(_write(tmp_path, text))


@settings(
    max_examples=fuzz_examples(300), suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary())
def test_arbitrary_bytes_give_table_or_data_error(tmp_path: Path, data: bytes) -> None:
    _check_outcome(_write(tmp_path, data))
