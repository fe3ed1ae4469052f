"""Tests for bp_studio.data.table_import: lenient CSV import with text class labels."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bp_studio.data.csv_table import CsvFormat, DataError, write_csv_text
from bp_studio.data.examples import Dataset
from bp_studio.data.table_import import (
    DROP_MISSING_HINT,
    MAX_CLASSES,
    preview_csv,
    preview_rows,
    read_dataset,
)


def _write(folder: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _message(path: Path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        read_dataset(path, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    return text


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in ``tmp_path`` so messages show the bare file name ``data.csv``."""
    monkeypatch.chdir(tmp_path)
    return Path(".")


IRIS_LIKE = (
    "sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n4.9,1.4,setosa\n"
)

# --- good files --------------------------------------------------------------------------


def test_text_labels_become_classes_and_one_hot(tmp_path: Path) -> None:
    data = read_dataset(_write(tmp_path, IRIS_LIKE))
    assert isinstance(data, Dataset)
    assert data.X.shape == (4, 2) and data.X.dtype == np.float64
    np.testing.assert_array_equal(data.X, [[5.1, 1.4], [7.0, 4.7], [6.3, 6.0], [4.9, 1.4]])
    assert data.input_names == ("sepal", "petal")
    assert data.target_names == ("species",)
    assert data.classes == ("setosa", "versicolor", "virginica")
    np.testing.assert_array_equal(data.T, [[0.0], [1.0], [2.0], [0.0]])
    one_hot = data.targets_for_loss("cross_entropy")
    np.testing.assert_array_equal(one_hot, np.eye(3)[[0, 1, 2, 0]])
    assert data.target_names_for_loss("cross_entropy") == (
        "P(setosa)",
        "P(versicolor)",
        "P(virginica)",
    )
    assert data.name == "data" and data.title == "data.csv"
    assert data.source == str(tmp_path / "data.csv")


def test_class_names_are_sorted_not_in_order_of_appearance(tmp_path: Path) -> None:
    data = read_dataset(_write(tmp_path, "x,label\n1,cat\n2,ant\n3,bee\n4,ant\n"))
    assert data.classes == ("ant", "bee", "cat")
    np.testing.assert_array_equal(data.T[:, 0], [2, 0, 1, 0])


def test_labels_mixing_numbers_and_text_are_classes(tmp_path: Path) -> None:
    data = read_dataset(_write(tmp_path, "x,label\n1,2\n2,10\n3,other\n"))
    assert data.classes == ("10", "2", "other")
    np.testing.assert_array_equal(data.T[:, 0], [1, 0, 2])


def test_numeric_target_is_regression(tmp_path: Path) -> None:
    data = read_dataset(_write(tmp_path, "x1,x2,y\n0,1,1.5\n1,0,1\n1,1,0\n"))
    assert data.classes is None
    np.testing.assert_array_equal(data.T, [[1.5], [1.0], [0.0]])
    assert data.targets_for_loss("cross_entropy") is data.T
    two = read_dataset(_write(tmp_path, "x,y1,y2\n0,1,0\n1,0,1\n"), ["y1", "y2"])
    assert two.classes is None  # several 0/1 columns stay as they are


def test_a_zero_one_target_column_is_a_classification(tmp_path: Path) -> None:
    data = read_dataset(_write(tmp_path, "x1,x2,y\n0,1,1\n1,0,1.0\n1,1,0\n0,0,-0\n"))
    assert data.classes == ("0", "1")
    np.testing.assert_array_equal(data.T, [[1.0], [1.0], [0.0], [0.0]])
    np.testing.assert_array_equal(data.targets_for_loss("cross_entropy"), np.eye(2)[[1, 1, 0, 0]])
    assert data.outputs_for_loss("binary_cross_entropy") == 1


def test_target_columns_chosen_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "a,y1,b,y2\n1,10,2,20\n3,30,4,40\n")
    data = read_dataset(path, target_columns=["y2", "y1"])
    assert data.input_names == ("a", "b")
    assert data.target_names == ("y2", "y1")
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(data.T, [[20, 10], [40, 30]])
    middle = read_dataset(_write(tmp_path, "a,kind,b\n1,x,2\n3,y,4\n"), ["kind"])
    assert middle.input_names == ("a", "b") and middle.classes == ("x", "y")


def test_layout_is_lenient(tmp_path: Path) -> None:
    text = '\ufeff x ,"y" \r\n\r\n 1.5 ," yes "\r\n-2e3,no\r\n\r\n'
    data = read_dataset(_write(tmp_path, text))
    assert data.input_names == ("x",)
    assert data.classes == ("no", "yes")
    np.testing.assert_array_equal(data.X[:, 0], [1.5, -2000.0])


def test_exact_numbers(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = rng.standard_normal((50, 4)) * 10.0 ** rng.integers(-300, 300, (50, 4))
    data = read_dataset(_write(tmp_path, write_csv_text(["a", "b", "c", "d"], values)))
    assert data.X.tobytes() == values[:, :3].tobytes()
    assert data.T.tobytes() == values[:, 3:].tobytes()


def test_drop_missing_skips_rows(tmp_path: Path) -> None:
    text = "x1,x2,y\n1,2,a\n,3,b\n4,NA,a\n5,6,?\n7,8,b\n9,n/a,a\n10,11,NaN\n12,13,null\n"
    data = read_dataset(_write(tmp_path, text), drop_missing=True)
    np.testing.assert_array_equal(data.X, [[1, 2], [7, 8]])
    assert data.classes == ("a", "b")
    assert data.source.endswith("(6 rows with missing values skipped)")


def test_drop_missing_on_a_complete_file_changes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, IRIS_LIKE)
    plain, dropping = read_dataset(path), read_dataset(path, drop_missing=True)
    assert plain.X.tobytes() == dropping.X.tobytes() and plain.source == dropping.source


def test_large_file_in_chunks(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = rng.standard_normal((20_000, 3))
    labels = np.array(["low", "high"])[(values[:, 0] > 0).astype(int)]
    lines = ["a,b,c,label"] + [
        f"{a!r},{b!r},{c!r},{t}" for (a, b, c), t in zip(values.tolist(), labels)
    ]
    data = read_dataset(_write(tmp_path, "\n".join(lines) + "\n"))
    assert data.X.tobytes() == values.tobytes()
    np.testing.assert_array_equal(data.T[:, 0], (values[:, 0] <= 0).astype(float))
    assert data.classes == ("high", "low")


# --- progress -------------------------------------------------------------------------------


def test_progress_is_called_and_ends_at_one(tmp_path: Path) -> None:
    values = np.arange(30_000 * 4, dtype=float).reshape(-1, 4)
    path = _write(tmp_path, write_csv_text(["a", "b", "c", "d"], values))
    calls: list[float] = []
    read_dataset(path, progress=calls.append)
    assert calls[0] == 0.0 and calls[-1] == 1.0
    assert calls == sorted(calls)
    assert all(0.0 <= c <= 1.0 for c in calls)
    assert max(np.diff(calls)) <= 0.05
    assert len(calls) >= 20


def test_progress_on_a_tiny_file(tmp_path: Path) -> None:
    calls: list[float] = []
    read_dataset(_write(tmp_path, "x,y\n1,2\n"), progress=calls.append)
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)


def test_progress_can_cancel(tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel(fraction: float) -> None:
        if fraction > 0.5:
            raise Cancelled

    path = _write(tmp_path, write_csv_text(["a", "b"], np.zeros((5000, 2))))
    with pytest.raises(Cancelled):
        read_dataset(path, progress=cancel)


# --- every bad file names its problem --------------------------------------------------------


def test_missing_values_message(in_tmp: Path) -> None:
    path = _write(in_tmp, "x1,x2,y\n1,2,a\n3,,b\n4,5,NA\n6,7,a\n8,?,b\n")
    assert _message(path) == (
        'data.csv, line 3, column "x2" (2): missing value (empty cell); '
        f"3 rows have missing values; {DROP_MISSING_HINT}"
    )
    assert DROP_MISSING_HINT == 'open again with "Drop rows with missing values" to skip them'


def test_missing_value_marker_and_singular(in_tmp: Path) -> None:
    path = _write(in_tmp, "x,y\n1,a\n2,N/A\n")
    assert _message(path) == (
        'data.csv, line 3, column "y" (2): missing value "N/A"; 1 row has missing values; '
        + DROP_MISSING_HINT
    )


def test_every_row_missing(in_tmp: Path) -> None:
    path = _write(in_tmp, "x,y\n,a\n2,\n")
    assert _message(path, drop_missing=True) == (
        "data.csv: no rows left: all 2 data rows have missing values"
    )
    path = _write(in_tmp, "x,y\n?,a\n")
    assert _message(path, drop_missing=True) == (
        "data.csv: no rows left: the only data row has missing values"
    )


def test_non_numeric_input_cells(in_tmp: Path) -> None:
    path = _write(in_tmp, "x1,x2,y\n1,2,a\n3,abc,b\n4,5,a\nzz,x,b\n")
    assert _message(path) == (
        'data.csv, line 3, column "x2" (2): "abc" is not a number '
        "(and 2 more non-numeric cells); only a target column may hold text"
    )


def test_non_numeric_singular(in_tmp: Path) -> None:
    path = _write(in_tmp, "x1,y\n1,a\noops,b\n")
    assert _message(path) == (
        'data.csv, line 3, column "x1" (1): "oops" is not a number; '
        "only a target column may hold text"
    )


def test_non_finite_input_and_target(in_tmp: Path) -> None:
    path = _write(in_tmp, "x,y\n1,2\ninf,3\n1e999,4\n")
    assert _message(path) == (
        'data.csv, line 3, column "x" (1): "inf" is not a finite number '
        "(and 1 more non-finite cell)"
    )
    path = _write(in_tmp, "x,y\n1,2\n2,-Infinity\n3,1e400\n4,-Infinity\n")
    assert _message(path) == (
        'data.csv, line 3, column "y" (2): "-Infinity" is not a finite number '
        "(and 2 more non-finite cells)"
    )


def test_ragged_rows(in_tmp: Path) -> None:
    path = _write(in_tmp, "a,b,y\n1,2,x\n1,2\n1,2,x,4\n3\n")
    assert _message(path) == (
        'data.csv, line 3, column "y" (3): the row ends after 2 cells, the header has '
        "3 columns (and 2 more rows with the wrong number of cells)"
    )
    path = _write(in_tmp, "a,b,y\n1,2,x\n1,2,x,4\n")
    assert _message(path) == (
        "data.csv, line 3, column 4: the row has 4 cells, the header has 3 columns"
    )


def test_first_problem_in_the_file_wins(in_tmp: Path) -> None:
    path = _write(in_tmp, "a,b,y\n1,2,x\n1,bad,x\n1,,x\n1\n")
    assert _message(path).startswith('data.csv, line 3, column "b" (2): "bad" is not a number')
    path = _write(in_tmp, "a,b,y\n1,,x\n1,bad,x\n")
    assert _message(path).startswith('data.csv, line 2, column "b" (2): missing value')
    # with drop_missing the missing row is skipped and the text cell is what remains
    assert _message(path, drop_missing=True).startswith('data.csv, line 3, column "b" (2)')


def test_not_utf8(in_tmp: Path) -> None:
    path = _write(in_tmp, "x,y\n1,a\n2,caf\xe9\n".encode("latin-1"))
    assert _message(path) == (
        "data.csv, line 3: the file is not UTF-8 text (bad byte 0xe9); save it as UTF-8 CSV"
    )


def test_no_header(in_tmp: Path) -> None:
    path = _write(in_tmp, "1,2,3\n4,5,6\n")
    assert _message(path) == (
        "data.csv, line 1: no header row (the first line must name the columns)"
    )


def test_single_column(in_tmp: Path) -> None:
    path = _write(in_tmp, "x\n1\n2\n")
    assert _message(path) == (
        'data.csv, line 1: only one column ("x"); the file needs at least one input column '
        "and a target column"
    )


def test_no_rows_and_empty(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x,y\n\n")) == (
        "data.csv: no data rows (the file has only the header line)"
    )
    assert _message(_write(in_tmp, "")) == "data.csv: the file is empty"
    assert _message(_write(in_tmp, "\n \n")) == "data.csv: the file is empty"


def test_too_large(in_tmp: Path) -> None:
    path = _write(in_tmp, "x,y\n1,2\n" * 100)
    assert _message(path, max_bytes=500) == (
        "data.csv: the file is 0.001 MiB, more than the limit of 0 MiB"
    )


def test_over_200_mb_is_refused_before_reading(in_tmp: Path) -> None:
    path = in_tmp / "data.csv"
    with open(path, "wb") as f:
        f.truncate(200 * 1024 * 1024 + 1)  # sparse: no disk space used
    start = time.perf_counter()
    message = _message(path)
    assert message == "data.csv: the file is 200.000001 MiB, more than the limit of 200 MiB"
    assert time.perf_counter() - start < 1.0
    with pytest.raises(DataError, match="more than the limit of 200 MiB"):
        preview_rows(path)


def test_missing_file_and_folder(in_tmp: Path) -> None:
    assert _message(in_tmp / "data.csv") == "data.csv: file not found"
    os.mkdir("folder")
    assert _message(Path("folder")) == "folder: is a folder, not a file"


def test_bad_header(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, "x,x,y\n1,2,3\n")).startswith(
        'data.csv, line 1: the column name "x" is used twice'
    )
    assert _message(_write(in_tmp, "x,,y\n1,2,3\n")) == (
        "data.csv, line 1, column 2: the column name is empty"
    )


def test_invalid_csv(in_tmp: Path) -> None:
    message = _message(_write(in_tmp, 'x,y\n1,2\n3,"' + "a" * 200_000 + '"\n'))
    assert message.startswith("data.csv, line 3: not valid CSV (field larger than field limit")


def test_bad_target_choices(in_tmp: Path) -> None:
    path = _write(in_tmp, "a,b,y\n1,2,3\n")
    assert _message(path, target_columns=["z"]) == (
        'data.csv: no column "z" (the columns are "a", "b", "y")'
    )
    assert _message(path, target_columns=["y", "y"]) == (
        'data.csv: the target column "y" is chosen twice'
    )
    assert _message(path, target_columns=[]) == "data.csv: choose at least one target column"
    assert _message(path, target_columns=["a", "b", "y"]) == (
        "data.csv: every column is a target; at least one column must remain as an input"
    )
    with pytest.raises(TypeError):
        read_dataset(path, target_columns="y")
    with pytest.raises(ValueError, match="max_bytes"):
        read_dataset(path, max_bytes=0)


def test_text_in_one_of_several_targets(in_tmp: Path) -> None:
    path = _write(in_tmp, "a,y1,y2\n1,2,3\n4,5,six\n")
    assert _message(path, target_columns=["y1", "y2"]) == (
        'data.csv, line 3, column "y2" (3): "six" is not a number; text class labels are '
        "allowed only when there is a single target column (2 are chosen)"
    )


def test_too_many_classes(in_tmp: Path) -> None:
    rows = "".join(f"{i},id{i:04d}\n" for i in range(MAX_CLASSES + 5))
    path = _write(in_tmp, "x,name\n" + rows)
    assert _message(path) == (
        f'data.csv, line {MAX_CLASSES + 2}, column "name" (2): "id0100" is label number '
        f"{MAX_CLASSES + 1}; a class column may have at most {MAX_CLASSES} different labels "
        f'({MAX_CLASSES + 5} found; is "name" the right target column?)'
    )
    rows = "".join(f"{i},id{i:04d}\n" for i in range(MAX_CLASSES))
    assert len(read_dataset(_write(in_tmp, "x,name\n" + rows)).classes) == MAX_CLASSES


def test_full_path_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "x,y\n1,\n")
    assert _message(path).startswith(f'{path}, line 2, column "y" (2): missing value')


def test_many_number_labels_and_one_text_label_do_not_backtrack(tmp_path: Path, time_limit) -> None:
    labels = [str(100 + i) for i in range(30)] + ["other"]
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(labels))
    with time_limit(20):
        data = read_dataset(_write(tmp_path, "x,label\n" + rows))
    assert data.classes == tuple(sorted(labels))
    with time_limit(20):
        message = _message(_write(tmp_path, "a,b,y\n" + "100,100,x\n" * 3 + "100,1.5z,y\n"))
    assert message.endswith(
        'column "b" (2): "1.5z" is not a number; only a target column may hold text'
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_refused_not_read(in_tmp: Path, time_limit) -> None:
    os.mkfifo("pipe.csv")
    expected = "pipe.csv: not a regular file (a pipe, device or socket); give a data file"
    with time_limit(20):
        assert _message(Path("pipe.csv")) == expected
        with pytest.raises(DataError) as info:
            preview_rows(Path("pipe.csv"))
    assert str(info.value) == expected


def test_european_file_with_text_classes(tmp_path: Path) -> None:
    text = "Länge;Breite;Art\n5,1;3,5;setosa\n7,0;3,2;versicolor\n"
    data = read_dataset(_write(tmp_path, text))
    np.testing.assert_array_equal(data.X, [[5.1, 3.5], [7.0, 3.2]])
    assert data.classes == ("setosa", "versicolor")
    assert data.input_names == ("Länge", "Breite")
    tabbed = read_dataset(_write(tmp_path, "a\tb\n1.5\tyes\n2\tno\n"))
    assert tabbed.classes == ("no", "yes")


def test_unclosed_quote(in_tmp: Path) -> None:
    assert _message(_write(in_tmp, 'x,y\n1,a\n2,"b\n3,c\n')) == (
        "data.csv: unclosed quote starting at line 3"
    )


# --- preview ---------------------------------------------------------------------------------


def test_preview_detects_the_separator_and_can_be_told(tmp_path: Path) -> None:
    path = _write(tmp_path, "a;b;y\n1,5;2;x\n3;4,25;y\n")
    preview = preview_csv(path, rows=5)
    assert preview.format == CsvFormat(";", ",")
    assert preview.header == ["a", "b", "y"]
    assert preview.rows == [["1,5", "2", "x"], ["3", "4,25", "y"]]
    forced = preview_csv(path, separator=",")
    assert forced.format == CsvFormat(",", ".")
    assert forced.header == ["a;b;y"] and forced.rows[0] == ["1", "5;2;x"]
    data = read_dataset(path, separator=";", decimal=",")
    np.testing.assert_array_equal(data.X, [[1.5, 2], [3, 4.25]])


def test_preview_gives_header_and_first_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, IRIS_LIKE)
    header, rows = preview_rows(path, rows=2)
    assert header == ["sepal", "petal", "species"]
    assert rows == [["5.1", "1.4", "setosa"], ["7.0", "4.7", "versicolor"]]
    assert preview_rows(path)[1][-1] == ["4.9", "1.4", "setosa"]
    assert len(preview_rows(path)[1]) == 4
    assert preview_rows(path, rows=0) == (header, [])


def test_preview_shows_files_that_import_refuses(tmp_path: Path) -> None:
    path = _write(tmp_path, "1,2\n3\n,x,y\n")
    assert preview_rows(path) == (["1", "2"], [["3"], ["", "x", "y"]])


def test_preview_reads_only_the_start(tmp_path: Path) -> None:
    values = np.zeros((300_000, 4))
    path = _write(tmp_path, write_csv_text(["a", "b", "c", "d"], values))
    start = time.perf_counter()
    header, rows = preview_rows(path, rows=20)
    assert time.perf_counter() - start < 0.2
    assert header == ["a", "b", "c", "d"] and len(rows) == 20


def test_preview_with_long_lines_and_quoted_newlines(tmp_path: Path) -> None:
    long_cell = "x" * 100_000  # under the csv module's field limit of 128 KiB
    text = f'a,b\n"{long_cell}",1\n"two\nlines",2\n' + "3,4\n" * 50
    header, rows = preview_rows(_write(tmp_path, text), rows=3)
    assert header == ["a", "b"]
    assert rows == [[long_cell, "1"], ["two\nlines", "2"], ["3", "4"]]
    spanning = "a,b\n" + "1,2\n" * 16_000 + '"' + "y\n" * 30_000 + '",5\n' + "6,7\n"
    header, rows = preview_rows(_write(tmp_path, spanning, "span.csv"), rows=16_001)
    assert rows[-1] == [("y\n" * 30_000).strip(), "5"]  # cells are stripped


def test_preview_errors(in_tmp: Path) -> None:
    def message(path: Path, **kwargs) -> str:
        with pytest.raises(DataError) as info:
            preview_rows(path, **kwargs)
        return str(info.value)

    assert message(in_tmp / "data.csv") == "data.csv: file not found"
    assert message(in_tmp) == ".: is a folder, not a file"
    assert message(_write(in_tmp, "")) == "data.csv: the file is empty"
    assert message(_write(in_tmp, "x,y\n1,\xff\n".encode("latin-1"))) == (
        "data.csv, line 2: the file is not UTF-8 text (bad byte 0xff); save it as UTF-8 CSV"
    )
    assert message(_write(in_tmp, "x,y\n" * 100), max_bytes=10).startswith(
        "data.csv: the file is 0.0004 MiB, more than the limit of"
    )
    assert message(_write(in_tmp, 'x,y\n1,"' + "a" * 200_000 + '"\n')).startswith(
        "data.csv, line 2: not valid CSV"
    )


# --- anything at all: a Dataset or a DataError, nothing else --------------------------------

CELLS = st.one_of(
    st.sampled_from(["0", "1", "-2.5", "1e3", "", "NA", "?", "nan", "inf", "1e999", "a", "b"]),
    st.sampled_from(['"x,y"', '"q""q"', " 3 ", "+.5", "1_0", "0x1", "\u0661", '"a\nb"']),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=4),
)
NUMBERS = st.sampled_from(["0", "1", "-2.5", "1e3", " 7 ", "+.5", "3.25e-2"])
LABELS = st.sampled_from(["a", "b", "c", "yes", "no", "2", "x y"])


@st.composite
def csv_texts(draw) -> str:
    """CSV text: a header, rows of the header's width with mostly sensible cells, some noise."""
    width = draw(st.integers(1, 4))
    names = st.sampled_from(["x1", "x2", "y", "a", "b", "1", ""])
    header = draw(st.lists(names, min_size=width, max_size=width))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["numbers", "labels", "numbers", "any"]))
        if kind == "any":
            row = draw(st.lists(CELLS, min_size=1, max_size=5))
        else:
            row = draw(st.lists(NUMBERS, min_size=width - 1, max_size=width - 1))
            row.append(draw(LABELS if kind == "labels" else NUMBERS))
        rows.append(row)
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join(",".join(r) for r in [header, *rows]) + ending


CSV_TEXT = st.one_of(
    csv_texts(),
    st.builds(
        lambda rows, ending: ending.join(",".join(r) for r in rows) + ending,
        st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=6),
        st.sampled_from(["\n", "\r\n", "\r"]),
    ),
)


def _dataset_or_error(path: Path, time_limit=None, **kwargs) -> Dataset | None:
    try:
        if time_limit is None:
            data = read_dataset(path, **kwargs)
        else:
            with time_limit(20):
                data = read_dataset(path, **kwargs)
    except DataError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    assert isinstance(data, Dataset)
    assert data.X.ndim == 2 and data.T.ndim == 2
    assert data.X.shape[0] == data.T.shape[0] >= 1
    assert data.X.shape[1] == len(data.input_names) >= 1
    assert np.all(np.isfinite(data.X)) and np.all(np.isfinite(data.T))
    if data.classes is not None:
        assert data.T.shape[1] == 1
        assert set(data.T[:, 0].tolist()) <= set(map(float, range(len(data.classes))))
        assert data.targets_for_loss("cross_entropy").shape[1] == len(data.classes)
    return data


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(CSV_TEXT, st.booleans())
def test_csv_like_text_gives_dataset_or_data_error(
    tmp_path: Path, time_limit, text: str, drop: bool
) -> None:
    path = _write(tmp_path, text)
    _dataset_or_error(path, time_limit, drop_missing=drop)
    try:
        with time_limit(20):
            header, rows = preview_rows(path, rows=3)
    except DataError:
        return
    assert isinstance(header, list) and len(rows) <= 3


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=60), st.booleans())
def test_arbitrary_text_gives_dataset_or_data_error(
    tmp_path: Path, time_limit, text: str, drop: bool
) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    _dataset_or_error(_write(tmp_path, raw), time_limit, drop_missing=drop)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=80))
def test_arbitrary_bytes_give_dataset_or_data_error(tmp_path: Path, time_limit, raw: bytes) -> None:
    _dataset_or_error(_write(tmp_path, raw), time_limit)
    try:
        with time_limit(20):
            preview_rows(_write(tmp_path, raw))
    except DataError:
        pass


def test_the_fuzzers_reach_datasets(tmp_path: Path) -> None:
    outcomes = []

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(CSV_TEXT)
    def collect(text: str) -> None:
        outcomes.append(_dataset_or_error(_write(tmp_path, text), drop_missing=True) is not None)

    collect()
    assert True in outcomes and False in outcomes
