"""Unit health badges: a small mark at the top right of a saturated or a dead unit's node.

``unit_badges`` picks the units from ``engine.diagnostics.LayerHealth`` and takes each
badge's text from the explanation (``studio.explain_diagnostics.unit_health_tooltip``), so
the canvas, its tooltips and the explanation panel say the same; ``UnitBadgesItem`` draws
the badges of the network (each a fixed size on screen, whatever the zoom, so that it is seen
on a projector); ``draw_badge`` draws one (the legend uses it too).

Network layer ``l`` (0 = the first hidden layer) is drawn as node column ``l + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from bp_studio.engine import LOSSES, Network
from bp_studio.engine.diagnostics import LayerHealth
from bp_studio.studio.explain_diagnostics import SATURATED_MOST, unit_health_tooltip
from bp_studio.ui.canvas.colours import Colours
from bp_studio.ui.canvas.items import pixel_font

SATURATED_SHARE = SATURATED_MOST
"""A unit gets the saturated badge when it is saturated on more than this share of the
samples (``LayerHealth.unit_saturated``): the explanation's "saturated on most samples"."""

BADGE_LETTERS = {"saturated": "S", "dead": "✕"}
"""What each kind of badge says: ``S`` on amber, ``✕`` on dull red."""
BADGE_RADIUS_PX = 7.0
"""A badge is a disc this many pixels in radius on screen (14 px across, its letter 10 px
high), at any zoom and on nodes of any size: as big as the legend's."""


@dataclass(frozen=True)
class Badge:
    """The badge of node ``unit`` of node column ``column``: ``kind`` (``saturated`` or
    ``dead``) and ``text``, the tooltip that says what it means and what usually helps."""

    column: int
    unit: int
    kind: str
    text: str


def unit_badges(health: Sequence[LayerHealth], network: Network) -> dict[tuple[int, int], Badge]:
    """The badges of ``health`` (one ``LayerHealth`` per layer of ``network``), keyed by
    ``(column, unit)``.

    A unit dead on the whole batch (``unit_dead``) is marked dead; else one saturated on more
    than ``SATURATED_SHARE`` of the samples is marked saturated. The output layer is not
    marked saturated when the loss cancels its ``f′`` (``δ = o − t``: cross-entropy after
    sigmoid or softmax), where saturation does no harm (as ``explain_health`` says).
    ``ValueError`` when ``health`` does not describe ``network``'s layers.
    """
    layers = network.layers
    if len(health) != len(layers) or any(
        h.layer != index or h.units != layer.units or h.activation != layer.activation
        for index, (h, layer) in enumerate(zip(health, layers))
    ):
        shape = [(h.layer, h.units, h.activation) for h in health]
        raise ValueError(
            f"unit health {shape} does not describe the network's layers "
            f"{[(i, layer.units, layer.activation) for i, layer in enumerate(layers)]}"
        )
    loss = LOSSES.get(network.loss_name)
    badges = {}
    for h in health:
        cancelled = h.layer == len(layers) - 1 and loss and loss.output_activation == h.activation
        units = set(h.dead_units)
        if not cancelled and h.unit_saturated is not None:
            units.update(int(u) for u in (h.unit_saturated > SATURATED_SHARE).nonzero()[0])
        for unit in sorted(units):
            text = unit_health_tooltip(h, unit)
            if text is None:
                continue
            dead = h.unit_dead is not None and bool(h.unit_dead[unit])
            kind = "dead" if dead else "saturated"
            badges[(h.layer + 1, unit)] = Badge(h.layer + 1, unit, kind, text)
    return badges


def badge_colours(kind: str) -> tuple[QColor, QColor]:
    """``(fill, letter)`` of a badge: amber with dark ink (saturated), dull red with white."""
    if kind == "saturated":
        return QColor("#f2b134"), QColor("#3b2a00")
    return QColor("#a83c3c"), QColor("white")


def badge_place(centre: QPointF, node_radius: float) -> tuple[QPointF, float]:
    """Centre (scene) and radius (pixels on screen, ``BADGE_RADIUS_PX``) of the badge of a
    node at ``centre`` of radius ``node_radius``: on its rim at the top right (45°)."""
    reach = node_radius * 0.74
    return QPointF(centre.x() + reach, centre.y() - reach), BADGE_RADIUS_PX


def draw_badge(
    painter: QPainter,
    centre: QPointF,
    radius: float,
    kind: str,
    colours: Colours,
) -> None:
    """One badge: a disc ringed in the background colour, with its letter (pixels)."""
    fill, ink = badge_colours(kind)
    ring = QPen(colours.background, 1.5)
    ring.setCosmetic(True)
    painter.setPen(ring)
    painter.setBrush(fill)
    painter.drawEllipse(centre, radius, radius)
    font = painter.font()
    painter.setPen(ink)
    painter.setFont(pixel_font(font, radius * 1.4, bold=True))
    box = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, BADGE_LETTERS[kind])
    painter.setFont(font)


class BadgeItem(QGraphicsItem):
    """One badge, centred on its position and drawn in pixels (``ItemIgnoresTransformations``):
    the same size on screen however far the network is zoomed out."""

    def __init__(self, kind: str, radius: float, colours: Colours) -> None:
        super().__init__()
        self.kind = kind
        self.radius = radius
        self._colours = colours
        reach = radius + 2
        self._rect = QRectF(-reach, -reach, 2 * reach, 2 * reach)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        draw_badge(painter, QPointF(0, 0), self.radius, self.kind, self._colours)


class UnitBadgesItem(QGraphicsItem):
    """Every badge of the network: a ``BadgeItem`` child for each, above the nodes.

    It draws nothing itself; hidden while there are no badges (it then costs a frame
    nothing). Each badge keeps its drawing in device coordinates, so a redraw of the rest of
    the scene does not repaint it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._badges: list[BadgeItem] = []
        self._key: tuple = ()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setVisible(False)

    def set_badges(self, badges: list[tuple[QPointF, float, str]], colours: Colours) -> None:
        """``(centre (scene), radius (pixels), kind)`` of each badge; ``[]``: none."""
        key = (tuple((c.x(), c.y(), r, k) for c, r, k in badges), colours.key)
        if key == self._key:
            return
        self._key = key
        for item in self._badges:  # (set only once the item is in the scene)
            self.scene().removeItem(item)  # and from this item: deleted with its wrapper
        self._badges = []
        for centre, radius, kind in badges:
            item = BadgeItem(kind, radius, colours)
            item.setParentItem(self)
            item.setPos(centre)
            self._badges.append(item)
        self.setVisible(bool(badges))

    def items(self) -> list[BadgeItem]:
        """The badges drawn, one item each."""
        return list(self._badges)

    def kinds(self) -> list[str]:
        """The kinds of badge drawn, in ``BADGE_LETTERS`` order."""
        present = {item.kind for item in self._badges}
        return [kind for kind in BADGE_LETTERS if kind in present]

    def boundingRect(self) -> QRectF:
        return QRectF()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        pass
