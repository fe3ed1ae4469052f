"""The legend along the bottom of the canvas: what colours, thickness and rings mean."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QLinearGradient, QPainter, QPen

from bp_studio.ui.canvas.checks import CHECK_LEVELS, UNCHECKED, check_colour, check_pen, worst_pen
from bp_studio.ui.canvas.colours import Colours
from bp_studio.ui.canvas.items import pixel_font
from bp_studio.ui.canvas.marks import BADGE_RADIUS_PX, draw_badge

LEGEND = (
    ("positive", "positive weight"),
    ("negative", "negative weight"),
    ("thickness", "thickness = |w| ÷ its layer's largest"),
    ("scale", "node colour = value a (δ in backward): −1 … 0 … +1"),
    ("active", "layer being computed"),
)
"""The entries when nothing else is drawn; the scene adds what it draws
(``NetworkScene.legend_entries``)."""
LEGEND_SWATCH = 30.0
LEGEND_GAP = 22.0


Entries = tuple[tuple[str, str], ...]


def _legend_rows(
    font: QFont, width: float, entries: Entries = LEGEND
) -> list[list[tuple[str, str, float]]]:
    """The legend's items ``(kind, text, width)`` packed into rows no wider than ``width``."""
    metrics = QFontMetricsF(font)
    rows: list[list[tuple[str, str, float]]] = [[]]
    used = 0.0
    for kind, text in entries:
        item = LEGEND_SWATCH + 6 + metrics.horizontalAdvance(text)
        if rows[-1] and used + LEGEND_GAP + item > width:
            rows.append([])
            used = 0.0
        used += (LEGEND_GAP if rows[-1] else 0.0) + item
        rows[-1].append((kind, text, item))
    return rows


def legend_size(
    base_font: QFont, viewport_width: float, entries: Entries = LEGEND
) -> tuple[float, float]:
    """Width and height (px) of the legend drawn in a viewport ``viewport_width`` wide."""
    font = pixel_font(base_font, 12)
    rows = _legend_rows(font, viewport_width - 40, entries)
    width = max(sum(i[2] for i in row) + LEGEND_GAP * (len(row) - 1) for row in rows)
    return width + 24, (QFontMetricsF(font).height() + 6) * len(rows) + 10


def legend_rect(base_font: QFont, viewport: QRect, entries: Entries = LEGEND) -> QRectF:
    """Where ``draw_legend`` draws the legend's box in ``viewport`` (a ``QRect``)."""
    width, height = legend_size(base_font, viewport.width(), entries)
    return QRectF((viewport.width() - width) / 2, viewport.height() - height - 6, width, height)


def draw_legend(
    painter: QPainter,
    viewport: QRect,
    colours: Colours,
    base_font: QFont,
    entries: Entries = LEGEND,
) -> None:
    """Blue = positive weight, orange = negative, thickness = |w|, the node colour scale..."""
    font = pixel_font(base_font, 12)
    line_h = QFontMetricsF(font).height() + 6
    rows = _legend_rows(font, viewport.width() - 40, entries)
    box = legend_rect(base_font, viewport, entries)
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
    elif kind == "picture":  # a node holding a little map: one half white, one half blue
        centre = QPointF((x0 + x1) / 2, y)
        gradient = QLinearGradient(QPointF(x0 + 8, y - 7), QPointF(x1 - 8, y + 7))
        gradient.setColorAt(0.0, colours.zero)
        gradient.setColorAt(0.45, colours.zero)
        gradient.setColorAt(0.55, colours.positive)
        gradient.setColorAt(1.0, colours.positive)
        painter.setPen(QPen(colours.border, 1))
        painter.setBrush(QBrush(gradient))
        painter.drawEllipse(centre, 7, 7)
    elif kind == "strongest":  # a cell with three lines leaving it
        painter.setPen(QPen(colours.border, 1))
        painter.setBrush(colours.positive)
        painter.drawRect(QRectF(x0 + 2, y - 5, 10, 10))
        for dy, colour in ((-5, colours.positive), (0, colours.negative), (5, colours.positive)):
            painter.setPen(QPen(colour, 1.5))
            painter.drawLine(QPointF(x0 + 12, y), QPointF(x1 - 2, y + dy))
    elif kind in ("saturated", "dead"):  # the badge on the rim of a node
        painter.setPen(QPen(colours.border, 1.5))
        painter.setBrush(colours.zero)
        painter.drawEllipse(QPointF(x0 + 12, y + 2), 8, 8)
        draw_badge(painter, QPointF(x0 + 20, y - 4), BADGE_RADIUS_PX, kind, colours)
    elif kind == "question":  # a node with "?" in a dashed ring
        centre = QPointF((x0 + x1) / 2, y)
        painter.setPen(QPen(colours.border, 1.5))
        painter.setBrush(colours.zero)
        painter.drawEllipse(centre, 7, 7)
        painter.setPen(QPen(colours.accent, 1.5, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(centre, 10, 10)
        font = painter.font()
        painter.setPen(QColor("#111111"))
        painter.setFont(pixel_font(font, 11, bold=True))
        painter.drawText(QRectF(centre.x() - 7, y - 7, 14, 14), Qt.AlignmentFlag.AlignCenter, "?")
        painter.setFont(font)
    elif kind == "check":  # green, then amber to red
        width = LEGEND_SWATCH / CHECK_LEVELS
        for level in range(CHECK_LEVELS):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(check_colour(level, colours))
            painter.drawRect(QRectF(x0 + level * width, y - 5, width + 0.5, 10))
    elif kind in ("check_worst", "check_worst_ok"):
        glow, line = worst_pen(colours, 0 if kind == "check_worst_ok" else CHECK_LEVELS - 1)
        for pen in (glow, line):
            painter.setPen(pen)
            painter.drawLine(QPointF(x0 + 6, y), QPointF(x1 - 6, y))
    elif kind in ("check_unchecked", "check_kink"):
        level = UNCHECKED if kind == "check_unchecked" else 0
        pen = check_pen(level, kind == "check_kink", colours)
        painter.setPen(pen)
        painter.drawLine(QPointF(x0 + 2, y), QPointF(x1 - 2, y))
