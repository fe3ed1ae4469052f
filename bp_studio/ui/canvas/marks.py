"""Unit health badges: a small mark at the top right of a saturated or a dead unit's node.

``unit_badges`` picks the units from ``engine.diagnostics.LayerHealth`` and takes each
badge's text from the explanation (``studio.explain_diagnostics.unit_health_tooltip``), so
the canvas, its tooltips and the explanation panel say the same; ``UnitBadgesItem`` draws
all badges of the network as one item; ``draw_badge`` draws one (the legend uses it too).

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
from bp_studio.ui.canvas.items import level_of_detail, pixel_font

SATURATED_SHARE = SATURATED_MOST
"""A unit gets the saturated badge when it is saturated on more than this share of the
samples (``LayerHealth.unit_saturated``): the explanation's "saturated on most samples"."""

BADGE_LETTERS = {"saturated": "S", "dead": "✕"}
"""What each kind of badge says: ``S`` on amber, ``✕`` on dull red."""
MIN_LETTER_PX = 6.0
"""A badge whose radius is smaller than this many device pixels is a dot, without its letter."""


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
    """Centre and radius of the badge of a node at ``centre``: on its rim at the top right
    (45°), ``0.36 r`` big (at least ``min(6, 0.9 r)``, so small nodes keep a visible dot)."""
    radius = max(0.36 * node_radius, min(6.0, 0.9 * node_radius))
    reach = node_radius * 0.74
    return QPointF(centre.x() + reach, centre.y() - reach), radius


def draw_badge(
    painter: QPainter,
    centre: QPointF,
    radius: float,
    kind: str,
    colours: Colours,
    lod: float = 1.0,
) -> None:
    """One badge: a disc ringed in the background colour, its letter once big enough."""
    fill, ink = badge_colours(kind)
    ring = QPen(colours.background, 1.5)
    ring.setCosmetic(True)
    painter.setPen(ring)
    painter.setBrush(fill)
    painter.drawEllipse(centre, radius, radius)
    if radius * lod < MIN_LETTER_PX:
        return
    font = painter.font()
    painter.setPen(ink)
    painter.setFont(pixel_font(font, radius * 1.25, bold=True))
    box = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, BADGE_LETTERS[kind])
    painter.setFont(font)


class UnitBadgesItem(QGraphicsItem):
    """Every badge of the network, drawn by one item above the nodes.

    Hidden while there are none (it then costs a frame nothing); its drawing is kept in
    device coordinates, so a redraw of the rest of the scene does not repaint it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._badges: list[tuple[QPointF, float, str]] = []
        self._colours: Colours | None = None
        self._rect = QRectF()
        self._key: tuple = ()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setVisible(False)

    def set_badges(self, badges: list[tuple[QPointF, float, str]], colours: Colours) -> None:
        """``(centre, radius, kind)`` of each badge (scene coordinates); ``[]``: none."""
        key = (tuple((c.x(), c.y(), r, k) for c, r, k in badges), colours.key)
        if key == self._key:
            return
        self._key = key
        self.prepareGeometryChange()
        self._badges, self._colours = list(badges), colours
        rect = QRectF()
        for centre, radius, _ in badges:
            reach = radius + 2
            rect = rect.united(QRectF(centre.x() - reach, centre.y() - reach, 2 * reach, 2 * reach))
        self._rect = rect
        self.setVisible(bool(badges))
        self.update()

    def kinds(self) -> list[str]:
        """The kinds of badge drawn, in ``BADGE_LETTERS`` order."""
        present = {kind for _, _, kind in self._badges}
        return [kind for kind in BADGE_LETTERS if kind in present]

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self._colours is None:
            return
        lod = level_of_detail(painter)
        for centre, radius, kind in self._badges:
            draw_badge(painter, centre, radius, kind, self._colours, lod)
