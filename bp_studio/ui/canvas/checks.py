"""Gradient-check colouring: each edge drawn by the relative error of its weight's gradient.

For a checked parameter ``i`` (``engine.gradcheck``)::

    r_i = |g_i − g_num,i| / max(|g_i|, |g_num,i|, floor)

On a log scale: green below the check's tolerance (backpropagation agrees), amber from the
tolerance on, through to red at ``RED_ERROR`` and above (a wrong derivative); grey for a
weight that was not checked (a large network is checked on a random sample), dotted for one
left out of the verdict because its perturbation crossed a kink of the activation. The
parameter with the largest error is drawn with a glow (a bias: a ring round its node).

``error_levels`` turns errors into pen levels, ``check_pens`` gives the pens, and
``GradientCheckItem`` draws every edge of the network in a few batches of lines while the
weight-coloured edge layers are hidden.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from bp_studio.engine import Network
from bp_studio.engine.gradcheck import GradientCheck
from bp_studio.ui.canvas.colours import Colours, mix

RED_ERROR = 1e-2
"""Relative errors from this on are drawn full red: float64 differences give about 1e-7 for
a correct gradient, 1e-2 or more means a wrong derivative."""
CHECK_LEVELS = 6
"""Pen levels: 0 below the tolerance (green), 1 … 4 amber to red on ``log10 r``, 5 at
``RED_ERROR`` and above; ``UNCHECKED`` (−1) for parameters not checked."""
UNCHECKED = -1


def error_levels(errors: np.ndarray, tolerance: float) -> np.ndarray:
    """The pen level of each relative error (any shape; NaN: ``UNCHECKED``).

    ``level = 1 + floor(3.999 (log10 r − log10 tol) / (log10 RED_ERROR − log10 tol))`` for
    ``tol <= r < RED_ERROR``: four amber-to-red steps of equal width in ``log10 r``.
    """
    errors = np.asarray(errors, dtype=np.float64)
    levels = np.full(errors.shape, UNCHECKED, dtype=np.intp)
    checked = ~np.isnan(errors)
    levels[checked] = 0
    low, high = math.log10(tolerance), math.log10(max(RED_ERROR, tolerance * 10))
    failing = checked & (errors >= tolerance)
    with np.errstate(divide="ignore", invalid="ignore"):
        position = (np.log10(np.where(failing, errors, tolerance)) - low) / (high - low)
    steps = 1 + np.floor(np.clip(position, 0.0, 0.9999) * (CHECK_LEVELS - 2)).astype(np.intp)
    levels[failing] = steps[failing]
    levels[checked & (errors >= RED_ERROR)] = CHECK_LEVELS - 1
    return levels


def check_colour(level: int, colours: Colours) -> QColor:
    """Green (level 0), amber (1) through red (``CHECK_LEVELS − 1``), grey (unchecked)."""
    if level == UNCHECKED:
        return QColor(colours.faint)
    if level == 0:
        return QColor("#66bd63" if colours.dark else "#1a9850")
    amber, red = QColor("#f0a030"), QColor("#e34a33" if colours.dark else "#c62a1c")
    return mix(amber, red, (level - 1) / (CHECK_LEVELS - 2))


def check_pen(level: int, kink: bool, colours: Colours) -> QPen:
    """The pen of an edge at ``level``: wider the worse it is; dotted near a kink."""
    width = 1.0 if level == UNCHECKED else 2.0 + 0.35 * max(level, 0)
    pen = QPen(check_colour(level, colours), width)
    pen.setCosmetic(True)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    if kink:
        pen.setStyle(Qt.PenStyle.DotLine)
    return pen


def worst_pen(colours: Colours, level: int = CHECK_LEVELS - 1) -> tuple[QPen, QPen]:
    """``(glow, line)`` of the parameter with the largest error, in its level's colour (a
    check that passed glows green: its worst is still a good gradient)."""
    red = check_colour(level, colours)
    glow_colour = QColor(red)
    glow_colour.setAlphaF(0.35)
    glow = QPen(glow_colour, 11.0)
    glow.setCosmetic(True)
    glow.setCapStyle(Qt.PenCapStyle.RoundCap)
    line = QPen(red, 3.5)
    line.setCosmetic(True)
    line.setCapStyle(Qt.PenCapStyle.RoundCap)
    return glow, line


def parameter_offsets(network: Network) -> list[tuple[int, int | None]]:
    """Per layer ``(first weight, first bias or None)``: flat indices into
    ``network.parameters`` (weight ``[j, i]`` is at ``first + j * inputs + i``)."""
    offsets: dict[str, int] = {
        name: int(where.start) for name, where, _ in network.parameter_slices()
    }
    return [
        (offsets[f"layers.{index}.weight"], offsets.get(f"layers.{index}.bias"))
        for index in range(len(network.layers))
    ]


def layer_kinks(check: GradientCheck, network: Network) -> list[np.ndarray]:
    """Per layer ``(units, inputs)`` bool: the weight was checked and left out as near a kink."""
    full = np.zeros(check.parameters, dtype=bool)
    full[check.indices] = check.near_kink
    out = []
    for (weight, _), layer in zip(parameter_offsets(network), network.layers):
        size = layer.units * layer.inputs
        out.append(full[weight : weight + size].reshape(layer.units, layer.inputs))
    return out


class GradientCheckItem(QGraphicsItem):
    """Every edge of the network in its gradient-check pen, and the worst parameter's glow.

    ``set_lines`` takes ``(pen, lines)`` batches drawn in order (unchecked first, the worst
    errors on top) and the worst parameter's mark: a line (a weight) or a circle (``(centre,
    radius)``, round the node a bias feeds). Hidden while no check is shown; its drawing is
    kept as a device-coordinate pixmap (the check does not change while it is shown).
    """

    def __init__(self, rect: QRectF) -> None:
        super().__init__()
        self._rect = QRectF(rect)
        self._batches: list[tuple[QPen, list[QLineF]]] = []
        self._worst: QLineF | tuple[QPointF, float] | None = None
        self._worst_pens: tuple[QPen, QPen] | None = None
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setVisible(False)

    def set_lines(
        self,
        batches: list[tuple[QPen, list[QLineF]]],
        worst: QLineF | tuple[QPointF, float] | None,
        worst_pens: tuple[QPen, QPen] | None,
    ) -> None:
        self._batches, self._worst, self._worst_pens = batches, worst, worst_pens
        self.setVisible(True)
        self.update()

    def clear(self) -> None:
        self._batches, self._worst = [], None
        self.setVisible(False)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        for pen, lines in self._batches:
            painter.setPen(pen)
            painter.drawLines(lines)
        if self._worst is None or self._worst_pens is None:
            return
        glow, line = self._worst_pens
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if isinstance(self._worst, QLineF):
            painter.setPen(glow)
            painter.drawLine(self._worst)
            painter.setPen(line)
            painter.drawLine(self._worst)
        else:
            centre, radius = self._worst
            for pen in (glow, line):
                painter.setPen(pen)
                painter.drawEllipse(centre, radius, radius)
