"""The Diagnostics view: why is the network (not) learning, drawn from ``Studio.diagnostics``.

Three tabs under a one-line headline of the problems found at the current step (or that the
network has learned, when small gradients are expected):

- **Gradients**: each layer's gradient norm ``‖∂L/∂W‖_F`` against the step, on a log axis
  (vanishing gradients fan out downwards towards layer 1, exploding ones upwards), and under
  it the update ratio ``‖ΔW‖_F / ‖W‖_F`` with a dashed guide at the rule of thumb 10⁻³; a
  vertical line marks the current step, a row of colour swatches above names the layers;
- **Distributions**: histograms of the chosen layer's weights ``w``, activations
  ``a = f(z)`` (on up to 256 training rows) and weight gradients ``∂L/∂w`` (TensorBoard's
  distributions, at the current step);
- **Health**: each layer's four figures (a table, or a block per layer when narrow) with what
  usually helps, and the result of the last gradient check.

The view fits a laptop's dock down to about 260 x 180 px: below ``SHORT`` px tall it shows
one of the two gradient plots at a time (a toggle above them) and the histograms side by side.

A layer keeps its colour in every plot. ``refresh()`` redraws from the studio (after manual
steps, a rewind, at the end of a run); ``refresh_live()`` is the cheap redraw a display tick
calls while a run trains in another thread. Both return at once while the widget is hidden.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bp_studio.engine.diagnostics import UPDATE_RATIO_GUIDE, LayerHealth
from bp_studio.engine.gradcheck import GradientCheck
from bp_studio.studio import Studio, StudioError
from bp_studio.studio.diagnostics import LayerDistributions
from bp_studio.studio.explain import PENDING_COLOR, format_number
from bp_studio.studio.explain_diagnostics import (
    TrainingProgress,
    gradient_check_summary,
    health_headline,
    health_is_calm,
    health_summary,
    layer_title,
    training_progress,
)
from bp_studio.ui.loss_plot import MARKER_COLOR, StepAxis

LAYER_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9")
"""Okabe and Ito's colour-blind-safe colours (yellow and black left out), layer 1 first;
a seventh layer starts again with a dashed line."""

GUIDE_COLOUR = "#7f8c8d"
HEALTHY_COLOUR = "#0b6e4f"

EMPTY_TEXT = "Take a step or press Play: the gradient norms appear here."

DISTRIBUTIONS_INTERVAL = 0.5
"""While a run trains, the histograms are taken at most every this many seconds."""

HEALTH_INTERVAL = 0.5
"""... and the health text rewritten at most this often."""

SHORT = 360
"""Below this height (px) the view is short: one gradient plot at a time, histograms side by
side."""

NARROW = 460
"""Below this width (px) the health figures are a block per layer instead of a table."""

LABEL_SPACING = 18
"""A log axis labels at most one decade every this many pixels."""

KINDS = (
    ("weights", "Weights w"),
    ("activations", "Activations a = f(z)"),
    ("gradients", "Gradients ∂L/∂w"),
)
"""The histogram rows: ``LayerDistributions`` field and title."""


def layer_pen(layer: int, width: float = 2.0) -> pg.QtGui.QPen:
    """Layer ``layer``'s (0-based) pen: its colour, dashed from the seventh layer on."""
    pen = pg.mkPen(LAYER_COLOURS[layer % len(LAYER_COLOURS)], width=width)
    if layer >= len(LAYER_COLOURS):
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


@dataclass(frozen=True)
class Histogram:
    """``counts[i]`` values in ``[edges[i], edges[i + 1])`` (the last bin closed), of the
    finite ones; ``dropped`` NaN or ±∞ values were left out."""

    edges: np.ndarray
    counts: np.ndarray
    dropped: int

    @property
    def total(self) -> int:
        """How many values the bins hold (the finite ones)."""
        return int(self.counts.sum())


def histogram(values: np.ndarray) -> Histogram:
    """``numpy.histogram`` of the finite ``values`` with ``clip(2 √n, 8, 50)`` equal bins.

    Constant values get one bin around them (``± 5 %`` of the value, ``± 0.5`` for 0), no
    finite value an empty ``[0, 1]`` bin.
    """
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    finite = flat[np.isfinite(flat)]
    dropped = flat.size - finite.size
    if finite.size == 0:
        return Histogram(np.array([0.0, 1.0]), np.zeros(1, dtype=np.int64), dropped)
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        pad = 0.05 * abs(low) if low != 0.0 else 0.5
        edges = np.array([low - pad, high + pad])
        return Histogram(edges, np.array([finite.size], dtype=np.int64), dropped)
    bins = int(np.clip(2.0 * math.sqrt(finite.size), 8, 50))
    if not math.isfinite(high - low):  # beyond half the float range: bin a scaled copy
        counts, edges = np.histogram(finite / 4.0, bins=bins)
        return Histogram(edges * 4.0, counts, dropped)
    counts, edges = np.histogram(finite, bins=bins, range=(low, high))
    return Histogram(edges, counts, dropped)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent: int) -> str:
    """``10⁻³``, ``1``, ``10``, ``10²``: a decade's label."""
    if exponent == 0:
        return "1"
    if exponent == 1:
        return "10"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


class LogAxis(pg.AxisItem):
    """A log axis that labels the decades only (``10⁻³``), unless less than a decade shows:
    then every tick, as a number (``0.002``)."""

    def logTickStrings(  # pyqtgraph's override name
        self, values: list[float], scale: float, spacing: float
    ) -> list[str]:
        low, high = sorted(self.range)
        if high - low < 1.0:
            return [f"{10.0**value:.2g}" for value in values]
        every = decade_step(high - low, self.size().height())
        return [
            power_of_ten(round(value))
            if abs(value - round(value)) < 1e-6 and round(value) % every == 0
            else ""
            for value in values
        ]


def decade_step(decades: float, pixels: float) -> int:
    """Label every ``n``-th decade (1, 2, 3, 5, 10 ...) so that labels on an axis of
    ``pixels`` showing ``decades`` decades are at least ``LABEL_SPACING`` px apart."""
    room = max(pixels, 1.0) / LABEL_SPACING  # labels that fit
    for every in (1, 2, 3, 5, 10, 20, 50, 100):
        if decades / every <= room:
            return every
    return 100


def _log_ready(values: np.ndarray) -> np.ndarray:
    """Figures for a log axis: NaN (a gap) where a value is 0, negative or not finite."""
    out = np.array(values, dtype=np.float64)
    out[~(np.isfinite(out) & (out > 0))] = np.nan
    return out


def decades(values: np.ndarray) -> tuple[float, float]:
    """``(floor(log10 min), ceil(log10 max))`` of the positive finite ``values``, at least
    one decade apart (``(-3, 0)`` without any): the log axis's range, in whole decades."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    positive = flat[np.isfinite(flat) & (flat > 0)]
    if not positive.size:
        return -3.0, 0.0
    low = math.floor(math.log10(positive.min()))
    high = math.ceil(math.log10(positive.max()))
    return float(low), float(max(high, low + 1))


def _plot(title: str, left: str) -> pg.PlotWidget:
    """A plot against the step with a log ``y`` axis."""
    axes = {"bottom": StepAxis("bottom"), "left": LogAxis("left")}
    plot = pg.PlotWidget(background=None, axisItems=axes)
    plot.setMinimumSize(120, 60)
    item = plot.getPlotItem()
    for name in ("bottom", "left"):
        item.getAxis(name).enableAutoSIPrefix(False)
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setTitle(title, size="9pt")
    item.setLabel("left", left)
    item.setLabel("bottom", "step")
    item.setLogMode(y=True)
    box = item.getViewBox()
    box.setLimits(xMin=0)
    box.enableAutoRange(y=False)
    item.setMenuEnabled(False)
    return plot


class _HistogramRow(QWidget):
    """One kind's histogram (a filled step curve) with its title and counts above it."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title
        self.caption = QLabel(title)
        self.caption.setWordWrap(True)
        self.full_caption = title
        """The caption with every figure (the tooltip of a compact one)."""
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMinimumSize(70, 40)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=False, alpha=0.2)
        for name in ("bottom", "left"):
            item.getAxis(name).enableAutoSIPrefix(False)
        item.getAxis("left").setWidth(30)
        # a few counts suffice: the shape is what matters (and the labels must not overlap)
        item.getAxis("left").setStyle(maxTickLevel=0, textFillLimits=[(0, 0.5)])
        item.getAxis("bottom").setStyle(maxTickLevel=0)
        self.curve = pg.PlotDataItem([0.0, 1.0], [0], stepMode="center", fillLevel=0)
        item.addItem(self.curve)
        self.zero = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen(GUIDE_COLOUR, width=1))
        item.addItem(self.zero, ignoreBounds=True)
        self.histogram: Histogram | None = None
        self.compact = False
        """A short caption (the title and mean, sd; the rest in its tooltip): side by side
        in a short view."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot, 1)

    def show_values(self, values: np.ndarray, layer: int, note: str = "") -> None:
        shown = histogram(values)
        self.histogram = shown
        colour = QColor(LAYER_COLOURS[layer % len(LAYER_COLOURS)])
        fill = QColor(colour)
        fill.setAlpha(110)
        self.curve.setData(shown.edges, shown.counts)
        self.curve.setPen(pg.mkPen(colour, width=1.5))
        self.curve.setBrush(pg.mkBrush(fill))
        low, high = float(shown.edges[0]), float(shown.edges[-1])
        self.zero.setVisible(low <= 0.0 <= high)
        text = f"<b>{self.title}</b>{note} · {shown.total:,} values"
        short = f"<b>{self.title}</b>"
        if shown.total:
            finite = np.asarray(values, dtype=np.float64)
            finite = finite[np.isfinite(finite)]
            mean, sd = format_number(finite.mean(), 3), format_number(finite.std(), 3)
            text += f", mean {mean}, sd {sd}"
            short += f"<br>mean {mean}, sd {sd}"
        if shown.dropped:
            dropped = f"{shown.dropped:,} not finite (NaN or ±∞) left out"
            text += f' · <span style="color:{PENDING_COLOR}">{dropped}</span>'
            short += f'<br><span style="color:{PENDING_COLOR}">{shown.dropped:,} not finite</span>'
        self.full_caption = text
        self.caption.setText(short if self.compact else text)
        self.caption.setToolTip(text if self.compact else "")


class DiagnosticsView(QWidget):
    """Gradient flow, update ratios, distributions and layer health of ``studio``'s network."""

    explain_requested = Signal()
    """The user asked for the health figures' formulas in the explanation panel."""

    def __init__(self, studio: Studio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.studio = studio
        self._layers = 0
        self._measurements = -1
        """How many measurements the curves show (-1: never drawn)."""
        self._last_step: int | None = None
        """The step of the curves' last measurement."""
        self._health_shown: list[LayerHealth] | None = None
        self._health_step: int | None = None
        """The step of the health the headline and the Health tab show."""
        self._progress: TrainingProgress | None = None
        self._health_time = -math.inf
        self._short = True
        """One gradient plot at a time, histograms side by side (until a resize says it is
        tall: a dock shown for the first time asks for the short view's minimum size)."""
        self._narrow = True
        self._distributions_time = -math.inf
        self._distributions_stale = True
        self.check: GradientCheck | None = None
        self.distributions: list[LayerDistributions] | None = None
        """The distributions the histograms show."""

        self.legend_names: list[str] = []
        """The legend's names, layer 1 first: ``layer 1``, ``layer 2``, ..., ``output``."""
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # -- gradients: two plots sharing the step axis
        self.gradient_plot = _plot("Gradient flow", "‖∂L/∂W‖")
        self.ratio_plot = _plot("Update ratio", "‖ΔW‖ / ‖W‖")
        self.ratio_plot.setXLink(self.gradient_plot)
        self.gradient_plot.getPlotItem().showLabel("bottom", False)  # stacked: shares the lower
        self.legend = QLabel()
        """The layers' colours, a wrapping row of swatches above the plots (a legend inside
        the plot hid the curves and was cut in a small dock)."""
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.gradient_curves: list[pg.PlotDataItem] = []
        self.ratio_curves: list[pg.PlotDataItem] = []
        self.guide = pg.InfiniteLine(
            math.log10(UPDATE_RATIO_GUIDE),
            angle=0,
            pen=pg.mkPen(GUIDE_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
            label="1e-3 rule of thumb",
            # above the line, or under it when the line is in the upper half (never cut off)
            labelOpts={"position": 0.02, "color": GUIDE_COLOUR, "anchors": [(0, 0), (0, 1)]},
        )
        """The rule of thumb ``‖ΔW‖ / ‖W‖ ≈ 10⁻³`` (at log10 of it: the axis is logarithmic)."""
        self.ratio_plot.getPlotItem().addItem(self.guide)
        backdrop = QColor(self.palette().color(self.backgroundRole()))
        backdrop.setAlpha(200)
        self.guide.label.fill = pg.mkBrush(backdrop)
        self.guide.setZValue(10)  # its label stays readable over the curves
        self.markers = []
        """The current step, in both plots (as on the loss plot)."""
        for plot in (self.gradient_plot, self.ratio_plot):
            pen = pg.mkPen(MARKER_COLOR, width=1.5, style=Qt.PenStyle.DashLine)  # not a curve
            marker = pg.InfiniteLine(angle=90, movable=False, pen=pen)
            marker.hide()
            plot.getPlotItem().addItem(marker, ignoreBounds=True)
            self.markers.append(marker)
        self.gradient_marker, self.ratio_marker = self.markers
        # short: one plot at a time, chosen here
        self.show_gradient = QToolButton()
        self.show_gradient.setText("gradient norm")
        self.show_gradient.setToolTip("Gradient flow: ‖∂L/∂W‖ of each layer against the step")
        self.show_ratio = QToolButton()
        self.show_ratio.setText("update ratio")
        self.show_ratio.setToolTip("‖ΔW‖ / ‖W‖ of each layer against the step (10⁻³ is the guide)")
        self.plot_choice = QButtonGroup(self)
        for button in (self.show_gradient, self.show_ratio):
            button.setCheckable(True)
            button.setAutoRaise(True)
            self.plot_choice.addButton(button)
        self.show_gradient.setChecked(True)
        self.plot_choice.buttonToggled.connect(self._on_plot_chosen)
        self.plot_bar = QWidget()
        choice = QHBoxLayout(self.plot_bar)
        choice.setContentsMargins(0, 0, 0, 0)
        choice.setSpacing(2)
        choice.addWidget(self.show_gradient)
        choice.addWidget(self.show_ratio)
        choice.addStretch(1)
        self._gradient_box = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._gradient_box.setContentsMargins(0, 0, 0, 0)
        self._gradient_box.addWidget(self.gradient_plot, 1)
        self._gradient_box.addWidget(self.ratio_plot, 1)
        plots = QWidget()
        column = QVBoxLayout(plots)
        column.setContentsMargins(2, 2, 2, 0)
        column.setSpacing(2)
        column.addWidget(self.plot_bar)
        column.addWidget(self.legend)
        column.addLayout(self._gradient_box, 1)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(placeholder-text); padding: 12px;")
        self.gradient_pages = QStackedWidget()
        self.gradient_pages.addWidget(self.empty)
        self.gradient_pages.addWidget(plots)

        # -- distributions: a layer, three histograms
        self.layer_choice = QComboBox()
        self.layer_choice.setToolTip("The layer whose values the histograms show")
        self.layer_choice.setAccessibleName("Layer")
        self.layer_choice.currentIndexChanged.connect(self._on_layer_chosen)
        choice_label = QLabel("&Layer")
        choice_label.setBuddy(self.layer_choice)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(choice_label)
        bar.addWidget(self.layer_choice, 1)
        self.histograms = {kind: _HistogramRow(title) for kind, title in KINDS}
        self._histogram_box = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._histogram_box.setContentsMargins(0, 0, 0, 0)
        for row in self.histograms.values():
            self._histogram_box.addWidget(row, 1)
        self.distribution_tab = QWidget()
        box = QVBoxLayout(self.distribution_tab)
        box.setContentsMargins(2, 4, 2, 2)
        box.addLayout(bar)
        box.addLayout(self._histogram_box, 1)

        # -- health: the table and findings, the gradient check
        self.health_text = QTextBrowser()
        self.health_text.setOpenLinks(False)
        self.health_text.setMinimumSize(120, 60)
        self.check_text = QLabel()
        self.check_text.setWordWrap(True)
        self.check_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_box = QGroupBox("Gradient check")
        QVBoxLayout(self.check_box).addWidget(self.check_text)
        self.check_box.hide()
        self.explain_button = QPushButton("Explain the figures")
        self.explain_button.setToolTip(
            "Every figure's formula with this step's numbers, in the explanation panel"
        )
        self.explain_button.clicked.connect(self.explain_requested)
        health_tab = QWidget()
        box = QVBoxLayout(health_tab)
        box.setContentsMargins(2, 4, 2, 2)
        box.addWidget(self.health_text, 1)
        box.addWidget(self.explain_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addWidget(self.check_box)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.addTab(self.gradient_pages, "Gradients")
        self.tabs.addTab(self.distribution_tab, "Distributions")
        self.tabs.addTab(health_tab, "Health")
        self.tabs.currentChanged.connect(self._on_tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.headline)
        layout.addWidget(self.tabs, 1)
        self._arrange(short=True, wide=False, narrow=True)
        # The short arrangement's minimum whatever the arrangement now: a tall view must not
        # hold the window taller than a laptop screen until it becomes short.
        self.setMinimumSize(self.minimumSizeHint())
        self._draw_health(None, None)

    # -- the public calls ----------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw everything from the studio: curves, health, and the histograms if their tab
        is open (else when it opens). Nothing while hidden."""
        if not self.isVisible():
            return
        self._distributions_stale = True
        self._draw_series(force=True)
        self._draw_health(*self._now())
        if self.tabs.currentWidget() is self.distribution_tab:
            self._draw_distributions()

    def refresh_live(self) -> None:
        """The display tick's cheap redraw during a run: the curves when a measurement came,
        the health text and the histograms (only on their tab) at most about twice a second.
        Nothing while hidden."""
        if not self.isVisible():
            return
        self._draw_series(force=False)
        now = time.monotonic()
        health = self.studio.diagnostics.latest
        if health is not self._health_shown and now - self._health_time >= HEALTH_INTERVAL:
            self._draw_health(*self._now())
        self._distributions_stale = True
        if (
            self.tabs.currentWidget() is self.distribution_tab
            and now - self._distributions_time >= DISTRIBUTIONS_INTERVAL
        ):
            self._draw_distributions()

    def show_gradient_check(self, check: GradientCheck | None) -> None:
        """Show ``check``'s verdict, worst parameter and formula in the Health tab (and open
        that tab); ``None`` hides the box (the check no longer applies)."""
        self.check = check
        if check is None:
            self.check_box.hide()
            self.check_text.clear()
            return
        self.check_text.setText(
            gradient_check_summary(check, self.studio.network, step=self.studio.step_count)
        )
        self.check_box.show()
        self.tabs.setCurrentIndex(2)

    # -- drawing -------------------------------------------------------------------------------

    def _now(self) -> tuple[list[LayerHealth] | None, int | None]:
        """The health at the current step and that step (``Studio.health_now``); while a run
        trains in another thread, the newest measurement and its step instead (asking the
        studio would wait for a step boundary)."""
        if self.studio.running:
            log = self.studio.diagnostics
            health, step = log.latest, log.latest_step
            return health, (step if health is not None else None)
        health = self.studio.health_now()
        return health, (self.studio.step_count if health is not None else None)

    def _training_progress(self) -> TrainingProgress | None:
        """The training loss and accuracy now (``Studio.evaluation``) and step 1's loss."""
        trainer = self.studio.trainer
        first = trainer.step_losses[:1] if trainer is not None else []
        return training_progress(self.studio.evaluation, first)

    def _set_layers(self, layers: int) -> None:
        """One curve per layer in both plots, and the layer list, for ``layers`` layers."""
        if layers == self._layers:
            return
        for plot, curves in (
            (self.gradient_plot, self.gradient_curves),
            (self.ratio_plot, self.ratio_curves),
        ):
            for curve in curves:
                plot.getPlotItem().removeItem(curve)
            curves.clear()
        swatches = []
        for layer in range(layers):
            colour = LAYER_COLOURS[layer % len(LAYER_COLOURS)]
            line = "━━" if layer < len(LAYER_COLOURS) else "╍╍"  # dashed from the seventh on
            name = "output" if layer == layers - 1 else f"layer {layer + 1}"
            swatches.append(
                f'<span style="white-space:nowrap"><span style="color:{colour}"><b>{line}</b>'
                f"</span>&nbsp;{name}</span>"
            )
        self.legend.setText(" &nbsp; ".join(swatches))
        self.legend.setToolTip(", ".join(layer_title(i, layers) for i in range(layers)))
        self.legend_names = [
            "output" if i == layers - 1 else f"layer {i + 1}" for i in range(layers)
        ]
        for layer in range(layers):
            for plot, curves in (
                (self.gradient_plot, self.gradient_curves),
                (self.ratio_plot, self.ratio_curves),
            ):
                curve = plot.getPlotItem().plot([], [], pen=layer_pen(layer))
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
                curves.append(curve)
        chosen = max(self.layer_choice.currentIndex(), 0)
        self.layer_choice.blockSignals(True)
        self.layer_choice.clear()
        self.layer_choice.addItems([layer_title(i, layers) for i in range(layers)])
        self.layer_choice.setCurrentIndex(min(chosen, layers - 1))
        self.layer_choice.blockSignals(False)
        self._layers = layers

    def _draw_series(self, force: bool) -> None:
        """The curves from ``DiagnosticsLog.series()`` (only when a measurement came, unless
        ``force``); zero and non-finite figures are gaps on the log axes."""
        log = self.studio.diagnostics
        if not force and len(log) == self._measurements:
            return
        steps, grads, ratios = log.series()
        self._measurements = len(steps)
        self._last_step = int(steps[-1]) if len(steps) else None
        self._set_layers(len(self.studio.network.layers))
        if len(steps) == 0 or grads.shape[1] != self._layers:
            for curve in self.gradient_curves + self.ratio_curves:
                curve.setData([], [])
            self.gradient_pages.setCurrentIndex(0)
            return
        self.gradient_pages.setCurrentIndex(1)
        x = steps.astype(np.float64)
        symbol = "o" if len(steps) <= 50 else None  # a handful of steps reads better as dots
        for layer in range(self._layers):
            for curve, values in (
                (self.gradient_curves[layer], grads[:, layer]),
                (self.ratio_curves[layer], ratios[:, layer]),
            ):
                curve.setSymbol(symbol)
                curve.setSymbolSize(5)
                curve.setSymbolPen(None)
                curve.setSymbolBrush(LAYER_COLOURS[layer % len(LAYER_COLOURS)])
                curve.setData(x, _log_ready(values), connect="finite")
        # whole decades (padded: the end decades keep their labels), until the user pans or
        # zooms (the "A" button follows again)
        if self.gradient_plot.getPlotItem().getViewBox().autoRangeEnabled()[0]:
            for plot, values in ((self.gradient_plot, grads), (self.ratio_plot, ratios)):
                extra = [UPDATE_RATIO_GUIDE] if plot is self.ratio_plot else []
                low, high = decades(np.concatenate([values.reshape(-1), extra]))
                plot.getPlotItem().getViewBox().setYRange(low, high, padding=0.08)

    def _draw_health(self, health: list[LayerHealth] | None, step: int | None) -> None:
        """The headline, the Health tab and the step markers for ``health`` after ``step``."""
        self._health_shown = health
        self._health_step = step
        self._health_time = time.monotonic()
        self._progress = self._training_progress() if health else None
        loss = self.studio.network.loss_name if health else None
        headline = health_headline(health, loss, self._progress)
        self.headline.setVisible(bool(headline))  # empty: the tabs say what to do
        if headline:
            calm = health_is_calm(health, loss, self._progress)
            colour = HEALTHY_COLOUR if calm else PENDING_COLOR
            where = f"Step {step:,}: " if step is not None else ""
            self.headline.setText(f'{where}<span style="color:{colour}">{headline}</span>')
        self._write_health()
        self.explain_button.setEnabled(bool(health))
        for marker in self.markers:
            marker.setVisible(step is not None)
            if step is not None:
                marker.setValue(step)

    def _write_health(self) -> None:
        """The Health tab's text: a table, or a block per layer when the view is narrow."""
        health = self._health_shown
        loss = self.studio.network.loss_name if health else None
        self.health_text.setHtml(
            health_summary(
                health,
                loss=loss,
                step=self._health_step,
                progress=self._progress,
                narrow=self._narrow,
            )
        )

    def _draw_distributions(self) -> None:
        """Take the distributions (waits for a step boundary of a run) and draw the chosen
        layer's."""
        self._distributions_time = time.monotonic()
        self._distributions_stale = False
        try:
            self.distributions = self.studio.distributions()
        except StudioError as exc:
            self.distributions = None
            for row in self.histograms.values():
                row.caption.setText(f"<b>{row.title}</b>: {exc}")
                row.curve.setData([0.0, 1.0], [0])
            return
        self._set_layers(len(self.distributions))
        self._draw_chosen_layer()

    def _draw_chosen_layer(self) -> None:
        if not self.distributions:
            return
        layer = min(max(self.layer_choice.currentIndex(), 0), len(self.distributions) - 1)
        chosen = self.distributions[layer]
        rows = chosen.activations.size // max(self.studio.network.layers[layer].units, 1)
        notes = {"activations": f" on {rows:,} rows"}
        for kind, _ in KINDS:
            self.histograms[kind].show_values(getattr(chosen, kind), layer, notes.get(kind, ""))

    # -- events --------------------------------------------------------------------------------

    def _on_layer_chosen(self, _: int) -> None:
        if self.distributions is not None and len(self.distributions) == self._layers:
            self._draw_chosen_layer()

    def _on_tab_changed(self, _: int) -> None:
        if self.isVisible() and self.tabs.currentWidget() is self.distribution_tab:
            if self._distributions_stale:
                self._draw_distributions()

    def showEvent(self, event: QShowEvent) -> None:  # Qt's override name
        super().showEvent(event)
        self.refresh()

    def _on_plot_chosen(self, *_: object) -> None:
        if self._short and self._gradient_box.direction() == QBoxLayout.Direction.TopToBottom:
            self.gradient_plot.setVisible(self.show_gradient.isChecked())
            self.ratio_plot.setVisible(self.show_ratio.isChecked())

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's override name
        """Side by side when the view is much wider than tall (a wide dock); else stacked when
        tall, one gradient plot at a time when short (below ``SHORT``)."""
        super().resizeEvent(event)
        size = event.size()
        wide = size.width() >= 1.5 * size.height() and size.width() >= 600
        self._arrange(
            short=size.height() < SHORT, wide=wide, narrow=size.width() < NARROW, force=False
        )

    def _arrange(self, short: bool, wide: bool, narrow: bool, force: bool = True) -> None:
        if narrow != self._narrow:
            self._narrow = narrow
            self._write_health()
        side_by_side = wide
        one_plot = short and not wide
        histograms_across = short or wide
        if not force and (
            self._short == one_plot
            and (self._gradient_box.direction() == QBoxLayout.Direction.LeftToRight) == side_by_side
            and (self._histogram_box.direction() == QBoxLayout.Direction.LeftToRight)
            == histograms_across
        ):
            return
        self._short = one_plot
        across, down = QBoxLayout.Direction.LeftToRight, QBoxLayout.Direction.TopToBottom
        self._gradient_box.setDirection(across if side_by_side else down)
        self._histogram_box.setDirection(across if histograms_across else down)
        for row in self.histograms.values():
            row.compact = short and not wide
        if self.distributions is not None and len(self.distributions) == self._layers:
            self._draw_chosen_layer()  # the captions' length
        self.plot_bar.setVisible(one_plot)
        for plot, title in (
            (self.gradient_plot, "Gradient flow"),
            (self.ratio_plot, "Update ratio"),
        ):
            item = plot.getPlotItem()
            item.setTitle(None if one_plot else title, size="9pt")  # the toggle names it
            item.showLabel("bottom", not one_plot and (side_by_side or plot is self.ratio_plot))
        if one_plot:
            self._on_plot_chosen()
        else:
            self.gradient_plot.show()
            self.ratio_plot.show()
        plots = self.gradient_pages.widget(1)
        assert plots is not None  # the plots page, added second in __init__
        for owner in (plots, self.distribution_tab):
            layout = owner.layout()
            assert layout is not None  # both pages are given a layout in __init__
            layout.invalidate()  # a hidden tab would keep its old minimum size
            owner.updateGeometry()
