"""The live loss plot: training loss per step and per epoch, with a marker at the current step.

Data goes in through ``set_history`` (numpy buffers read from the trainer) and the curves are
redrawn with ``setData``; downsampling and clip-to-view keep a million points smooth.

The axes follow the data (``_follow_data``: steps from 0 to the last, losses from 0, or
their decades on the log scale) until the user pans or zooms; ``set_history`` (a reset, an
opened session) follows the data again. Values are printed as they are: no axis is rescaled
into "(x0.001)", and steps are whole numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

STEP_COLOR = "#7f8c8d"
EPOCH_COLOR = "#2166ac"
MARKER_COLOR = "#e66101"
TEST_COLOR = "#b2182b"


class StepAxis(pg.AxisItem):
    """A step axis: ticks on whole steps only, written in full (``12,000``)."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # Qt-style override
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(
            minVal, maxVal, size
        ) if spacing >= 1]  # fmt: skip
        return levels or [(1.0, 0.0)]

    def tickStrings(self, values, scale, spacing):  # pyqtgraph's override name
        return [f"{int(round(value)):,}" for value in values]


class LossPlot(QWidget):
    """Loss against step number: every step (thin grey) and every epoch's mean (blue)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=None, axisItems={"bottom": StepAxis("bottom")})
        self.plot.setMinimumHeight(140)
        item = self.plot.getPlotItem()
        for name in ("bottom", "left"):
            item.getAxis(name).enableAutoSIPrefix(False)
        self.view_box = item.getViewBox()
        self.view_box.setLimits(xMin=0)
        self.view_box.disableAutoRange()
        self.view_box.sigRangeChangedManually.connect(self._on_range_changed_by_hand)
        self.following = True
        """Whether the axes follow the data (until the user pans or zooms)."""
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss")
        item.addLegend(offset=(-10, 10))
        self.step_curve = item.plot([], [], pen=pg.mkPen(STEP_COLOR, width=1), name="loss per step")
        self.epoch_curve = item.plot(
            [], [], pen=pg.mkPen(EPOCH_COLOR, width=2.5), name="mean loss per epoch"
        )
        self.test_curve = item.plot(
            [], [], pen=pg.mkPen(TEST_COLOR, width=2, style=Qt.PenStyle.DashLine), name="test loss"
        )
        for curve in (self.step_curve, self.epoch_curve, self.test_curve):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.marker = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(MARKER_COLOR, width=1.5)
        )
        item.addItem(self.marker)
        self.marker.hide()

        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Show the loss on a logarithmic axis")
        self.log_scale.toggled.connect(self._on_log_scale_toggled)
        self.summary = QLabel("No training yet: press Step or Play.")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.log_scale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)
        self._test = (np.zeros(0), np.zeros(0))
        self._steps = _Buffer(np.zeros(0))
        self._epochs = _Buffer(np.zeros(0))
        self._epoch_ends = _Buffer(np.zeros(0))

    def _on_log_scale_toggled(self, on: bool) -> None:
        self.plot.getPlotItem().setLogMode(y=on)
        self.following = True
        self._redraw()
        self._draw_test()

    def _on_range_changed_by_hand(self, *_: object) -> None:
        self.following = False

    def set_history(
        self, step_losses: np.ndarray, epoch_losses: np.ndarray, epoch_end_steps: np.ndarray
    ) -> None:
        """Show ``step_losses`` (one per step) and ``epoch_losses`` (one per completed epoch).

        The epoch mean is drawn at the step that ended the epoch (``epoch_end_steps``). A new
        history (a reset, an opened session) brings the axes back to following the data.
        """
        self._steps = _Buffer(np.asarray(step_losses, dtype=np.float64))
        self._epochs = _Buffer(np.asarray(epoch_losses, dtype=np.float64))
        self._epoch_ends = _Buffer(np.asarray(epoch_end_steps, dtype=np.float64))
        self.following = True
        self._redraw()

    def append_history(
        self, step_losses: np.ndarray, epoch_losses: np.ndarray, epoch_end_steps: np.ndarray
    ) -> None:
        """Add losses after those already shown (live training)."""
        self._steps.extend(step_losses)
        self._epochs.extend(epoch_losses)
        self._epoch_ends.extend(epoch_end_steps)
        self._redraw()

    def set_test_history(self, steps: np.ndarray, losses: np.ndarray) -> None:
        """The test loss measured at ``steps`` (drawn dashed; empty without test data)."""
        self._test = (np.asarray(steps, dtype=float), np.asarray(losses, dtype=float))
        self._draw_test()
        self._follow_data()

    def _draw_test(self) -> None:
        steps, losses = self._test
        if len(steps) == 0:
            self.test_curve.setData([], [])
            return
        if self.log_scale.isChecked():
            losses = np.maximum(losses, np.finfo(float).tiny)
        self.test_curve.setData(steps, losses)

    def _redraw(self) -> None:
        # A log axis cannot show zero, so losses are clipped to the smallest positive float.
        y = self._steps.view()
        steps = len(y)
        if steps == 0:
            self.step_curve.setData([], [])
            self.epoch_curve.setData([], [])
            self.marker.hide()
            self.summary.setText("No training yet: press Step or Play.")
            self._follow_data()
            return
        log = self.log_scale.isChecked()
        tiny = np.finfo(float).tiny
        x = np.arange(1, steps + 1, dtype=np.float64)
        few = steps <= 50  # a handful of steps reads better as dots
        self.step_curve.setSymbol("o" if few else None)
        self.step_curve.setSymbolSize(6)
        self.step_curve.setSymbolBrush(STEP_COLOR)
        self.step_curve.setData(x, np.maximum(y, tiny) if log else y)
        ey = self._epochs.view()
        if len(ey):
            ex = self._epoch_ends.view()[: len(ey)]
            self.epoch_curve.setData(ex, np.maximum(ey, tiny) if log else ey)
        else:
            self.epoch_curve.setData([], [])
        self.marker.setValue(steps)
        self.marker.show()
        text = f"Step {steps:,}: loss {y[-1]:.6g}"
        if len(ey):
            text += f"  ·  epoch {len(ey):,} mean {ey[-1]:.6g}"
        self.summary.setText(text)
        self._follow_data()

    def _follow_data(self) -> None:
        """Show every step (0 to the last, at least 0 to 5) and every loss (from 0, or from
        the smallest positive loss's decade on the log scale), unless the user moved the view."""
        if not self.following:
            return
        values = [self._steps.view(), self._epochs.view(), self._test[1]]
        losses = np.concatenate([v[np.isfinite(v)] for v in values])
        last = max(len(self._steps.view()), float(np.max(self._test[0], initial=0.0)))
        self.view_box.setXRange(0.0, max(5.0, last * 1.02), padding=0.0)
        if self.log_scale.isChecked():
            positive = losses[losses > 0]
            low = math.floor(math.log10(positive.min())) if positive.size else -3.0
            high = math.ceil(math.log10(positive.max())) if positive.size else 0.0
            self.view_box.setYRange(low, max(high, low + 1), padding=0.02)
            return
        top = float(losses.max()) if losses.size else 1.0
        bottom = min(0.0, float(losses.min())) if losses.size else 0.0
        top = top if top > bottom else bottom + 1.0
        self.view_box.setYRange(bottom, top * 1.05, padding=0.0)

    @property
    def points(self) -> int:
        """How many step losses are plotted."""
        return len(self._steps.view())


class _Buffer:
    """A growable float64 array: appends are amortised O(1), ``view()`` is the filled part."""

    def __init__(self, values: np.ndarray) -> None:
        self._data = np.array(values, dtype=np.float64)
        self._size = len(self._data)

    def extend(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        needed = self._size + len(values)
        if needed > len(self._data):
            grown = np.empty(max(needed, 2 * len(self._data), 1024))
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : needed] = values
        self._size = needed

    def view(self) -> np.ndarray:
        return self._data[: self._size]
