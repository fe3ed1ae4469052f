"""``NetworkCanvas``: the view that shows a ``NetworkScene``, fits and zooms it, draws the
legend, and turns clicks, hovers and double-clicks into signals.

Besides the moment it shows three things the window sets and clears: unit health badges
(``set_unit_health``), edges coloured by a gradient check (``set_gradient_check``, dropped by
itself when a moment of another step or other parameters arrives) and an open quiz
question, whose answer is written ``?`` everywhere (``set_hidden``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QPixmapCache,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QInputDialog, QToolTip, QWidget

from bp_studio.engine.diagnostics import LayerHealth
from bp_studio.engine.gradcheck import GradientCheck
from bp_studio.studio.explain_diagnostics import parameter_check_tooltip
from bp_studio.studio.moment import Moment, Selection
from bp_studio.studio.quiz import Question
from bp_studio.ui.canvas import tooltips
from bp_studio.ui.canvas.checks import parameter_offsets
from bp_studio.ui.canvas.colours import Colours
from bp_studio.ui.canvas.items import PIXMAP_CACHE_KB, Label, NodeItem
from bp_studio.ui.canvas.layout import Layout
from bp_studio.ui.canvas.legend import LEGEND, draw_legend, legend_rect, legend_size
from bp_studio.ui.canvas.marks import unit_badges
from bp_studio.ui.canvas.scene import NetworkScene

CLICK_SLOP_PX = 4
"""A press and release closer than this (in pixels) is a click, not a drag."""
FIT_MARGIN_PX = 12


class NetworkCanvas(QGraphicsView):
    """The network drawn as columns of nodes with weighted edges (see the package docstring).

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
        self._scene = NetworkScene(self)
        self.setScene(self._scene)
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
        self._legend_cache: tuple[tuple, tuple[QPoint, QPixmap]] | None = None
        self._legend_height_cache: tuple[tuple | None, float] = (None, 0.0)
        self._colours = Colours(self.palette())
        self._health: list[LayerHealth] | None = None
        self._check: GradientCheck | None = None
        self._check_moment: tuple[int, np.ndarray] | None = None
        """The step number and parameters the gradient check was made at."""
        self._question: Question | None = None

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

    @property
    def network_scene(self) -> NetworkScene:
        """The scene's items (nodes, edge layers, labels), for tests and screenshots."""
        return self._scene

    @property
    def _nodes(self) -> list[list[NodeItem]]:  # the node items by column (the window's tests)
        return self._scene.nodes

    @property
    def _layout(self) -> Layout | None:
        return self._scene.layout

    def set_editable(self, editable: bool) -> None:
        """Allow double-click editing of weights and biases (the window: only while paused)."""
        self._editable = bool(editable)

    def set_moment(self, moment: Moment) -> None:
        """Draw ``moment``: rebuild the scene if the architecture changed, else restyle.

        The architecture includes what the moment names (input and output names) and how
        the inputs are normalised, since the column headers and labels show them.
        """
        network = moment.network
        norm = network.normalization
        architecture = (
            tuple(network.sizes),
            tuple(network.activations),
            tuple(layer.has_bias for layer in network.layers),
            network.loss_name,
            network.input_names,
            moment.output_names,
            None if norm is None else norm.kind,
        )
        self._moment = moment
        if architecture != self._architecture:
            # The scene is rebuilt below with what still fits: not restyled on the old one.
            self._check, self._check_moment = None, None
            self._architecture = architecture
            if self._health is not None and not self._health_fits(moment):
                self._health = None
            if self._question is not None and not self._fits(moment, self._question.selection):
                self._question = None
            self._build()
            if self._selection is not None and not self._valid(self._selection):
                self._selection = None
                self._restyle()
                self.selection_changed.emit(None)
                return
        elif self._check is not None and not self._check_still_applies(moment):
            self.set_gradient_check(None)  # the check belonged to another step
            return
        self._restyle()

    def set_node_images(self, images: dict[tuple[int, int], QImage] | None) -> None:
        """Small maps of what each node computes over the input plane of 2-D data, keyed by
        ``(node_layer, unit)`` (hidden and output nodes; ``DataView.neuron_images``).

        A node draws its map while it shows no value; ``None`` or ``{}`` removes them. The
        legend says what the pictures are while there are some.
        """
        legend = self._legend_height()
        self._scene.set_node_images(images)
        if self._auto_fit and self._legend_height() != legend:  # a legend row more or less
            self._fit_view()
        self.viewport().update()

    def set_unit_health(self, health: Sequence[LayerHealth] | None) -> None:
        """Badge the saturated and dead units of ``health`` (``layer_health`` or
        ``step_health`` of the network shown; ``None`` removes the badges).

        ``S`` on amber at a node's top right: saturated on more than half of the samples
        (``marks.SATURATED_SHARE``); ``✕`` on dull red: dead on the whole batch. Hovering the
        node adds what the badge means and what usually helps to its tooltip; the legend
        explains the badges while there are some. The badges stay through ``set_moment``
        until set again (a new architecture drops health that no longer fits it).
        ``ValueError`` if ``health`` does not describe the network shown.
        """
        if health is not None and self._moment is not None:
            unit_badges(health, self._moment.network)  # ValueError: another network's
        self._health = None if health is None else list(health)
        self._overlays_changed(self._apply_health)

    def set_gradient_check(self, check: GradientCheck | None) -> None:
        """Colour the edges by ``check``'s relative errors (``check_gradients`` of the network
        shown at this moment; ``None``: by their weights again).

        Green below the check's tolerance, amber to red (``≥ 0.01``) on a log scale, grey
        unchecked, dotted near a kink; the worst parameter glows (a bias: a ring round its
        node); bias labels are bordered likewise; the legend says what the colours mean and
        an edge's or bias's tooltip gives ``g``, ``g_num`` and ``r``. The check belongs to
        one step: a moment of another step number, or with other parameters or another
        architecture, drops it. ``ValueError`` without a moment, or for another network.
        """
        if check is not None:
            moment = self._moment
            if moment is None:
                raise ValueError("set a moment before its gradient check")
            if check.parameters != moment.network.parameters.size:
                raise ValueError(
                    f"the gradient check has {check.parameters} parameters, the network shown "
                    f"has {moment.network.parameters.size}"
                )
            self._check_moment = (moment.step_number, moment.network.parameters.copy())
        else:
            self._check_moment = None
        self._check = check
        self._overlays_changed(self._apply_check)

    def set_hidden(self, question: Question | None) -> None:
        """Hide what the quiz ``question`` asks for: its number is written ``?`` on its node
        (a blank node that names the quantity: ``z=?`` for a ``z`` question), edge or bias
        label, beside an output node and in the tooltips, and a dashed ring (a glow, for an
        edge) shows where it is. Where that ``?`` is too small to read (or not written: a
        big network), a box saying ``z=?``, ``∂L/∂w=?``... at a fixed size on screen marks
        the node, edge or bias (``labels("question")``). ``None`` shows everything.

        What else is hidden with it is in ``hidden`` (a ``z`` question hides ``a`` too).
        ``ValueError`` if the question is about a node, edge or bias this network lacks.
        """
        if question is not None and self._layout is not None:
            if not self._valid(question.selection):
                raise ValueError(f"{question.selection} is not part of this network")
        self._question = question
        self._overlays_changed(self._apply_question)

    def unit_badges(self) -> dict[tuple[int, int], str]:
        """The badges drawn: ``{(node column, unit): "saturated" | "dead"}``."""
        return {key: badge.kind for key, badge in self._scene.unit_badges.items()}

    def gradient_check_worst(self) -> Selection | None:
        """The edge or bias the shown gradient check found worst (``None``: no check)."""
        return self._scene.check_worst if self._check is not None else None

    def set_selection(self, selection: Selection | None) -> None:
        """Show ``selection`` (no signal: the caller already knows)."""
        if selection is not None and self._layout is not None and not self._valid(selection):
            raise ValueError(f"{selection} is not part of this network")
        self._selection = selection
        self._apply_marks()

    def fit(self) -> None:
        """Fit the whole network in the view above the legend (kept fitted until zoomed)."""
        self._auto_fit = True
        self._fit_view()
        self._restyle()  # labels too small to read at the old scale may be readable now

    def _fit_view(self) -> None:
        scale = self._fit_scale()
        if self._layout is not None and scale > 0:
            rect = self._layout.rect
            self.setTransform(QTransform.fromScale(scale, scale))
            legend = self._legend_height()
            self.centerOn(rect.center() + QPointF(0, legend / 2 / scale))
        self.viewport().update()

    def node_position(self, layer: int, unit: int) -> QPointF:
        """Scene position of node ``unit`` of node layer ``layer`` (0 = inputs; an input drawn
        as a cell of the input image is at the cell's centre)."""
        layout = self._layout
        assert layout is not None, "no network shown yet"
        return layout.node(layer, unit)

    def edge_point(self, layer: int, unit: int, input: int, t: float = 0.5) -> QPointF:
        """The scene point a fraction ``t`` along edge ``weight[unit, input]`` of ``layer``."""
        layout = self._layout
        assert layout is not None, "no network shown yet"
        start = layout.node(layer, input)
        end = layout.node(layer + 1, unit)
        return start + (end - start) * t

    def selection_at(self, scene_pos: QPointF) -> Selection | None:
        """What a click at ``scene_pos`` selects: bias label, edge label, node, edge or nothing."""
        return self._scene.selection_at(scene_pos, self._scale())

    def tooltip_text(self, selection: Selection) -> str:
        """The value, gradient and formula of a node, edge or bias, for its tooltip; what a
        node's badge means; an edge's or bias's gradient check; ``?`` for a quiz's answer."""
        scene, moment = self._scene, self._moment
        assert moment is not None  # selections are of the network shown
        notes: list[str] = []
        if selection.kind == "node":
            badge = scene.unit_badges.get((selection.layer, selection.unit))
            if badge is not None:
                notes.append(badge.text)
        elif self._check is not None and ("gradient", selection) not in scene.hidden:
            weight, bias = parameter_offsets(moment.network)[selection.layer]
            if selection.kind == "edge":
                assert selection.input is not None  # an edge selection names its input
                inputs = moment.network.layers[selection.layer].inputs
                index = weight + selection.unit * inputs + selection.input
                notes.append(parameter_check_tooltip(self._check, index))
            elif bias is not None:
                notes.append(parameter_check_tooltip(self._check, bias + selection.unit))
        return tooltips.tooltip(moment, selection, scene.hidden, tuple(notes))

    def labels(self, role: str) -> dict[tuple[int, ...], str]:
        """The visible labels of one role (``header``, ``bias``, ``edge``, ``error``, ``loss``,
        ``input_name``, ``output_name``, ``caption``)."""
        return self._scene.labels(role)

    def full_text_at(self, view_pos: QPoint) -> str:
        """What the abbreviated column title or output name at ``view_pos`` (viewport
        pixels) stands for (``Hidden layer 1 (8) · sigmoid`` for ``H1``); empty if none."""
        for item in self.items(view_pos):
            if isinstance(item, Label) and item.full_text and item.isVisible():
                return item.full_text
        return ""

    def label_shown(self, role: str, key: tuple[int, ...]) -> bool:
        """Whether a label is drawn at the current zoom (big enough to read)."""
        for label in self._scene.all_labels:
            if label.role == role and label.key == key:
                return label.isVisible() and label.shown_at(self._scale())
        return False

    def node_texts(self) -> dict[tuple[int, int], str]:
        """What each node says, e.g. ``{(1, 0): "a=0.7514"}`` (nodes with a value only)."""
        return self._scene.node_texts()

    def edge_pen(self, layer: int, unit: int, input: int) -> QPen:
        """The pen that draws edge ``weight[unit, input]`` of network layer ``layer`` (its
        gradient-check pen while a check is shown)."""
        return self._scene.edge_pen(layer, unit, input)

    def legend_entries(self) -> tuple[tuple[str, str], ...]:
        """``(kind, text)`` of each legend entry, as drawn."""
        return self._scene.legend_entries()

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
            canvas.set_unit_health(self._health)
            canvas.set_gradient_check(self._check)
            canvas.set_hidden(self._question)
            canvas.set_node_images(
                {
                    (node.layer, node.unit): node._image
                    for column in self._scene.nodes
                    for node in column
                    if node._image is not None
                }
            )
        canvas.fit()
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(self._colours.background)
        canvas.viewport().render(image)
        canvas.close()
        canvas.deleteLater()
        return image

    # -- building and restyling -------------------------------------------------------------

    def _build(self) -> None:
        moment = self._moment
        assert moment is not None  # built for the moment set
        self._hover = None
        self._legend_cache = None
        layout = Layout(moment.network, self.font(), moment.output_names, self._room())
        self._scene.build(moment.network, layout)
        self._apply_health()
        self._apply_check()
        self._apply_question()
        if self._auto_fit:
            self._fit_view()

    def _room(self) -> tuple[float, float]:
        """The pixels the fitted network has: the viewport less margins and legend."""
        viewport = self.viewport().rect()
        width = viewport.width() - 2 * FIT_MARGIN_PX
        height = viewport.height() - 2 * FIT_MARGIN_PX - self._legend_height()
        return max(width, 120.0), max(height, 90.0)

    def _text_outgrown(self) -> bool:
        """Whether the view's size changed so much that the text would be too small or too
        big once fitted: the layout is then made again for the new room."""
        layout = self._layout
        if layout is None or self._moment is None:
            return False
        zoom = 1.0 / min(1.0, max(0.25, self._fit_scale()))
        return abs(zoom / layout.zoom - 1.0) > 0.15

    def _restyle(self) -> None:
        if self._moment is None or self._layout is None:
            return
        self._scene.restyle(
            self._moment, self._colours, self._hover, self._selection, self._scale()
        )
        self.viewport().update()

    def _apply_marks(self) -> None:
        if self._moment is not None and self._scene.image is not None:
            self._restyle()  # the input image follows the hovered or selected unit
            return
        self._scene.apply_marks(self._moment, self._colours, self._hover, self._selection)

    # -- health badges, gradient check, quiz question -----------------------------------------

    def _overlays_changed(self, apply: Callable[[], None]) -> None:
        """``apply`` an overlay to the scene, restyle, and refit if the legend's height moved."""
        legend = self._legend_height()
        apply()
        self._legend_cache = None
        self._restyle()
        if self._auto_fit and self._legend_height() != legend:
            self._fit_view()
        self.viewport().update()

    def _apply_health(self) -> None:
        if self._layout is None:
            return
        moment = self._moment
        assert moment is not None  # the layout is of the moment's network
        badges = {} if self._health is None else unit_badges(self._health, moment.network)
        self._scene.set_badges(badges, self._colours)

    def _apply_check(self) -> None:
        if self._layout is not None:
            assert self._moment is not None  # the layout is of the moment's network
            self._scene.set_check(self._check, self._moment.network, self._colours)

    def _apply_question(self) -> None:
        self._scene.set_question(self._question)

    def _health_fits(self, moment: Moment) -> bool:
        assert self._health is not None  # asked only while there are badges
        try:
            unit_badges(self._health, moment.network)
        except ValueError:
            return False
        return True

    def _check_still_applies(self, moment: Moment) -> bool:
        """Whether ``moment`` is of the step and parameters the gradient check was made at."""
        assert self._check_moment is not None  # set with the check, asked only while it is
        step, parameters = self._check_moment
        now = moment.network.parameters
        return moment.step_number == step and np.array_equal(now, parameters)

    def _fits(self, moment: Moment, selection: Selection) -> bool:
        """Whether ``selection`` names a node, edge or bias of ``moment``'s network."""
        sizes = moment.network.sizes
        if selection.kind == "node":
            return (
                0 <= selection.layer < len(sizes) and 0 <= selection.unit < sizes[selection.layer]
            )
        if not (
            0 <= selection.layer < len(sizes) - 1
            and 0 <= selection.unit < sizes[selection.layer + 1]
        ):
            return False
        if selection.kind == "edge":
            return selection.input is not None and 0 <= selection.input < sizes[selection.layer]
        return moment.network.layers[selection.layer].has_bias

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
            return (selection.layer, selection.unit) in self._scene.bias_labels or (
                self._moment is not None and self._moment.network.layers[selection.layer].has_bias
            )
        if selection.kind == "edge":
            return selection.input is not None and 0 <= selection.input < sizes[selection.layer]
        return False

    def _scale(self) -> float:
        return math.hypot(self.transform().m11(), self.transform().m12()) or 1.0

    def _hit(self, view_pos: QPoint) -> Selection | None:
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
        assert moment is not None  # editing needs a moment shown
        layer = moment.network.layers[selection.layer]
        if selection.kind == "edge":
            assert selection.input is not None  # an edge selection names its input
            current = float(layer.weight[selection.unit, selection.input])
        else:
            assert layer.bias is not None  # a bias selection is of a layer with biases
            current = float(layer.bias[selection.unit])
        title, label = tooltips.edit_prompt(moment, selection)
        value, ok = QInputDialog.getDouble(self, title, label, current, -1e6, 1e6, 6)
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

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
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

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
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

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() == Qt.MouseButton.NoButton and self._layout is not None:
            self._set_hover(self._hit(event.position().toPoint()))

    def leaveEvent(self, event: QEvent) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
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
        self._restyle()  # labels readable at the new scale are written, others hidden
        self.viewport().update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            if self._text_outgrown():
                self._build()
            self.fit()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)  # Qt asks for tooltips with help events
            selection = self._hit(event.pos()) if self._moment is not None else None
            text = self.tooltip_text(selection) if selection else self.full_text_at(event.pos())
            if not text:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            return True
        return super().viewportEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._colours = Colours(self.palette())
            self._restyle()
        super().changeEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.fillRect(rect, self._colours.background)

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        """The legend, in viewport coordinates (it does not zoom), along the bottom."""
        if self._layout is None or not self._legend_height():
            return
        viewport = self.viewport().rect()
        ratio = self.viewport().devicePixelRatioF()
        entries = self.legend_entries()
        key = (
            viewport.width(),
            viewport.height(),
            ratio,
            self._colours.key,
            self.font().key(),
            entries,
        )
        if self._legend_cache is None or self._legend_cache[0] != key:
            # only the legend's own box is kept and drawn: blending a viewport-sized, mostly
            # transparent pixmap costs about a millisecond a frame
            box = legend_rect(self.font(), viewport, entries).adjusted(-2, -2, 2, 2).toAlignedRect()
            box = box.intersected(viewport)
            pixmap = QPixmap(box.size() * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            legend_painter = QPainter(pixmap)
            legend_painter.setRenderHints(self.renderHints())
            legend_painter.translate(-box.left(), -box.top())
            draw_legend(legend_painter, viewport, self._colours, self.font(), entries)
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
        entries = self.legend_entries() if self._layout is not None else LEGEND
        key = (viewport.width(), entries, self.font().key())
        if self._legend_height_cache[0] != key:
            height = legend_size(self.font(), viewport.width(), entries)[1] + 8
            self._legend_height_cache = (key, height)
        return self._legend_height_cache[1]
