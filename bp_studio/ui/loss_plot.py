"""The live loss plot: training loss per step and per epoch, with a marker at the current step.

Data goes in through ``set_history`` (numpy buffers read from the trainer) and the curves are
redrawn with ``setData``; downsampling and clip-to-view keep a million points smooth. The
test and validation losses (``set_test_history``, ``set_validation_history``) and the kept
earlier runs (``set_runs``, drawn faded underneath, each labelled at its end) join them; the
legend lists only the curves that have data.

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
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bp_studio.studio.runs import RunCurve

STEP_COLOR = "#7f8c8d"
EPOCH_COLOR = "#2166ac"
MARKER_COLOR = "#e66101"
TEST_COLOR = "#b2182b"
VALIDATION_COLOR = "#1b7837"
RUN_COLORS = (
    "#762a83",  # purple
    "#35978f",  # teal
    "#c51b7d",  # magenta
    "#8c510a",  # brown
    "#7570b3",  # slate violet
    "#808000",  # olive
    "#00a0c0",  # cyan
    "#d4a017",  # gold
)
"""Hues of the earlier runs, by their place in the list (none is a current-run colour)."""
RUN_ALPHA = 150
"""Opacity (0 to 255) of an earlier run's curve: faded, under the current run."""
LEGEND_ROWS = 2
"""The legend is laid out in up to three columns of this many rows: wide and low, it stays
off the curves."""
RUN_LABEL_CHARACTERS = 34
"""An earlier run's label longer than this is shortened at its curve's end (in full as
tooltip)."""
EARLIER_RUNS = "earlier runs"
"""The legend's one entry for the kept runs."""


def run_color(index: int) -> str:
    """The colour of the earlier run at ``index`` of the kept runs (the list's swatch too)."""
    return RUN_COLORS[index % len(RUN_COLORS)]


def short_label(label: str, characters: int = RUN_LABEL_CHARACTERS) -> str:
    """``label`` cut to ``characters`` with an ellipsis when longer."""
    return label if len(label) <= characters else label[: characters - 1].rstrip() + "…"


def distinct_labels(labels: list[str], separator: str = " · ") -> list[str]:
    """What tells runs apart: each label without the ``separator``-parts every label shares
    (``2-3-1 sigmoid · sgd η 0.5 · full batch`` and ``… η 0.05 …`` give ``sgd η 0.5`` and
    ``sgd η 0.05``); a label that keeps nothing, or a single label, stays whole."""
    if len(labels) < 2:
        return list(labels)
    parts = [label.split(separator) for label in labels]
    shared = set(parts[0]).intersection(*parts[1:])
    kept = [separator.join(p for p in label_parts if p not in shared) for label_parts in parts]
    return [short or label for short, label in zip(kept, labels)]


def run_curve_points(run: RunCurve) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, losses)`` drawn for an earlier run: the mean loss per epoch at the steps that
    ended the epochs when the run had several steps per epoch and at least two epochs (the
    mini-batch loss per step is too noisy to compare), else the loss of every step ``1..n``."""
    steps = len(run.step_losses)
    epochs = len(run.epoch_losses)
    if epochs >= 2 and epochs < steps:
        return np.asarray(run.epoch_end_steps, dtype=float), np.asarray(run.epoch_losses, float)
    return np.arange(1, steps + 1, dtype=float), np.asarray(run.step_losses, dtype=float)


class StepAxis(pg.AxisItem):
    """A step axis: ticks on whole steps only, written in full (``12,000``)."""

    def tickSpacing(  # pyqtgraph's override name
        self, minVal: float, maxVal: float, size: float
    ) -> list[tuple[float, float]]:
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(
            minVal, maxVal, size
        ) if spacing >= 1]  # fmt: skip
        return levels or [(1.0, 0.0)]

    def tickStrings(  # pyqtgraph's override name
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        return [f"{int(round(value)):,}" for value in values]


class LossPlot(QWidget):
    """Loss against step number: every step (thin grey) and every epoch's mean (blue), the
    test (red, dashed) and validation (green, dash-dot) losses, earlier runs faded."""

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
        backdrop = self.palette().color(QPalette.ColorRole.Base)
        backdrop.setAlpha(210)  # the curves show through faintly; the names stay readable
        # Bottom left: a loss is high at the start, so that corner is the one curves avoid.
        self.legend = item.addLegend(
            offset=(10, -10),
            brush=pg.mkBrush(backdrop),
            labelTextColor=self.palette().color(QPalette.ColorRole.WindowText),
            labelTextSize="8pt",
        )
        self.step_curve = item.plot([], [], pen=pg.mkPen(STEP_COLOR, width=1))
        self.epoch_curve = item.plot([], [], pen=pg.mkPen(EPOCH_COLOR, width=2.5))
        self.test_curve = item.plot(
            [], [], pen=pg.mkPen(TEST_COLOR, width=2, style=Qt.PenStyle.DashLine)
        )
        self.validation_curve = item.plot(
            [], [], pen=pg.mkPen(VALIDATION_COLOR, width=2, style=Qt.PenStyle.DashDotLine)
        )
        self.run_curves: list[pg.PlotDataItem] = []
        """The curves of the visible earlier runs, in the order of the kept runs."""
        self.run_labels: list[pg.TextItem] = []
        self._current_label: str | None = None
        """The legend's name of each run curve: what tells it from the other runs."""
        for curve in (self.step_curve, self.epoch_curve, self.test_curve, self.validation_curve):
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
        self._validation = (np.zeros(0), np.zeros(0))
        self._runs: list[RunCurve] = []
        self._steps = _Buffer(np.zeros(0))
        self._epochs = _Buffer(np.zeros(0))
        self._epoch_ends = _Buffer(np.zeros(0))
        self._legend_entries: list[tuple[pg.PlotDataItem, str]] = []

    def _on_log_scale_toggled(self, on: bool) -> None:
        self.plot.getPlotItem().setLogMode(y=on)
        self.following = True
        self._redraw()
        self._draw_measured()
        self._draw_runs()

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
        self._draw_measured()
        self._follow_data()

    def set_validation_history(self, steps: np.ndarray, losses: np.ndarray) -> None:
        """The validation loss measured at ``steps`` (``Evaluations.test_curve("validation")``),
        drawn green and dash-dotted; empty without a validation share."""
        self._validation = (np.asarray(steps, dtype=float), np.asarray(losses, dtype=float))
        self._draw_measured()
        self._follow_data()

    def set_runs(self, runs: list[RunCurve], current: str | None = None) -> None:
        """Draw the visible ones of the kept earlier ``runs`` (``Studio.runs``) faded under the
        current run: thin, translucent, in ``run_color(index)``, each labelled at its end by
        what tells it apart from the others and from ``current`` (the current run's label,
        ``runs.run_label``)."""
        self._runs = list(runs)
        self._current_label = current
        self._draw_runs()
        self._follow_data()

    def _draw_measured(self) -> None:
        for curve, (steps, losses) in (
            (self.test_curve, self._test),
            (self.validation_curve, self._validation),
        ):
            curve.setData(steps, self._shown(losses))
        self._fill_legend()

    def _draw_runs(self) -> None:
        """Each visible earlier run: a faded curve under the current run's, labelled at its
        end with what tells it apart from the others (the legend stays small)."""
        item = self.plot.getPlotItem()
        for curve in self.run_curves:
            item.removeItem(curve)
        for label in self.run_labels:
            item.removeItem(label)
        self.run_curves = []
        self.run_labels = []
        labels = [run.label for run in self._runs]
        if self._current_label is not None:
            names = distinct_labels(labels + [self._current_label])[:-1]
        else:
            names = distinct_labels(labels)
        log = self.log_scale.isChecked()
        longest = max([self.points] + [len(run.step_losses) for run in self._runs if run.visible])
        for index, run in enumerate(self._runs):
            if not run.visible:
                continue
            color = pg.mkColor(run_color(index))
            color.setAlpha(RUN_ALPHA)
            steps, losses = run_curve_points(run)
            shown = self._shown(losses)
            curve = item.plot(steps, shown, pen=pg.mkPen(color, width=1.5), name=run.label)
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            curve.setZValue(-10)  # under the current run's curves
            curve.setToolTip(run.label)
            self.run_curves.append(curve)
            finite = np.flatnonzero(np.isfinite(shown))
            if finite.size:
                last = finite[-1]
                backdrop = self.palette().color(QPalette.ColorRole.Base)
                backdrop.setAlpha(200)  # readable over the current run's noisy curve
                label = pg.TextItem(
                    short_label(names[index]), color=run_color(index), fill=pg.mkBrush(backdrop)
                )
                # Its lower right corner at the curve's end; lower left for a run that ends
                # in the left half, so that its label stays inside the plot.
                label.setAnchor((1.0 if steps[last] > longest / 2 else 0.0, 1.0))
                y = float(shown[last])
                label.setPos(float(steps[last]), math.log10(y) if log else y)
                label.setToolTip(run.label)
                label.setZValue(20)  # over the curves
                item.addItem(label, ignoreBounds=True)
                self.run_labels.append(label)
        self._fill_legend()

    def _fill_legend(self) -> None:
        """The legend lists the current run's curves that have data, and one entry for the
        earlier runs (each is labelled at its end). Rebuilt only when that list changes."""
        current = [
            (self.step_curve, "loss per step", self.points > 0),
            (self.epoch_curve, "mean loss per epoch", len(self._epochs.view()) > 0),
            (self.test_curve, "test loss", len(self._test[0]) > 0),
            (self.validation_curve, "validation loss", len(self._validation[0]) > 0),
        ]
        entries = [(curve, name) for curve, name, has_data in current if has_data]
        if self.run_curves:
            entries.append((self.run_curves[0], EARLIER_RUNS))
        if entries == self._legend_entries:
            return
        self._legend_entries = entries
        self.legend.setVisible(bool(entries))  # no empty box before the first step
        self.legend.clear()
        self.legend.setColumnCount(min(3, max(1, math.ceil(len(entries) / LEGEND_ROWS))))
        for curve, name in entries:
            self.legend.addItem(curve, name)
            self.legend.getLabel(curve).setToolTip(
                "Earlier runs, faded; Compare runs lists them" if name == EARLIER_RUNS else name
            )

    def legend_labels(self) -> list[str]:
        """The legend's entries, top to bottom, as shown."""
        return [label.text for _, label in self.legend.items]

    def _shown(self, losses: np.ndarray) -> np.ndarray:
        """``losses`` as drawn: a log axis cannot show zero, so they are clipped to the
        smallest positive float there."""
        if self.log_scale.isChecked():
            return np.maximum(losses, np.finfo(float).tiny)
        return losses

    def _redraw(self) -> None:
        # A log axis cannot show zero, so losses are clipped to the smallest positive float.
        y = self._steps.view()
        steps = len(y)
        if steps == 0:
            self.step_curve.setData([], [])
            self.epoch_curve.setData([], [])
            self.marker.hide()
            self.summary.setText("No training yet: press Step or Play.")
            self._fill_legend()
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
        self._fill_legend()
        self._follow_data()

    def _follow_data(self) -> None:
        """Show every step (0 to the last, at least 0 to 5) and every loss (from 0, or from
        the smallest positive loss's decade on the log scale), the visible earlier runs
        included, unless the user moved the view."""
        if not self.following:
            return
        runs = [run_curve_points(run) for run in self._runs if run.visible]
        measured = [self._test, self._validation, *runs]
        values = [self._steps.view(), self._epochs.view(), *(losses for _, losses in measured)]
        losses = np.concatenate([v[np.isfinite(v)] for v in values])
        last = max(
            len(self._steps.view()),
            *(float(np.max(steps, initial=0.0)) for steps, _ in measured),
        )
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
