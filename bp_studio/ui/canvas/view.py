"""``NetworkCanvas``: the view that builds the scene from a ``Layout``, restyles it from each
``Moment`` and turns clicks, hovers and double-clicks into signals."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPixmapCache,
    QTransform,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QInputDialog,
    QToolTip,
    QWidget,
)

from bp_studio.engine import Network, Phase
from bp_studio.studio.moment import Moment, Selection
from bp_studio.ui.canvas.colours import Colours, luminance, mix
from bp_studio.ui.canvas.items import (
    MIN_LABEL_PX,
    EdgeLayerItem,
    EdgeMarksItem,
    Label,
    NodeItem,
    _bounds,
    node_style_key,
)
from bp_studio.ui.canvas.layout import Layout, fmt
from bp_studio.ui.canvas.legend import draw_legend, legend_rect, legend_size

CLICK_SLOP_PX = 4
"""A press and release closer than this (in pixels) is a click, not a drag."""

EDGE_HIT_PX = 5.0
NODE_HIT_PX = 3.0
FIT_MARGIN_PX = 12
PIXMAP_CACHE_KB = 64 * 1024

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
