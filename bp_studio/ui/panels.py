"""Small panels of the main window: the four-stage indicator and the current batch's data."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionSlider,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from bp_studio.data.examples import Dataset
from bp_studio.engine import Phase
from bp_studio.studio.moment import Moment

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


class ElidedLabel(QLabel):
    """One line of text that ends in "…" when there is no room (the whole text in the
    tooltip): its height never changes, so nothing below it moves."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's override name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


class PhaseIndicator(QWidget):
    """The seed's four steps as four stages; the current one is lit, finished ones ticked.

    Its height is fixed (one line: the hint is cut with "…", whole in its tooltip), so the
    drawing below never jumps when the text changes.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(6)
        self.stages: dict[Phase, QLabel] = {}
        for phase in Phase:
            label = QLabel(f"{phase.value}  {phase.title}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setMinimumWidth(92)
            label.setToolTip(PHASE_HINTS[phase])
            layout.addWidget(label)
            self.stages[phase] = label
        self.hint = ElidedLabel()
        layout.addWidget(self.hint, 1)
        self.set_phase(None, done=())
        self.setFixedHeight(self.sizeHint().height())

    def set_phase(
        self, phase: Phase | None, done: tuple[Phase, ...] = (), hint: str | None = None
    ) -> None:
        """Light ``phase`` (``None``: between steps); ``done`` are the finished phases;
        ``hint`` replaces the phase's sentence (e.g. while training runs)."""
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
        if hint is None:
            hint = PHASE_HINTS[phase] if phase else "Ready: press Next phase or Step."
        self.hint.set_full_text(hint)
        self.current = phase


class DataPanel(QWidget):
    """The current sample or mini-batch: inputs, targets and (once computed) outputs.

    ``sample_chosen(int)`` is emitted when the user picks which sample of the batch the nodes
    show; ``row_chosen(int)`` when a row of the table is clicked (its 0-based data row).
    """

    sample_chosen = Signal(int)
    row_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.sample = QSpinBox()
        self.sample.setMinimum(1)
        self.sample.setToolTip("Which sample of the batch the node values show")
        self.sample.valueChanged.connect(lambda value: self.sample_chosen.emit(value - 1))
        self.model = _RowsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.setToolTip("Click a row to show it on the network")
        self.table.clicked.connect(self._on_clicked)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(64)
        row = QHBoxLayout()
        row.addWidget(QLabel("Show sample"))
        row.addWidget(self.sample)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.note)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)

    def show_moment(
        self, moment: Moment, dataset: Dataset | None, targets: np.ndarray | None
    ) -> None:
        """Fill the table with the batch of ``moment`` (or the next batch when idle)."""
        if dataset is None or targets is None:
            self.note.setText("No data: open a CSV file (File ▸ Open data…).")
            self.model.set_rows([], np.zeros((0, 0)), -1)
            return
        batch = moment.batch
        idle = moment.phase is None and moment.update is None
        if batch is None or len(batch) == 0 or idle:
            shown_row = int(batch[0]) if batch is not None and len(batch) else -1
            batch = np.arange(dataset.samples)
            count = "" if "samples)" in dataset.title else f": {dataset.samples:,} samples"
            self.note.setText(
                f"{dataset.title}{count}; the nodes show row "
                f"{shown_row + 1} (click a row to show another). The next step uses them as "
                "set in Batch size."
            )
            highlight = shown_row if shown_row < MAX_ROWS else -1
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
        self.sample.setEnabled(not idle and moment.batch is not None and len(batch) > 1)
        self.sample.blockSignals(False)
        outputs = (
            moment.forward_layers[-1].a
            if (
                not idle
                and moment.forward_layers
                and len(moment.forward_layers) == len(moment.network.layers)
            )
            else None
        )
        target_names = [f"t: {name}" for name in _names(targets.shape[1], dataset, moment)]
        headers = ["#"] + list(dataset.input_names) + target_names
        if outputs is not None:
            headers += [f"o{k + 1}" for k in range(outputs.shape[1])]
        shown = batch[:MAX_ROWS]
        if len(batch) > MAX_ROWS:
            self.note.setText(self.note.text() + f" The table shows the first {MAX_ROWS} rows.")
        columns = [shown.reshape(-1, 1) + 1.0, dataset.X[shown], targets[shown]]
        if outputs is not None:
            columns.append(outputs[: len(shown)])
        self.model.set_rows(headers, np.hstack(columns), highlight)
        if len(headers) <= 16:  # measuring every cell is cheap only for narrow tables
            self.table.resizeColumnsToContents()

    def _on_clicked(self, index: QModelIndex) -> None:
        values = self.model.values
        if 0 <= index.row() < values.shape[0]:
            self.row_chosen.emit(int(values[index.row(), 0]) - 1)


_Index = QModelIndex | QPersistentModelIndex
"""What Qt hands a model's overrides as a cell's index."""


class _RowsModel(QAbstractTableModel):
    """Rows of numbers shown to 4 significant digits; cells are formatted only when drawn,
    so a refresh costs the same for 4 rows or 200 rows of 75 columns."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.values = np.zeros((0, 0))
        self.highlight = -1
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, headers: list[str], values: np.ndarray, highlight: int) -> None:
        self.beginResetModel()
        self.headers, self.values, self.highlight = list(headers), values, highlight
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # Qt's override names  # noqa: B008
        return 0 if parent.isValid() else self.values.shape[0]

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.values[row, column]
            return str(int(value)) if column == 0 else f"{value:.4g}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if row == self.highlight:
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor(DONE_COLOR))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#08306b"))
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section] if section < len(self.headers) else None
        return None


def _names(count: int, dataset: Dataset, moment: Moment) -> list[str]:
    names = list(dataset.target_names_for_loss(moment.network.loss_name))
    if len(names) != count:
        names = [f"y{k + 1}" for k in range(count)]
    return names


class TimelineSlider(QSlider):
    """The timeline: a click on the groove goes to that step (a plain slider would move one
    page towards it, so a click at the far left of a long run went back ten steps), and the
    handle is then dragged from there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)

    def value_at(self, x: float) -> int:
        """The step under horizontal position ``x`` (widget pixels)."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        style = self.style()
        control = QStyle.ComplexControl.CC_Slider
        groove = style.subControlRect(control, option, QStyle.SubControl.SC_SliderGroove, self)
        handle = style.subControlRect(control, option, QStyle.SubControl.SC_SliderHandle, self)
        span = max(groove.width() - handle.width(), 1)
        position = round(x - groove.x() - handle.width() / 2)
        return QStyle.sliderValueFromPosition(
            self.minimum(), self.maximum(), min(max(position, 0), span), span, option.upsideDown
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt's override name
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, self
            )
            if not handle.contains(event.position().toPoint()):
                self.setValue(self.value_at(event.position().x()))
        super().mousePressEvent(event)
