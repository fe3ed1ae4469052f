"""The list of kept earlier runs: show or hide each one's faded curve on the loss plot, or
delete it.

It draws ``Studio.runs`` (``set_runs``) and sends what the user does as signals:
``visibility_changed(index, visible)`` (a checkbox) and ``delete_requested(index)`` (the
Delete button or key); the window turns them into ``Studio.show_run`` / ``delete_run``,
and the studio's ``runs_changed`` brings the new list back. Indices are 0-based positions
in ``Studio.runs`` (oldest first); each row's swatch is the colour of the run's curve on
the plot (``run_color(run.color)``: it stays when other runs are deleted).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio.studio.runs import RunCurve
from bp_studio.ui.loss_plot import run_color

EMPTY_TEXT = (
    "Earlier runs appear here after Reset or a change of architecture, so you can compare them."
)
SWATCH = 14
"""Side of a run's colour swatch, in pixels."""


def swatch(color: str) -> QIcon:
    """A small square of ``color`` with a thick line across: the run's curve, as drawn."""
    pixmap = QPixmap(SWATCH, SWATCH)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(1, 1, SWATCH - 2, SWATCH - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)


class RunsList(QWidget):
    """The kept runs, oldest first: a checkbox (shown on the loss plot), the colour of the
    curve and the label; Delete removes the selected one."""

    visibility_changed = Signal(int, bool)
    delete_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setIconSize(QSize(SWATCH, SWATCH))
        self.list.setToolTip("Tick a run to draw its loss curve, faded, on the loss plot")
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_current_row_changed)
        self.list.installEventFilter(self)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.empty.setStyleSheet("color: palette(mid);")
        self.delete = QPushButton("Delete")
        self.delete.setToolTip("Delete the selected run and its curve (Delete key)")
        self.delete.clicked.connect(self._on_delete_clicked)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.delete)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.set_runs([])

    def set_runs(self, runs: list[RunCurve]) -> None:
        """Show ``runs`` (``Studio.runs``) without emitting; the selection keeps its row."""
        row = self.list.currentRow()
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for run in runs:
                item = QListWidgetItem(swatch(run_color(run.color)), run.label)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                )
                item.setCheckState(
                    Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked
                )
                item.setToolTip(f"{run.label}\nTick to draw it on the loss plot")
                self.list.addItem(item)
            if runs:
                self.list.setCurrentRow(min(max(row, 0), len(runs) - 1))
        finally:
            self.list.blockSignals(False)
        self.empty.setVisible(not runs)
        self.list.setVisible(bool(runs))
        self.delete.setVisible(bool(runs))
        self.delete.setEnabled(self.list.currentRow() >= 0)

    def checked(self) -> list[bool]:
        """Whether each run is ticked (drawn on the plot), in list order."""
        return [
            self.list.item(i).checkState() == Qt.CheckState.Checked
            for i in range(self.list.count())
        ]

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.visibility_changed.emit(
            self.list.row(item), item.checkState() == Qt.CheckState.Checked
        )

    def _on_current_row_changed(self, row: int) -> None:
        self.delete.setEnabled(row >= 0)

    def _on_delete_clicked(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.delete_requested.emit(row)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's override name
        if (
            watched is self.list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
        ):
            self._on_delete_clicked()
            return True
        return super().eventFilter(watched, event)
