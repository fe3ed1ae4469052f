"""Where everything goes, from the architecture alone, and how a weight becomes a pen."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen

from bp_studio.engine import Network
from bp_studio.studio.explain import format_number
from bp_studio.studio.notation import column_title, normalisation_word
from bp_studio.ui.canvas.colours import Colours, mix
from bp_studio.ui.canvas.edges import Thinning
from bp_studio.ui.canvas.items import LEVELS, Label, pixel_font

EDGE_LABEL_LIMIT = 40
"""Networks with at most this many edges (and at most 12 nodes a column) label every edge."""

ALIASED_MIN_WIDTH = 1.01
"""Aliased edges are never thinner: Qt's raster engine draws a cosmetic line 1 px or thinner
with its one-pixel stroker, 2-3x slower per line than a wider one (which rasterises as a
polygon) and no thinner on screen: either way the line is one pixel wide."""


NOMINAL_ROOM = (1240.0, 700.0)
"""The room (pixels) a layout is sized for when the view's is not known."""
MIN_SCALE = 0.4
"""Text is sized for a view scale of at least this: in a smaller view, the text of a tall
network would crowd out its drawing (it shows once zoomed in, and in the tooltips)."""
TITLE_PX = 12.0
"""Column titles and output names are at least this many pixels high on screen at any zoom:
they say which column is the input and which the output, so they never shrink out of sight
(they are abbreviated instead when their columns are close: ``header_variants``)."""
NAME_MAX_PX = 150.0
"""An output name wider than this on screen is shortened with ``…`` (its tooltip is whole)."""
TITLE_MARGIN_PX = 6.0
"""The least room (pixels on screen) between the titles of neighbouring columns."""
TITLE_GAP_PX = 10.0
"""The least room (pixels on screen) between a column's title and its top node (room for
the top node's health badge, which is ``2 * BADGE_RADIUS_PX`` across at its top right)."""
NAME_GAP_PX = 12.0
"""Output names start at least this many pixels on screen right of their node's centre and
its badge's reach (``marks.badge_place``)."""
WIDE_INPUTS = 32
"""More inputs than this are drawn as an image of cells, not as a column of circles."""
IMAGE_THINNING = Thinning(per_unit=1, strongest=0)
"""Edges drawn from an input image: each unit's strongest (hovering or selecting a unit shows
all its weights as an image, which says far more than hundreds of crossing lines)."""
MAX_LAYER_EDGES = 384
"""A layer with more edges than this draws about this many: half as each unit's strongest,
half as the layer's strongest (a person cannot tell thousands of crossing lines apart, and
they cost a frame its budget)."""


def fmt(value: float) -> str:
    """Four significant digits with a real minus sign (``−0.7414``), as the explanation."""
    return format_number(value, 4)


def input_grid(inputs: int) -> tuple[int, int] | None:
    """``(rows, columns)`` of the image that shows ``inputs`` inputs, ``None`` for circles.

    A square number is a square image (the 8 x 8 digits, 28 x 28 images), row by row like
    the pixels of such data; other counts fill ``ceil(sqrt(n))`` columns.
    """
    if inputs <= WIDE_INPUTS:
        return None
    side = math.isqrt(inputs)
    if side * side == inputs:
        return side, side
    columns = math.ceil(math.sqrt(inputs))
    return math.ceil(inputs / columns), columns


# -- layout ----------------------------------------------------------------------------------


class EdgeStyle:
    """How ``|w| / max |w|`` (``share``) becomes an edge's pen: width (px) and opacity.

    ``max |w|`` is the largest weight of the edge's own layer, so that every layer's strongest
    edges are drawn at full strength whatever the other layers hold. A style belongs to one
    layer and is chosen by how many edges it draws: small layers keep every edge visible; big
    ones let weak edges fade (opacity ``~ share^1.5``) so that the strong ones stand out, but
    an edge of a quarter of its layer's largest weight keeps a quarter of full opacity.
    Opacity is drawn as an opaque colour pre-mixed with the background: Qt's raster engine
    strokes translucent antialiased lines many times slower. In big layers the thinnest lines
    are drawn without antialiasing and the invisible ones not at all: below ``visible_from``
    opacity. That is the weakest level of a big layer (``|w| < max |w| / 8``, opacity 0.07): a
    third to a half of its edges once trained and as much of its drawing time, for lines
    within 7 % of the background that the stronger edges drawn over them cover almost entirely.
    """

    def __init__(self, edges: int, thin: bool = False) -> None:
        """``edges``: how many the layer has; ``thin``: at most 1.8 px (a layer drawing only
        its strongest edges, whose lines would otherwise all be at full width)."""
        self.antialias_from = 0.0 if edges <= 300 else 2.5
        self.visible_from = 0.04
        if edges <= 100:
            self.widths, self.min_alpha, self.gamma = (0.5, 6.0), 0.45, 1.0
        elif edges <= 600:
            self.widths, self.min_alpha, self.gamma = (0.5, 4.5), 0.12, 1.5
        else:
            self.widths, self.min_alpha, self.gamma = (0.5, 3.0), 0.03, 1.5
            self.visible_from = 0.08
        if thin:
            self.widths = (self.widths[0], 1.8)
            self.antialias_from = 2.0
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

    image = False

    def __init__(self, x: float, size: int, span: float, base: float) -> None:
        self.x = x
        self.size = size
        self.spacing = 118.0 if size <= 1 else min(118.0, max(base, span / (size - 1)))
        self.ys = (np.arange(size) - (size - 1) / 2) * self.spacing
        self.node_xs = np.full(size, float(x))
        self.radius = min(32.0, max(min(5.0, self.spacing * 0.45), self.spacing * 0.3))
        self.roomy = self.radius >= 24
        self.labelled = self.spacing >= 8  # hundreds of nodes: colours only, no text
        r = self.radius
        self.halo = max(5.0, r * 0.22) if self.roomy else max(1.5, min(4.0, self.spacing / 2 - r))

    @property
    def half_width(self) -> float:
        return self.radius + self.halo

    def set_fonts(self, base_font: QFont, zoom: float) -> None:
        """Fonts ``zoom`` times their size on screen, but never bigger than the room between
        the nodes (a bias label fits under its node, three error lines beside it)."""
        r = self.radius
        if self.roomy:
            below = (self.spacing - 2 * (r + self.halo) - 6) / 1.3 if self.size > 1 else 40.0
            beside = (self.spacing - 14) / 3.9 if self.size > 1 else 40.0
            self.label_font = pixel_font(base_font, min(13 * zoom, below))
            self.value_font = pixel_font(base_font, min(16 * zoom, r * 0.55), bold=True)
            self.symbol_font = pixel_font(base_font, min(12 * zoom, r * 0.42))
            self.error_font = pixel_font(base_font, min(14 * zoom, beside))
            self.name_font = pixel_font(base_font, min(13 * zoom, self.spacing * 0.4))
        else:
            small = max(1.0, min(14.0, self.spacing * 0.45))
            self.label_font = self.value_font = self.symbol_font = pixel_font(base_font, small)
            self.error_font = self.name_font = self.label_font

    @property
    def top(self) -> float:
        return float(self.ys[0]) - self.radius

    @property
    def bottom(self) -> float:
        return float(self.ys[-1]) + self.radius

    def error_text(self, t: float, o: float, e: float, hidden: tuple[str, ...] = ()) -> str:
        """An output node's target, output and error (three lines beside big nodes); the
        symbols in ``hidden`` (``o``, ``e``: asked by the quiz) are written ``?``."""
        sep = "\n" if self.roomy else "  "
        o_text = "?" if "o" in hidden else fmt(o)
        e_text = "?" if "e" in hidden else fmt(e)
        return f"t={fmt(t)}{sep}o={o_text}{sep}e={e_text}"


class ImageColumn:
    """The inputs drawn as an image: ``rows x columns`` square cells, centred on ``(x, 0)``.

    Input ``i`` is the cell in row ``i // columns``, column ``i % columns`` (row by row, as
    image pixels are stored); its "node" is the cell's centre, where its edges start.
    """

    image = True
    roomy = False
    labelled = False
    halo = 0.0

    def __init__(self, x: float, size: int, shape: tuple[int, int], side: float) -> None:
        self.x = x
        self.size = size
        self.shape = shape
        rows, columns = shape
        self.cell = side / max(rows, columns)
        width, height = columns * self.cell, rows * self.cell
        self.rect = QRectF(x - width / 2, -height / 2, width, height)
        index = np.arange(size)
        self.node_xs = self.rect.left() + (index % columns + 0.5) * self.cell
        self.ys = self.rect.top() + (index // columns + 0.5) * self.cell
        self.radius = self.cell / 2
        self.spacing = self.cell

    @property
    def half_width(self) -> float:
        return self.rect.width() / 2

    CAPTION = "Weights into hidden node 128 of layer 1: what it looks for"
    """The widest line the caption under the image writes (see ``NetworkScene``)."""

    def set_fonts(self, base_font: QFont, zoom: float) -> None:
        """The caption's font: its widest line about as wide as the image."""
        font = pixel_font(base_font, 13 * zoom)
        width = QFontMetricsF(font).horizontalAdvance(self.CAPTION)
        font = pixel_font(base_font, 13 * zoom * min(1.0, 1.4 * self.rect.width() / width))
        self.label_font = self.value_font = self.symbol_font = font
        self.error_font = self.name_font = font

    @property
    def top(self) -> float:
        return self.rect.top()

    @property
    def bottom(self) -> float:
        return self.rect.bottom()

    def cell_at(self, x: float, y: float) -> int | None:
        """The input whose cell holds the scene point ``(x, y)``, or ``None``."""
        rows, columns = self.shape
        column = math.floor((x - self.rect.left()) / self.cell)
        row = math.floor((y - self.rect.top()) / self.cell)
        if not (0 <= row < rows and 0 <= column < columns):
            return None
        index = row * columns + column
        return index if index < self.size else None


class Layout:
    """Where everything goes, from the architecture alone (scene units ~ pixels at scale 1).

    Fonts are sized for ``room`` (the pixels the view has for the network): the taller the
    network or the smaller the view, the smaller the network is drawn, so the larger its fonts
    are in scene units (``zoom``, up to ``1 / MIN_SCALE``), within the room between nodes.
    More than ``WIDE_INPUTS`` inputs are an image (``ImageColumn``); ``thinning[k]`` says which
    edges network layer ``k`` draws (``None``: all), ``edge_styles[k]`` with which pens.
    ``output_names`` (what each output stands for) are written beside the output nodes.
    """

    def __init__(
        self,
        network: Network,
        base_font: QFont,
        output_names: Sequence[str] | None = None,
        room: tuple[float, float] = NOMINAL_ROOM,
    ) -> None:
        sizes = network.sizes
        self.sizes = sizes
        self.layers = len(network.layers)
        self.image_shape = input_grid(sizes[0]) if len(sizes) > 1 else None
        node_sizes = sizes[1:] if self.image_shape is not None else sizes
        tallest = max(node_sizes)
        base = min(118.0, 820.0 / tallest)
        span = (tallest - 1) * base
        self.edges = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        self.thinning = [self._thinning(index) for index in range(self.layers)]
        # a layer that draws only its strongest edges is styled as the big layer it is: its
        # few lines thin and muted like the many they stand for
        self.edge_styles = [
            EdgeStyle(sizes[index] * sizes[index + 1], thin=thinning is not None)
            for index, thinning in enumerate(self.thinning)
        ]
        self.edge_labels = (
            self.edges <= EDGE_LABEL_LIMIT and tallest <= 12 and self.image_shape is None
        )
        height = span + 2 * min(32.0, max(5.0, base * 0.3))
        side = 0.0
        if self.image_shape is not None:
            side = min(480.0, max(260.0, span))
            height = max(height, side)
        gap = 330.0 if tallest <= 12 else max(330.0, min(720.0, height * 0.62))
        self.columns: list[Column | ImageColumn] = []
        x = 0.0
        for index, size in enumerate(sizes):
            if index == 0 and self.image_shape is not None:
                self.columns.append(ImageColumn(x, size, self.image_shape, side))
                x += self.columns[0].half_width
            else:
                if index == 1 and self.image_shape is not None:
                    x += gap * 0.8
                self.columns.append(Column(x, size, span, base))
            x += gap
        self.xs = [column.x for column in self.columns]
        self.top = min(column.top for column in self.columns)
        self.bottom = max(column.bottom for column in self.columns)
        self.radii = np.concatenate([np.full(c.size, c.radius) for c in self.columns])
        self.input_names = self._input_names(network)
        self.output_names = tuple(output_names) if output_names else None
        if self.output_names is not None and len(self.output_names) != sizes[-1]:
            self.output_names = None
        self._titles = [self.header_variants(network, column) for column in range(len(sizes))]
        # Text is sized for the room the view gives: at the scale that fits the network in
        # it, a 13 px font is 13 px on screen. The fonts change the content's size, so the
        # scale is estimated from the geometry, then corrected once from the whole content.
        room_w, room_h = room
        scale = min(room_w / (self.xs[-1] + 300.0), room_h / (self.bottom - self.top + 160.0))
        self._set_text(network, base_font, scale)
        scale = min(room_w / self.rect.width(), room_h / self.rect.height())
        if abs(scale * self.zoom - 1.0) > 0.05:
            self._set_text(network, base_font, scale)

    def _set_text(self, network: Network, base_font: QFont, scale: float) -> None:
        """Fonts for the view scale ``scale`` (clamped to 1/4 .. 1), and the content's rect."""
        zoom = 1.0 / min(1.0, max(MIN_SCALE, scale))
        self.zoom = zoom
        self.text_scale = max(scale, 1e-3)
        """The view scale the layout is made for (what the on-screen titles take in the scene)."""
        self._set_titles(base_font, scale)
        for column in self.columns:
            column.set_fonts(base_font, zoom)
        self.edge_font = pixel_font(base_font, 11.5 * zoom)
        self.loss_font = pixel_font(base_font, self._loss_size(network, base_font, 15 * zoom), True)
        halo = max(c.halo for c in self.columns)
        self.header_y = self.top - max(14.0, halo + 8, TITLE_GAP_PX / self.text_scale)
        self.rect = self._content_rect(network)

    def _set_titles(self, base_font: QFont, scale: float) -> None:
        """Title and output name fonts (pixels on screen): as big as the rest of the text
        (15 and 13 px) while it is at full size, else ``TITLE_PX``; the titles' widths."""
        title_px = max(TITLE_PX, min(15.0, 15.0 * scale / MIN_SCALE))
        self.header_font = pixel_font(base_font, title_px, bold=True)
        self.header_light_font = pixel_font(base_font, title_px)
        self.output_name_font = pixel_font(base_font, min(title_px, 13.0))
        bold = QFontMetricsF(self.header_font)
        self.headers = [
            [(text, max(bold.horizontalAdvance(line) for line in text.split("\n")))
             for text in variants]
            for variants in self._titles
        ]  # fmt: skip
        """Per column its titles, longest first, with their widths on screen (bold)."""
        names = QFontMetricsF(self.output_name_font)
        self.shown_output_names = None
        if self.output_names is not None:
            self.shown_output_names = tuple(
                names.elidedText(name, Qt.TextElideMode.ElideRight, NAME_MAX_PX)
                for name in self.output_names
            )

    def _loss_size(self, network: Network, base_font: QFont, pixels: float) -> float:
        """``pixels``, or less so that the loss, centred under the outputs, stays clear of the
        column before them."""
        if len(self.columns) < 2:
            return pixels
        text = f"Loss ({network.loss_name}) = −0.0001234"
        width = QFontMetricsF(pixel_font(base_font, pixels, bold=True)).horizontalAdvance(text)
        before = self.columns[-2]
        room = 2 * (self.xs[-1] - before.x - before.half_width - 24)
        return max(1.0, pixels * min(1.0, room / max(width, 1e-9)))

    def _thinning(self, index: int) -> Thinning | None:
        inputs, units = self.sizes[index], self.sizes[index + 1]
        if index == 0 and self.image_shape is not None:
            return IMAGE_THINNING
        if inputs * units > MAX_LAYER_EDGES:
            half = MAX_LAYER_EDGES // 2
            return Thinning(max(1, half // units), half)
        return None

    def _input_names(self, network: Network) -> tuple[str, ...] | None:
        """The input names written beside big input nodes (``None``: only ``x₁``, ``x₂`` ...)."""
        names = network.input_names
        first = self.columns[0]
        if names is None or len(names) != self.sizes[0] or not first.roomy:
            return None
        if all(name == f"x{unit + 1}" for unit, name in enumerate(names)):
            return None
        return tuple(names)

    def node(self, layer: int, unit: int) -> QPointF:
        column = self.columns[layer]
        return QPointF(float(column.node_xs[unit]), float(column.ys[unit]))

    def header_lines(self, network: Network, column: int) -> list[str]:
        size = self.sizes[column]
        if column == 0:
            shape = self.image_shape
            line = f"Input ({size})" if shape is None else f"Input ({shape[0]} × {shape[1]})"
            word = normalisation_word(
                None if network.normalization is None else network.normalization.kind
            )
            return [line] + ([word] if word else [])
        layer = network.layers[column - 1]
        lines = [f"{column_title(self.layers, column)} ({size}) · {layer.activation}"]
        if not layer.has_bias:
            lines.append("no bias")
        return lines

    def header_variants(self, network: Network, column: int) -> list[str]:
        """A column's titles, longest first: ``header_lines`` (``Hidden layer 1 (8) ·
        sigmoid``), then on two lines, then shorter (``Hidden 1 (8)``, ``Hidden 1``), down to
        ``H1`` (``In``, ``Out``); the scene writes the longest that fit (``header_texts``)."""
        full = "\n".join(self.header_lines(network, column))
        size = self.sizes[column]
        if column == 0:
            first = full.split("\n")[0]
            return list(dict.fromkeys([full, first, "Input", "In"]))
        layer = network.layers[column - 1]
        kind = layer.activation + ("" if layer.has_bias else " · no bias")
        title = column_title(self.layers, column)
        if column == self.layers:
            short, tiny = "Output", "Out"
        else:
            short, tiny = f"Hidden {column}", f"H{column}"
        return [
            full,
            f"{title} ({size})\n{kind}",
            f"{short} ({size})\n{kind}",
            f"{short}\n{kind}",
            short,
            tiny,
        ]

    def header_texts(self, scale: float) -> list[str]:
        """Each column's title at view scale ``scale``: the longest that keep neighbouring
        titles ``TITLE_MARGIN_PX`` apart, shortening the wider of two that would not."""
        chosen = [0] * len(self.headers)
        width = [variants[0][1] for variants in self.headers]
        for left in range(len(chosen) - 1):
            room = (self.xs[left + 1] - self.xs[left]) * scale - TITLE_MARGIN_PX
            pair = (left, left + 1)
            while (width[left] + width[left + 1]) / 2 > room:
                shorter = [c for c in pair if chosen[c] + 1 < len(self.headers[c])]
                if not shorter:
                    break
                column = max(shorter, key=lambda c: width[c])
                chosen[column] += 1
                width[column] = self.headers[column][chosen[column]][1]
        return [variants[index][0] for variants, index in zip(self.headers, chosen)]

    def loss_anchor(self, network: Network) -> QPointF:
        """Where the loss goes: under the output column (and its bias labels)."""
        last = self.columns[-1]
        y = last.bottom + last.halo + 10
        if last.roomy and network.layers[-1].has_bias:
            y = last.bottom + QFontMetricsF(last.label_font).height() + 18
        return QPointF(last.x, y)

    def name_width(self) -> float:
        """The widest output name (scene units at ``text_scale``), 0 without names."""
        if not self.shown_output_names:
            return 0.0
        metrics = QFontMetricsF(self.output_name_font)
        widest = max(metrics.horizontalAdvance(name) for name in self.shown_output_names)
        return (widest + 2 * Label.PAD_X) / self.text_scale

    def value_width(self, column: int) -> float:
        """Room for a value written beside the nodes of a compact column (0 if inside)."""
        geometry = self.columns[column]
        if geometry.roomy or geometry.image or not geometry.labelled:
            return 0.0
        symbol = "x" if column == 0 else "a"
        return QFontMetricsF(geometry.value_font).horizontalAdvance(f"{symbol}=−0.0000") + 16

    def _content_rect(self, network: Network) -> QRectF:
        """The area ``fit`` shows: columns, headers, names, bias, loss and error labels."""
        header = QFontMetricsF(self.header_font)
        scale = self.text_scale
        titles = self.header_texts(scale)
        first, last = self.columns[0], self.columns[-1]
        assert isinstance(last, Column)  # only the input column (never the last) is an image
        lines = max(title.count("\n") + 1 for title in titles)
        top = self.header_y - (lines * header.height() + 2 * Label.PAD_Y + 6) / scale - 6
        loss = self.loss_anchor(network).y() + QFontMetricsF(self.loss_font).height() * 2 + 12
        bottom = max(self.bottom + 12, loss)
        for column in self.columns:
            if column.roomy:
                bottom = max(bottom, column.bottom + QFontMetricsF(column.label_font).height() + 16)
            if column.image:
                bottom = max(bottom, column.bottom + QFontMetricsF(column.label_font).height() * 2)
        error = QFontMetricsF(last.error_font)
        widest_error = max(
            error.horizontalAdvance(line)
            for line in last.error_text(-0.0001111, -0.0001111, -0.0001111).split("\n")
        )
        right = last.x + last.half_width + 40 + widest_error + self.name_width()
        loss_text = f"Loss ({network.loss_name}) = −0.0001234"
        loss_half = QFontMetricsF(self.loss_font).horizontalAdvance(loss_text) / 2
        right = max(right, last.x + loss_half + 12)
        right += self.value_width(len(self.columns) - 1)
        left = first.x - first.half_width - 12 - self.value_width(0)
        if isinstance(first, ImageColumn):  # the caption under the image may be wider than it
            caption = QFontMetricsF(first.label_font).horizontalAdvance(first.CAPTION)
            left = min(left, first.x - caption / 2 - 8)
        if self.input_names is not None:
            metrics = QFontMetricsF(first.name_font)
            left -= max(metrics.horizontalAdvance(name) for name in self.input_names) + 12
        for column, title in ((first, titles[0]), (last, titles[-1])):
            half = max(header.horizontalAdvance(t) for t in title.split("\n")) / 2 / scale
            left, right = min(left, column.x - half - 12), max(right, column.x + half + 12)
        return QRectF(left, top, right - left, bottom - top)
