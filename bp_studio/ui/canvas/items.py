"""The scene's items besides the edges (``edges``): labels, nodes and the input image. Each
draws itself from plain values that the view sets (``set_text``, ``set_state``,
``set_pixels``); none reads the network."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from bp_studio.studio.explain import format_number

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

    A ``screen`` label keeps its size on screen whatever the zoom (its font is in device
    pixels, its anchor in the scene): the column titles, the output names and the quiz's
    ``?``, which must stay legible however small the network is drawn. ``full_text`` is what
    an abbreviated label stands for (its tooltip; empty when it is not abbreviated).
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
        screen: bool = False,
    ) -> None:
        super().__init__()
        self.role = role
        self.key = key
        self.align = align
        self.min_px = min_px
        self.boxed = boxed
        self.screen = screen
        self.full_text = ""
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
        if screen:
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)

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

    def screen_px(self, scale: float) -> float:
        """How many device pixels high the font is at view scale ``scale``."""
        return self._font.pixelSize() * (1.0 if self.screen else scale)

    def readable_at(self, scale: float) -> bool:
        """Whether text in this label's font is big enough to read at view scale ``scale``."""
        return self.screen_px(scale) >= self.min_px

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
        """The text's box around the anchor, in item coordinates (device pixels for a
        ``screen`` label: see ``scene_rect``)."""
        return QRectF(self._rect)

    def scene_rect(self, scale: float) -> QRectF:
        """The text's box in the scene at view scale ``scale``."""
        rect = self._rect
        if self.screen:
            rect = QRectF(rect.topLeft() / scale, rect.size() / scale)
        return rect.translated(self.pos())

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
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
        self._question: QColor | None = None
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

    def set_question(self, colour: QColor | None) -> None:
        """A dashed ring in ``colour`` around the node a quiz question asks about (``None``:
        none)."""
        if colour != self._question:
            self._question = colour
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

    def text_readable_at(self, scale: float) -> bool:
        """Whether the node's text is drawn at view scale ``scale`` (big enough to read)."""
        if self.text_side == "inside":
            return self._texts(scale) is not None
        if self.text_side == "none":
            return False
        return self._value_font.pixelSize() * scale >= MIN_LABEL_PX

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

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
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
        if self._question is not None:  # outside the selection ring, inside the bounds
            ring = QPen(self._question, 2.0, Qt.PenStyle.DashLine)
            ring.setCosmetic(True)
            painter.setPen(ring)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            reach = r + min(7.0 / max(lod, 1e-6), self.halo_width + 5.0)
            painter.drawEllipse(origin, reach, reach)
        if not self.value_text:
            readable = self._symbol_font.pixelSize() * lod >= MIN_LABEL_PX
            if self.text_side == "inside" and len(self.symbol) > 1 and readable:
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

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
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
