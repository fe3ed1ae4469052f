"""The breakpoints panel: the conditions that pause a run by itself.

It edits a tuple of ``Breakpoint`` values (``bp_studio.studio.breakpoints``) and emits
``breakpoints_changed(tuple)`` after every user change; the window sends it to
``Studio.set_breakpoints``. Each row is one breakpoint: ticked = enabled, its text is
``Breakpoint.describe()``. The Add row builds a new one from a kind and a value; the value is
checked by ``Breakpoint`` itself, and a refusal is shown next to the field, nothing added.
An accuracy is typed in percent (95 means a share of 0.95); a dead unit needs no value.
"""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from bp_studio.studio.breakpoints import KINDS, Breakpoint
from bp_studio.ui.settings_panel import compact

EXAMPLES = {
    "loss_below": "e.g. 0.01",
    "epoch": "e.g. 100",
    "grad_norm_above": "e.g. 10",
    "accuracy_reaches": "e.g. 95",
}
"""What the value field suggests for each kind that takes a value."""
LIST_ROWS = 4
"""The list grows with its breakpoints up to this many rows, then scrolls."""
PERCENT_KINDS = ("accuracy_reaches",)
"""Kinds whose value is typed in percent and stored as a share (95 → 0.95)."""


def read_breakpoint(kind: str, text: str) -> Breakpoint:
    """The breakpoint of ``kind`` for the typed ``text``; ``ValueError`` with ``Breakpoint``'s
    message when the value is refused (an accuracy ``text`` is in percent: share = text / 100).
    """
    if kind == "unit_dead":
        return Breakpoint(kind)
    try:
        number = float(text.strip())
    except ValueError:
        return Breakpoint(kind, text)  # type: ignore[arg-type]  # refused with its message
    if kind in PERCENT_KINDS:
        try:
            return Breakpoint(kind, number / 100)
        except ValueError:
            if not math.isfinite(number):
                raise
            raise ValueError(
                f"breakpoint “{KINDS[kind]}”: a percentage above 0 and at most 100, got "
                f"{number:g} %"
            ) from None
    return Breakpoint(kind, number)


class BreakpointsPanel(QWidget):
    """Edits the breakpoints; emits ``breakpoints_changed(tuple[Breakpoint, ...])``."""

    breakpoints_changed = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._breakpoints: tuple[Breakpoint, ...] = ()
        heading = QLabel("Pause the run when:")
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setWordWrap(True)
        self.list.setToolTip("Ticked breakpoints pause the run; untick one to keep it unused")
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_current_row_changed)
        self.empty = QLabel("No breakpoints: the run goes on until you stop it.")
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(mid);")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.remove = QPushButton("Remove")
        self.remove.setToolTip("Remove the selected breakpoint")
        self.remove.clicked.connect(self._on_remove_clicked)

        self.kind = QComboBox()
        for kind, words in KINDS.items():
            self.kind.addItem(words, kind)
        self.kind.setToolTip("What to watch")
        compact(self.kind, 12)
        self.value = QLineEdit()
        self.value.setToolTip("The value the breakpoint compares with")
        self.value.returnPressed.connect(self._on_add_clicked)
        self.value.textEdited.connect(self._on_value_edited)
        self.unit = QLabel("%")
        self.add = QPushButton("Add")
        self.add.setToolTip("Add this breakpoint to the list")
        self.add.clicked.connect(self._on_add_clicked)
        self.problem = QLabel()
        """Why the typed value was refused (hidden when nothing was)."""
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b2182b;")
        # Hidden again when the value is typed anew, it keeps its room: what is under the
        # pointer (the Add button, in a column scrolled to its foot) does not move.
        policy = self.problem.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.problem.setSizePolicy(policy)
        self.problem.hide()
        self.kind.currentIndexChanged.connect(self._on_kind_changed)

        remove_row = QHBoxLayout()
        remove_row.addStretch(1)
        remove_row.addWidget(self.remove)
        value_row = QHBoxLayout()
        value_row.addWidget(self.value, 1)
        value_row.addWidget(self.unit)
        value_row.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.empty)
        layout.addWidget(self.list)
        layout.addLayout(remove_row)
        layout.addWidget(self.kind)
        layout.addLayout(value_row)
        layout.addWidget(self.problem)
        self._on_kind_changed()
        self.set_breakpoints(())

    # -- model -> view ------------------------------------------------------------------------

    def breakpoints(self) -> tuple[Breakpoint, ...]:
        return self._breakpoints

    def set_breakpoints(self, breakpoints: tuple[Breakpoint, ...]) -> None:
        """Show ``breakpoints`` (``Studio.breakpoints``) without emitting."""
        self._breakpoints = tuple(breakpoints)
        row = self.list.currentRow()
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for point in self._breakpoints:
                item = QListWidgetItem(point.describe())
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                )
                item.setCheckState(
                    Qt.CheckState.Checked if point.enabled else Qt.CheckState.Unchecked
                )
                self.list.addItem(item)
            if self._breakpoints and row >= 0:
                self.list.setCurrentRow(min(max(row, 0), len(self._breakpoints) - 1))
        finally:
            self.list.blockSignals(False)
        self.empty.setVisible(not self._breakpoints)
        self.list.setVisible(bool(self._breakpoints))
        # As tall as its rows (at most LIST_ROWS), so that the fields below stay in sight.
        rows = min(max(len(self._breakpoints), 1), LIST_ROWS)
        row = self.list.sizeHintForRow(0)
        if row <= 0:
            row = self.list.fontMetrics().height() + 4
        self.list.setFixedHeight(rows * row + 2 * self.list.frameWidth() + 2)
        self.remove.setVisible(bool(self._breakpoints))
        self.remove.setEnabled(self.list.currentRow() >= 0)

    # -- view -> model ------------------------------------------------------------------------

    def _emit(self, breakpoints: tuple[Breakpoint, ...]) -> None:
        self.set_breakpoints(breakpoints)
        self.breakpoints_changed.emit(self._breakpoints)

    def _show_problem(self, message: str | None) -> None:
        if message:
            self.problem.setText(message[:1].upper() + message[1:].rstrip(".") + ".")
        self.problem.setVisible(bool(message))
        if message:  # the panel sits at the foot of a scrolling column: bring it in sight
            parent = self.parentWidget()
            while parent is not None and not isinstance(parent, QScrollArea):
                parent = parent.parentWidget()
            if parent is not None:
                # once the column is laid out again with the message in it
                QTimer.singleShot(50, lambda: self._bring_into_sight(parent))

    def _bring_into_sight(self, scroll: QScrollArea) -> None:
        column = scroll.widget()
        layout = column.layout() if column is not None else None
        if layout is not None:
            layout.activate()  # the message was hidden: place it first
        scroll.ensureWidgetVisible(self.problem, 0, 8)

    def _on_value_edited(self, _text: str) -> None:
        self._show_problem(None)

    def _on_kind_changed(self, *_args: object) -> None:
        kind = self.kind.currentData()
        self.value.setVisible(kind != "unit_dead")
        self.value.setPlaceholderText(EXAMPLES.get(kind, ""))
        self.unit.setVisible(kind in PERCENT_KINDS)
        self._show_problem(None)

    def _on_add_clicked(self) -> None:
        try:
            point = read_breakpoint(self.kind.currentData(), self.value.text())
        except ValueError as exc:
            self._show_problem(str(exc))
            return
        self._show_problem(None)
        self._emit(self._breakpoints + (point,))
        self.list.setCurrentRow(len(self._breakpoints) - 1)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        points = list(self._breakpoints)
        points[row] = replace(points[row], enabled=item.checkState() == Qt.CheckState.Checked)
        self._breakpoints = tuple(points)  # the row already shows it: the list is not rebuilt
        self.breakpoints_changed.emit(self._breakpoints)

    def _on_current_row_changed(self, row: int) -> None:
        self.remove.setEnabled(row >= 0)

    def _on_remove_clicked(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        self._emit(tuple(p for i, p in enumerate(self._breakpoints) if i != row))
