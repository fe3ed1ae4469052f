"""Small panels of the main window: the four-stage indicator and the current batch's data."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bp_studio.data.examples import Dataset
from bp_studio.engine import Phase
from bp_studio.ui.state import Moment

PHASE_HINTS = {
    Phase.FORWARD: "The forward pass produces predictions, layer by layer.",
    Phase.ERROR: "The error is the difference between targets and predictions.",
    Phase.BACKWARD: "The gradients are computed backwards, layer by layer.",
    Phase.UPDATE: "The weights are adjusted from the output back towards the input.",
}
MAX_ROWS = 200
"""Rows the data table shows at most (the note says when there are more)."""
ACTIVE_COLOR = "#2166ac"
DONE_COLOR = "#92c5de"


class PhaseIndicator(QWidget):
    """The seed's four steps as four stages; the current one is lit, finished ones ticked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(6)
        self.stages: dict[Phase, QLabel] = {}
        for phase in Phase:
            label = QLabel(f"{phase.value}  {phase.title}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setMinimumWidth(110)
            label.setToolTip(PHASE_HINTS[phase])
            layout.addWidget(label)
            self.stages[phase] = label
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint, 1)
        self.set_phase(None, done=())

    def set_phase(self, phase: Phase | None, done: tuple[Phase, ...] = ()) -> None:
        """Light ``phase`` (``None``: between steps); ``done`` are the finished phases."""
        for stage, label in self.stages.items():
            font = label.font()
            font.setBold(stage == phase)
            label.setFont(font)
            if stage == phase:
                style = f"background:{ACTIVE_COLOR}; color:white; border-radius:4px; padding:3px;"
            elif stage in done:
                style = f"background:{DONE_COLOR}; color:#08306b; border-radius:4px; padding:3px;"
            else:
                style = "border:1px solid palette(mid); border-radius:4px; padding:3px;"
            label.setStyleSheet(style)
        self.hint.setText(PHASE_HINTS[phase] if phase else "Ready: press Next phase or Step.")
        self.current = phase


class DataPanel(QWidget):
    """The current sample or mini-batch: inputs, targets and (once computed) outputs.

    ``sample_chosen(int)`` is emitted when the user picks which sample of the batch the nodes
    show.
    """

    sample_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.sample = QSpinBox()
        self.sample.setMinimum(1)
        self.sample.setToolTip("Which sample of the batch the node values show")
        self.sample.valueChanged.connect(lambda value: self.sample_chosen.emit(value - 1))
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        # Sized once after each fill: resizing to contents on every setItem is quadratic.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        row = QHBoxLayout()
        row.addWidget(QLabel("Show sample"))
        row.addWidget(self.sample)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.note)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)

    def show_moment(self, moment: Moment, dataset: Dataset | None, targets: np.ndarray | None):
        """Fill the table with the batch of ``moment`` (or the next batch when idle)."""
        if dataset is None or targets is None:
            self.note.setText("No data: open a CSV file (File ▸ Open data…).")
            self.table.clear()
            self.table.setRowCount(0)
            return
        batch = moment.batch
        if batch is None or len(batch) == 0:
            batch = np.arange(dataset.samples)
            self.note.setText(
                f"{dataset.title}: {dataset.samples} samples. The next step uses them as set "
                "in Batch size."
            )
            highlight = -1
        else:
            n = len(batch)
            if n == 1:
                self.note.setText(f"This step: sample {batch[0] + 1} of {dataset.samples}.")
            else:
                self.note.setText(
                    f"This step: a batch of {n} samples. Node values show sample "
                    f"{moment.sample + 1} of the batch; gradients are the mean over the batch."
                )
            highlight = moment.sample
        self.sample.blockSignals(True)
        self.sample.setMaximum(max(1, len(batch)))
        self.sample.setValue(max(highlight, 0) + 1)
        self.sample.setEnabled(moment.batch is not None and len(batch) > 1)
        self.sample.blockSignals(False)
        outputs = (
            moment.forward_layers[-1].a
            if (moment.forward_layers and len(moment.forward_layers) == len(moment.network.layers))
            else None
        )
        target_names = [f"t: {name}" for name in _names(targets.shape[1], dataset, moment)]
        headers = ["#"] + list(dataset.input_names) + target_names
        if outputs is not None:
            headers += [f"o{k + 1}" for k in range(outputs.shape[1])]
        shown = batch[:MAX_ROWS]
        if len(batch) > MAX_ROWS:
            self.note.setText(self.note.text() + f" The table shows the first {MAX_ROWS} rows.")
        self.table.setUpdatesEnabled(False)
        self.table.clearContents()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(shown))
        bold = QFont()
        bold.setBold(True)
        for r, row in enumerate(shown):
            values = [str(int(row) + 1)]
            values += [f"{v:.4g}" for v in dataset.X[row]]
            values += [f"{v:.4g}" for v in targets[row]]
            if outputs is not None:
                values += [f"{v:.4g}" for v in outputs[r]]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r == highlight:
                    item.setBackground(QBrush(QColor(DONE_COLOR)))
                    item.setForeground(QBrush(QColor("#08306b")))
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.setUpdatesEnabled(True)


def _names(count: int, dataset: Dataset, moment: Moment) -> list[str]:
    names = list(dataset.target_names_for_loss(moment.network.loss_name))
    if len(names) != count:
        names = [f"y{k + 1}" for k in range(count)]
    return names
