"""The live loss plot: training loss per step and per epoch, with a marker at the current step.

Data goes in through ``set_history`` (numpy buffers read from the trainer) and the curves are
redrawn with ``setData``; downsampling and clip-to-view keep a million points smooth. The
test and validation losses (``set_test_history``, ``set_validation_history``) and the kept
earlier runs (``set_runs``, drawn faded underneath, each labelled at its end) join them.

The legend is a row of coloured line samples and names above the plot, not inside it, so
the plot area holds only curves: it lists the curves that have data, and each earlier run
by what tells it apart when they fit on two lines (else one "earlier runs" entry). An
earlier run's end label that would overlap another is moved above or below it, or left out.

The axes follow the data (``_follow_data``) until the user pans or zooms; ``set_history`` (a
reset, an opened session) follows the data again. While the current run has steps, the step
axis is the current run's (0 to its last step, at least 0 to 5) and the earlier runs are
drawn over those same steps, however long they ran: the comparison is step for step (an
earlier run of 50,000 steps does not squash a current one of 50; pyqtgraph's "A" button
zooms out to all of it). Without current steps the axis follows the longest earlier run.
Losses start at 0 (or at the decade of the smallest on the log scale) and reach the largest
loss shown in that step range. Values are printed as they are: no axis is rescaled into
"(x0.001)", and steps are whole numbers.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPalette, QResizeEvent
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
"""Hues of the earlier runs, by their colour number ``RunCurve.color`` (none is a current-run
colour)."""
RUN_ALPHA = 150
"""Opacity (0 to 255) of an earlier run's curve: faded, under the current run."""
LEGEND_LINES = 2
"""The legend names each earlier run when that fits on this many lines, else it has one
"earlier runs" entry."""
RUN_LABEL_CHARACTERS = 34
"""An earlier run's label longer than this is shortened at its curve's end (in full as
tooltip)."""
EARLIER_RUNS = "earlier runs"
"""The legend's one entry for the kept runs when their names do not fit."""
EARLIER_HEADING = "earlier:"
"""Written before the earlier runs' entries when the legend names each one."""


def run_color(color: int) -> str:
    """The hue of colour number ``color`` (an earlier run's ``RunCurve.color``): its curve,
    its end label, its legend entry and its swatch in the runs list."""
    return RUN_COLORS[color % len(RUN_COLORS)]


@dataclass(frozen=True)
class LegendEntry:
    """One legend entry: ``name`` after a short line drawn like the curve (``sample``: a few
    line characters) in ``colors`` (one, or one for each character: all the earlier runs)."""

    name: str
    colors: tuple[str, ...]
    sample: str
    tooltip: str

    @property
    def color(self) -> str:
        return self.colors[0]

    def html(self) -> str:
        """The entry as rich text that is never broken across lines."""
        if len(self.colors) == 1:
            sample = f'<span style="color:{self.colors[0]}">{self.sample}</span>'
        else:
            sample = "".join(
                f'<span style="color:{color}">{character}</span>'
                for color, character in zip(self.colors, self.sample)
            )
        return f"{sample}&nbsp;{html.escape(self.name).replace(' ', '&nbsp;')}"


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
    mini-batch loss per step is too noisy to compare), else the loss of every step ``1..n``;
    ``thinned`` to at most ``RUN_POINTS``."""
    steps = len(run.step_losses)
    epochs = len(run.epoch_losses)
    if epochs >= 2 and epochs < steps:
        x, y = np.asarray(run.epoch_end_steps, dtype=float), np.asarray(run.epoch_losses, float)
    else:
        x, y = np.arange(1, steps + 1, dtype=float), np.asarray(run.step_losses, dtype=float)
    return thinned(x, y)


RUN_POINTS = 2000
"""An earlier run is drawn with at most this many points: it is faded context, and a long
one redrawn in full at every frame of a live run took the training's time."""


def thinned(x: np.ndarray, y: np.ndarray, most: int = RUN_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` with at most ``most`` points: consecutive points averaged in equal groups
    (non-finite values left out of the means; a group with none stays NaN), each at its
    group's last ``x``."""
    n = len(x)
    if n <= most:
        return x, y
    edges = np.linspace(0, n, most + 1).round().astype(np.intp)
    starts = edges[:-1]
    finite = np.isfinite(y)
    sums = np.add.reduceat(np.where(finite, y, 0.0), starts)
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return x[edges[1:] - 1], means


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


SOLID = "\u2501\u2501"  # ━━
THIN = "\u2500\u2500"  # ──
DASHED = "\u254d\u254d"  # ╍╍
DASH_DOT = "\u2501\u00b7\u2501"  # ━·━


class LossPlot(QWidget):
    """Loss against step number: every step (thin grey) and every epoch's mean (blue), the
    test (red, dashed) and validation (green, dash-dot) losses, earlier runs faded; the
    legend (``legend``, a label) is the row above the plot."""

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
        self.view_box.sigTransformChanged.connect(self._place_run_labels)
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
        """The end label of each curve in ``run_curves``; hidden where it would overlap
        another or leave the plot."""
        self._run_points: list[tuple[np.ndarray, np.ndarray]] = []
        """The drawn ``(steps, losses)`` of each curve in ``run_curves``."""
        self._run_names: list[tuple[RunCurve, str]] = []
        """Each visible earlier run with what tells it from the others (its short name)."""
        self._current_label: str | None = None
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
        self.legend = QLabel()
        """The legend: a wrapping row of line samples and names over the plot."""
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        font = self.legend.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.legend.setFont(font)
        self.legend.hide()  # nothing to list before the first step

        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.log_scale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        self._test = (np.zeros(0), np.zeros(0))
        self._validation = (np.zeros(0), np.zeros(0))
        self._runs: list[RunCurve] = []
        self._steps = _Buffer(np.zeros(0))
        self._epochs = _Buffer(np.zeros(0))
        self._epoch_ends = _Buffer(np.zeros(0))
        self._legend_entries: list[LegendEntry] = []

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
        current run: thin, translucent, in ``run_color(run.color)``, each labelled at its end
        (the last step shown) and in the legend by what tells it apart from the others and
        from ``current`` (the current run's label, ``runs.run_label``)."""
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
        """Each visible earlier run: a faded curve under the current run's, with an end label
        saying what tells it apart from the others (placed by ``_place_run_labels``)."""
        item = self.plot.getPlotItem()
        for curve in self.run_curves:
            item.removeItem(curve)
        for label in self.run_labels:
            item.removeItem(label)
        self.run_curves = []
        self.run_labels = []
        self._run_points = []
        self._run_names = []
        labels = [run.label for run in self._runs]
        if self._current_label is not None:
            names = distinct_labels(labels + [self._current_label])[:-1]
        else:
            names = distinct_labels(labels)
        backdrop = self.palette().color(QPalette.ColorRole.Base)
        backdrop.setAlpha(200)  # readable over the current run's noisy curve
        for run, name in zip(self._runs, names):
            if not run.visible:
                continue
            color = pg.mkColor(run_color(run.color))
            color.setAlpha(RUN_ALPHA)
            steps, losses = run_curve_points(run)
            curve = item.plot(
                steps, self._shown(losses), pen=pg.mkPen(color, width=1.5), name=run.label
            )
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            curve.setZValue(-10)  # under the current run's curves
            curve.setToolTip(run.label)
            label = pg.TextItem(
                short_label(name), color=run_color(run.color), fill=pg.mkBrush(backdrop)
            )
            label.setToolTip(run.label)
            label.setZValue(20)  # over the curves
            item.addItem(label, ignoreBounds=True)
            self.run_curves.append(curve)
            self.run_labels.append(label)
            self._run_points.append((steps, losses))
            self._run_names.append((run, short_label(name)))
        self._place_run_labels()
        self._fill_legend()

    def _place_run_labels(self) -> None:
        """Put each earlier run's label at the last point of its curve in view: its lower
        corner there (right corner in the right half, left in the left half, so that it stays
        in the plot), else moved above or below by its own height, else hidden, so that no
        two labels overlap. The newest run is placed first. Again when the view changes."""
        if not self.run_labels:
            return
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        area = self.view_box.sceneBoundingRect()
        laid_out = area.width() > 1 and area.height() > 1
        log = self.log_scale.isChecked()
        placed: list[QRectF] = []
        for label, (steps, losses) in reversed(list(zip(self.run_labels, self._run_points))):
            in_view = np.flatnonzero(np.isfinite(losses) & (steps >= x0) & (steps <= x1))
            if not in_view.size:
                label.hide()
                continue
            last = in_view[-1]
            x = float(steps[last])
            y = float(self._shown(losses[last : last + 1])[0])
            y = math.log10(y) if log else y
            label.setPos(x, y)
            right = 1.0 if x > (x0 + x1) / 2 else 0.0
            if not laid_out:  # not on screen yet: placed when the view gets its size
                label.setAnchor((right, 1.0))
                label.show()
                continue
            # From the range now: the view box maps its new range only when it next paints.
            point = QPointF(
                area.left() + (x - x0) / (x1 - x0) * area.width(),
                area.bottom() - (y - y0) / (y1 - y0) * area.height(),
            )
            size = label.textItem.boundingRect().size()
            for up in (1.0, 0.0, 2.0, -1.0):  # above the point, below, a line higher, lower
                rect = QRectF(
                    point.x() - right * size.width(),
                    point.y() - up * size.height(),
                    size.width(),
                    size.height(),
                )
                if area.contains(rect) and not any(rect.intersects(r) for r in placed):
                    break
            else:
                label.hide()
                continue
            placed.append(rect)
            label.setAnchor((right, up))
            label.show()
            label.updateTransform(force=True)  # a hidden label missed the view's changes

    def _fill_legend(self) -> None:
        """The legend lists the current run's curves that have data, then the earlier runs:
        each by its short name in its colour when all fit on ``LEGEND_LINES`` lines, else
        one "earlier runs" entry. Rewritten only when what it shows changes."""
        current = [
            LegendEntry("loss per step", (STEP_COLOR,), THIN, "the loss of each step's batch"),
            LegendEntry(
                "mean loss per epoch", (EPOCH_COLOR,), SOLID, "the mean loss of each epoch"
            ),
            LegendEntry("test loss", (TEST_COLOR,), DASHED, "the loss on the test data"),
            LegendEntry(
                "validation loss",
                (VALIDATION_COLOR,),
                DASH_DOT,
                "the loss on the validation data",
            ),
        ]
        has_data = [
            self.points > 0,
            len(self._epochs.view()) > 0,
            len(self._test[0]) > 0,
            len(self._validation[0]) > 0,
        ]
        entries = [entry for entry, shown in zip(current, has_data) if shown]
        runs = [
            LegendEntry(name, (run_color(run.color),), SOLID, run.label)
            for run, name in self._run_names
        ]
        heading = ""
        if runs and self._legend_lines(entries, runs, EARLIER_HEADING) <= LEGEND_LINES:
            entries += runs
            heading = EARLIER_HEADING
        elif runs:
            colors = tuple(entry.color for entry in runs)
            entries.append(
                LegendEntry(
                    EARLIER_RUNS,
                    colors,
                    SOLID[0] * len(colors),
                    "faded, each labelled at its end; Compare runs lists them",
                )
            )
        if entries == self._legend_entries:
            return
        self._legend_entries = entries
        self.legend.setVisible(bool(entries))  # nothing to list before the first step
        if heading:
            parts = [entry.html() for entry in entries[: len(entries) - len(runs)]]
            first, *others = (entry.html() for entry in runs)
            parts += [f"{html.escape(heading)}&nbsp;{first}", *others]
        else:
            parts = [entry.html() for entry in entries]
        self.legend.setText("&nbsp;&nbsp; ".join(parts))
        self.legend.setToolTip("\n".join(f"{e.name}: {e.tooltip}" for e in entries))

    def _legend_lines(
        self, entries: list[LegendEntry], runs: list[LegendEntry], heading: str
    ) -> int:
        """How many lines the legend takes at its width with ``entries`` then ``runs``
        (the first after ``heading``), each entry kept on one line."""
        metrics = QFontMetricsF(self.legend.font())
        width = self.width() - 12  # the layout's margins, and a little to spare
        gap = metrics.horizontalAdvance("\u00a0\u00a0 ")
        widths = [metrics.horizontalAdvance(f"{e.sample}\u00a0{e.name}") for e in entries]
        widths += [
            metrics.horizontalAdvance(f"{heading}\u00a0" * (i == 0) + f"{e.sample}\u00a0{e.name}")
            for i, e in enumerate(runs)
        ]
        lines, used = 1, 0.0
        for entry_width in widths:
            if used and used + gap + entry_width > width:
                lines, used = lines + 1, entry_width
            else:
                used += (gap if used else 0.0) + entry_width
        return lines

    def legend_labels(self) -> list[str]:
        """The legend's entries, in order, as shown."""
        return [entry.name for entry in self._legend_entries]

    def legend_entries(self) -> list[LegendEntry]:
        """The legend's entries, in order, with their colours."""
        return list(self._legend_entries)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's override name
        super().resizeEvent(event)
        self._fill_legend()  # the earlier runs may fit by name now, or no longer

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
        """Unless the user moved the view: the steps of the current run (0 to its last, at
        least 0 to 5), or of the longest visible earlier run when the current run has none;
        the losses from 0 (or from the smallest positive loss's decade on the log scale) to
        the largest in those steps, the earlier runs' included."""
        if not self.following:
            return
        runs = self._run_points
        current = [self._test, self._validation]
        last = max(float(self.points), *(float(np.max(steps, initial=0.0)) for steps, _ in current))
        if last == 0:
            last = max([0.0] + [float(np.max(steps, initial=0.0)) for steps, _ in runs])
        right = max(5.0, last * 1.02)
        self.view_box.setXRange(0.0, right, padding=0.0)
        values = [self._steps.view(), self._epochs.view()]
        values += [losses[steps <= right] for steps, losses in current + runs]
        losses = np.concatenate([v[np.isfinite(v)] for v in values])
        if self.log_scale.isChecked():
            positive = losses[losses > 0]
            low = math.floor(math.log10(positive.min())) if positive.size else -3.0
            high = math.ceil(math.log10(positive.max())) if positive.size else 0.0
            self.view_box.setYRange(low, max(high, low + 1), padding=0.02)
        else:
            top = float(losses.max()) if losses.size else 1.0
            bottom = min(0.0, float(losses.min())) if losses.size else 0.0
            top = top if top > bottom else bottom + 1.0
            self.view_box.setYRange(bottom, top * 1.05, padding=0.0)
        self._place_run_labels()

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
