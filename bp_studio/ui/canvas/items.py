"""The scene's items: labels, nodes, a network layer's edges, the marks of the hovered and
selected edge. Each draws itself from plain values that the view sets (``set_text``,
``set_state``, ``set_weights``); none reads the network."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from bp_studio.studio.explain import format_number

if TYPE_CHECKING:
    from bp_studio.ui.canvas.colours import Colours
    from bp_studio.ui.canvas.layout import EdgeStyle

LEVELS = 8
"""Thickness (and opacity) levels of edges: ``|w| / max |w|`` rounded up to eighths."""

MIN_LABEL_PX = 9.0
"""Text is drawn only when its font is at least this many device pixels high (the tooltip
gives it when it is smaller): never a weight written 4 px tall."""

CACHE_EDGES_FROM = 48
"""An edge layer drawing more edges than this keeps its drawing as a cached pixmap: a change
of phase then fades the pixmap instead of redrawing (thick antialiased lines are slow)."""
PIXMAP_CACHE_KB = 64 * 1024


def pixel_font(base: QFont, pixels: float, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPixelSize(max(1, round(pixels)))
    font.setBold(bold)
    return font


def level_of_detail(painter: QPainter) -> float:
    return QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())


# -- items -----------------------------------------------------------------------------------


class Label(QGraphicsItem):
    """A short text anchored at a point, on an optional rounded background.

    ``align`` says where the text sits relative to its anchor (the item position):
    ``center``, ``right`` (text to the right of the anchor), ``left``, ``below`` or ``above``.
    ``role`` and ``key`` say what the label shows (``("bias", (layer, unit))``...).
    """

    PAD_X = 4.0
    PAD_Y = 1.5

    def __init__(
        self,
        role: str,
        key: tuple[int, ...],
        font: QFont,
        align: str = "center",
        min_px: float = 0.0,
        boxed: bool = True,
    ) -> None:
        super().__init__()
        self.role = role
        self.key = key
        self.align = align
        self.min_px = min_px
        self.boxed = boxed
        self._font = font
        self._metrics = QFontMetricsF(font)
        self._text = ""
        self._rect = QRectF()
        self._bounds = QRectF(-2, -2, 4, 4)
        self._text_colour = QColor("black")
        self._background: QColor | None = None
        self._border: QColor | None = None
        self._border_width = 1.0
        self._style_key: tuple = ()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        metrics = self._metrics
        if "\n" in text:
            lines = text.split("\n")
            width = max(metrics.horizontalAdvance(line) for line in lines)
            count = len(lines)
        else:
            width = metrics.horizontalAdvance(text) if text else 0.0
            count = 1 if text else 0
        height = metrics.height() * count
        w, h = width + 2 * self.PAD_X, height + 2 * self.PAD_Y
        x = {"center": -w / 2, "below": -w / 2, "above": -w / 2, "right": 0.0, "left": -w}
        y = {"center": -h / 2, "right": -h / 2, "left": -h / 2, "below": 0.0, "above": -h}
        rect = QRectF(x[self.align], y[self.align], w, h)
        if rect != self._rect:  # the same size (often, for numbers): no geometry change
            self.prepareGeometryChange()
            self._rect = rect
            self._bounds = rect.adjusted(-2, -2, 2, 2)
        self.update()

    def set_style(
        self,
        text: QColor,
        background: QColor | None = None,
        border: QColor | None = None,
        border_width: float = 1.0,
    ) -> None:
        key = (text.rgba(), background and background.rgba(), border and border.rgba())
        if key + (border_width,) == self._style_key:
            return
        self._style_key = key + (border_width,)
        self._text_colour = QColor(text)
        self._background = background
        self._border = border
        self._border_width = border_width
        self.update()

    def border_width(self) -> float:
        return self._border_width

    def set_font(self, font: QFont) -> None:
        if font == self._font:
            return
        self._font = font
        self._metrics = QFontMetricsF(font)
        text, self._text = self._text, "\0"
        self.set_text(text)

    def readable_at(self, scale: float) -> bool:
        """Whether text in this label's font is big enough to read at view scale ``scale``."""
        return self._font.pixelSize() * scale >= self.min_px

    def shown_at(self, scale: float) -> bool:
        """Whether the label is drawn at view scale ``scale`` (level of detail)."""
        return bool(self._text) and self.readable_at(scale)

    def show_if(self, wanted: bool, scale: float) -> bool:
        """Show the label when ``wanted`` and readable at ``scale``; returns whether it is.

        A hidden label costs a frame nothing (Qt skips it): the scene does not even write
        the text of labels too small to read, until the view is zoomed in.
        """
        visible = wanted and self.readable_at(scale)
        if visible != self.isVisible():
            self.setVisible(visible)
        return visible

    def text_rect(self) -> QRectF:
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self._text or not self.shown_at(level_of_detail(painter)):
            return
        if self.boxed and (self._background is not None or self._border is not None):
            pen = QPen(Qt.PenStyle.NoPen)
            if self._border is not None:
                pen = QPen(self._border, self._border_width)
                pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(self._background or Qt.BrushStyle.NoBrush)
            radius = min(self._rect.height() / 2, 6.0)
            painter.drawRoundedRect(self._rect, radius, radius)
        painter.setPen(self._text_colour)
        painter.setFont(self._font)
        flags = {"right": Qt.AlignmentFlag.AlignLeft, "left": Qt.AlignmentFlag.AlignRight}
        painter.drawText(
            self._rect.adjusted(self.PAD_X, 0, -self.PAD_X, 0),
            flags.get(self.align, Qt.AlignmentFlag.AlignHCenter) | Qt.AlignmentFlag.AlignVCenter,
            self._text,
        )


class NodeItem(QGraphicsItem):
    """One node: a circle filled by its value, with its value written inside or beside it.

    ``text_side`` is ``inside`` (big nodes: a small symbol over the value, shrunk to fit),
    ``right`` or ``left`` (small nodes: ``a=0.7514`` beside the node, drawn only when zoomed
    in far enough to read) or ``none`` (columns of hundreds of nodes: colour only).
    """

    def __init__(
        self,
        layer: int,
        unit: int,
        radius: float,
        halo_width: float,
        value_font: QFont,
        symbol_font: QFont,
        text_side: str,
    ) -> None:
        super().__init__()
        self.layer = layer
        self.unit = unit
        self.radius = radius
        self.halo_width = halo_width
        self.text_side = text_side
        self._value_font = value_font
        self._fitted_font = value_font
        self._symbol_font = symbol_font
        self._metrics = QFontMetricsF(value_font)
        self.symbol = ""
        self.value_text = ""
        self.shown_text = ""
        """What is drawn inside the node: ``value_text``, or fewer digits if it is too wide."""
        self._short: tuple[str, QFont] | None = None
        self._fill = QColor("white")
        self._border = QColor("black")
        self._ink = QColor("black")
        self._label_bg = QColor("white")
        self._text_colour = QColor("black")
        self._halo: QColor | None = None
        self._ring: QColor | None = None
        self._hover: QColor | None = None
        self._hollow = False
        self._image: QImage | None = None
        self._outside = QRectF()
        self._bounds = self._bounding_rect()
        self._key: tuple = ()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def label_text(self) -> str:
        """What the node says, e.g. ``a=0.7514`` or ``δ=0.1385`` (empty if no value yet)."""
        return f"{self.symbol}={self.value_text}" if self.value_text else ""

    def set_state(
        self,
        symbol: str,
        value_text: str,
        fill: QColor,
        border: QColor,
        ink: QColor,
        text_colour: QColor,
        label_bg: QColor,
        hollow: bool,
        halo: QColor | None,
        style_key: tuple | None = None,
    ) -> None:
        """Restyle: ``ink`` writes inside the node, ``text_colour`` on ``label_bg`` beside it.

        ``style_key`` is ``node_style_key`` of the colours, hollow and halo, if known already
        (many nodes share one style: it is cheaper to make the key once).
        """
        if style_key is None:
            style_key = node_style_key(fill, border, ink, text_colour, label_bg, hollow, halo)
        key = (symbol, value_text, style_key)
        if key == self._key:
            return
        self._key = key
        if value_text != self.value_text or symbol != self.symbol:
            self.prepareGeometryChange()
            self.symbol, self.value_text = symbol, value_text
            self._outside = self._outside_rect()
            self._bounds = self._bounding_rect()
            self._fitted_font = self._fit_inside(value_text)
        self._fill, self._border, self._ink = fill, border, ink
        self._text_colour, self._label_bg = text_colour, label_bg
        self._hollow, self._halo = hollow, halo
        self.update()

    def set_image(self, image: QImage | None) -> None:
        """What the neuron computes over the input plane, drawn in the node while it shows
        no value (between steps and while training plays), as TensorFlow Playground does."""
        if image is not self._image:
            self._image = image
            self.update()

    def set_marks(self, ring: QColor | None, hover: QColor | None) -> None:
        if (ring, hover) != (self._ring, self._hover):
            self._ring, self._hover = ring, hover
            self.update()

    def outside_width(self) -> float:
        return self._outside.width()

    def _fit_inside(self, text: str) -> QFont:
        """The value font, made smaller if ``text`` would not fit across the circle.

        The same value with fewer digits (``0.001872`` as ``0.00``) is kept as well, in the
        font it fits: it is drawn when the full text would not be readable, at the current
        zoom (``_texts``; the full value stays ``value_text``, in the tooltip).
        """
        self.shown_text = text
        if self.text_side != "inside" or not text:
            self._short = None
            return self._value_font
        font = self._font_for(text)
        shorter = _fewer_digits(text)
        self._short = None
        if shorter and len(shorter) < len(text):
            self._short = (shorter, self._font_for(shorter))
            if font.pixelSize() < 0.72 * self._value_font.pixelSize():  # full text: too tight
                self.shown_text, font = self._short
        return font

    def _font_for(self, text: str) -> QFont:
        """The value font, or smaller (to 72 %, else as needed) so ``text`` fits the circle."""
        room = 2 * self.radius - 6
        width = self._metrics.horizontalAdvance(text)
        if width <= room:
            return self._value_font
        font = QFont(self._value_font)
        font.setPixelSize(max(1, int(self._value_font.pixelSize() * room / width)))
        return font

    def _texts(self, lod: float) -> tuple[str, QFont] | None:
        """What to write inside at level of detail ``lod``: the value, or with fewer digits,
        or nothing (too small to read either way)."""
        if self._fitted_font.pixelSize() * lod >= MIN_LABEL_PX:
            return self.shown_text, self._fitted_font
        if self._short is not None and self._short[1].pixelSize() * lod >= MIN_LABEL_PX:
            return self._short
        return None

    def _outside_rect(self) -> QRectF:
        if self.text_side not in ("left", "right") or not self.value_text:
            return QRectF()
        width = self._metrics.horizontalAdvance(self.label_text()) + 2 * Label.PAD_X
        height = self._metrics.height() + 2 * Label.PAD_Y
        gap = self.halo_width + 2
        x = self.radius + gap if self.text_side == "right" else -self.radius - gap - width
        return QRectF(x, -height / 2, width, height)

    def _bounding_rect(self) -> QRectF:
        r = self.radius + self.halo_width + 6
        return QRectF(-r, -r, 2 * r, 2 * r).united(self._outside.adjusted(-2, -2, 2, 2))

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        lod = level_of_detail(painter)
        r = self.radius
        origin = QPointF(0, 0)
        if self._halo is not None:  # a disk behind the node: filling is fast, stroking is not
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._halo)
            reach = r + self.halo_width + 0.5
            painter.drawEllipse(origin, reach, reach)
        pen = QPen(self._border, 1.5)
        pen.setCosmetic(True)
        if self._hollow and self._image is not None:
            clip = QPainterPath()
            clip.addEllipse(origin, r, r)
            painter.save()
            painter.setClipPath(clip)
            painter.drawImage(QRectF(-r, -r, 2 * r, 2 * r), self._image)
            painter.restore()
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            if self._hollow:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setBrush(self._fill)
        painter.setPen(pen)
        painter.drawEllipse(origin, r, r)
        for colour, width in ((self._hover, 2.5), (self._ring, 3.5)):
            if colour is not None:
                ring = QPen(colour, width)
                ring.setCosmetic(True)
                painter.setPen(ring)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                reach = r + 3.0 / max(lod, 1e-6)
                painter.drawEllipse(origin, reach, reach)
        if not self.value_text:
            if self.text_side == "inside" and len(self.symbol) > 1 and lod * r > 8:
                painter.setPen(self._ink)  # a named input without a value: its name
                painter.setFont(self._symbol_font)
                painter.drawText(
                    QRectF(-r, -r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, self.symbol
                )
            return
        if self.text_side == "inside":
            texts = self._texts(lod)
            if texts is None:
                return
            shown, value_font = texts
            symbol_h = QFontMetricsF(self._symbol_font).height()
            value_h = QFontMetricsF(value_font).height()
            top = -(symbol_h * 0.85 + value_h) / 2
            painter.setPen(self._ink)
            painter.setFont(self._symbol_font)
            painter.drawText(
                QRectF(-r, top, 2 * r, symbol_h), Qt.AlignmentFlag.AlignCenter, self.symbol
            )
            painter.setFont(value_font)
            painter.drawText(
                QRectF(-r, top + symbol_h * 0.85, 2 * r, value_h),
                Qt.AlignmentFlag.AlignCenter,
                shown,
            )
        elif self.text_side != "none" and self._value_font.pixelSize() * lod >= MIN_LABEL_PX:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._label_bg)
            painter.drawRoundedRect(self._outside, 3, 3)
            painter.setPen(self._text_colour)
            painter.setFont(self._value_font)
            painter.drawText(self._outside, Qt.AlignmentFlag.AlignCenter, self.label_text())


def _fewer_digits(text: str) -> str:
    """``text`` (a number as ``format_number`` writes it) rounded to two decimals (``0.79``,
    ``0.00`` for a tiny probability), or to two significant digits from 10 on."""
    try:
        value = float(text.replace("\u2212", "-"))
    except ValueError:
        return ""
    if abs(value) < 10:
        return f"{value:.2f}".replace("-", "\u2212")
    return format_number(value, 2)


def node_style_key(
    fill: QColor,
    border: QColor,
    ink: QColor,
    text_colour: QColor,
    label_bg: QColor,
    hollow: bool,
    halo: QColor | None,
) -> tuple:
    """What ``NodeItem.set_state`` compares to skip restyling a node that looks the same."""
    return (
        fill.rgba(),
        border.rgba(),
        ink.rgba(),
        text_colour.rgba(),
        label_bg.rgba(),
        hollow,
        halo and halo.rgba(),
    )


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

    def paint(self, painter: QPainter, option, widget=None) -> None:
        antialiased = painter.testRenderHint(QPainter.RenderHint.Antialiasing)
        for pen, antialias, lines in self._groups:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialiased)


class InputImageItem(QGraphicsItem):
    """Many inputs drawn as an image of ``rows x columns`` cells over ``rect``.

    ``set_pixels`` gives the cells' colours (the sample's inputs, or the weights one unit
    gives them); the hovered and the selected cell get a ring, as nodes do.
    """

    def __init__(self, rect: QRectF, shape: tuple[int, int], size: int) -> None:
        super().__init__()
        self.rect = QRectF(rect)
        self.grid_shape = shape
        self.size = size
        self._image: QImage | None = None
        self._key: object = None
        self._blank = QColor("white")
        self._border = QColor("black")
        self._grid = QColor("grey")
        self._marks: list[tuple[int, QColor, float]] = []
        self._bounds = self.rect.adjusted(-6, -6, 6, 6)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_style(self, blank: QColor, border: QColor, grid: QColor) -> None:
        if (blank.rgba(), border.rgba(), grid.rgba()) != (
            self._blank.rgba(),
            self._border.rgba(),
            self._grid.rgba(),
        ):
            self._blank, self._border, self._grid = QColor(blank), QColor(border), QColor(grid)
            self.update()

    def set_pixels(self, pixels: np.ndarray | None, key: object) -> None:
        """``pixels``: uint8 RGB ``(size, 3)`` in input order (``None``: blank cells).

        ``key`` says what they show; the same key again costs nothing.
        """
        if key == self._key and (pixels is None) == (self._image is None):
            return
        self._key = key
        if pixels is None:
            self._image = None
        else:
            rows, columns = self.grid_shape
            grid = np.empty((rows * columns, 3), dtype=np.uint8)
            grid[:] = (self._blank.red(), self._blank.green(), self._blank.blue())
            grid[: self.size] = pixels
            data = np.ascontiguousarray(grid.reshape(rows, columns, 3)).tobytes()
            image = QImage(data, columns, rows, 3 * columns, QImage.Format.Format_RGB888)
            self._image = image.copy()
        self.update()

    def image(self) -> QImage | None:
        """The cells as drawn, one pixel each (``None`` while blank)."""
        return None if self._image is None else QImage(self._image)

    def set_marks(self, marks: list[tuple[int, QColor, float]]) -> None:
        """``(input, colour, width)`` rings around cells (hover, selection)."""
        key = [(cell, colour.rgba(), width) for cell, colour, width in marks]
        if key != [(c, colour.rgba(), w) for c, colour, w in self._marks]:
            self._marks = list(marks)
            self.update()

    def cell_rect(self, index: int) -> QRectF:
        rows, columns = self.grid_shape
        cell = self.rect.width() / columns
        row, column = divmod(index, columns)
        return QRectF(self.rect.left() + column * cell, self.rect.top() + row * cell, cell, cell)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        lod = level_of_detail(painter)
        if self._image is None:
            painter.fillRect(self.rect, self._blank)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(self.rect, self._image)
        rows, columns = self.grid_shape
        cell = self.rect.width() / columns
        if cell * lod >= 9:  # cell borders, once cells are big enough to tell apart
            pen = QPen(self._grid, 1)
            pen.setCosmetic(True)
            painter.setPen(pen)
            left, top, right, bottom = (
                self.rect.left(),
                self.rect.top(),
                self.rect.right(),
                self.rect.bottom(),
            )
            painter.drawLines(
                [QLineF(left + c * cell, top, left + c * cell, bottom) for c in range(1, columns)]
                + [QLineF(left, top + r * cell, right, top + r * cell) for r in range(1, rows)]
            )
        pen = QPen(self._border, 1.5)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(self.rect)
        for index, colour, width in self._marks:
            ring = QPen(colour, width)
            ring.setCosmetic(True)
            painter.setPen(ring)
            painter.drawRect(self.cell_rect(index))


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

    def paint(self, painter: QPainter, option, widget=None) -> None:
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
