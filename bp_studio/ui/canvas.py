"""The network canvas: columns of nodes joined by weighted edges, drawn from a ``Moment``.

Node layer ``l`` is column ``l`` (0 = inputs). Network layer ``k`` (weights ``(units, inputs)``)
is drawn as the edges between columns ``k`` and ``k + 1``: edge ``(k, j, i)`` shows
``weight[j, i]``, coloured by sign (blue positive, orange negative: a colour-blind-safe
diverging pair) and thickened and made opaque by ``|w| / max |w|`` over the whole network.
A node's fill shows the value ``Moment.node_value`` gives it (``a`` in forward, error and
update, ``delta = dL/dz`` in backward) on the same diverging scale, white at 0.

Drawing is cheap to restyle: ``set_moment`` rebuilds the scene only when the architecture
changes. Each network layer's edges are one item that draws all its lines with a few pens
(one per sign and thickness level), and edges are hit-tested with numpy (nearest segment).

Big networks stay readable: short columns spread over the height of the tallest (the 10
outputs of 64-32-10 become big circles with their values inside), weak edges fade (opacity
``~ (|w| / max)^2``), the labels of small nodes appear only once zoomed in far enough to read
them (level of detail), and edge layers of more than 300 edges keep their drawing as a
pixmap that a change of phase only fades instead of redrawing.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPixmapCache,
    QTransform,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QInputDialog,
    QStyleOptionGraphicsItem,
    QToolTip,
    QWidget,
)

from bp_studio.engine import Network, Phase
from bp_studio.studio.moment import Moment, Selection

EDGE_LABEL_LIMIT = 40
"""Networks with at most this many edges (and at most 12 nodes a column) label every edge."""

LEVELS = 8
"""Thickness (and opacity) levels of edges: ``|w| / max |w|`` rounded up to eighths."""

MIN_LABEL_PX = 9.0
"""A label is drawn only when its font is at least this many device pixels high."""

CLICK_SLOP_PX = 4
"""A press and release closer than this (in pixels) is a click, not a drag."""

EDGE_HIT_PX = 5.0
NODE_HIT_PX = 3.0
FIT_MARGIN_PX = 12
ALIASED_MIN_WIDTH = 1.01
"""Aliased edges are never thinner: Qt's raster engine draws a cosmetic line 1 px or thinner
with its one-pixel stroker, 2-3x slower per line than a wider one (which rasterises as a
polygon) and no thinner on screen: either way the line is one pixel wide."""
CACHE_EDGES_FROM = 300
"""An edge layer with more edges than this keeps its drawing as a cached pixmap."""
PIXMAP_CACHE_KB = 64 * 1024


def fmt(value: float) -> str:
    """Four significant digits, the way every number on the canvas is printed."""
    return f"{value:.4g}"


# -- colours ---------------------------------------------------------------------------------


class Colours:
    """The canvas's colours, taken from the widget palette (light or dark)."""

    def __init__(self, palette: QPalette) -> None:
        self.background = palette.color(QPalette.ColorRole.Base)
        self.text = palette.color(QPalette.ColorRole.Text)
        self.dark = self.background.lightnessF() < 0.5
        if self.dark:
            self.positive = QColor("#4f9bd9")
            self.negative = QColor("#f28e2b")
            self.active = QColor("#c39bd3")
        else:
            self.positive = QColor("#2166ac")
            self.negative = QColor("#e66101")
            self.active = QColor("#7b3294")
        self.zero = QColor("#f7f7f7")
        self.selection = palette.color(QPalette.ColorRole.Highlight)
        if self.selection.lightnessF() > 0.8 or _close(self.selection, self.positive):
            self.selection = QColor("#1a9850") if not self.dark else QColor("#66bd63")
        self.accent = self.active.lighter(115) if self.dark else self.active
        self.faint = mix(self.background, self.text, 0.45)
        self.key = (self.background.rgba(), self.text.rgba(), self.selection.rgba())
        # opaque: translucent fills and strokes are slow in Qt's raster engine
        self.band = mix(self.background, self.active, 0.18 if self.dark else 0.10)
        self.halo = mix(self.band, self.active, 0.6)
        self.border = mix(self.background, self.text, 0.7)
        self.label_background = QColor(self.background)

    def faded(self, colour: QColor, strength: float) -> QColor:
        """``colour`` drawn at ``strength`` (0..1) over the background, but opaque."""
        return colour if strength >= 1.0 else mix(self.background, colour, strength)

    def sign(self, value: float) -> QColor:
        return self.negative if value < 0 else self.positive

    def diverging(self, value: float) -> QColor:
        """``value`` in ``[-1, 1]``: orange (negative) through white (0) to blue (positive)."""
        t = min(1.0, abs(value))
        return mix(self.zero, self.sign(value), t)


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """The colour ``(1 - t) a + t b`` (alpha included)."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        a.alphaF() + (b.alphaF() - a.alphaF()) * t,
    )


def _close(a: QColor, b: QColor) -> bool:
    return abs(a.hueF() - b.hueF()) < 0.06 and a.hslSaturationF() > 0.3


def luminance(colour: QColor) -> float:
    return 0.2126 * colour.redF() + 0.7152 * colour.greenF() + 0.0722 * colour.blueF()


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

    def shown_at(self, scale: float) -> bool:
        """Whether the label is drawn at view scale ``scale`` (level of detail)."""
        return bool(self._text) and self._font.pixelSize() * scale >= self.min_px

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
        """The value font, made smaller if ``text`` would not fit across the circle."""
        if self.text_side != "inside" or not text:
            return self._value_font
        room = 2 * self.radius - 6
        width = self._metrics.horizontalAdvance(text)
        if width <= room:
            return self._value_font
        font = QFont(self._value_font)
        shrink = max(0.72, room / width)
        font.setPixelSize(max(6, int(self._value_font.pixelSize() * shrink)))
        return font

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
            if self._fitted_font.pixelSize() * lod < 5:
                return
            symbol_h = QFontMetricsF(self._symbol_font).height()
            value_h = QFontMetricsF(self._fitted_font).height()
            top = -(symbol_h * 0.85 + value_h) / 2
            painter.setPen(self._ink)
            painter.setFont(self._symbol_font)
            painter.drawText(
                QRectF(-r, top, 2 * r, symbol_h), Qt.AlignmentFlag.AlignCenter, self.symbol
            )
            painter.setFont(self._fitted_font)
            painter.drawText(
                QRectF(-r, top + symbol_h * 0.85, 2 * r, value_h),
                Qt.AlignmentFlag.AlignCenter,
                self.value_text,
            )
        elif self.text_side != "none" and self._value_font.pixelSize() * lod >= MIN_LABEL_PX:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._label_bg)
            painter.drawRoundedRect(self._outside, 3, 3)
            painter.setPen(self._text_colour)
            painter.setFont(self._value_font)
            painter.drawText(self._outside, Qt.AlignmentFlag.AlignCenter, self.label_text())


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
    ``unit`` (column ``index + 1``), like ``weight.ravel()``. The ``QLineF`` of every edge is
    made once (positions change only when the scene is rebuilt); a change of weights costs a
    few numpy operations (which pen each edge takes) and, only when some edge changes pen,
    new batches picked from those lines. Big layers keep their drawing in device coordinates
    and redraw it only when a pen changes, so stepping through the phases of a big network
    costs a copy of the cached pixels, not thousands of lines.
    """

    def __init__(self, index: int, sources: np.ndarray, targets: np.ndarray) -> None:
        super().__init__()
        self.index = index
        self.inputs = len(sources)
        self.units = len(targets)
        start = np.repeat(sources[None, :, :], self.units, axis=0).reshape(-1, 2)
        end = np.repeat(targets[:, None, :], self.inputs, axis=1).reshape(-1, 2)
        self.start, self.end = start, end
        self.lines = [QLineF(x0, y0, x1, y1) for (x0, y0), (x1, y1) in zip(start, end)]
        self._line_array = np.empty(len(self.lines), dtype=object)
        self._line_array[:] = self.lines
        self._rect = _bounds(start, end, 8)
        self._groups: list[tuple[QPen, bool, list[QLineF]]] = []
        self._pens: list[QPen] = []
        self._pen_of_edge = np.zeros(len(self.lines), dtype=np.intp)
        self._bucket_key = b""
        self._pens_key: tuple = ()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.cached = len(self.lines) > CACHE_EDGES_FROM
        if self.cached:
            self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_weights(
        self,
        weight: np.ndarray,
        max_abs: float,
        colours: Colours,
        style: EdgeStyle,
        fade: float,
    ) -> None:
        """Restyle for ``weight`` ``(units, inputs)``: sign -> colour, ``|w|/max`` -> pen."""
        bucket = edge_buckets(weight, max_abs)
        if self.cached:  # fade the cached pixmap: no redraw when only the fade changes
            self.setOpacity(fade)
            fade = 1.0
        pens = style.pens(colours, fade)
        bucket_key = bucket.tobytes()
        pens_key = (colours.key, id(style), fade)
        if bucket_key == self._bucket_key and pens_key == self._pens_key:
            return
        self._bucket_key, self._pens_key = bucket_key, pens_key
        self._pens = pens
        self._pen_of_edge = bucket
        order = np.argsort(bucket, kind="stable")
        bounds = np.zeros(2 * LEVELS + 1, dtype=np.intp)
        np.cumsum(np.bincount(bucket, minlength=2 * LEVELS), out=bounds[1:])
        picked = self._line_array[order].tolist()  # the lines, weakest pen first
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

    def pen(self, unit: int, input: int) -> QPen:
        """The pen edge ``(unit, input)`` is drawn with."""
        return QPen(self._pens[int(self._pen_of_edge[unit * self.inputs + input])])

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        antialiased = painter.testRenderHint(QPainter.RenderHint.Antialiasing)
        for pen, antialias, lines in self._groups:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialias)
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialiased)


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


# -- layout ----------------------------------------------------------------------------------


class EdgeStyle:
    """How ``|w| / max |w|`` (``share``) becomes an edge's pen: width (px) and opacity.

    Small networks keep every edge visible; big ones let weak edges fade almost away
    (opacity ``~ share^2``) so that the strong connections stand out. Opacity is drawn as an
    opaque colour pre-mixed with the background: Qt's raster engine strokes translucent
    antialiased lines many times slower. In big networks the thinnest lines are drawn
    without antialiasing and the invisible ones not at all: below ``visible_from`` opacity.
    That is the weakest level of a big network (``|w| < max |w| / 8``, opacity 0.045): a third
    to a half of its edges once trained and as much of its drawing time, for lines within
    4 % of the background that the stronger edges drawn over them cover almost entirely (at
    1280 x 800, 64-32-10 trained: 0.3 % of the edge pixels change, by at most 11 / 255).
    """

    def __init__(self, edges: int) -> None:
        self.antialias_from = 0.0 if edges <= 300 else 2.5
        self.visible_from = 0.04
        if edges <= 100:
            self.widths, self.min_alpha, self.gamma = (0.5, 6.0), 0.45, 1.0
        elif edges <= 600:
            self.widths, self.min_alpha, self.gamma = (0.5, 4.5), 0.12, 1.5
        else:
            self.widths, self.min_alpha, self.gamma = (0.5, 3.0), 0.03, 2.0
            self.visible_from = 0.05
        self._pens: dict[tuple, list[QPen]] = {}

    def width(self, share: float) -> float:
        """The pen width; aliased lines are at least ``ALIASED_MIN_WIDTH`` (see there)."""
        width = self.widths[0] + (self.widths[1] - self.widths[0]) * share
        if width < self.antialias_from:
            width = max(width, ALIASED_MIN_WIDTH)
        return width

    def alpha(self, share: float) -> float:
        return self.min_alpha + (1 - self.min_alpha) * share**self.gamma

    def pens(self, colours: Colours, fade: float) -> list[QPen]:
        """The pens of the ``2 * LEVELS`` buckets (made once per colours and fade)."""
        key = (colours.key, fade)
        pens = self._pens.get(key)
        if pens is None:
            if len(self._pens) > 32:
                self._pens.clear()
            pens = [self.pen(bucket, colours, fade) for bucket in range(2 * LEVELS)]
            self._pens[key] = pens
        return pens

    def pen(self, bucket: int, colours: Colours, fade: float) -> QPen:
        """The pen of bucket ``2 * level + (w < 0)``; transparent if it would not show."""
        share = (bucket // 2 + 1) / LEVELS
        colour = QColor(colours.negative if bucket % 2 else colours.positive)
        alpha = min(1.0, self.alpha(share) * fade)
        if alpha >= self.visible_from:
            colour = mix(colours.background, colour, alpha)
        else:
            colour = QColor(0, 0, 0, 0)
        pen = QPen(colour, self.width(share))
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen


class Column:
    """One column of nodes: its x, node centres ``ys``, node radius and fonts.

    Columns shorter than the tallest spread over its height, so their nodes can be bigger;
    a ``roomy`` column (radius >= 24) writes values inside its nodes and biases below them,
    a compact one writes them beside the nodes, readable once zoomed in.
    """

    def __init__(self, x: float, size: int, span: float, base: float) -> None:
        self.x = x
        self.size = size
        self.spacing = 118.0 if size <= 1 else min(118.0, max(base, span / (size - 1)))
        self.ys = (np.arange(size) - (size - 1) / 2) * self.spacing
        self.radius = min(32.0, max(min(5.0, self.spacing * 0.45), self.spacing * 0.3))
        self.roomy = self.radius >= 24
        self.labelled = self.spacing >= 8  # hundreds of nodes: colours only, no text
        r = self.radius
        self.halo = max(5.0, r * 0.22) if self.roomy else max(1.5, min(4.0, self.spacing / 2 - r))

    def set_fonts(self, base_font: QFont, zoom: float) -> None:
        r = self.radius
        if self.roomy:
            self.label_font = pixel_font(base_font, 13 * zoom)
            self.value_font = pixel_font(base_font, min(16 * zoom, r * 0.55), bold=True)
            self.symbol_font = pixel_font(base_font, min(11 * zoom, r * 0.4))
            self.error_font = pixel_font(base_font, 14 * zoom)
        else:
            small = max(1.0, min(14.0, self.spacing * 0.45))
            self.label_font = self.value_font = self.symbol_font = pixel_font(base_font, small)
            self.error_font = self.label_font

    @property
    def top(self) -> float:
        return float(self.ys[0]) - self.radius

    @property
    def bottom(self) -> float:
        return float(self.ys[-1]) + self.radius

    def error_text(self, t: float, o: float, e: float) -> str:
        """An output node's target, output and error (three lines beside big nodes)."""
        sep = "\n" if self.roomy else "  "
        return f"t={fmt(t)}{sep}o={fmt(o)}{sep}e={fmt(e)}"


class Layout:
    """Where everything goes, from the architecture alone (scene units ~ pixels at scale 1).

    Fonts are sized for a nominal 1280 x 800 view: the taller the network, the smaller it is
    drawn, so the larger its fonts are in scene units.
    """

    def __init__(self, network: Network, base_font: QFont) -> None:
        sizes = network.sizes
        self.sizes = sizes
        tallest = max(sizes)
        base = min(118.0, 820.0 / tallest)
        span = (tallest - 1) * base
        edges = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        self.edges = edges
        self.edge_labels = edges <= EDGE_LABEL_LIMIT and tallest <= 12
        self.edge_style = EdgeStyle(edges)
        height = span + 2 * min(32.0, max(5.0, base * 0.3))
        gap = 330.0 if tallest <= 12 else max(330.0, min(720.0, height * 0.62))
        self.columns = [Column(i * gap, n, span, base) for i, n in enumerate(sizes)]
        self.xs = [column.x for column in self.columns]
        self.top = min(column.top for column in self.columns)
        self.bottom = max(column.bottom for column in self.columns)
        nominal = min(1240.0 / (self.xs[-1] + 300.0), 760.0 / (self.bottom - self.top + 160.0))
        zoom = 1.0 / min(1.0, max(0.4, nominal))
        for column in self.columns:
            column.set_fonts(base_font, zoom)
        self.edge_font = pixel_font(base_font, 11.5 * zoom)
        self.header_font = pixel_font(base_font, 17 * zoom, bold=True)
        self.header_light_font = pixel_font(base_font, 17 * zoom)
        self.loss_font = pixel_font(base_font, 17 * zoom, bold=True)
        self.header_y = self.top - max(14.0, max(c.halo for c in self.columns) + 8)
        self.radii = np.concatenate([np.full(c.size, c.radius) for c in self.columns])
        self.rect = self._content_rect(network)

    def node(self, layer: int, unit: int) -> QPointF:
        return QPointF(self.xs[layer], float(self.columns[layer].ys[unit]))

    def header_lines(self, network: Network, column: int) -> list[str]:
        size = self.sizes[column]
        if column == 0:
            return [f"Input ({size})"]
        layer = network.layers[column - 1]
        name = "Output" if column == len(network.layers) else f"Hidden {column}"
        lines = [f"{name} ({size}) · {layer.activation}"]
        if not layer.has_bias:
            lines.append("no bias")
        return lines

    def loss_anchor(self, network: Network) -> QPointF:
        """Where the loss goes: under the output column (and its bias labels)."""
        last = self.columns[-1]
        y = last.bottom + last.halo + 10
        if last.roomy and network.layers[-1].has_bias:
            y = last.bottom + QFontMetricsF(last.label_font).height() + 18
        return QPointF(last.x, y)

    def _content_rect(self, network: Network) -> QRectF:
        """The area ``fit`` shows: columns, headers, bias and loss labels, error labels."""
        header = QFontMetricsF(self.header_font)
        first, last = self.columns[0], self.columns[-1]
        lines = max(len(self.header_lines(network, c)) for c in range(len(self.sizes)))
        top = self.header_y - lines * header.height() - 2 * Label.PAD_Y - 12
        loss = self.loss_anchor(network).y() + QFontMetricsF(self.loss_font).height() * 2 + 12
        bottom = max(self.bottom + 12, loss)
        for column in self.columns:
            if column.roomy:
                bottom = max(bottom, column.bottom + QFontMetricsF(column.label_font).height() + 16)
        error = QFontMetricsF(last.error_font)
        widest_error = max(
            error.horizontalAdvance(line)
            for line in last.error_text(-0.1111, -0.1111, -0.1111).split("\n")
        )
        right = last.x + last.radius + last.halo + 40 + widest_error
        left = first.x - first.radius - first.halo - 12
        if not last.roomy:
            right += QFontMetricsF(last.value_font).horizontalAdvance("a=-0.0000") + 16
        if not first.roomy:
            left -= QFontMetricsF(first.value_font).horizontalAdvance("x=-0.0000") + 16
        for column in (first, last):
            index = self.columns.index(column)
            half = max(header.horizontalAdvance(t) for t in self.header_lines(network, index)) / 2
            left, right = min(left, column.x - half - 12), max(right, column.x + half + 12)
        return QRectF(left, top, right - left, bottom - top)


# -- the canvas ------------------------------------------------------------------------------


class NetworkCanvas(QGraphicsView):
    """The network drawn as columns of nodes with weighted edges (see the module docstring).

    Feed it with ``set_moment``; it reports what the user does through signals and never
    changes the network itself: the window applies ``weight_edit_requested`` and
    ``bias_edit_requested`` to the engine and calls ``set_moment`` again.
    """

    selection_changed = Signal(object)
    """The user selected a node, edge or bias (a ``Selection``) or cleared it (``None``)."""
    weight_edit_requested = Signal(int, int, int, float)
    """(network layer, unit, input, new value) for ``weight[unit, input]``."""
    bias_edit_requested = Signal(int, int, float)
    """(network layer, unit, new value) for ``bias[unit]``."""
    node_hovered = Signal(object)
    """The mouse moved onto a node (a ``Selection`` of kind ``node``) or off it (``None``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Edge layers, nodes and labels keep their drawing as pixmaps (QPixmapCache); two
        # viewport-sized edge layers alone would fill Qt's default 10 MB.
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self.setScene(QGraphicsScene(self))
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.viewport().setMouseTracking(True)
        self.setMinimumSize(240, 180)
        self._moment: Moment | None = None
        self._selection: Selection | None = None
        self._hover: Selection | None = None
        self._editable = False
        self._auto_fit = True
        self._press: QPointF | None = None
        self._architecture: tuple | None = None
        self._layout: Layout | None = None
        self._legend_cache: tuple[tuple, tuple[QPoint, QPixmap]] | None = None
        self._colours = Colours(self.palette())
        self._clear_items()

    # -- public API -------------------------------------------------------------------------

    @property
    def moment(self) -> Moment | None:
        return self._moment

    @property
    def selection(self) -> Selection | None:
        return self._selection

    @property
    def editable(self) -> bool:
        return self._editable

    def set_editable(self, editable: bool) -> None:
        """Allow double-click editing of weights and biases (the window: only while paused)."""
        self._editable = bool(editable)

    def set_moment(self, moment: Moment) -> None:
        """Draw ``moment``: rebuild the scene if the architecture changed, else restyle."""
        network = moment.network
        architecture = (
            tuple(network.sizes),
            tuple(network.activations),
            tuple(layer.has_bias for layer in network.layers),
            network.loss_name,
        )
        self._moment = moment
        if architecture != self._architecture:
            self._architecture = architecture
            self._build(network)
            if self._selection is not None and not self._valid(self._selection):
                self._selection = None
                self._restyle()
                self.selection_changed.emit(None)
                return
        self._restyle()

    def set_node_images(self, images: dict[tuple[int, int], QImage] | None) -> None:
        """Small maps of what each hidden neuron computes, keyed by ``(node_layer, unit)``.

        A node draws its map while it shows no value; ``None`` or ``{}`` removes them.
        """
        images = images or {}
        for layer, nodes in enumerate(getattr(self, "_nodes", [])):
            for unit, node in enumerate(nodes):
                node.set_image(images.get((layer, unit)))

    def set_selection(self, selection: Selection | None) -> None:
        """Show ``selection`` (no signal: the caller already knows)."""
        if selection is not None and self._layout is not None and not self._valid(selection):
            raise ValueError(f"{selection} is not part of this network")
        self._selection = selection
        self._apply_marks()

    def fit(self) -> None:
        """Fit the whole network in the view above the legend (kept fitted until zoomed)."""
        self._auto_fit = True
        scale = self._fit_scale()
        if self._layout is not None and scale > 0:
            rect = self._layout.rect
            self.setTransform(QTransform.fromScale(scale, scale))
            legend = self._legend_height()
            self.centerOn(rect.center() + QPointF(0, legend / 2 / scale))
        self.viewport().update()

    def node_position(self, layer: int, unit: int) -> QPointF:
        """Scene position of node ``unit`` of node layer ``layer`` (0 = inputs)."""
        return self._layout.node(layer, unit)

    def edge_point(self, layer: int, unit: int, input: int, t: float = 0.5) -> QPointF:
        """The scene point a fraction ``t`` along edge ``weight[unit, input]`` of ``layer``."""
        start = self._layout.node(layer, input)
        end = self._layout.node(layer + 1, unit)
        return start + (end - start) * t

    def selection_at(self, scene_pos: QPointF) -> Selection | None:
        """What a click at ``scene_pos`` selects: bias label, edge label, node, edge or nothing."""
        if self._layout is None:
            return None
        scale = self._scale()
        for item in self.scene().items(scene_pos):
            if (
                isinstance(item, Label)
                and item.role in ("bias", "edge")
                and item.isVisible()
                and item.shown_at(scale)
            ):
                if item.role == "bias":
                    return Selection("bias", *item.key)
                return Selection("edge", *item.key)
        p = np.array([scene_pos.x(), scene_pos.y()])
        distance = np.hypot(*(self._node_xy - p).T)
        nearest = int(np.argmin(distance))
        if distance[nearest] <= self._layout.radii[nearest] + NODE_HIT_PX / scale:
            layer, unit = self._node_keys[nearest]
            return Selection("node", layer, unit)
        a, b = self._edge_start, self._edge_end
        ab = b - a
        t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
        gap = np.hypot(*(a + ab * t[:, None] - p).T)
        nearest = int(np.argmin(gap))
        if gap[nearest] <= EDGE_HIT_PX / scale:
            layer = int(np.searchsorted(self._edge_offsets, nearest, side="right") - 1)
            local = nearest - self._edge_offsets[layer]
            inputs = self._edge_items[layer].inputs
            return Selection("edge", layer, int(local // inputs), int(local % inputs))
        return None

    def tooltip_text(self, selection: Selection) -> str:
        """The value, gradient and formula of a node, edge or bias, for its tooltip."""
        moment = self._moment
        if selection.kind == "edge":
            return self._edge_tooltip(moment, selection)
        if selection.kind == "bias":
            return self._bias_tooltip(moment, selection)
        return self._node_tooltip(moment, selection)

    def labels(self, role: str) -> dict[tuple[int, ...], str]:
        """The visible labels of one role (``header``, ``bias``, ``edge``, ``error``, ``loss``)."""
        return {
            item.key: item.text()
            for item in self._labels
            if item.role == role and item.isVisible() and item.text()
        }

    def node_texts(self) -> dict[tuple[int, int], str]:
        """What each node says, e.g. ``{(1, 0): "a=0.7514"}`` (nodes with a value only)."""
        return {
            (node.layer, node.unit): node.label_text()
            for column in self._nodes
            for node in column
            if node.value_text
        }

    def edge_pen(self, layer: int, unit: int, input: int) -> QPen:
        """The pen that draws edge ``weight[unit, input]`` of network layer ``layer``."""
        return self._edge_items[layer].pen(unit, input)

    def render_to_image(self, width: int, height: int) -> QImage:
        """The whole network (fitted, with the legend) drawn into a ``width`` x ``height`` image."""
        canvas = NetworkCanvas()
        canvas.setPalette(self.palette())
        canvas.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        canvas.resize(width, height)
        canvas.show()
        if self._moment is not None:
            canvas.set_moment(self._moment)
            if self._selection is not None:
                canvas.set_selection(self._selection)
        canvas.fit()
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(self._colours.background)
        canvas.viewport().render(image)
        canvas.close()
        canvas.deleteLater()
        return image

    # -- building ---------------------------------------------------------------------------

    def _clear_items(self) -> None:
        self.scene().clear()
        self._nodes: list[list[NodeItem]] = []
        self._edge_items: list[EdgeLayerItem] = []
        self._labels: list[Label] = []
        self._headers: list[Label] = []
        self._bias_labels: dict[tuple[int, int], Label] = {}
        self._edge_labels: dict[tuple[int, int, int], Label] = {}
        self._error_labels: list[Label] = []
        self._loss_label: Label | None = None
        self._band: QGraphicsPathItem | None = None
        self._edge_marks: EdgeMarksItem | None = None
        self._edge_label_key: tuple = ()
        self._marked_nodes: set[tuple[int, int]] = set()
        self._marked_labels: set[tuple[str, tuple]] = set()
        self._node_xy = np.zeros((0, 2))
        self._node_keys: list[tuple[int, int]] = []
        self._edge_start = self._edge_end = np.zeros((0, 2))
        self._edge_offsets = np.zeros(1, dtype=np.intp)

    def _add_label(self, label: Label, anchor: QPointF, z: float = 5.0) -> Label:
        label.setPos(anchor)
        label.setZValue(z)
        self.scene().addItem(label)
        self._labels.append(label)
        return label

    def _build(self, network: Network) -> None:
        self._clear_items()
        self._hover = None
        layout = self._layout = Layout(network, self.font())
        scene = self.scene()
        band = QGraphicsPathItem()
        band.setZValue(-10)
        band.setPen(QPen(Qt.PenStyle.NoPen))
        band.setVisible(False)
        scene.addItem(band)
        self._band = band
        offsets = [0]
        for index in range(len(network.layers)):
            left, right = layout.columns[index], layout.columns[index + 1]
            sources = np.column_stack([np.full(left.size, left.x), left.ys])
            targets = np.column_stack([np.full(right.size, right.x), right.ys])
            item = EdgeLayerItem(index, sources, targets)
            item.setZValue(0)
            scene.addItem(item)
            self._edge_items.append(item)
            offsets.append(offsets[-1] + len(item.lines))
        self._edge_offsets = np.array(offsets, dtype=np.intp)
        self._edge_start = np.vstack([item.start for item in self._edge_items])
        self._edge_end = np.vstack([item.end for item in self._edge_items])
        self._edge_marks = EdgeMarksItem(_bounds(self._edge_start, self._edge_end, 12))
        self._edge_marks.setZValue(1)
        scene.addItem(self._edge_marks)
        keys, xy = [], []
        last = len(layout.sizes) - 1
        for column, size in enumerate(layout.sizes):
            geometry = layout.columns[column]
            r = geometry.radius
            min_px = 0.0 if geometry.roomy else MIN_LABEL_PX
            side = "inside" if geometry.roomy else ("left" if column == 0 else "right")
            if not geometry.labelled:
                min_px, side = math.inf, "none"
            nodes = []
            for unit in range(size):
                node = NodeItem(
                    column,
                    unit,
                    r,
                    geometry.halo,
                    geometry.value_font,
                    geometry.symbol_font,
                    side,
                )
                node.setPos(layout.node(column, unit))
                node.setZValue(10)
                scene.addItem(node)
                nodes.append(node)
                keys.append((column, unit))
                xy.append((geometry.x, geometry.ys[unit]))
            self._nodes.append(nodes)
            header = Label("header", (column,), layout.header_light_font, "above", boxed=False)
            header.set_text("\n".join(layout.header_lines(network, column)))
            anchor = QPointF(layout.xs[column], layout.header_y)
            self._headers.append(self._add_label(header, anchor))
            if column >= 1 and network.layers[column - 1].has_bias:
                for unit in range(size):
                    point = layout.node(column, unit)
                    if geometry.roomy:
                        anchor, align = point + QPointF(0, r + 5), "below"
                    else:
                        anchor, align = point - QPointF(r + geometry.halo + 2, 0), "left"
                    font = geometry.label_font
                    label = Label("bias", (column - 1, unit), font, align, min_px)
                    self._bias_labels[(column - 1, unit)] = self._add_label(label, anchor, 12)
        output = layout.columns[last]
        for unit in range(output.size):
            min_px = 0.0 if output.roomy else MIN_LABEL_PX if output.labelled else math.inf
            label = Label("error", (unit,), output.error_font, "right", min_px)
            self._error_labels.append(self._add_label(label, layout.node(last, unit), 12))
        self._loss_label = self._add_label(
            Label("loss", (), layout.loss_font, "below"), layout.loss_anchor(network), 12
        )
        if layout.edge_labels:
            for index, item in enumerate(self._edge_items):
                for unit in range(item.units):
                    for input in range(item.inputs):
                        label = Label("edge", (index, unit, input), layout.edge_font, "center")
                        self._edge_labels[(index, unit, input)] = self._add_label(
                            label, QPointF(), 8
                        )
        self._node_xy = np.array(xy, dtype=np.float64)
        self._node_keys = keys
        margin = max(layout.rect.width(), layout.rect.height())
        scene.setSceneRect(layout.rect.adjusted(-margin, -margin, margin, margin))
        if self._auto_fit:
            self.fit()

    # -- restyling --------------------------------------------------------------------------

    def _active_column(self, moment: Moment) -> int | None:
        """The column the last piece of work computed (``None`` when idle or after update)."""
        if moment.phase == Phase.ERROR:
            return len(moment.network.layers)
        if moment.phase in (Phase.FORWARD, Phase.BACKWARD) and moment.active_layer is not None:
            return moment.active_layer + 1
        return None

    def _edge_fade(self, moment: Moment, index: int) -> float:
        """How strongly network layer ``index`` (edges, bias and edge labels) is drawn."""
        if moment.phase == Phase.FORWARD and index >= len(moment.forward_layers):
            return 0.3
        if moment.phase == Phase.BACKWARD and index not in moment.backward_layers:
            return 0.45
        return 1.0

    def _restyle(self) -> None:
        moment, layout, colours = self._moment, self._layout, self._colours
        if moment is None or layout is None:
            return
        network = moment.network
        phase = moment.phase
        backward = moment.backward_layers
        active_column = self._active_column(moment)

        max_abs = max(float(np.max(np.abs(layer.weight))) for layer in network.layers)
        for index, item in enumerate(self._edge_items):
            weight = network.layers[index].weight
            fade = self._edge_fade(moment, index)
            item.set_weights(weight, max_abs, colours, layout.edge_style, fade)

        # Activations and inputs are coloured against max(1, max |v| of their column); deltas
        # against the largest |delta| shown, so that small (vanishing) gradients look pale.
        delta_scale = 0.0
        if phase == Phase.BACKWARD:
            for record in backward.values():
                delta_scale = max(delta_scale, float(np.max(np.abs(record.delta[moment.sample]))))
        halo = colours.halo
        for column, nodes in enumerate(self._nodes):
            showing_delta = phase == Phase.BACKWARD and (column - 1) in backward
            values = [moment.node_value(column, unit) for unit in range(len(nodes))]
            if showing_delta:
                scale = delta_scale or 1.0
            else:
                scale = max([1.0, *(abs(v) for v in values if v is not None)])
            symbol = "x" if column == 0 else ("δ" if showing_delta else "a")
            names = moment.network.input_names if column == 0 else None
            fade = 1.0
            if phase == Phase.FORWARD and column > len(moment.forward_layers):
                fade = 0.5
            elif phase == Phase.BACKWARD and column >= 1 and not showing_delta:
                fade = 0.55
            text = colours.faded(colours.text, fade)
            border = colours.faded(colours.border, fade)
            node_halo = halo if column == active_column else None
            hollow = None
            for unit, (node, value) in enumerate(zip(nodes, values)):
                if names is not None and unit < len(names):
                    symbol = names[unit]
                if value is None:
                    if hollow is None:  # one style for every node of the column without value
                        hollow = (
                            colours.background, colours.faded(colours.faint, fade),
                            text, text, colours.label_background, True, node_halo,
                        )  # fmt: skip
                        hollow_key = node_style_key(*hollow)
                    node.set_state(symbol, "", *hollow, style_key=hollow_key)
                    continue
                fill = colours.faded(colours.diverging(value / scale), fade)
                ink = QColor("#111111") if luminance(fill) > 0.45 else QColor("white")
                if fade < 1.0:
                    ink = mix(fill, ink, 0.75)
                node.set_state(
                    symbol, fmt(value), fill, border, ink, text,
                    colours.label_background, False, node_halo,
                )  # fmt: skip

        self._restyle_labels(moment, active_column)
        self._restyle_band(active_column)
        self._apply_marks()
        self.viewport().update()

    def _restyle_labels(self, moment: Moment, active_column: int | None) -> None:
        layout, colours = self._layout, self._colours
        network = moment.network
        phase = moment.phase
        update = moment.update
        for column, header in enumerate(self._headers):
            is_active = column == active_column
            header.set_font(layout.header_font if is_active else layout.header_light_font)
            header.set_style(colours.accent if is_active else colours.text)

        # bias and edge labels fade with their layer (one style per layer and sign)
        styles: dict[tuple[int, str], tuple[QColor, QColor, QColor]] = {}

        def style(index: int, border: str) -> tuple[QColor, QColor, QColor]:
            found = styles.get((index, border))
            if found is None:
                fade = self._edge_fade(moment, index)
                found = styles[(index, border)] = (
                    colours.faded(colours.text, fade),
                    colours.label_background,
                    colours.faded(getattr(colours, border), fade),
                )
            return found

        biases = [None if layer.bias is None else layer.bias.tolist() for layer in network.layers]
        for (index, unit), label in self._bias_labels.items():
            value = biases[index][unit]
            if phase == Phase.UPDATE and update is not None and layout.columns[index + 1].roomy:
                old = float(update.before[index].bias[unit])
                text = f"b={fmt(old)}→{fmt(value)}"
            else:
                text = f"b={fmt(value)}"
            label.set_text(text)
            label.set_style(*style(index, "faint"))

        for (index, unit, input), label in self._edge_labels.items():
            weight = float(network.layers[index].weight[unit, input])
            record = moment.backward_layers.get(index)
            if phase == Phase.BACKWARD and record is not None:
                text = f"dL/dw={fmt(float(record.grad_weight[unit, input]))}"
            elif phase == Phase.UPDATE and update is not None:
                text = f"{fmt(float(update.before[index].weight[unit, input]))} → {fmt(weight)}"
            else:
                text = f"w={fmt(weight)}"
            label.set_text(text)
            label.set_style(*style(index, "negative" if weight < 0 else "positive"))

        error = moment.error
        last = len(network.layers)
        show_error = phase == Phase.ERROR and error is not None
        for unit, label in enumerate(self._error_labels):
            label.setVisible(show_error)
            if not show_error:
                continue
            t = float(error.targets[moment.sample, unit])
            o = float(error.outputs[moment.sample, unit])
            e = float(error.error[moment.sample, unit])
            output = layout.columns[last]
            label.set_text(output.error_text(t, o, e))
            node = self._nodes[last][unit]
            offset = output.radius + output.halo + 8
            if node.text_side == "right":
                offset += node.outside_width() + 4
            label.setPos(layout.node(last, unit) + QPointF(offset, 0))
            label.set_style(colours.text, colours.label_background, colours.accent, 1.5)

        loss = self._loss_label
        loss.setVisible(error is not None)
        if error is not None:
            text = f"Loss ({error.loss_name}) = {fmt(error.loss)}"
            if error.penalty:
                text += f"\n+ penalty {fmt(error.penalty)} = {fmt(error.total)}"
            if moment.batch_size > 1:
                text += f"\nmean over a batch of {moment.batch_size}"
            loss.set_text(text)
            if phase == Phase.ERROR:
                loss.set_style(colours.accent, colours.label_background, colours.accent, 1.5)
            else:
                loss.set_style(colours.text, colours.label_background)
        if self._edge_labels:
            self._place_edge_labels()

    def _style_parameter_label(self, label: Label, moment: Moment, mark: QColor | None = None):
        """Bias and edge labels: faded with their layer, edge labels bordered by sign."""
        colours = self._colours
        index = label.key[0]
        fade = self._edge_fade(moment, index)
        if mark is not None:
            label.set_style(colours.text, colours.label_background, mark, 3.0)
            return
        border = colours.faint
        if label.role == "edge":
            border = colours.sign(float(moment.network.layers[index].weight[label.key[1:]]))
        label.set_style(
            colours.faded(colours.text, fade),
            colours.label_background,
            colours.faded(border, fade),
        )

    def _place_edge_labels(self) -> None:
        """Put each edge label on its edge where it covers no node and no other label.

        Labels sit near the edge's target end (``t ~ 0.72``), where the edges into one node
        have spread apart; if that spot is taken the next candidate along the edge is tried
        (the one overlapping least if none is free). Rectangles are ``[x0, y0, x1, y1]`` rows.
        """
        layout = self._layout
        boxes = []
        for column in layout.columns:
            r = column.radius + column.halo + 2
            boxes += [(column.x - r, y - r, column.x + r, y + r) for y in column.ys]
        others = [*self._bias_labels.values(), *self._error_labels, self._loss_label]
        for label in others:
            if label.isVisible() and label.text():
                rect = label.text_rect().translated(label.pos())
                boxes.append((rect.left(), rect.top(), rect.right(), rect.bottom()))
        sizes = [(label.text_rect().width(), label.text_rect().height()) for label in
                 self._edge_labels.values()]  # fmt: skip
        key = (tuple(boxes), tuple(sizes))
        if key == self._edge_label_key:
            return
        self._edge_label_key = key
        obstacles = np.array(boxes, dtype=np.float64).reshape(-1, 4)
        weights = np.ones(len(obstacles))
        t = np.array([0.72, 0.64, 0.8, 0.56, 0.48, 0.4, 0.32, 0.86, 0.26])
        for ((index, unit, input), label), (width, height) in zip(self._edge_labels.items(), sizes):
            start = layout.node(index, input)
            end = layout.node(index + 1, unit)
            x = start.x() + (end.x() - start.x()) * t
            y = start.y() + (end.y() - start.y()) * t
            half_w, half_h = width / 2 + 2, height / 2 + 2
            candidates = np.column_stack([x - half_w, y - half_h, x + half_w, y + half_h])
            low = np.maximum(candidates[:, None, :2], obstacles[None, :, :2])
            high = np.minimum(candidates[:, None, 2:], obstacles[None, :, 2:])
            overlap = np.prod(np.clip(high - low, 0, None), axis=2)
            best = int(np.argmin(overlap @ weights))  # the first free candidate, if any
            label.setPos(QPointF(x[best], y[best]))
            obstacles = np.vstack([obstacles, candidates[best]])
            weights = np.append(weights, 2.0)

    def _restyle_band(self, active_column: int | None) -> None:
        """A tinted band behind the column being computed, from its header to its last label."""
        band, layout = self._band, self._layout
        if active_column is None:
            band.setVisible(False)
            return
        column = layout.columns[active_column]
        x = column.x
        header = self._headers[active_column]
        half = max(column.radius + column.halo + 10, header.text_rect().width() / 2 + 10)
        if not column.roomy:
            half = max(half, column.radius + 24)
        top = header.y() + header.text_rect().top() - 8
        bottom = column.bottom + column.halo + 8
        if column.roomy and active_column > 0 and (active_column - 1, 0) in self._bias_labels:
            bottom += QFontMetricsF(column.label_font).height() + 8
        if active_column == len(layout.sizes) - 1 and self._loss_label.isVisible():
            bottom = max(bottom, self._loss_label.y() + self._loss_label.text_rect().bottom() + 8)
        path = QPainterPath()
        path.addRoundedRect(QRectF(x - half, top, 2 * half, bottom - top), 14, 14)
        band.setPath(path)
        band.setBrush(QBrush(self._colours.band))
        band.setVisible(True)

    def _apply_marks(self) -> None:
        """Draw the selection ring and the hover highlight."""
        colours = self._colours
        hover_colour = QColor(colours.text)
        hover_colour.setAlphaF(0.4)
        edge_marks: list[tuple[QLineF, QPen, QPen]] = []
        rings: dict[tuple[int, int], QColor] = {}
        hovers: dict[tuple[int, int], QColor] = {}
        label_marks: dict[tuple[str, tuple], QColor] = {}
        for selection, colour, selected in (
            (self._hover, hover_colour, False),
            (self._selection, colours.selection, True),
        ):
            if selection is None:
                continue
            if selection.kind == "node":
                (rings if selected else hovers)[(selection.layer, selection.unit)] = colour
            elif selection.kind == "edge":
                item = self._edge_items[selection.layer]
                line = item.lines[selection.unit * item.inputs + selection.input]
                pen = item.pen(selection.unit, selection.input)
                if pen.color().alpha() == 0 and self._moment is not None:  # too weak to draw
                    layer = self._moment.network.layers[selection.layer]
                    pen.setColor(colours.sign(float(layer.weight[selection.unit, selection.input])))
                pen.setColor(QColor(pen.color().rgb()))
                pen.setWidthF(max(pen.widthF(), 1.5))
                glow = QPen(colour, pen.widthF() + (6.0 if selected else 4.0))
                glow.setCosmetic(True)
                glow.setCapStyle(Qt.PenCapStyle.RoundCap)
                edge_marks.append((line, glow, pen))
                if selected:
                    key = (selection.layer, selection.unit, selection.input)
                    label_marks[("edge", key)] = colour
            elif selection.kind == "bias" and selected:
                label_marks[("bias", (selection.layer, selection.unit))] = colour
        # only the nodes and labels marked now or before need a look (not all of a big network)
        for layer, unit in {*rings, *hovers, *self._marked_nodes}:
            self._nodes[layer][unit].set_marks(rings.get((layer, unit)), hovers.get((layer, unit)))
        self._marked_nodes = {*rings, *hovers}
        if self._edge_marks is not None:
            self._edge_marks.set_marks(edge_marks)
        if self._moment is None:
            return
        labels = {"bias": self._bias_labels, "edge": self._edge_labels}
        marked = set()
        for role, key in {*label_marks, *self._marked_labels}:
            label = labels[role].get(key)
            if label is None:
                continue
            mark = label_marks.get((role, key))
            if mark is not None or label.border_width() == 3.0:
                self._style_parameter_label(label, self._moment, mark)
            if mark is not None:
                marked.add((role, key))
        self._marked_labels = marked

    # -- tooltips ---------------------------------------------------------------------------

    def _node_tooltip(self, moment: Moment, selection: Selection) -> str:
        column, unit = selection.layer, selection.unit
        network = moment.network
        sample_note = ""
        if moment.batch is not None and moment.batch_size > 1:
            row = int(moment.batch[moment.sample]) + 1
            sample_note = f"\n(sample {moment.sample + 1} of {moment.batch_size}, data row {row})"
        if column == 0:
            value = moment.node_value(0, unit)
            shown = fmt(value) if value is not None else "not fed yet"
            return f"Input {unit}\nx = {shown}{sample_note}"
        index = column - 1
        layer = network.layers[index]
        name = "Output" if column == len(network.layers) else f"Hidden {column}"
        lines = [f"{name}, unit {unit} · {layer.activation}"]
        if index < len(moment.forward_layers):
            record = moment.forward_layers[index]
            lines.append(f"a = f(z) = {fmt(float(record.a[moment.sample, unit]))}")
            lines.append(f"z = {fmt(float(record.z[moment.sample, unit]))}")
        else:
            lines.append("a, z: not computed yet")
        backward = moment.backward_layers.get(index)
        if backward is not None:
            lines.append(f"δ = dL/dz = {fmt(float(backward.delta[moment.sample, unit]))}")
        if layer.has_bias:
            lines.append(f"b = {fmt(float(layer.bias[unit]))}")
        lines.append(f"z_j = Σ_i w_ji a_i + b_j,  a_j = {layer.function.formula}")
        if column == len(network.layers):
            lines.append(f"δ at the output: {network.loss.delta_formula}")
        else:
            lines.append(f"δ_j = f'(z_j) Σ_k w_kj δ_k,  f' = {layer.function.derivative_formula}")
        return "\n".join(lines) + sample_note

    def _edge_tooltip(self, moment: Moment, selection: Selection) -> str:
        index, unit, input = selection.layer, selection.unit, selection.input
        weight = float(moment.network.layers[index].weight[unit, input])
        lines = [f"w[{index + 1}]({unit}←{input}) = {fmt(weight)}"]
        record = moment.backward_layers.get(index)
        if record is not None:
            lines.append(f"dL/dw = {fmt(float(record.grad_weight[unit, input]))}")
        if moment.phase == Phase.UPDATE and moment.update is not None:
            old = float(moment.update.before[index].weight[unit, input])
            step = float(moment.update.step[index].weight[unit, input])
            lines.append(f"update: {fmt(old)} → {fmt(weight)}  (step {fmt(step)})")
        lines.append("z_j = Σ_i w_ji a_i + b_j")
        if record is not None:
            lines.append("dL/dw_ji = mean over the batch of δ_j a_i")
        return "\n".join(lines)

    def _bias_tooltip(self, moment: Moment, selection: Selection) -> str:
        index, unit = selection.layer, selection.unit
        value = float(moment.network.layers[index].bias[unit])
        lines = [f"b[{index + 1}]({unit}) = {fmt(value)}"]
        record = moment.backward_layers.get(index)
        if record is not None and record.grad_bias is not None:
            lines.append(f"dL/db = {fmt(float(record.grad_bias[unit]))}")
        if moment.phase == Phase.UPDATE and moment.update is not None:
            old = float(moment.update.before[index].bias[unit])
            lines.append(f"update: {fmt(old)} → {fmt(value)}")
        lines.append("z_j = Σ_i w_ji a_i + b_j")
        if record is not None:
            lines.append("dL/db_j = mean over the batch of δ_j")
        return "\n".join(lines)

    # -- helpers ----------------------------------------------------------------------------

    def _valid(self, selection: Selection) -> bool:
        if self._layout is None:
            return False
        sizes = self._layout.sizes
        if selection.kind == "node":
            return (
                0 <= selection.layer < len(sizes) and 0 <= selection.unit < sizes[selection.layer]
            )
        if not 0 <= selection.layer < len(sizes) - 1:
            return False
        if not 0 <= selection.unit < sizes[selection.layer + 1]:
            return False
        if selection.kind == "bias":
            return (selection.layer, selection.unit) in self._bias_labels or (
                self._moment is not None and self._moment.network.layers[selection.layer].has_bias
            )
        if selection.kind == "edge":
            return selection.input is not None and 0 <= selection.input < sizes[selection.layer]
        return False

    def _scale(self) -> float:
        return math.hypot(self.transform().m11(), self.transform().m12()) or 1.0

    def _hit(self, view_pos) -> Selection | None:
        return self.selection_at(self.mapToScene(view_pos))

    def _set_hover(self, hover: Selection | None) -> None:
        if hover == self._hover:
            return
        old_node = self._hover if self._hover and self._hover.kind == "node" else None
        new_node = hover if hover and hover.kind == "node" else None
        self._hover = hover
        self._apply_marks()
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if hover else Qt.CursorShape.OpenHandCursor
        )
        if new_node != old_node:
            self.node_hovered.emit(new_node)

    def _edit(self, selection: Selection) -> None:
        moment = self._moment
        if selection.kind == "edge":
            current = float(moment.network.layers[selection.layer].weight[
                selection.unit, selection.input
            ])  # fmt: skip
            name = f"w[{selection.layer + 1}]({selection.unit}←{selection.input})"
            title = "Edit weight"
        else:
            current = float(moment.network.layers[selection.layer].bias[selection.unit])
            name = f"b[{selection.layer + 1}]({selection.unit})"
            title = "Edit bias"
        value, ok = QInputDialog.getDouble(
            self, title, f"New value of {name}:", current, -1e6, 1e6, 6
        )
        if not ok:
            return
        try:
            value = float(value)
        except (TypeError, ValueError):
            return
        if not math.isfinite(value):
            return
        if selection.kind == "edge":
            self.weight_edit_requested.emit(selection.layer, selection.unit, selection.input, value)
        else:
            self.bias_edit_requested.emit(selection.layer, selection.unit, value)

    # -- Qt overrides -----------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if event.button() != Qt.MouseButton.LeftButton or press is None:
            return
        event.accept()
        moved = event.position() - press
        if abs(moved.x()) + abs(moved.y()) > CLICK_SLOP_PX:
            self._auto_fit = False
            return
        selection = self._hit(event.position().toPoint())
        if selection != self._selection:
            self._selection = selection
            self._apply_marks()
            self.selection_changed.emit(selection)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        selection = self._hit(event.position().toPoint())
        if selection is None or selection.kind == "node":
            return
        if selection != self._selection:
            self._selection = selection
            self._apply_marks()
            self.selection_changed.emit(selection)
        if self._editable and self._moment is not None:
            self._edit(selection)

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() == Qt.MouseButton.NoButton and self._layout is not None:
            self._set_hover(self._hit(event.position().toPoint()))

    def leaveEvent(self, event) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if not steps:
            return
        factor = 1.2**steps
        scale = self._scale()
        fitted = self._fit_scale()
        factor = min(max(factor, fitted * 0.5 / scale), 12.0 / scale)
        self._auto_fit = False
        # zoom around the point under the wheel: it stays where it is on screen
        where = event.position()
        fixed = self.mapToScene(where.toPoint())
        self.scale(factor, factor)
        drift = self.mapFromScene(fixed) - where.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + drift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + drift.y())
        self.viewport().update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            selection = self._hit(event.pos()) if self._moment is not None else None
            if selection is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_text(selection), self.viewport())
            return True
        return super().viewportEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._colours = Colours(self.palette())
            self._restyle()
        super().changeEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self._colours.background)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """The legend, in viewport coordinates (it does not zoom), along the bottom."""
        if self._layout is None or not self._legend_height():
            return
        viewport = self.viewport().rect()
        ratio = self.viewport().devicePixelRatioF()
        key = (viewport.width(), viewport.height(), ratio, self._colours.key, self.font().key())
        if self._legend_cache is None or self._legend_cache[0] != key:
            # only the legend's own box is kept and drawn: blending a viewport-sized, mostly
            # transparent pixmap costs about a millisecond a frame
            box = legend_rect(self.font(), viewport).adjusted(-2, -2, 2, 2).toAlignedRect()
            box = box.intersected(viewport)
            pixmap = QPixmap(box.size() * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            legend_painter = QPainter(pixmap)
            legend_painter.setRenderHints(self.renderHints())
            legend_painter.translate(-box.left(), -box.top())
            draw_legend(legend_painter, viewport, self._colours, self.font())
            legend_painter.end()
            self._legend_cache = (key, (box.topLeft(), pixmap))
        corner, pixmap = self._legend_cache[1]
        painter.save()
        painter.resetTransform()
        painter.drawPixmap(corner, pixmap)
        painter.restore()

    def _fit_scale(self) -> float:
        """The scale at which the network fills the viewport above the legend."""
        if self._layout is None:
            return 1.0
        rect, viewport = self._layout.rect, self.viewport().rect()
        room_w = viewport.width() - 2 * FIT_MARGIN_PX
        room_h = viewport.height() - 2 * FIT_MARGIN_PX - self._legend_height()
        return max(1e-3, min(room_w / rect.width(), room_h / rect.height()))

    def _legend_height(self) -> float:
        viewport = self.viewport().rect()
        if viewport.width() < 360 or viewport.height() < 220:
            return 0.0
        return legend_size(self.font(), viewport.width())[1] + 8


LEGEND = (
    ("positive", "positive weight"),
    ("negative", "negative weight"),
    ("thickness", "thickness = |w|"),
    ("scale", "node colour = its value (a, or δ in backward); white = 0"),
    ("active", "layer being computed"),
)
LEGEND_SWATCH = 30.0
LEGEND_GAP = 22.0


def _legend_rows(font: QFont, width: float) -> list[list[tuple[str, str, float]]]:
    """The legend's items ``(kind, text, width)`` packed into rows no wider than ``width``."""
    metrics = QFontMetricsF(font)
    rows: list[list[tuple[str, str, float]]] = [[]]
    used = 0.0
    for kind, text in LEGEND:
        item = LEGEND_SWATCH + 6 + metrics.horizontalAdvance(text)
        if rows[-1] and used + LEGEND_GAP + item > width:
            rows.append([])
            used = 0.0
        used += (LEGEND_GAP if rows[-1] else 0.0) + item
        rows[-1].append((kind, text, item))
    return rows


def legend_size(base_font: QFont, viewport_width: float) -> tuple[float, float]:
    """Width and height (px) of the legend drawn in a viewport ``viewport_width`` wide."""
    font = pixel_font(base_font, 12)
    rows = _legend_rows(font, viewport_width - 40)
    width = max(sum(i[2] for i in row) + LEGEND_GAP * (len(row) - 1) for row in rows)
    return width + 24, (QFontMetricsF(font).height() + 6) * len(rows) + 10


def legend_rect(base_font: QFont, viewport) -> QRectF:
    """Where ``draw_legend`` draws the legend's box in ``viewport`` (a ``QRect``)."""
    width, height = legend_size(base_font, viewport.width())
    return QRectF((viewport.width() - width) / 2, viewport.height() - height - 6, width, height)


def draw_legend(painter: QPainter, viewport, colours: Colours, base_font: QFont) -> None:
    """Blue = positive weight, orange = negative, thickness = |w|, the node colour scale."""
    font = pixel_font(base_font, 12)
    line_h = QFontMetricsF(font).height() + 6
    rows = _legend_rows(font, viewport.width() - 40)
    box = legend_rect(base_font, viewport)
    painter.setPen(QPen(colours.faint, 1))
    painter.setBrush(colours.background)
    painter.drawRoundedRect(box, 6, 6)
    painter.setFont(font)
    for number, row in enumerate(rows):
        y = box.top() + 5 + line_h * number + line_h / 2
        x = box.left() + 12
        for kind, text, item_width in row:
            _draw_swatch(painter, kind, x, y, colours)
            painter.setPen(colours.text)
            painter.drawText(
                QRectF(x + LEGEND_SWATCH + 6, y - line_h / 2, item_width, line_h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                text,
            )
            x += item_width + LEGEND_GAP


def _draw_swatch(painter: QPainter, kind: str, x0: float, y: float, colours: Colours) -> None:
    x1 = x0 + LEGEND_SWATCH
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if kind in ("positive", "negative"):
        pen = QPen(colours.positive if kind == "positive" else colours.negative, 4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(QPointF(x0 + 2, y), QPointF(x1 - 2, y))
    elif kind == "thickness":
        for step, width in enumerate((0.8, 2.5, 5.0)):
            painter.setPen(QPen(colours.text, width))
            sx = x0 + step * (LEGEND_SWATCH / 3)
            painter.drawLine(QPointF(sx + 2, y + 5), QPointF(sx + LEGEND_SWATCH / 3 - 2, y - 5))
    elif kind == "scale":
        gradient = QLinearGradient(QPointF(x0, y), QPointF(x1, y))
        gradient.setColorAt(0.0, colours.negative)
        gradient.setColorAt(0.5, colours.zero)
        gradient.setColorAt(1.0, colours.positive)
        painter.setPen(QPen(colours.faint, 1))
        painter.setBrush(QBrush(gradient))
        painter.drawRoundedRect(QRectF(x0, y - 6, LEGEND_SWATCH, 12), 3, 3)
    elif kind == "active":
        painter.setPen(QPen(colours.halo, 4))
        painter.drawEllipse(QPointF((x0 + x1) / 2, y), 6, 6)
