"""A network layer's edges: which are drawn (``Thinning``), with which pen (``edge_buckets``),
drawn in a few batches of lines (``EdgeLayerItem``), and the hovered and selected edge
(``EdgeMarksItem``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from bp_studio.ui.canvas.items import CACHE_EDGES_FROM, LEVELS

if TYPE_CHECKING:
    from bp_studio.ui.canvas.colours import Colours
    from bp_studio.ui.canvas.layout import EdgeStyle


@dataclass(frozen=True)
class Thinning:
    """Which edges a layer too big to draw whole draws: the ``per_unit`` strongest into each
    unit (every unit shows where it listens) and the ``strongest`` of the whole layer (no
    weight that is a large share of its layer fades to nothing)."""

    per_unit: int
    strongest: int

    def drawn(self, magnitude: np.ndarray) -> np.ndarray:
        """Flat indices (increasing) of the edges drawn for ``|w|`` ``(units, inputs)``
        (NaN counts as the largest, as numpy sorts it)."""
        size = magnitude.size
        if self.strongest >= size:
            return np.arange(size)
        rows = strongest_per_row(magnitude, self.per_unit)
        if self.strongest <= 0:
            return rows
        top = np.argpartition(magnitude.ravel(), size - self.strongest)[size - self.strongest :]
        keep = np.zeros(size, dtype=bool)
        keep[rows] = True
        keep[top] = True
        return np.flatnonzero(keep)


def strongest_per_row(magnitude: np.ndarray, k: int) -> np.ndarray:
    """Flat indices of the ``k`` largest entries of each row of ``magnitude`` ``(rows, n)``,
    row by row, in increasing order (NaN counts as largest).

    ``k`` passes of ``argmax`` over a copy (cheaper than ``argpartition`` for a few).
    """
    rows, n = magnitude.shape
    index = np.arange(rows)
    if k > 2:  # one partial sort of every row (NaN sorts last, as the largest)
        picked = np.argpartition(magnitude, n - k, axis=1)[:, n - k :]
    else:  # a pass or two of argmax (which takes NaN as the largest too)
        work = magnitude.copy() if k > 1 else magnitude
        picked = np.empty((rows, k), dtype=np.intp)
        for column in range(k):
            best = np.argmax(work, axis=1)
            picked[:, column] = best
            if column + 1 < k:
                work[index, best] = -1.0
    picked.sort(axis=1)
    picked += (index * n)[:, None]
    return picked.ravel()


def edge_buckets(weight: np.ndarray, max_abs: float) -> np.ndarray:
    """Each edge's pen: ``2 * level + (w < 0)``, ``level = floor(LEVELS |w| / max)`` (capped).

    ``weight`` is ``(units, inputs)``; the result is flat, in ``weight.ravel()`` order.
    """
    flat = np.asarray(weight, dtype=np.float64).ravel()
    if max_abs > 0 and math.isfinite(max_abs):
        magnitude = np.abs(flat) / max_abs * LEVELS
        level = np.fmin(magnitude, LEVELS - 1, out=magnitude).astype(np.intp)  # NaN -> top
    else:
        level = np.zeros(flat.shape, dtype=np.intp)
    level *= 2
    level += flat < 0
    return level


class EdgeLayerItem(QGraphicsItem):
    """All edges of network layer ``index``, drawn as a few batches of lines (one per pen).

    Edge ``e = unit * inputs + input`` joins input node ``input`` (column ``index``) to node
    ``unit`` (column ``index + 1``), like ``weight.ravel()``. A change of weights costs a few
    numpy operations (which pen each edge takes) and, only when some edge changes pen, new
    batches of lines. With ``thinning`` set, only some edges are drawn: the strongest into
    each unit and the layer's strongest (``Thinning``), what a person can tell apart among
    thousands. Big layers keep their
    drawing in device coordinates and redraw it only when a pen changes, so stepping through
    the phases of a big network costs a copy of the cached pixels, not thousands of lines.
    """

    def __init__(
        self,
        index: int,
        sources: np.ndarray,
        targets: np.ndarray,
        thinning: Thinning | None = None,
    ) -> None:
        super().__init__()
        self.index = index
        self.inputs = len(sources)
        self.units = len(targets)
        if thinning is not None and thinning.per_unit >= self.inputs:
            thinning = None
        self.thinning = thinning
        start = np.repeat(sources[None, :, :], self.units, axis=0).reshape(-1, 2)
        end = np.repeat(targets[:, None, :], self.inputs, axis=1).reshape(-1, 2)
        self.start, self.end = start, end
        self._line_array: np.ndarray | None = None
        self._line_cache: dict[int, QLineF] = {}
        if thinning is None:  # every edge is drawn some time: make its line once
            self._line_array = np.empty(len(start), dtype=object)
            self._line_array[:] = [QLineF(x0, y0, x1, y1) for (x0, y0), (x1, y1) in zip(start, end)]
        self.drawn: np.ndarray | None = None
        """The edges drawn (flat indices, by unit); ``None``: all of them."""
        self._rect = _bounds(start, end, 8)
        self._groups: list[tuple[QPen, bool, list[QLineF]]] = []
        self._pens: list[QPen] = []
        self._pen_of_edge = np.zeros(len(start), dtype=np.intp)
        self._bucket_key = b""
        self._pens_key: tuple = ()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        drawn = len(start)
        if thinning is not None:
            drawn = min(drawn, thinning.per_unit * self.units + thinning.strongest)
        self.cached = drawn > CACHE_EDGES_FROM
        if self.cached:
            self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    @property
    def edges(self) -> int:
        return len(self.start)

    def line(self, edge: int) -> QLineF:
        """The line of edge ``unit * inputs + input``."""
        if self._line_array is not None:
            return self._line_array[edge]
        return self.lines(np.array([edge]))[0]

    def lines(self, edges: np.ndarray) -> list[QLineF]:
        """The lines of ``edges`` (flat indices), made once each and kept."""
        if self._line_array is not None:
            return self._line_array[edges].tolist()
        cache = self._line_cache
        missing = [edge for edge in edges.tolist() if edge not in cache]
        if missing:
            if len(cache) > 8 * CACHE_EDGES_FROM:
                cache.clear()
                missing = edges.tolist()
            ends = np.hstack([self.start[missing], self.end[missing]]).tolist()
            cache.update(zip(missing, (QLineF(*xy) for xy in ends)))
        return [cache[edge] for edge in edges.tolist()]

    def set_weights(
        self,
        weight: np.ndarray,
        colours: Colours,
        style: EdgeStyle,
        fade: float,
    ) -> None:
        """Restyle for ``weight`` ``(units, inputs)``: sign -> colour, ``|w| / max`` -> pen.

        ``max`` is the largest ``|w|`` of this layer: every layer's strongest edge is drawn
        at full strength.
        """
        weight = np.asarray(weight, dtype=np.float64)
        magnitude = np.abs(weight)
        drawn = None
        if self.thinning is None:
            max_abs = float(magnitude.max()) if magnitude.size else 0.0
        else:
            drawn = self.thinning.drawn(magnitude)
            max_abs = float(magnitude.ravel()[drawn].max())
        if not math.isfinite(max_abs):  # NaN or inf: scale by the finite ones
            finite = magnitude[np.isfinite(magnitude)]
            max_abs = float(finite.max()) if finite.size else 0.0
        # the pens of the edges drawn (of every edge when the layer is drawn whole)
        shown = edge_buckets(weight if drawn is None else weight.ravel()[drawn], max_abs)
        if self.cached:  # fade the cached pixmap: no redraw when only the fade changes
            self.setOpacity(fade)
            fade = 1.0
        pens = style.pens(colours, fade)
        bucket_key = shown.tobytes() if drawn is None else shown.tobytes() + drawn.tobytes()
        pens_key = (colours.key, id(style), fade)
        if bucket_key == self._bucket_key and pens_key == self._pens_key:
            return
        self._bucket_key, self._pens_key = bucket_key, pens_key
        self._pens = pens
        self._pen_of_edge = shown
        self.drawn = drawn
        order = np.argsort(shown, kind="stable")
        if drawn is not None:
            order = drawn[order]
        bounds = np.zeros(2 * LEVELS + 1, dtype=np.intp)
        np.cumsum(np.bincount(shown, minlength=2 * LEVELS), out=bounds[1:])
        picked = self.lines(order)  # the lines, weakest pen first
        groups = []
        # Weak levels first, strong on top. Within a level, positive and negative edges take
        # turns in slices, so that neither colour is always drawn over the other.
        for level in range(LEVELS):
            slices = []
            for bucket_index in (2 * level, 2 * level + 1):
                pen = pens[bucket_index]
                first, last = int(bounds[bucket_index]), int(bounds[bucket_index + 1])
                count = last - first
                if count and pen.color().alpha() > 0:
                    antialias = pen.widthF() >= style.antialias_from
                    parts = max(1, min(4, count // 64))
                    cuts = [first + count * part // parts for part in range(parts + 1)]
                    slices.append(
                        [(pen, antialias, picked[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
                    )
            for turn in range(max((len(parts) for parts in slices), default=0)):
                groups += [parts[turn] for parts in slices if turn < len(parts)]
        self._groups = groups
        self.update()

    def _drawn_index(self, unit: int, input: int) -> int | None:
        """Where edge ``(unit, input)`` is among those drawn (``None``: not drawn)."""
        edge = unit * self.inputs + input
        if self.drawn is None:
            return edge
        index = int(np.searchsorted(self.drawn, edge))
        return index if index < len(self.drawn) and self.drawn[index] == edge else None

    def is_drawn(self, unit: int, input: int) -> bool:
        """Whether edge ``(unit, input)`` is one of those drawn (see ``thinning``)."""
        return self._drawn_index(unit, input) is not None

    def pen(self, unit: int, input: int) -> QPen:
        """The pen edge ``(unit, input)`` is drawn with (transparent if it is not drawn)."""
        index = self._drawn_index(unit, input)
        if not self._pens or index is None:
            return QPen(QColor(0, 0, 0, 0))
        return QPen(self._pens[int(self._pen_of_edge[index])])

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        antialiased = painter.testRenderHint(QPainter.RenderHint.Antialiasing)
        for pen, antialias, lines in self._groups:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialiased)


class EdgeMarksItem(QGraphicsItem):
    """The hovered and the selected edge, drawn over the (cached) edges with a glow."""

    def __init__(self, rect: QRectF) -> None:
        super().__init__()
        self._rect = rect
        self._marks: list[tuple[QLineF, QPen, QPen]] = []
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_marks(self, marks: list[tuple[QLineF, QPen, QPen]]) -> None:
        """``(line, glow pen, pen)`` for each highlighted edge."""
        key = [(line, glow.color().rgba(), glow.widthF()) for line, glow, _ in marks]
        if key != getattr(self, "_marks_key", None):
            self._marks_key = key
            self._marks = marks
            self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        for line, glow, pen in self._marks:
            painter.setPen(glow)
            painter.drawLine(line)
            painter.setPen(pen)
            painter.drawLine(line)


def _bounds(start: np.ndarray, end: np.ndarray, margin: float) -> QRectF:
    both = np.vstack([start, end])
    low, high = both.min(axis=0), both.max(axis=0)
    return QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1]).adjusted(
        -margin, -margin, margin, margin
    )
