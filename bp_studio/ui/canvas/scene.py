"""The canvas's scene: the items of one architecture, restyled from each ``Moment``.

``build`` makes the items from a ``Layout`` (once per architecture); ``restyle`` sets every
colour and text from a moment, the hovered and the selected thing (cheap: items compare
their new style with the old one and redraw only on a change); ``selection_at`` says what a
scene point hits.

Three overlays stay across restyles until they are set again: unit health badges
(``set_badges``), the gradient check's edge colours (``set_check``) and the quantities an
open quiz question hides (``set_question``). None of them costs a restyle anything while it
is not set.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QImage, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene

from bp_studio.engine import Network, Phase
from bp_studio.engine.gradcheck import GradientCheck, parameter_name
from bp_studio.studio.explain import format_number
from bp_studio.studio.moment import Moment, Selection
from bp_studio.studio.notation import bias_name, input_symbol, node_name, weight_name
from bp_studio.studio.quiz import Question
from bp_studio.ui.canvas.checks import (
    UNCHECKED,
    GradientCheckItem,
    check_colour,
    check_pen,
    error_levels,
    layer_kinks,
    worst_pen,
)
from bp_studio.ui.canvas.colours import Colours, luminance, mix
from bp_studio.ui.canvas.edges import EdgeLayerItem, EdgeMarksItem, _bounds
from bp_studio.ui.canvas.hidden import HIDDEN, QUESTION_SYMBOLS, Hidden, hidden_quantities
from bp_studio.ui.canvas.items import MIN_LABEL_PX, InputImageItem, Label, NodeItem, node_style_key
from bp_studio.ui.canvas.layout import NAME_GAP_PX, Column, ImageColumn, Layout, fmt
from bp_studio.ui.canvas.marks import Badge, UnitBadgesItem, badge_place

EDGE_HIT_PX = 5.0
NODE_OVERLAP_COST = 25.0
"""An edge label covering a node costs this many times as much as covering another label."""
NODE_HIT_PX = 3.0


def active_column(moment: Moment) -> int | None:
    """The column the last piece of work computed (``None`` when idle or after update)."""
    if moment.phase == Phase.ERROR:
        return len(moment.network.layers)
    if moment.phase in (Phase.FORWARD, Phase.BACKWARD) and moment.active_layer is not None:
        return moment.active_layer + 1
    return None


def edge_fade(moment: Moment, index: int) -> float:
    """How strongly network layer ``index`` (edges, bias and edge labels) is drawn."""
    if moment.phase == Phase.FORWARD and index >= len(moment.forward_layers):
        return 0.3
    if moment.phase == Phase.BACKWARD and index not in moment.backward_layers:
        return 0.45
    return 1.0


class NetworkScene(QGraphicsScene):
    """Nodes (or an input image), edge layers, labels and marks of one architecture."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.layout: Layout | None = None
        self._clear()

    @property
    def _layout(self) -> Layout:
        """``layout``, for the code that runs only once ``build`` has set it."""
        assert self.layout is not None, "the scene has not been built"
        return self.layout

    # -- building -----------------------------------------------------------------------------

    def _clear(self) -> None:
        self.clear()
        self.nodes: list[list[NodeItem]] = []
        self.image: InputImageItem | None = None
        self.caption: Label | None = None
        self.edge_items: list[EdgeLayerItem] = []
        self.all_labels: list[Label] = []
        self.headers: list[Label] = []
        self.bias_labels: dict[tuple[int, int], Label] = {}
        self.bias_columns: list[list[Label]] = []
        """The bias labels of each network layer (empty without bias)."""
        self._readable_biases: dict[int, bool] = {}
        self.edge_labels: dict[tuple[int, int, int], Label] = {}
        self.error_labels: list[Label] = []
        self.input_names: list[Label] = []
        self.output_names: list[Label] = []
        self.loss_label: Label | None = None
        self.band: QGraphicsPathItem | None = None
        self.edge_marks: EdgeMarksItem | None = None
        self.has_pictures = False
        self._edge_label_key: tuple = ()
        self._covered_edge_labels: list[tuple[int, int, int]] = []
        self._marked_nodes: set[tuple[int, int]] = set()
        self._hollow_columns: dict[int, tuple] = {}
        self._marked_labels: set[tuple[str, tuple]] = set()
        self._node_xy = np.zeros((0, 2))
        self._node_keys: list[tuple[int, int]] = []
        self.badges: UnitBadgesItem | None = None
        self.unit_badges: dict[tuple[int, int], Badge] = {}
        """The health badges shown, by ``(column, unit)``."""
        self.check_edges: GradientCheckItem | None = None
        self.check: GradientCheck | None = None
        """The gradient check the edges are coloured by (``None``: by their weights)."""
        self._check_levels: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
        """Per layer ``(weight levels (units, inputs), near kink, bias levels or None)``."""
        self.check_worst: Selection | None = None
        self._check_key: tuple = ()
        self.hidden: Hidden = frozenset()
        """The quantities an open quiz question hides (``hidden.hidden_quantities``)."""
        self.question: Selection | None = None
        """Where the open quiz question is (its node, edge or bias), ringed."""
        self._question_node: tuple[int, int] | None = None
        self.question_kind: str | None = None
        """What the open quiz question asks for (``z``, ``a``, ``delta``, ``gradient``...)."""
        self.question_mark: Label | None = None
        """The question's ``z=?``, ``∂L/∂w=?``... at a fixed size on screen, shown where the
        ``?`` written in its node or label is too small to read (or not written at all)."""
        self._titles_scale = 0.0

    def _add_label(self, label: Label, anchor: QPointF, z: float = 5.0) -> Label:
        label.setPos(anchor)
        label.setZValue(z)
        self.addItem(label)
        self.all_labels.append(label)
        return label

    def build(self, network: Network, layout: Layout) -> None:
        """New items for ``network`` placed by ``layout`` (the old ones go)."""
        self._clear()
        self.layout = layout
        self.bias_columns = [[] for _ in network.layers]
        band = QGraphicsPathItem()
        band.setZValue(-10)
        band.setPen(QPen(Qt.PenStyle.NoPen))
        band.setVisible(False)
        self.addItem(band)
        self.band = band
        for index in range(len(network.layers)):
            sources = np.array([_xy(layout.node(index, i)) for i in range(layout.sizes[index])])
            targets = np.array(
                [_xy(layout.node(index + 1, j)) for j in range(layout.sizes[index + 1])]
            )
            item = EdgeLayerItem(index, sources, targets, layout.thinning[index])
            item.setZValue(0)
            self.addItem(item)
            self.edge_items.append(item)
        start = np.vstack([item.start for item in self.edge_items])
        end = np.vstack([item.end for item in self.edge_items])
        self.edge_marks = EdgeMarksItem(_bounds(start, end, 12))
        self.edge_marks.setZValue(1)
        self.addItem(self.edge_marks)
        self.check_edges = GradientCheckItem(_bounds(start, end, 40))
        self.check_edges.setZValue(0.5)
        self.addItem(self.check_edges)
        mark = Label("question", (), layout.header_font, "center", MIN_LABEL_PX, True, True)
        mark.setVisible(False)
        self.question_mark = self._add_label(mark, QPointF(), 13)  # above nodes and badges
        self.badges = UnitBadgesItem()
        self.badges.setZValue(11)  # above the nodes, below the labels
        self.addItem(self.badges)
        keys, xy = [], []
        for column, size in enumerate(layout.sizes):
            geometry = layout.columns[column]
            header = Label(
                "header", (column,), layout.header_light_font, "above", MIN_LABEL_PX, False, True
            )
            header.full_text = layout.headers[column][0][0]
            anchor = QPointF(layout.xs[column], layout.header_y)
            self.headers.append(self._add_label(header, anchor))
            if isinstance(geometry, ImageColumn):
                self._build_image(geometry)
                self.nodes.append([])
                continue
            nodes = self._build_nodes(column, geometry)
            self.nodes.append(nodes)
            keys += [(column, unit) for unit in range(size)]
            xy += [_xy(node.pos()) for node in nodes]
            if column >= 1 and network.layers[column - 1].has_bias:
                self._build_bias_labels(column, geometry)
        self._build_names(layout)
        last = len(layout.sizes) - 1
        output = layout.columns[last]
        for unit in range(output.size):
            min_px = MIN_LABEL_PX if output.labelled else math.inf
            label = Label("error", (unit,), output.error_font, "right", min_px)
            self.error_labels.append(self._add_label(label, layout.node(last, unit), 12))
        self.loss_label = self._add_label(
            Label("loss", (), layout.loss_font, "below", MIN_LABEL_PX),
            layout.loss_anchor(network),
            12,
        )
        if layout.edge_labels:
            for index, item in enumerate(self.edge_items):
                for unit in range(item.units):
                    for input in range(item.inputs):
                        label = Label(
                            "edge", (index, unit, input), layout.edge_font, "center", MIN_LABEL_PX
                        )
                        self.edge_labels[(index, unit, input)] = self._add_label(
                            label, QPointF(), 8
                        )
        self._node_xy = np.array(xy, dtype=np.float64).reshape(-1, 2)
        self._node_keys = keys
        margin = max(layout.rect.width(), layout.rect.height())
        self.setSceneRect(layout.rect.adjusted(-margin, -margin, margin, margin))

    def _build_nodes(self, column: int, geometry: Column) -> list[NodeItem]:
        side = "inside" if geometry.roomy else ("left" if column == 0 else "right")
        if not geometry.labelled:
            side = "none"
        nodes = []
        for unit in range(geometry.size):
            node = NodeItem(
                column,
                unit,
                geometry.radius,
                geometry.halo,
                geometry.value_font,
                geometry.symbol_font,
                side,
            )
            node.setPos(self._layout.node(column, unit))
            node.setZValue(10)
            self.addItem(node)
            nodes.append(node)
        return nodes

    def _build_image(self, geometry: ImageColumn) -> None:
        self.image = InputImageItem(geometry.rect, geometry.shape, geometry.size)
        self.image.setZValue(10)
        self.addItem(self.image)
        caption = Label("caption", (), geometry.label_font, "below", MIN_LABEL_PX, False)
        anchor = QPointF(geometry.rect.center().x(), geometry.rect.bottom() + 8)
        self.caption = self._add_label(caption, anchor, 12)

    def _build_bias_labels(self, column: int, geometry: Column) -> None:
        r = geometry.radius
        min_px = MIN_LABEL_PX if geometry.labelled else math.inf
        for unit in range(geometry.size):
            point = self._layout.node(column, unit)
            if geometry.roomy:
                anchor, align = point + QPointF(0, r + 5), "below"
            else:
                anchor, align = point - QPointF(r + geometry.halo + 2, 0), "left"
            label = Label("bias", (column - 1, unit), geometry.label_font, align, min_px)
            self.bias_labels[(column - 1, unit)] = self._add_label(label, anchor, 12)
            self.bias_columns[column - 1].append(label)

    def _build_names(self, layout: Layout) -> None:
        """Input names left of big input nodes, output names (classes) right of the outputs."""
        first, last = layout.columns[0], layout.columns[-1]
        if layout.input_names is not None:
            for unit, name in enumerate(layout.input_names):
                anchor = layout.node(0, unit) - QPointF(first.half_width + 4, 0)
                label = Label("input_name", (unit,), first.name_font, "left", MIN_LABEL_PX, False)
                label.set_text(name)
                self.input_names.append(self._add_label(label, anchor, 12))
        if layout.output_names is not None and layout.shown_output_names is not None:
            column = len(layout.columns) - 1
            badge = last.radius * 0.74 + NAME_GAP_PX / layout.text_scale  # clear of a badge
            gap = max(last.half_width + 6, badge) + layout.value_width(column)
            names = zip(layout.output_names, layout.shown_output_names)
            for unit, (name, shown) in enumerate(names):
                anchor = layout.node(column, unit) + QPointF(gap, 0)
                font = layout.output_name_font
                label = Label("output_name", (unit,), font, "right", MIN_LABEL_PX, False, True)
                label.set_text(shown)
                label.full_text = name if shown != name else ""
                self.output_names.append(self._add_label(label, anchor, 12))

    # -- restyling ----------------------------------------------------------------------------

    def restyle(
        self,
        moment: Moment,
        colours: Colours,
        hover: Selection | None,
        selection: Selection | None,
        scale: float,
    ) -> None:
        """Every colour and text from ``moment``; marks for ``hover`` and ``selection``.

        ``scale`` is the view's: labels too small to read there are hidden, unwritten.
        """
        layout = self.layout
        if layout is None:
            return
        self._colours = colours
        network = moment.network
        column = active_column(moment)
        for index, item in enumerate(self.edge_items):
            fade = edge_fade(moment, index)
            item.set_weights(network.layers[index].weight, colours, layout.edge_styles[index], fade)
        self._restyle_nodes(moment, colours, column)
        self._restyle_image(moment, colours, hover, selection)
        self._restyle_labels(moment, colours, column, scale)
        self._restyle_question_mark(moment, colours, scale)
        self._restyle_band(colours, column, scale)
        if self.check is not None and self._check_key != colours.key:
            self._draw_check(colours)
        if self.unit_badges:
            self._place_badges(colours)
        self.apply_marks(moment, colours, hover, selection)

    def _restyle_nodes(self, moment: Moment, colours: Colours, active: int | None) -> None:
        """Fill each node by its value: ``a`` (inputs ``x``), or ``δ`` in the backward phase.

        Activations and inputs are coloured against ``max(1, max |v|)`` of their column (the
        bound of sigmoid, tanh and softmax: ``maps.value_scale``); deltas against the largest
        ``|δ|`` shown, so that small (vanishing) gradients look pale.
        """
        phase = moment.phase
        delta_scale = 0.0
        if phase == Phase.BACKWARD:
            for record in moment.backward_layers.values():
                delta_scale = max(delta_scale, float(np.max(np.abs(record.delta[moment.sample]))))
        for column, nodes in enumerate(self.nodes):
            if not nodes:
                continue
            showing_delta = moment.shows_delta(column)
            values = moment.column_values(column)
            if showing_delta:
                scale = delta_scale or 1.0
            elif values is not None:
                finite = np.abs(values[np.isfinite(values)])
                scale = max(1.0, float(finite.max())) if finite.size else 1.0
            symbol = "x" if column == 0 else ("δ" if showing_delta else "a")
            fade = 1.0
            if phase == Phase.FORWARD and column > len(moment.forward_layers):
                fade = 0.5
            elif phase == Phase.BACKWARD and column >= 1 and not showing_delta:
                fade = 0.55
            text = colours.faded(colours.text, fade)
            border = colours.faded(colours.border, fade)
            node_halo = colours.halo if column == active else None
            symbols = self._symbols(moment, column, symbol, len(nodes))
            if values is None:
                hollow = (
                    colours.background, colours.faded(colours.faint, fade),
                    text, text, colours.label_background, True, node_halo,
                )  # fmt: skip
                hollow_key = node_style_key(*hollow)
                if self._hollow_columns.get(column) == (hollow_key, symbols):
                    continue  # the same blank column as last time (while training plays)
                self._hollow_columns[column] = (hollow_key, symbols)
                for node, name in zip(nodes, symbols):
                    node.set_state(name, "", *hollow, style_key=hollow_key)
                continue
            self._hollow_columns.pop(column, None)
            asked = self._hidden_node(column, showing_delta)
            asked_symbol = QUESTION_SYMBOLS.get(self.question_kind or "", symbol)
            for unit, (node, name, value) in enumerate(zip(nodes, symbols, values.tolist())):
                if unit == asked:  # the quiz asks for it: "z=?" ... on a blank node
                    node.set_state(
                        asked_symbol, HIDDEN, colours.zero, border, QColor("#111111"), text,
                        colours.label_background, False, node_halo,
                    )  # fmt: skip
                    continue
                fill = colours.faded(colours.diverging(value / scale), fade)
                ink = QColor("#111111") if luminance(fill) > 0.45 else QColor("white")
                if fade < 1.0:
                    ink = mix(fill, ink, 0.75)
                node.set_state(
                    name, fmt(value), fill, border, ink, text,
                    colours.label_background, False, node_halo,
                )  # fmt: skip

    def _hidden_node(self, column: int, showing_delta: bool) -> int | None:
        """The unit of ``column`` whose value (``a``, or ``δ`` while ``showing_delta``) the
        open quiz question hides, if any."""
        question = self.question
        if question is None or question.kind != "node" or question.layer != column:
            return None
        quantity = "delta" if showing_delta else "a"
        return question.unit if (quantity, question) in self.hidden else None

    def _symbols(self, moment: Moment, column: int, symbol: str, count: int) -> list[str]:
        """What each node is called beside its value: ``x₁`` in big input nodes (the name is
        written beside them), the input's name beside small ones, else ``a`` or ``δ``."""
        if column != 0:
            return [symbol] * count
        if self._layout.columns[0].roomy:
            return [input_symbol(unit) for unit in range(count)]
        names = moment.network.input_names
        if names is not None and len(names) == count:
            return list(names)
        return [input_symbol(unit) for unit in range(count)]

    def _restyle_image(
        self,
        moment: Moment,
        colours: Colours,
        hover: Selection | None,
        selection: Selection | None,
    ) -> None:
        """The input image: the weights into a hovered (else selected) unit of layer 1, what
        that unit looks for; otherwise the sample's inputs on the node colour scale."""
        image, caption = self.image, self.caption
        if image is None:
            return
        assert caption is not None  # built with the image
        image.set_style(colours.zero, colours.border, mix(colours.zero, colours.faint, 0.35))
        network = moment.network
        unit = None
        for chosen in (hover, selection):
            if chosen is not None and chosen.kind == "node" and chosen.layer == 1:
                unit = chosen.unit
                break
        if unit is not None and network.layers:
            weights = network.layers[0].weight[unit]
            top = float(np.max(np.abs(weights))) if weights.size else 0.0
            top = top if math.isfinite(top) and top > 0 else 1.0
            image.set_pixels(
                colours.diverging_rgb(weights / top), ("w", unit, weights.tobytes(), colours.key)
            )
            name = node_name(len(network.layers), 1, unit)
            caption.set_text(
                f"Weights into {name}: what it looks for\n"
                f"(blue +, orange −; full colour at |w| = {fmt(top)})"
            )
            return
        values = moment.column_values(0)
        first = self._layout.columns[0]
        assert isinstance(first, ImageColumn)  # the image is the input column
        rows, columns = first.shape
        if values is None:
            image.set_pixels(None, None)
            caption.set_text(f"Inputs x₁ … {input_symbol(image.size - 1)}, row by row")
            return
        finite = np.abs(values[np.isfinite(values)])
        scale = max(1.0, float(finite.max())) if finite.size else 1.0
        image.set_pixels(
            colours.diverging_rgb(values / scale), ("x", values.tobytes(), colours.key)
        )
        sample = ""
        if moment.batch is not None and moment.batch_size > 1:
            sample = f" of sample {moment.sample + 1}"
        caption.set_text(f"Inputs{sample} ({rows} × {columns}), coloured as nodes")

    def _restyle_labels(
        self, moment: Moment, colours: Colours, active: int | None, scale: float
    ) -> None:
        layout = self._layout
        network = moment.network
        phase = moment.phase
        update = moment.update
        titles_changed = scale != self._titles_scale
        self._titles_scale = scale
        titles = layout.header_texts(scale) if titles_changed else []
        for column, header in enumerate(self.headers):
            is_active = column == active
            header.set_font(layout.header_font if is_active else layout.header_light_font)
            header.set_style(colours.accent if is_active else colours.text)
            if titles_changed:
                text = titles[column]
                header.set_text(text)
                full = layout.headers[column][0][0]
                header.full_text = "" if text == full else full
                header.show_if(True, scale)
        for label in self.input_names:
            label.set_style(colours.text)
            label.show_if(True, scale)
        if self.output_names:
            # names on screen keep their size: as many as have room (every other one ...)
            output = layout.columns[-1]
            height = QFontMetricsF(layout.output_name_font).height()
            step = max(1, math.ceil(height / max(output.spacing * scale, 1e-9)))
            for unit, label in enumerate(self.output_names):
                label.set_style(colours.text)
                label.show_if(unit % step == 0, scale)
        if self.caption is not None:
            self.caption.set_style(colours.text)
            self.caption.show_if(True, scale)

        # bias and edge labels fade with their layer (one style per layer and sign)
        styles: dict[tuple[int, str], tuple[QColor, QColor, QColor]] = {}

        def style(index: int, border: str) -> tuple[QColor, QColor, QColor]:
            found = styles.get((index, border))
            if found is None:
                fade = edge_fade(moment, index)
                found = styles[(index, border)] = (
                    colours.faded(colours.text, fade),
                    colours.label_background,
                    colours.faded(getattr(colours, border), fade),
                )
            return found

        biases = [None if layer.bias is None else layer.bias.tolist() for layer in network.layers]
        for index, labels in enumerate(self.bias_columns):
            if labels and not labels[0].readable_at(scale):  # one font a column: all or none
                if self._readable_biases.get(index, True):
                    for label in labels:
                        label.show_if(False, scale)
                self._readable_biases[index] = False
                continue
            self._readable_biases[index] = True
            values = biases[index]
            for unit, label in enumerate(labels):
                assert values is not None  # only a layer with biases has bias labels
                label.show_if(True, scale)
                self._bias_text(label, index, unit, values[unit], moment, style)

        for (index, unit, input), label in self.edge_labels.items():
            if not label.show_if(True, scale):
                continue
            weight = float(network.layers[index].weight[unit, input])
            record = moment.backward_layers.get(index)
            asked = self._hidden_label("edge", label.key)
            if phase == Phase.BACKWARD and record is not None:
                gradient = (
                    HIDDEN if "gradient" in asked else fmt(float(record.grad_weight[unit, input]))
                )
                text = f"∂L/∂w={gradient}"
            elif phase == Phase.UPDATE and update is not None:
                new = HIDDEN if "value" in asked else fmt(weight)
                text = f"{fmt(float(update.before[index].weight[unit, input]))} → {new}"
            else:
                text = f"w={HIDDEN if 'value' in asked else fmt(weight)}"
            label.set_text(text)
            if self.check is not None:
                levels = self._check_levels[index][0]
                colour = check_colour(int(levels[unit, input]), colours)
                label.set_style(colours.text, colours.label_background, colour, 2.0)
                continue
            label.set_style(*style(index, "negative" if weight < 0 else "positive"))
        self._restyle_loss_and_errors(moment, colours, scale)

    def _hidden_label(self, role: str, key: tuple[int, ...]) -> tuple[str, ...]:
        """What the open quiz question hides of edge or bias ``key`` (``gradient``, ``value``)."""
        if not self.hidden:
            return ()
        where = Selection(role, *key)
        return tuple(q for q in ("gradient", "value") if (q, where) in self.hidden)

    def _bias_text(
        self,
        label: Label,
        index: int,
        unit: int,
        value: float,
        moment: Moment,
        style: Callable[[int, str], tuple[QColor, QColor, QColor]],
    ) -> None:
        """``b=0.35``; ``b=0.35→0.3`` after the update (big nodes); ``∂L/∂b`` in backward;
        ``?`` for what an open quiz question asks."""
        phase, update = moment.phase, moment.update
        record = moment.backward_layers.get(index)
        asked = self._hidden_label("bias", label.key)
        new = HIDDEN if "value" in asked else fmt(value)
        if phase == Phase.BACKWARD and record is not None and record.grad_bias is not None:
            gradient = HIDDEN if "gradient" in asked else fmt(float(record.grad_bias[unit]))
            text = f"∂L/∂b={gradient}"
        elif phase == Phase.UPDATE and update is not None and self._layout.columns[index + 1].roomy:
            before = update.before[index].bias
            assert before is not None  # the same layer before the update: it had biases too
            old = float(before[unit])
            text = f"b={fmt(old)}→{new}"
        else:
            text = f"b={new}"
        label.set_text(text)
        if self.check is not None:
            levels = self._check_levels[index][2]
            level = UNCHECKED if levels is None else int(levels[unit])
            colours = self._colours
            border = check_colour(level, colours)
            label.set_style(colours.text, colours.label_background, border, 2.0)
            return
        label.set_style(*style(index, "faint"))

    def _restyle_loss_and_errors(self, moment: Moment, colours: Colours, scale: float) -> None:
        phase = moment.phase
        self._restyle_errors(moment, colours, scale)
        error = moment.error
        loss = self.loss_label
        assert loss is not None  # restyled only once built
        if loss.show_if(error is not None, scale):
            assert error is not None  # the label shows only with an error
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
        if self.edge_labels:
            self._place_edge_labels(scale)

    def _restyle_errors(self, moment: Moment, colours: Colours, scale: float) -> None:
        """Target, output and error beside each output node (error phase): right of the node
        and its name, and clear of its bias label."""
        layout = self._layout
        error = moment.error
        last = len(moment.network.layers)
        output = layout.columns[last]
        assert isinstance(output, Column)  # only the input column is ever an image
        show = moment.phase == Phase.ERROR and error is not None
        for unit, label in enumerate(self.error_labels):
            if label.show_if(show, scale):
                assert error is not None  # shown only with an error
                t = float(error.targets[moment.sample, unit])
                o = float(error.outputs[moment.sample, unit])
                e = float(error.error[moment.sample, unit])
                asked: tuple[str, ...] = ()
                if self.hidden:
                    output_node = Selection("node", last, unit)
                    asked = tuple(
                        symbol
                        for symbol, quantity in (("o", "a"), ("e", "error"))
                        if (quantity, output_node) in self.hidden
                    )
                label.set_text(output.error_text(t, o, e, asked))
                label.set_style(colours.text, colours.label_background, colours.accent, 1.5)
        if not show or not self.error_labels[0].isVisible():
            return
        # one x for every box: right of the nodes, their values and names, clear of biases
        x = output.x + output.radius + output.halo + 8
        for unit in range(len(self.error_labels)):
            node = self.nodes[last][unit]
            if node.text_side == "right":
                x = max(x, output.x + output.radius + output.halo + node.outside_width() + 12)
            if self.output_names:
                name = self.output_names[unit]
                x = max(x, name.scene_rect(scale).right() + 6)
        for unit, label in enumerate(self.error_labels):
            y = layout.node(last, unit).y()
            box = label.text_rect().translated(x, y)
            bias = self.bias_labels.get((last - 1, unit))
            if bias is not None and bias.text():
                taken = bias.text_rect().translated(bias.pos())
                if box.intersects(taken):
                    x += taken.right() - box.left() + 6
        for unit, label in enumerate(self.error_labels):
            label.setPos(QPointF(x, layout.node(last, unit).y()))

    def style_parameter_label(
        self, label: Label, moment: Moment, colours: Colours, mark: QColor | None = None
    ) -> None:
        """Bias and edge labels: faded with their layer, edge labels bordered by sign."""
        index = label.key[0]
        fade = edge_fade(moment, index)
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

    def _place_edge_labels(self, scale: float) -> None:
        """Put each edge label on its edge where it covers no node and no other label.

        Labels sit near the edge's target end (``t ~ 0.72``), where the edges into one node
        have spread apart; if that spot is taken the next candidate along the edge is tried
        (the one overlapping least if none is free, covering a node costing far more than
        covering a label). A label that would still cut into a node's circle is not drawn
        (its tooltip gives the weight): the node would hide part of its number.
        Rectangles are ``[x0, y0, x1, y1]`` rows.
        """
        layout = self._layout
        loss = self.loss_label
        assert loss is not None  # placed only once built
        boxes, circles = [], []
        for column in layout.columns:
            r = column.radius + column.halo + 2
            boxes += [(x - r, y - r, x + r, y + r) for x, y in zip(column.node_xs, column.ys)]
            circles += [(x, y, column.radius) for x, y in zip(column.node_xs, column.ys)]
        nodes = len(boxes)
        others = [
            *self.bias_labels.values(),
            *self.error_labels,
            *self.input_names,
            *self.output_names,
            loss,
        ]
        for label in others:
            if label.isVisible() and label.text():
                rect = label.scene_rect(scale)
                boxes.append((rect.left(), rect.top(), rect.right(), rect.bottom()))
        sizes = [(label.text_rect().width(), label.text_rect().height()) for label in
                 self.edge_labels.values()]  # fmt: skip
        key = (tuple(boxes), tuple(sizes))
        if key != self._edge_label_key:
            self._edge_label_key = key
            self._covered_edge_labels = self._edge_label_spots(boxes, sizes, nodes, circles)
        for covered in self._covered_edge_labels:
            self.edge_labels[covered].setVisible(False)

    def _edge_label_spots(
        self,
        boxes: list[tuple[float, float, float, float]],
        sizes: list[tuple[float, float]],
        nodes: int,
        circles: list[tuple[float, float, float]],
    ) -> list[tuple[int, int, int]]:
        """Place the edge labels (see ``_place_edge_labels``); the keys of those whose best
        spot still cuts into a node's circle (``circles``: ``(x, y, radius)`` rows)."""
        layout = self._layout
        obstacles = np.array(boxes, dtype=np.float64).reshape(-1, 4)
        weights = np.ones(len(obstacles))
        weights[:nodes] = NODE_OVERLAP_COST
        centres = np.array(circles, dtype=np.float64).reshape(-1, 3)
        covered = []
        t = np.array([0.72, 0.64, 0.8, 0.56, 0.48, 0.4, 0.32, 0.86, 0.26])
        for ((index, unit, input), label), (width, height) in zip(self.edge_labels.items(), sizes):
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
            x0, y0, x1, y1 = candidates[best] + (2, 2, -2, -2)  # the box as drawn
            dx = np.maximum(np.maximum(x0 - centres[:, 0], centres[:, 0] - x1), 0)
            dy = np.maximum(np.maximum(y0 - centres[:, 1], centres[:, 1] - y1), 0)
            if np.any(dx * dx + dy * dy < centres[:, 2] ** 2):
                covered.append((index, unit, input))
                continue
            obstacles = np.vstack([obstacles, candidates[best]])
            weights = np.append(weights, 2.0)
        return covered

    def _restyle_band(self, colours: Colours, active: int | None, scale: float) -> None:
        """A tinted band behind the column being computed, from its header to its last label."""
        band, layout, loss = self.band, self._layout, self.loss_label
        assert band is not None and loss is not None  # restyled only once built
        if active is None:
            band.setVisible(False)
            return
        column = layout.columns[active]
        x = column.x
        header = self.headers[active]
        title = header.scene_rect(scale)
        half = max(column.half_width + 10, title.width() / 2 + 10)
        if not column.roomy:
            half = max(half, column.radius + 24)
        top = title.top() - 8
        bottom = column.bottom + column.halo + 8
        if column.roomy and active > 0 and (active - 1, 0) in self.bias_labels:
            bottom += QFontMetricsF(column.label_font).height() + 8
        if active == len(layout.sizes) - 1 and loss.isVisible():
            bottom = max(bottom, loss.y() + loss.text_rect().bottom() + 8)
        path = QPainterPath()
        path.addRoundedRect(QRectF(x - half, top, 2 * half, bottom - top), 14, 14)
        band.setPath(path)
        band.setBrush(QBrush(colours.band))
        band.setVisible(True)

    def apply_marks(
        self,
        moment: Moment | None,
        colours: Colours,
        hover: Selection | None,
        selection: Selection | None,
    ) -> None:
        """Draw the selection ring, the hover highlight and the quiz question's ring."""
        if self.layout is None:
            return
        hover_colour = QColor(colours.text)
        hover_colour.setAlphaF(0.55)
        edge_marks: list[tuple[QLineF, QPen, QPen]] = []
        rings: dict[tuple[int, int], QColor] = {}
        hovers: dict[tuple[int, int], QColor] = {}
        cells: list[tuple[int, QColor, float]] = []
        label_marks: dict[tuple[str, tuple], QColor] = {}
        question = self.question
        question_node = None
        if question is not None:
            question_node = self._mark_question(question, colours, edge_marks, label_marks)
        for chosen, colour, selected in (
            (hover, hover_colour, False),
            (selection, colours.selection, True),
        ):
            if chosen is None:
                continue
            if chosen.kind == "node" and chosen.layer == 0 and self.image is not None:
                cells.append((chosen.unit, colour, 3.5 if selected else 2.5))
            elif chosen.kind == "node":
                (rings if selected else hovers)[(chosen.layer, chosen.unit)] = colour
            elif chosen.kind == "edge":
                assert chosen.input is not None  # an edge selection names its input
                item = self.edge_items[chosen.layer]
                line = item.line(chosen.unit * item.inputs + chosen.input)
                pen = self.edge_pen(chosen.layer, chosen.unit, chosen.input)
                if pen.color().alpha() == 0 and moment is not None:  # too weak to draw
                    weight = moment.network.layers[chosen.layer].weight
                    pen.setColor(colours.sign(float(weight[chosen.unit, chosen.input])))
                pen.setColor(QColor(pen.color().rgb()))
                pen.setWidthF(max(pen.widthF(), 1.5))
                glow = QPen(colour, pen.widthF() + (6.0 if selected else 4.0))
                glow.setCosmetic(True)
                glow.setCapStyle(Qt.PenCapStyle.RoundCap)
                edge_marks.append((line, glow, pen))
                if selected:
                    label_marks[("edge", (chosen.layer, chosen.unit, chosen.input))] = colour
            elif chosen.kind == "bias" and selected:
                label_marks[("bias", (chosen.layer, chosen.unit))] = colour
        # only the nodes and labels marked now or before need a look (not all of a big network)
        for layer, unit in {*rings, *hovers, *self._marked_nodes}:
            self.nodes[layer][unit].set_marks(rings.get((layer, unit)), hovers.get((layer, unit)))
        self._marked_nodes = {*rings, *hovers}
        if question_node != self._question_node:
            for ringed, ring in ((self._question_node, None), (question_node, colours.accent)):
                if ringed is not None:
                    self.nodes[ringed[0]][ringed[1]].set_question(ring)
            self._question_node = question_node
        if self.image is not None:
            self.image.set_marks(cells)
        assert self.edge_marks is not None  # built with the layout
        self.edge_marks.set_marks(edge_marks)
        if moment is None:
            return
        marked = set()
        for role, key in {*label_marks, *self._marked_labels}:
            label = self.bias_labels.get(key) if role == "bias" else self.edge_labels.get(key)
            if label is None:
                continue
            mark = label_marks.get((role, key))
            if mark is not None or label.border_width() == 3.0:
                self.style_parameter_label(label, moment, colours, mark)
            if mark is not None:
                marked.add((role, key))
        self._marked_labels = marked

    def _mark_question(
        self,
        question: Selection,
        colours: Colours,
        edge_marks: list[tuple[QLineF, QPen, QPen]],
        label_marks: dict[tuple[str, tuple], QColor],
    ) -> tuple[int, int] | None:
        """Where the quiz question is: a dashed ring round its node (returned as ``(column,
        unit)``), a glow along its edge, or its edge or bias label bordered, in the accent."""
        if question.kind == "node":
            return None if not self.nodes[question.layer] else (question.layer, question.unit)
        key: tuple[int, ...] = (question.layer, question.unit)
        if question.kind == "edge":
            assert question.input is not None  # an edge selection names its input
            key = (*key, question.input)
            item = self.edge_items[question.layer]
            pen = self.edge_pen(question.layer, question.unit, question.input)
            if pen.color().alpha() == 0:  # an edge not drawn (a thinned layer)
                pen.setColor(colours.accent)
            pen.setColor(QColor(pen.color().rgb()))  # its own colour, opaque over the glow
            pen.setWidthF(max(pen.widthF(), 1.5))
            glow = QPen(mix(colours.background, colours.accent, 0.35), 7.0)
            glow.setCosmetic(True)
            glow.setCapStyle(Qt.PenCapStyle.RoundCap)
            edge_marks.append((item.line(question.unit * item.inputs + question.input), glow, pen))
        label_marks[(question.kind, key)] = colours.accent
        if question.kind == "bias" and (question.layer, question.unit) not in self.bias_labels:
            return (question.layer + 1, question.unit)  # no label to border: ring the node
        return None

    def set_node_images(self, images: dict[tuple[int, int], QImage] | None) -> None:
        """Pictures of what each node computes over the input plane (see the view)."""
        images = images or {}
        self.has_pictures = bool(images)
        for layer, nodes in enumerate(self.nodes):
            for unit, node in enumerate(nodes):
                node.set_image(images.get((layer, unit)))

    # -- overlays: health badges, the gradient check, the quiz question ----------------------

    def set_badges(self, badges: dict[tuple[int, int], Badge], colours: Colours) -> None:
        """Show ``badges`` (``marks.unit_badges``; ``{}``: none) at their nodes."""
        self.unit_badges = dict(badges)
        self._colours = colours
        self._place_badges(colours)

    def _place_badges(self, colours: Colours) -> None:
        if self.badges is None or self.layout is None:
            return
        placed = []
        for column, unit in self.unit_badges:
            radius = self.layout.columns[column].radius
            centre, size = badge_place(self.layout.node(column, unit), radius)
            placed.append((centre, size, self.unit_badges[(column, unit)].kind))
        self.badges.set_badges(placed, colours)

    def set_check(self, check: GradientCheck | None, network: Network, colours: Colours) -> None:
        """Colour every edge (and bias label) by ``check``'s relative errors (see ``checks``);
        ``None``: by the weights again. Labels take their borders at the next ``restyle``."""
        self.check = check
        self._colours = colours
        self._check_levels = []
        self.check_worst = None
        self._check_key = ()
        if check is None:
            for item in self.edge_items:
                item.setVisible(True)
            if self.check_edges is not None:
                self.check_edges.clear()
            return
        kinks = layer_kinks(check, network)
        for (weight, bias), kink in zip(check.layer_errors(network), kinks):
            bias_levels = None if bias is None else error_levels(bias, check.tolerance)
            self._check_levels.append((error_levels(weight, check.tolerance), kink, bias_levels))
        if len(check.indices):
            layer, kind, unit, column = parameter_name(network, check.worst_index)
            self.check_worst = Selection(
                "edge" if kind == "weight" else "bias", layer, unit, column
            )
        self._draw_check(colours)

    def _draw_check(self, colours: Colours) -> None:
        """The check's batches of lines: unchecked first, then by level, worst on top."""
        self._check_key = colours.key
        batches: dict[tuple[int, bool], list[tuple[EdgeLayerItem, np.ndarray]]] = {}
        for item, (levels, kinks, _) in zip(self.edge_items, self._check_levels):
            item.setVisible(False)
            flat, kink = levels.ravel(), kinks.ravel()
            for level in range(UNCHECKED, int(flat.max(initial=UNCHECKED)) + 1):
                if level == UNCHECKED and item.thinning is not None:
                    continue  # a big layer draws the checked (sampled) weights only
                for near in (False, True):
                    edges = np.flatnonzero((flat == level) & (kink == near))
                    if len(edges):
                        batches.setdefault((level, near), []).append((item, edges))
        drawn = []
        for level, near in sorted(batches):
            lines = [line for item, edges in batches[(level, near)] for line in item.lines(edges)]
            drawn.append((check_pen(level, near, colours), lines))
        worst = self.check_worst
        mark: QLineF | tuple[QPointF, float] | None = None
        if worst is not None and worst.kind == "edge":
            assert worst.input is not None  # an edge selection names its input
            item = self.edge_items[worst.layer]
            mark = item.line(worst.unit * item.inputs + worst.input)
        elif worst is not None:
            radius = self._layout.columns[worst.layer + 1].radius
            mark = (self._layout.node(worst.layer + 1, worst.unit), radius + 5)
        check, check_edges = self.check, self.check_edges
        assert check is not None and check_edges is not None  # drawn only while a check is set
        level = int(error_levels(np.array([check.worst]), check.tolerance)[0])
        check_edges.set_lines(drawn, mark, worst_pen(colours, level))

    def set_question(self, question: Question | None) -> None:
        """Hide what ``question`` asks for (at the next ``restyle``) and ring where it is."""
        self.hidden = hidden_quantities(question)
        self.question = None if question is None else question.selection
        self.question_kind = None if question is None else question.kind

    def _restyle_question_mark(self, moment: Moment, colours: Colours, scale: float) -> None:
        """``z=?``, ``∂L/∂w=?``... on the asked node, edge or bias, a fixed size on screen,
        where the ``?`` written in place (in the node, on the label) cannot be read at
        ``scale``: too small, or a network too big to write it at all."""
        mark, question, kind = self.question_mark, self.question, self.question_kind
        assert mark is not None  # restyled only once built
        if question is None or kind is None:
            if mark.isVisible():
                mark.setVisible(False)
            return
        layer, unit = question.layer, question.unit
        written: Label | NodeItem | None = None
        if question.kind == "node":
            where = self._layout.node(layer, unit)
            if kind == "error":
                text = "e=?"
                written = self.error_labels[unit] if layer == len(self.nodes) - 1 else None
            else:
                text = f"{QUESTION_SYMBOLS.get(kind, kind)}=?"
                written = self.nodes[layer][unit] if self.nodes[layer] else None
        else:
            symbol = "w" if question.kind == "edge" else "b"
            text = f"∂L/∂{symbol}=?" if kind == "gradient" else f"new {symbol}=?"
            if question.kind == "edge":
                assert question.input is not None  # an edge selection names its input
                start = self._layout.node(layer, question.input)
                where = (start + self._layout.node(layer + 1, unit)) / 2
                written = self.edge_labels.get((layer, unit, question.input))
            else:
                where = self._layout.node(layer + 1, unit)
                written = self.bias_labels.get((layer, unit))
        if isinstance(written, NodeItem):
            legible = written.value_text == HIDDEN and written.text_readable_at(scale)
        else:
            legible = written is not None and written.isVisible() and HIDDEN in written.text()
        if legible:
            if mark.isVisible():
                mark.setVisible(False)
            return
        mark.set_text(text)
        mark.set_style(colours.text, colours.label_background, colours.accent, 2.0)
        mark.setPos(where)
        mark.setVisible(True)

    def edge_pen(self, layer: int, unit: int, input: int) -> QPen:
        """The pen edge ``weight[unit, input]`` of network layer ``layer`` is drawn with: its
        gradient-check pen while a check is shown, else its weight's."""
        if self.check is None:
            return self.edge_items[layer].pen(unit, input)
        levels, kinks, _ = self._check_levels[layer]
        level = int(levels[unit, input])
        if level == UNCHECKED and self.edge_items[layer].thinning is not None:
            return QPen(QColor(0, 0, 0, 0))
        return check_pen(level, bool(kinks[unit, input]), self._colours)

    # -- what the user points at --------------------------------------------------------------

    def selection_at(self, scene_pos: QPointF, scale: float) -> Selection | None:
        """What a click at ``scene_pos`` (view scale ``scale``) selects: a bias or edge label,
        an input cell, a node, a drawn edge, or nothing."""
        layout = self.layout
        if layout is None:
            return None
        for item in self.items(scene_pos):
            if (
                isinstance(item, Label)
                and item.role in ("bias", "edge")
                and item.isVisible()
                and item.shown_at(scale)
            ):
                if item.role == "bias":
                    return Selection("bias", *item.key)
                return Selection("edge", *item.key)
        first = layout.columns[0]
        if isinstance(first, ImageColumn):
            cell = first.cell_at(scene_pos.x(), scene_pos.y())
            if cell is not None:
                return Selection("node", 0, cell)
        p = np.array([scene_pos.x(), scene_pos.y()])
        if len(self._node_xy):
            distance = np.hypot(*(self._node_xy - p).T)
            nearest = int(np.argmin(distance))
            layer, unit = self._node_keys[nearest]
            if distance[nearest] <= layout.columns[layer].radius + NODE_HIT_PX / scale:
                return Selection("node", layer, unit)
        best: tuple[float, Selection] | None = None
        for item in self.edge_items:
            a, b = item.start, item.end
            if item.drawn is not None:
                a, b = a[item.drawn], b[item.drawn]
            ab = b - a
            t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
            gap = np.hypot(*(a + ab * t[:, None] - p).T)
            nearest = int(np.argmin(gap))
            if gap[nearest] <= EDGE_HIT_PX / scale and (best is None or gap[nearest] < best[0]):
                edge = nearest if item.drawn is None else int(item.drawn[nearest])
                selection = Selection("edge", item.index, edge // item.inputs, edge % item.inputs)
                best = (float(gap[nearest]), selection)
        return None if best is None else best[1]

    def labels(self, role: str) -> dict[tuple[int, ...], str]:
        """The visible labels of one role (``header``, ``bias``, ``edge``, ``error``, ``loss``,
        ``input_name``, ``output_name``, ``caption``)."""
        return {
            item.key: item.text()
            for item in self.all_labels
            if item.role == role and item.isVisible() and item.text()
        }

    def node_texts(self) -> dict[tuple[int, int], str]:
        """What each node says, e.g. ``{(1, 0): "a=0.7514"}`` (nodes with a value only)."""
        return {
            (node.layer, node.unit): node.label_text()
            for column in self.nodes
            for node in column
            if node.value_text
        }

    def legend_entries(self) -> tuple[tuple[str, str], ...]:
        """What the legend explains, for what is drawn now (see ``legend.draw_legend``)."""
        layout = self.layout
        if self.check is None:
            entries = [
                ("positive", "positive weight"),
                ("negative", "negative weight"),
                ("thickness", "thickness = |w| ÷ its layer's largest"),
            ]
        else:
            entries = self._check_legend()
        entries.append(("scale", "node colour = value a (δ in backward): −1 … 0 … +1"))
        if self.unit_badges and self.badges is not None:
            for kind in self.badges.kinds():
                entries.append((kind, f"{kind} unit (hover it: what usually helps)"))
        if self.question is not None:
            entries.append(("question", "? = the quiz question, hidden until answered"))
        if self.has_pictures and any(
            node._image is not None and not node.value_text
            for column in self.nodes
            for node in column
        ):  # a node shows its picture while it has no value to show
            entries.append(("picture", "node picture = its value over the input plane"))
        if layout is not None and layout.image_shape is not None:
            entries.append(
                ("strongest", "from the image: each unit's strongest weight; hover a unit for all")
            )
        elif layout is not None and any(t is not None for t in layout.thinning):
            entries.append(("strongest", "big layers: their strongest weights only"))
        entries.append(("active", "layer being computed"))
        return tuple(entries)

    def _check_legend(self) -> list[tuple[str, str]]:
        """The gradient check's legend entries: the colour scale, the worst, what is grey."""
        check = self.check
        assert check is not None  # the legend of a check shown
        tolerance = format_number(check.tolerance, 2)
        entries = [
            (
                "check",
                f"edge colour = gradient check's relative error r: green < {tolerance} … "
                "red ≥ 0.01",
            )
        ]
        if self.check_worst is not None:
            worst = self.check_worst
            if worst.kind == "edge":
                assert worst.input is not None  # an edge selection names its input
                name = weight_name(worst.layer, worst.unit, worst.input)
            else:
                name = bias_name(worst.layer, worst.unit)
            kind = "check_worst" if check.worst >= check.tolerance else "check_worst_ok"
            entries.append((kind, f"largest: {name}, r = {format_number(check.worst, 2)}"))
        levels = [levels for levels, _, _ in self._check_levels]
        if any((item.thinning is None and (lv == UNCHECKED).any()) for item, lv in
               zip(self.edge_items, levels)):  # fmt: skip
            entries.append(("check_unchecked", "grey: not checked"))
        if any(kinks.any() for _, kinks, _ in self._check_levels):
            entries.append(("check_kink", "dotted: near a kink, left out"))
        return entries


def _xy(point: QPointF) -> tuple[float, float]:
    return (point.x(), point.y())
