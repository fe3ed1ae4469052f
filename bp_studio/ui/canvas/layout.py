"""Where everything goes, from the architecture alone, and how a weight becomes a pen."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen

from bp_studio.engine import Network
from bp_studio.ui.canvas.colours import Colours, mix
from bp_studio.ui.canvas.items import LEVELS, Label, pixel_font

EDGE_LABEL_LIMIT = 40
"""Networks with at most this many edges (and at most 12 nodes a column) label every edge."""

ALIASED_MIN_WIDTH = 1.01
"""Aliased edges are never thinner: Qt's raster engine draws a cosmetic line 1 px or thinner
with its one-pixel stroker, 2-3x slower per line than a wider one (which rasterises as a
polygon) and no thinner on screen: either way the line is one pixel wide."""


def fmt(value: float) -> str:
    """Four significant digits, the way every number on the canvas is printed."""
    return f"{value:.4g}"


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
