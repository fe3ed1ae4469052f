"""File ▸ Open data…: preview a CSV file, choose the target columns, load it off the GUI thread.

:func:`open_csv` is the entry point for the window::

    dataset = open_csv(parent, path)   # a Dataset, or None (cancelled, or the file is unusable)

It reads the start of the file for a preview first; a file that cannot be previewed (missing,
a folder, empty, too large, not UTF-8 or not CSV at the start) is reported with a warning box
(:func:`_warn`, replaceable in tests) and ``None`` is returned without showing the dialog.

:class:`CsvImportDialog` shows the first rows, says which separator (comma, semicolon, tab) and
decimal mark (point, comma) were detected and lets the user choose others (the preview follows),
lets the user tick the target columns (every other column is an input) and choose to drop rows
with missing values, then runs
:func:`~bp_studio.data.table_import.read_dataset` in a worker :class:`QThread` with a progress
bar. A :class:`~bp_studio.data.csv_table.DataError` is shown in the dialog, which stays open so
that the choice can be changed; Cancel during a load stops it and returns to the choices.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bp_studio.data.csv_table import (
    SEPARATORS,
    CsvFormat,
    DataError,
    is_missing,
    is_number,
    pluralize,
)
from bp_studio.data.examples import Dataset
from bp_studio.data.table_import import (
    DEFAULT_MAX_BYTES,
    DROP_MISSING_HINT,
    MAX_CLASSES,
    CsvPreview,
    preview_csv,
    read_dataset,
)

__all__ = ["PREVIEW_ROWS", "SCAN_ROWS", "CsvImportDialog", "open_csv"]

PREVIEW_ROWS = 20
"""Data rows shown in the preview table."""
SCAN_ROWS = 5000
"""Data rows read for the summary (row count, classes); a longer file's are known after loading."""

DROP_MISSING_TEXT = "Drop rows with missing values"
"""The check box text; :data:`~bp_studio.data.table_import.DROP_MISSING_HINT` refers to it."""

_ERROR_STYLE = "color: #b00020;"
_REASON_STYLE = "color: #9a5b00;"
_HIGHLIGHT_STYLE = (
    "QCheckBox { background: #fff1c2; border: 1px solid #e0a800; border-radius: 3px;"
    " padding: 2px 6px; font-weight: bold; }"
)
_FIT_WIDTH = 700  # columns narrower than this in total are stretched to fill the table
_TARGET_TINT = QColor(225, 236, 250)
_MISSING_TINT = QColor(253, 226, 226)


def _warn(parent: QWidget | None, title: str, text: str) -> None:
    """Show a warning box (module level so that tests can replace it)."""
    QMessageBox.warning(parent, title, text)


def open_csv(
    parent: QWidget | None, path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES
) -> Dataset | None:
    """Run the import dialog for ``path`` modally; the loaded :class:`Dataset` or ``None``.

    ``None`` when the user cancels, or when the file cannot be previewed (then a warning box
    with the reason has been shown).
    """
    try:
        dialog = CsvImportDialog(path, parent, max_bytes=max_bytes)
    except DataError as exc:
        _warn(parent, "Open data", str(exc))
        return None
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.dataset
        return None
    finally:
        dialog.deleteLater()


class _Cancelled(Exception):
    """Raised inside the progress callback to stop :func:`read_dataset`."""


class _LoadWorker(QThread):
    """Runs :func:`read_dataset` once; the outcome is read after ``finished``.

    ``progressed(fraction)`` is emitted from the worker thread (queued to the dialog).
    After ``finished``: ``dataset`` on success, ``error`` (a message) on failure, neither
    when cancelled (``cancelled`` is then True).
    """

    progressed = Signal(float)

    def __init__(
        self,
        path: str,
        targets: list[str],
        drop_missing: bool,
        max_bytes: int,
        format: CsvFormat | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.targets = targets
        self.drop_missing = drop_missing
        self.max_bytes = max_bytes
        self.format = format or CsvFormat()
        self._cancel = threading.Event()
        self.dataset: Dataset | None = None
        self.error: str | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the load to stop at its next progress report (thread-safe)."""
        self._cancel.set()

    def _report(self, fraction: float) -> None:
        if self._cancel.is_set():
            raise _Cancelled
        self.progressed.emit(float(fraction))

    def run(self) -> None:  # Qt's override name: runs in the worker thread
        try:
            dataset = read_dataset(
                self.path,
                target_columns=self.targets,
                drop_missing=self.drop_missing,
                progress=self._report,
                max_bytes=self.max_bytes,
                separator=self.format.separator,
                decimal=self.format.decimal,
            )
        except _Cancelled:
            return
        except DataError as exc:
            self.error = str(exc)
            return
        except MemoryError:
            self.error = f"{Path(self.path).name}: not enough memory to load the file"
            return
        except Exception as exc:  # shown to the user, not lost in the thread
            self.error = (
                f"{Path(self.path).name}: could not be loaded ({type(exc).__name__}: {exc})"
            )
            return
        if not self._cancel.is_set():
            self.dataset = dataset


class CsvImportDialog(QDialog):
    """Preview of a CSV file, the choice of target columns, and a cancellable load.

    Raises :class:`DataError` if the file cannot be previewed. After ``exec()`` returns
    ``Accepted``, :attr:`dataset` holds the loaded :class:`Dataset`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        parent: QWidget | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.path = os.fsdecode(os.fspath(path))
        self.max_bytes = max_bytes
        # One row more than scanned tells whether the scan holds the whole file.
        preview = preview_csv(self.path, rows=SCAN_ROWS + 1, max_bytes=max_bytes)
        super().__init__(parent)
        self.detected = preview.format
        self._set_preview(preview)
        self.dataset: Dataset | None = None
        self._worker: _LoadWorker | None = None  # the latest one, kept until the next load
        self._loading = False
        self._close_when_idle = False

        self.file_name = Path(self.path).name or self.path
        self.setWindowTitle(f"Open data: {self.file_name}")
        self.setSizeGripEnabled(True)

        self.caption_label = QLabel(self._caption())
        self.caption_label.setWordWrap(True)  # a long file name must not widen the dialog
        self.separator_box = QComboBox()
        self.separator_box.setToolTip("What separates the cells of a row in this file")
        for separator, name in SEPARATORS.items():
            detected = " (detected)" if separator == self.detected.separator else ""
            self.separator_box.addItem(f"{name.capitalize()}{detected}", separator)
        self.separator_box.setCurrentIndex(list(SEPARATORS).index(self.detected.separator))
        self.decimal_box = QComboBox()
        self.decimal_box.setToolTip(
            "How numbers write their fraction: 1.5 (point) or 1,5 (comma, as European "
            "spreadsheets save them; the separator is then not a comma)"
        )
        for mark, name in ((".", "Point: 1.5"), (",", "Comma: 1,5")):
            detected = " (detected)" if mark == self.detected.decimal else ""
            self.decimal_box.addItem(name + detected, mark)
        self.decimal_box.setCurrentIndex(0 if self.detected.decimal == "." else 1)
        self._sync_decimal_box()
        self.preview_table = self._make_table()
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)

        self.target_list = QListWidget()
        self.target_list.setToolTip(
            "Tick the columns the network should learn to predict; the others are its inputs"
        )
        self._fill_target_list()
        rows_shown = min(max(len(self.header), 3), 6)
        self.target_list.setFixedHeight(
            self.target_list.sizeHintForRow(0) * rows_shown + 2 * self.target_list.frameWidth() + 4
        )

        self.drop_missing_box = QCheckBox(DROP_MISSING_TEXT)
        self.drop_missing_box.setToolTip(
            "Skip every row with an empty cell or one reading NA, N/A, NaN, null or ?"
        )
        self.drop_missing_box.setProperty("highlighted", False)
        self.reason_label = QLabel()
        self.reason_label.setStyleSheet(_REASON_STYLE)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.error_label.hide()

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("Loading… %p%")
        policy = self.progress_bar.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress_bar.setSizePolicy(policy)
        self.progress_bar.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.load_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.load_button.setText("Load")
        self.cancel_button: QPushButton = self.buttons.button(
            QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.start_load)
        self.buttons.rejected.connect(self._on_cancel_clicked)

        choices = QHBoxLayout()
        targets_box = QVBoxLayout()
        targets_box.addWidget(QLabel("Target columns (the others are inputs):"))
        targets_box.addWidget(self.target_list)
        choices.addLayout(targets_box, 1)
        options = QVBoxLayout()
        options.addSpacing(QLabel("x").sizeHint().height())
        drop_row = QHBoxLayout()
        drop_row.addWidget(self.drop_missing_box)
        drop_row.addStretch(1)
        options.addLayout(drop_row)
        options.addStretch(1)
        choices.addLayout(options, 1)
        self.choices = QWidget()
        self.choices.setLayout(choices)
        choices.setContentsMargins(0, 0, 0, 0)

        bottom = QHBoxLayout()
        bottom.addWidget(self.progress_bar, 1)
        bottom.addWidget(self.buttons)

        format_row = QHBoxLayout()
        format_row.addWidget(self.caption_label, 1)
        format_row.addWidget(QLabel("Separator:"))
        format_row.addWidget(self.separator_box)
        format_row.addSpacing(8)
        format_row.addWidget(QLabel("Decimal mark:"))
        format_row.addWidget(self.decimal_box)

        layout = QVBoxLayout(self)
        layout.addLayout(format_row)
        layout.addWidget(self.preview_table, 1)
        layout.addWidget(self.summary_label)
        layout.addSpacing(6)
        layout.addWidget(self.choices)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.error_label)
        layout.addLayout(bottom)

        self.target_list.itemChanged.connect(self._on_choice_changed)
        self.drop_missing_box.toggled.connect(self._on_drop_missing_toggled)
        self.separator_box.currentIndexChanged.connect(self._on_format_changed)
        self.decimal_box.currentIndexChanged.connect(self._on_format_changed)
        self._on_choice_changed()
        self.load_button.setDefault(True)
        self.load_button.setFocus()
        self.resize(760, 600)

    # -- the format and the preview ------------------------------------------------------

    def format(self) -> CsvFormat:
        """The separator and decimal mark chosen (the detected ones unless changed)."""
        separator = self.separator_box.currentData()
        decimal = self.decimal_box.currentData() if separator != "," else "."
        return CsvFormat(separator, decimal)

    def set_format(self, format: CsvFormat) -> None:
        """Choose a separator and decimal mark, as the two boxes do (the preview follows)."""
        for box, index in (
            (self.separator_box, list(SEPARATORS).index(format.separator)),
            (self.decimal_box, 0 if format.decimal == "." else 1),
        ):
            box.blockSignals(True)
            box.setCurrentIndex(index)
            box.blockSignals(False)
        self._on_format_changed()

    def _set_preview(self, preview: CsvPreview) -> None:
        self.format_shown = preview.format
        self.header = list(preview.header)
        rows = preview.rows
        self.complete = len(rows) <= SCAN_ROWS
        self.scanned = [list(r) for r in rows[:SCAN_ROWS]]  # for the summary
        self.rows = self.scanned[:PREVIEW_ROWS]  # shown
        self._missing_rows = sum(1 for row in self.scanned if any(map(is_missing, row)))
        self._labels = [self._text_labels(c) for c in range(len(self.header))]

    def _caption(self) -> str:
        name = Path(self.path).name or self.path
        if self.complete and len(self.rows) == len(self.scanned):
            caption = f"All {pluralize(len(self.rows), 'row')} of {name}"
        elif self.complete:
            caption = f"First {len(self.rows)} of {len(self.scanned)} rows of {name}"
        else:
            caption = f"First {len(self.rows)} rows of {name}"
        how = "detected" if self.format_shown == self.detected else "chosen"
        return f"{caption} · {self.format_shown.describe()} ({how})"

    def _fill_target_list(self) -> None:
        self.target_list.blockSignals(True)
        self.target_list.clear()
        for column in self.header:
            item = QListWidgetItem(column)
            item.setFlags(
                Qt.ItemFlag.ItemIsUserCheckable
                | Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
            )
            item.setCheckState(Qt.CheckState.Unchecked)
            self.target_list.addItem(item)
        if self.header:
            self.target_list.item(len(self.header) - 1).setCheckState(Qt.CheckState.Checked)
        self.target_list.blockSignals(False)

    def _sync_decimal_box(self) -> None:
        """A comma cannot be both the separator and the decimal mark."""
        comma = self.separator_box.currentData() == ","
        if comma:
            self.decimal_box.blockSignals(True)
            self.decimal_box.setCurrentIndex(0)
            self.decimal_box.blockSignals(False)
        self.decimal_box.setEnabled(not comma)

    def _on_format_changed(self, *_args: object) -> None:
        """Read the preview again with the chosen separator and decimal mark."""
        self._sync_decimal_box()
        format = self.format()
        if format == self.format_shown:
            return
        try:
            preview = preview_csv(
                self.path,
                rows=SCAN_ROWS + 1,
                max_bytes=self.max_bytes,
                separator=format.separator,
                decimal=format.decimal,
            )
        except DataError as exc:
            self.show_error(str(exc))
            return
        self.error_label.hide()
        previous_targets = self.target_columns()
        self._set_preview(preview)
        self.caption_label.setText(self._caption())
        table = self._make_table()
        layout = self.layout()
        assert layout is not None, "the dialog's layout is made in __init__"
        layout.replaceWidget(self.preview_table, table)
        self.preview_table.deleteLater()
        self.preview_table = table
        self._fill_target_list()
        if set(previous_targets) <= set(self.header) and previous_targets:
            self.set_target_columns(previous_targets)
        self._on_choice_changed()

    # -- the choices -------------------------------------------------------------------

    def target_columns(self) -> list[str]:
        """The ticked target columns, in file order."""
        return [
            self.header[i]
            for i in range(self.target_list.count())
            if self.target_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_target_columns(self, names: Sequence[str]) -> None:
        """Tick exactly the columns ``names`` (unknown names are ignored)."""
        wanted = set(names)
        for i in range(self.target_list.count()):
            item = self.target_list.item(i)
            state = Qt.CheckState.Checked if self.header[i] in wanted else Qt.CheckState.Unchecked
            item.setCheckState(state)

    def problem(self) -> str | None:
        """Why the current choice cannot be loaded (one line), or ``None``."""
        targets = self.target_columns()
        if len(self.header) < 2:
            return "The file has only one column; it needs an input column and a target column."
        if not targets:
            return "Tick at least one target column."
        if len(targets) == len(self.header):
            return "Leave at least one column unticked as an input."
        return None

    def _on_choice_changed(self, *_args: object) -> None:
        problem = self.problem()
        self.reason_label.setText(problem or "")
        self.reason_label.setVisible(problem is not None)
        self.load_button.setEnabled(problem is None and not self.is_loading())
        self.summary_label.setText(self._summary())
        self._mark_targets()

    def _on_drop_missing_toggled(self, _checked: bool) -> None:
        self._highlight_drop_missing(False)
        self.summary_label.setText(self._summary())

    def _highlight_drop_missing(self, on: bool) -> None:
        self.drop_missing_box.setProperty("highlighted", on)
        self.drop_missing_box.setStyleSheet(_HIGHLIGHT_STYLE if on else "")

    # -- preview and summary ------------------------------------------------------------

    def _make_table(self) -> QTableWidget:
        width = max([len(self.header), *(len(r) for r in self.rows)])
        table = QTableWidget(len(self.rows), width)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.verticalHeader().hide()  # row numbers would not match the file's line numbers
        table.setAlternatingRowColors(False)
        labels = self.header + ["(extra cell)"] * (width - len(self.header))
        table.setHorizontalHeaderLabels(labels)
        for r, row in enumerate(self.rows):
            for c, cell in enumerate(row):
                item = QTableWidgetItem(cell)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                if is_missing(cell):
                    item.setToolTip("missing value")
                    item.setData(Qt.ItemDataRole.UserRole, "missing")
                elif is_number(cell, self.format_shown):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(r, c, item)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.resizeColumnsToContents()
        header = table.horizontalHeader()
        total = 0
        for c in range(width):
            size = min(max(header.sectionSize(c) + 16, 72), 220)
            header.resizeSection(c, size)
            total += size
        if total <= _FIT_WIDTH:  # few columns: share the width out evenly
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        else:
            header.setStretchLastSection(True)
        return table

    def _mark_targets(self) -> None:
        """Bold headers and a tint for the target columns; a red tint for missing cells."""
        targets = set(self.target_columns())
        table = self.preview_table
        for c in range(table.columnCount()):
            is_target = c < len(self.header) and self.header[c] in targets
            head = table.horizontalHeaderItem(c)
            if head is not None:
                font = QFont(head.font())
                font.setBold(is_target)
                head.setFont(font)
                head.setToolTip("target" if is_target else "input")
            for r in range(table.rowCount()):
                item = table.item(r, c)
                if item is None:
                    continue
                if item.data(Qt.ItemDataRole.UserRole) == "missing":
                    item.setBackground(QBrush(_MISSING_TINT))
                elif is_target:
                    item.setBackground(QBrush(_TARGET_TINT))
                else:
                    item.setBackground(QBrush())

    def _summary(self) -> str:
        """``5 columns: 4 inputs, 1 target · text labels in 'species' become 3 classes``."""
        columns = len(self.header)
        targets = self.target_columns()
        n_inputs = columns - len(targets)
        parts = [
            f"{pluralize(columns, 'column')}: {pluralize(n_inputs, 'input')}, "
            f"{pluralize(len(targets), 'target')}"
        ]
        if self.problem() is None:
            parts.append(self._target_note(targets))
            missing = self._missing_rows
            if missing:
                scope = "" if self.complete else f" of the first {len(self.scanned)}"
                parts.append(
                    f"{pluralize(missing, 'row')}{scope} {'has' if missing == 1 else 'have'} "
                    "missing values"
                )
        return " · ".join(parts)

    def _text_labels(self, c: int) -> set[str] | None:
        """The distinct labels of column ``c`` in the scanned rows; ``None`` if all are numbers."""
        cells = {row[c] for row in self.scanned if c < len(row) and not is_missing(row[c])}
        format = self.format_shown
        return None if all(is_number(cell, format) for cell in cells) else cells

    def _zero_one(self, c: int) -> bool:
        """Whether the scanned cells of column ``c`` are all 0 or 1 (a two-class column)."""
        comma = self.format_shown.decimal == ","
        values = set()
        for row in self.scanned:
            if c < len(row) and not is_missing(row[c]):
                try:
                    values.add(float(row[c].replace(",", ".") if comma else row[c]))
                except ValueError:
                    return False
        return bool(values) and values <= {0.0, 1.0}

    def _target_note(self, targets: list[str]) -> str:
        """What the target columns become, judged from the scanned rows."""
        index = {name: i for i, name in enumerate(self.header)}
        texts = {
            name: labels for name in targets if (labels := self._labels[index[name]]) is not None
        }
        judged = "" if self.complete else f", judging by the first {len(self.scanned)} rows"
        if not texts and len(targets) == 1 and self._zero_one(index[targets[0]]):
            return f"0s and 1s in '{targets[0]}' become 2 classes (0 and 1{judged})"
        if not texts:
            noun = "target" if len(targets) == 1 else "targets"
            return f"numeric {noun} (regression{judged})"
        name, labels = next(iter(texts.items()))
        if len(targets) > 1:
            return f"'{name}' holds text: text class labels need a single target column"
        if len(labels) > MAX_CLASSES:
            return (
                f"'{name}' has {'' if self.complete else 'at least '}{len(labels)} different "
                f"labels, more than the {MAX_CLASSES} classes allowed"
            )
        if self.complete:
            return f"text labels in '{name}' become {pluralize(len(labels), 'class', 'classes')}"
        seen = f"at least {len(labels)}; " if len(labels) > 1 else ""
        return f"text labels in '{name}' become classes ({seen}how many is known after loading)"

    # -- loading ------------------------------------------------------------------------

    def is_loading(self) -> bool:
        """True while the worker thread runs."""
        return self._loading

    @Slot()
    def start_load(self) -> None:
        """Load the file with the current choice in a worker thread (Load button)."""
        if self.is_loading() or self.problem() is not None:
            return
        self.error_label.clear()
        self.error_label.hide()
        self._highlight_drop_missing(False)
        worker = _LoadWorker(
            self.path,
            self.target_columns(),
            self.drop_missing_box.isChecked(),
            self.max_bytes,
            self.format(),
        )
        worker.progressed.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        self._worker = worker  # the previous (finished) worker is freed here
        self._set_loading(True)
        worker.start()

    @Slot()
    def cancel_load(self) -> None:
        """Stop a running load; the dialog returns to the choices when the thread ends."""
        if self._loading and self._worker is not None:
            self._worker.cancel()
            self.progress_bar.setFormat("Cancelling…")

    def _set_loading(self, loading: bool) -> None:
        self._loading = loading
        self.choices.setEnabled(not loading)
        self.progress_bar.setFormat("Loading… %p%")
        if loading:
            self.progress_bar.setValue(0)
            self.progress_bar.show()
        self.load_button.setEnabled(not loading and self.problem() is None)
        self.cancel_button.setToolTip("Stop loading" if loading else "")

    @Slot(float)
    def _on_progress(self, fraction: float) -> None:
        worker = self._worker
        if self._loading and worker is not None and not worker.cancelled:
            self.progress_bar.setValue(round(100 * min(max(fraction, 0.0), 1.0)))

    @Slot()
    def _on_finished(self) -> None:
        worker = self._worker
        if worker is None or not self._loading:
            return
        worker.wait()  # ``finished`` comes just before the thread ends
        dataset, error = worker.dataset, worker.error
        worker.dataset = None
        cancelled = worker.cancelled
        self._set_loading(False)
        if self._close_when_idle:
            self._close_when_idle = False
            super().reject()
            return
        if cancelled:
            self.progress_bar.hide()
            return
        if error is not None:
            self.progress_bar.hide()
            self.show_error(error)
            return
        self.progress_bar.setValue(100)
        self.dataset = dataset
        self.accept()

    def show_error(self, message: str) -> None:
        """Show a load failure; point at the check box when rows have missing values (the
        message then says to tick it here, not to open the file again)."""
        if DROP_MISSING_HINT in message:
            message = message.replace(
                DROP_MISSING_HINT, f"tick “{DROP_MISSING_TEXT}” below to skip them"
            )
        self.error_label.setText(message)
        self.error_label.show()
        if DROP_MISSING_TEXT in message and not self.drop_missing_box.isChecked():
            self._highlight_drop_missing(True)
            self.drop_missing_box.setFocus()

    # -- closing ------------------------------------------------------------------------

    def _on_cancel_clicked(self) -> None:
        if self.is_loading():
            self.cancel_load()
        else:
            self.reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        if event.key() == Qt.Key.Key_Escape and self.is_loading():
            self.cancel_load()  # like the Cancel button: back to the choices
            event.accept()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Close without a dataset; during a load, stop it first and close when it ends."""
        if self.is_loading():
            self._close_when_idle = True
            self.cancel_load()
            return
        super().reject()


# -- helpers ------------------------------------------------------------------------------
