"""File ▸ Open data…: the CSV import dialog (preview, target choice, threaded load, cancel)."""

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from bp_studio.data.csv_table import CsvFormat
from bp_studio.data.table_import import read_dataset
from bp_studio.ui import csv_import
from bp_studio.ui.csv_import import PREVIEW_ROWS, SCAN_ROWS, CsvImportDialog, open_csv

SPECIES = ("setosa", "versicolor", "virginica")


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def iris_like(path, rows: int = 12):
    lines = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for i in range(rows):
        a, b, c, d = 4.0 + 0.1 * i, 3.0 + 0.05 * i, 1.0 + 0.2 * i, 0.1 * i
        lines.append(f"{a:.2f},{b:.2f},{c:.2f},{d:.2f},{SPECIES[i % 3]}")
    return write(path, "\n".join(lines) + "\n")


def numeric(path, rows: int = 30):
    lines = ["x1,x2,y"] + [f"{i},{i * 0.5},{i % 2}" for i in range(rows)]
    return write(path, "\n".join(lines) + "\n")


def make_dialog(qtbot, path) -> CsvImportDialog:
    dialog = CsvImportDialog(path)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def load(qtbot, dialog: CsvImportDialog) -> None:
    """Press Load and wait until the worker is done."""
    qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    assert dialog.is_loading() or dialog.result() == QDialog.DialogCode.Accepted
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=10_000)


def assert_same_dataset(a, b):
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.T, b.T)
    assert (a.name, a.title, a.input_names, a.target_names, a.classes, a.source) == (
        b.name,
        b.title,
        b.input_names,
        b.target_names,
        b.classes,
        b.source,
    )


def checked(dialog: CsvImportDialog) -> list[bool]:
    items = [dialog.target_list.item(i) for i in range(dialog.target_list.count())]
    return [item.checkState() == Qt.CheckState.Checked for item in items]


def test_preview_shows_the_header_and_the_first_rows(qtbot, tmp_path):
    path = numeric(tmp_path / "wide.csv", rows=50)
    dialog = make_dialog(qtbot, path)
    table = dialog.preview_table
    assert dialog.windowTitle() == "Open data: wide.csv"
    assert [table.horizontalHeaderItem(c).text() for c in range(3)] == ["x1", "x2", "y"]
    assert table.rowCount() == PREVIEW_ROWS == 20
    assert [table.item(0, c).text() for c in range(3)] == ["0", "0.0", "0"]
    assert [table.item(19, c).text() for c in range(3)] == ["19", "9.5", "1"]
    assert dialog.caption_label.text() == (
        "First 20 of 50 rows of wide.csv · comma-separated (detected)"
    )
    assert not table.item(0, 0).flags() & Qt.ItemFlag.ItemIsEditable
    assert dialog.load_button.text() == "Load"


def test_the_last_column_is_the_default_target(qtbot, tmp_path):
    dialog = make_dialog(qtbot, iris_like(tmp_path / "iris.csv"))
    assert checked(dialog) == [False, False, False, False, True]
    assert dialog.target_columns() == ["species"]
    assert dialog.load_button.isEnabled()
    assert dialog.reason_label.isHidden()


def test_a_choice_without_a_target_or_without_an_input_disables_load(qtbot, tmp_path):
    dialog = make_dialog(qtbot, numeric(tmp_path / "d.csv"))
    dialog.target_list.item(2).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.target_columns() == []
    assert not dialog.load_button.isEnabled()
    assert dialog.reason_label.isVisible()
    assert "at least one target" in dialog.reason_label.text()
    assert "\n" not in dialog.reason_label.text()

    dialog.set_target_columns(["x1", "x2", "y"])
    assert not dialog.load_button.isEnabled()
    assert "input" in dialog.reason_label.text()

    dialog.set_target_columns(["x2", "y"])
    assert dialog.load_button.isEnabled()
    assert dialog.reason_label.isHidden()
    assert dialog.summary_label.text().startswith("3 columns: 1 input, 2 targets")


def test_a_good_file_loads_the_same_dataset_as_read_dataset(qtbot, tmp_path):
    path = iris_like(tmp_path / "iris.csv", rows=30)
    dialog = make_dialog(qtbot, path)
    qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    assert not dialog.isVisible()
    assert_same_dataset(dialog.dataset, read_dataset(str(path)))
    assert dialog.dataset.classes == SPECIES
    assert dialog.progress_bar.value() == 100
    assert dialog.error_label.isHidden()


def test_other_targets_are_passed_to_the_reader(qtbot, tmp_path):
    path = numeric(tmp_path / "d.csv")
    dialog = make_dialog(qtbot, path)
    dialog.set_target_columns(["x2", "y"])
    load(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert_same_dataset(dialog.dataset, read_dataset(str(path), target_columns=["x2", "y"]))
    assert dialog.dataset.input_names == ("x1",)


def test_missing_values_are_reported_and_drop_missing_then_loads(qtbot, tmp_path):
    path = write(
        tmp_path / "gaps.csv",
        "x1,x2,y\n1,2,a\n3,4,b\n,6,a\n7,8,b\n9,NA,a\n11,12,b\n",
    )
    dialog = make_dialog(qtbot, path)
    load(qtbot, dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.isVisible()
    assert dialog.dataset is None
    message = dialog.error_label.text()
    assert 'line 4, column "x1" (1)' in message
    assert "2 rows have missing values" in message
    assert "tick “Drop rows with missing values” below" in message  # it is in this dialog
    assert "open again" not in message
    assert dialog.error_label.isVisible()
    assert dialog.error_label.wordWrap()
    assert dialog.error_label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert dialog.drop_missing_box.property("highlighted") is True
    assert dialog.choices.isEnabled()
    assert dialog.progress_bar.isHidden()

    dialog.drop_missing_box.setChecked(True)
    assert dialog.drop_missing_box.property("highlighted") is False
    load(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.dataset.samples == 4
    assert "2 rows with missing values skipped" in dialog.dataset.source
    assert_same_dataset(dialog.dataset, read_dataset(str(path), drop_missing=True))


def test_other_load_errors_do_not_highlight_drop_missing(qtbot, tmp_path):
    path = write(tmp_path / "bad.csv", "x,y\n1,2\nabc,3\n")
    dialog = make_dialog(qtbot, path)
    load(qtbot, dialog)
    assert 'line 3, column "x" (1): "abc" is not a number' in dialog.error_label.text()
    assert dialog.drop_missing_box.property("highlighted") is False
    assert dialog.isVisible()


def test_a_file_that_is_not_utf8_is_refused_with_a_warning(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "latin1.csv"
    path.write_bytes("x,größe\n1,2\n".encode("latin-1"))
    calls = []
    monkeypatch.setattr(csv_import, "_warn", lambda *args: calls.append(args))
    assert open_csv(None, path) is None
    assert len(calls) == 1
    parent, title, text = calls[0]
    assert parent is None
    assert title == "Open data"
    assert "latin1.csv" in text
    assert "not UTF-8" in text


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [("missing.csv", None, "file not found"), ("empty.csv", "", "the file is empty")],
)
def test_other_unreadable_files_are_refused_with_a_warning(
    qtbot, tmp_path, monkeypatch, name, content, words
):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    calls = []
    monkeypatch.setattr(csv_import, "_warn", lambda *args: calls.append(args))
    assert open_csv(None, path) is None
    assert len(calls) == 1
    assert name in calls[0][2] and words in calls[0][2]


def test_a_file_over_the_size_limit_is_refused_with_a_warning(qtbot, tmp_path, monkeypatch):
    path = numeric(tmp_path / "big.csv", rows=100)
    calls = []
    monkeypatch.setattr(csv_import, "_warn", lambda *args: calls.append(args))
    assert open_csv(None, path, max_bytes=100) is None
    assert "big.csv" in calls[0][2] and "more than the limit" in calls[0][2]


def test_open_csv_returns_the_dataset_after_load(qtbot, tmp_path, monkeypatch):
    path = iris_like(tmp_path / "iris.csv")
    monkeypatch.setattr(csv_import, "_warn", lambda *args: pytest.fail(f"warned: {args}"))

    def press_load():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, CsvImportDialog)
        dialog.load_button.click()

    QTimer.singleShot(0, press_load)
    dataset = open_csv(None, path)
    assert dataset is not None
    assert_same_dataset(dataset, read_dataset(str(path)))


def test_open_csv_returns_none_when_cancelled(qtbot, tmp_path):
    path = iris_like(tmp_path / "iris.csv")
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().cancel_button.click())
    assert open_csv(None, path) is None


@pytest.mark.parametrize("rows", [12, 150])
def test_text_labels_show_as_classes_in_the_summary(qtbot, tmp_path, rows):
    dialog = make_dialog(qtbot, iris_like(tmp_path / "iris.csv", rows=rows))
    assert dialog.summary_label.text() == (
        "5 columns: 4 inputs, 1 target · text labels in 'species' become 3 classes"
    )


def test_the_class_count_of_a_long_file_is_left_to_the_load(qtbot, tmp_path):
    dialog = make_dialog(qtbot, write_long_csv(tmp_path / "long.csv", rows=SCAN_ROWS + 10))
    assert dialog.caption_label.text() == "First 20 rows of long.csv · comma-separated (detected)"
    summary = dialog.summary_label.text()
    assert "text labels in 'species' become classes" in summary
    assert "known after loading" in summary


def test_too_many_labels_are_pointed_out_in_the_summary(qtbot, tmp_path):
    lines = ["x,name"] + [f"{i},item{i}" for i in range(150)]
    dialog = make_dialog(qtbot, write(tmp_path / "ids.csv", "\n".join(lines)))
    assert "'name' has 150 different labels, more than the 100 classes allowed" in (
        dialog.summary_label.text()
    )


def test_missing_values_are_counted_in_the_summary(qtbot, tmp_path):
    dialog = make_dialog(qtbot, write(tmp_path / "g.csv", "x,y\n1,2\n,3\nNA,4\n5,6\n"))
    assert dialog.summary_label.text().endswith("· 2 rows have missing values")
    table = dialog.preview_table
    assert table.item(1, 0).toolTip() == "missing value"


def test_a_numeric_target_is_described_as_regression(qtbot, tmp_path):
    dialog = make_dialog(qtbot, write(tmp_path / "d.csv", "x1,x2,y\n0,1,0.5\n1,0,2\n"))
    assert (
        dialog.summary_label.text() == "3 columns: 2 inputs, 1 target · numeric target (regression)"
    )


def test_a_zero_one_target_is_described_as_two_classes_and_loads_so(qtbot, tmp_path):
    path = numeric(tmp_path / "d.csv", rows=5)
    dialog = make_dialog(qtbot, path)
    assert dialog.summary_label.text() == (
        "3 columns: 2 inputs, 1 target · 0s and 1s in 'y' become 2 classes (0 and 1)"
    )
    load(qtbot, dialog)
    assert dialog.dataset.classes == ("0", "1")


EUROPEAN = "Länge;Breite;Art\n5,1;3,5;setosa\n7,0;3,2;versicolor\n6,3;3,3;virginica\n"


def test_the_detected_separator_is_shown_and_can_be_changed(qtbot, tmp_path):
    path = write(tmp_path / "de.csv", EUROPEAN)
    dialog = make_dialog(qtbot, path)
    assert dialog.caption_label.text() == (
        "All 3 rows of de.csv · semicolon-separated, decimal comma (detected)"
    )
    assert dialog.separator_box.currentText() == "Semicolon (detected)"
    assert dialog.decimal_box.currentText() == "Comma: 1,5 (detected)"
    table = dialog.preview_table
    assert [table.horizontalHeaderItem(c).text() for c in range(3)] == ["Länge", "Breite", "Art"]
    assert table.item(0, 0).text() == "5,1"
    assert table.item(0, 0).textAlignment() & Qt.AlignmentFlag.AlignRight  # a number
    assert "text labels in 'Art' become 3 classes" in dialog.summary_label.text()

    dialog.separator_box.setCurrentIndex(0)  # comma: the preview follows
    assert dialog.format() == CsvFormat(",", ".")
    assert not dialog.decimal_box.isEnabled()
    assert dialog.caption_label.text() == "All 3 rows of de.csv · comma-separated (chosen)"
    assert dialog.preview_table.horizontalHeaderItem(0).text() == "Länge;Breite;Art"
    assert dialog.preview_table.item(0, 1).text() == "1;3"
    assert [dialog.target_list.item(i).text() for i in range(dialog.target_list.count())] == [
        "Länge;Breite;Art"
    ]
    assert not dialog.load_button.isEnabled()  # one column

    dialog.set_format(CsvFormat(";", ","))
    assert dialog.caption_label.text().endswith("semicolon-separated, decimal comma (detected)")
    load(qtbot, dialog)
    assert_same_dataset(dialog.dataset, read_dataset(path))
    np.testing.assert_array_equal(dialog.dataset.X, [[5.1, 3.5], [7.0, 3.2], [6.3, 3.3]])


def test_a_chosen_decimal_point_is_passed_to_the_reader(qtbot, tmp_path):
    path = write(tmp_path / "de.csv", EUROPEAN)
    dialog = make_dialog(qtbot, path)
    dialog.set_format(CsvFormat(";", "."))
    assert dialog.caption_label.text().endswith("semicolon-separated (chosen)")
    load(qtbot, dialog)
    assert dialog.dataset is None
    assert 'de.csv, line 2, column "Länge" (1): "5,1" is not a number' in (
        dialog.error_label.text()
    )


def write_long_csv(path, rows: int = 200_000):
    rng = np.random.default_rng(0)
    values = rng.random((rows, 4)).round(6)
    labels = np.array(SPECIES)[np.arange(rows) % 3]
    body = "\n".join(
        f"{a},{b},{c},{d},{label}" for (a, b, c, d), label in zip(values.tolist(), labels)
    )
    path.write_text("a,b,c,d,species\n" + body + "\n", encoding="utf-8")
    return path


def test_cancelling_a_long_load_returns_to_the_choices(qtbot, tmp_path):
    path = write_long_csv(tmp_path / "long.csv")
    dialog = make_dialog(qtbot, path)
    qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    assert dialog.is_loading()
    assert not dialog.choices.isEnabled()
    assert not dialog.target_list.isEnabled()
    assert not dialog.drop_missing_box.isEnabled()
    assert not dialog.load_button.isEnabled()
    assert dialog.progress_bar.isVisible()
    worker = dialog._worker
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=10_000)
    assert worker.isFinished()
    assert worker.cancelled
    assert dialog.dataset is None
    assert dialog.isVisible()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.choices.isEnabled()
    assert dialog.load_button.isEnabled()
    assert dialog.progress_bar.isHidden()
    assert dialog.error_label.isHidden()


def test_closing_during_a_load_cancels_it_and_then_closes(qtbot, tmp_path):
    dialog = make_dialog(qtbot, write_long_csv(tmp_path / "long.csv", rows=100_000))
    dialog.start_load()
    worker = dialog._worker
    dialog.reject()
    assert dialog.isVisible()  # until the worker has stopped
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert worker.isFinished()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.dataset is None


def test_the_progress_bar_follows_the_load_and_reaches_100(qtbot, tmp_path):
    path = write_long_csv(tmp_path / "long.csv", rows=20_000)
    dialog = make_dialog(qtbot, path)
    seen = []
    dialog.progress_bar.valueChanged.connect(seen.append)
    load(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.progress_bar.value() == 100
    assert seen[-1] == 100
    assert len(seen) > 5
    assert seen == sorted(seen)
    assert dialog.dataset.samples == 20_000


def test_escape_during_a_load_returns_to_the_choices(qtbot, tmp_path):
    dialog = make_dialog(qtbot, write_long_csv(tmp_path / "long.csv", rows=100_000))
    dialog.start_load()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.is_loading(), timeout=10_000)
    assert dialog.isVisible()
    assert dialog.dataset is None
    assert dialog.choices.isEnabled()


def test_a_single_column_file_cannot_be_loaded(qtbot, tmp_path):
    dialog = make_dialog(qtbot, write(tmp_path / "one.csv", "x\n1\n2\n"))
    assert not dialog.load_button.isEnabled()
    assert "only one column" in dialog.reason_label.text()
