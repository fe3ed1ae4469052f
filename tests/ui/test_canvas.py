"""The network canvas draws the engine's exact numbers and reports clicks and edits."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QMouseEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QToolTip

from bp_studio.engine import Network, Phase, Trainer
from bp_studio.studio.moment import Moment, Selection, moment_from_trainer
from bp_studio.ui.canvas import LEVELS, MIN_LABEL_PX, NetworkCanvas, Thinning, edge_buckets

from helpers import T_231 as T
from helpers import X_231 as X
from helpers import g4, network_231


@pytest.fixture
def canvas(qtbot) -> NetworkCanvas:
    view = NetworkCanvas()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def trainer() -> Trainer:
    return Trainer(network_231(), X, T, lr=0.5)


def view_point(canvas: NetworkCanvas, scene_point: QPointF):
    return canvas.mapFromScene(scene_point)


def strength(canvas: NetworkCanvas, pen) -> float:
    """How far a pen's colour is from the background (0: invisible, 1: full colour)."""
    colour, background = pen.color(), canvas._colours.background
    return (
        colour.alphaF()
        * max(
            abs(colour.redF() - background.redF()),
            abs(colour.greenF() - background.greenF()),
            abs(colour.blueF() - background.blueF()),
        )
        / max(
            abs(canvas._colours.positive.redF() - background.redF()),
            abs(canvas._colours.positive.greenF() - background.greenF()),
            abs(canvas._colours.positive.blueF() - background.blueF()),
        )
    )


def wheel(canvas: NetworkCanvas, anchor: QPoint, clicks: float) -> None:
    """Turn the mouse wheel over ``anchor`` (120 units a click, as Qt counts)."""
    event = QWheelEvent(
        QPointF(anchor),
        QPointF(canvas.viewport().mapToGlobal(anchor)),
        QPoint(0, 0),
        QPoint(0, int(120 * clicks)),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)


def sign_colour(pen) -> str:
    """Which of the two weight colours (blue ~ #2166ac, orange ~ #e66101) a pen is drawn in."""
    colour = pen.color()
    return "positive" if colour.blueF() > colour.redF() else "negative"


# -- building -------------------------------------------------------------------------------


def test_builds_a_2_3_1_network_with_headers(canvas):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], bias=[True, False])
    canvas.set_moment(Moment(net))
    scene = canvas.network_scene
    assert [len(column) for column in scene.nodes] == [2, 3, 1]
    assert [item.edges for item in scene.edge_items] == [6, 3]
    headers = canvas.labels("header")
    assert headers[(0,)] == "Input (2)"
    assert headers[(1,)] == "Hidden layer 1 (3) · tanh"
    assert headers[(2,)] == "Output layer 2 (1) · sigmoid\nno bias"
    assert set(canvas.labels("bias")) == {(0, 0), (0, 1), (0, 2)}
    assert canvas.labels("bias")[(0, 1)] == "b=0"
    assert len(canvas.labels("edge")) == 9
    assert canvas.labels("edge")[(1, 0, 2)] == f"w={g4(net.layers[1].weight[0, 2])}"


def test_builds_a_64_32_10_network_with_its_inputs_as_an_image(canvas):
    net = Network.create([64, 32, 10], ["relu", "softmax"], "cross_entropy")
    canvas.set_moment(Moment(net))
    scene = canvas.network_scene
    assert [len(column) for column in scene.nodes] == [0, 32, 10]  # 64 inputs: an image
    assert scene.image.grid_shape == (8, 8)
    assert canvas.labels("header")[(0,)] == "Input (8 × 8)"
    assert [item.edges for item in scene.edge_items] == [64 * 32, 32 * 10]
    assert canvas.labels("edge") == {}  # too many edges to label: hover instead
    # input 10 is the cell in row 2, column 3 (row by row, as image pixels are stored)
    cell = scene.image.cell_rect(10)
    assert canvas.node_position(0, 10) == cell.center()
    assert cell.center().x() == pytest.approx(
        scene.image.cell_rect(8).center().x() + 2 * cell.width()
    )
    assert canvas.selection_at(cell.center()) == Selection("node", 0, 10)
    # every node is inside the view after fit
    rect = canvas.viewport().rect()
    for layer, size in enumerate(net.sizes):
        for unit in (0, size - 1):
            assert rect.contains(view_point(canvas, canvas.node_position(layer, unit)))


def test_big_network_labels_appear_only_when_zoomed_in(canvas):
    rng = np.random.default_rng(0)
    net = Network.create([64, 32, 10], ["relu", "softmax"], "cross_entropy")
    trainer = Trainer(net, rng.uniform(0, 1, (4, 64)), np.arange(4))
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    assert not canvas.label_shown("bias", (0, 5))
    assert (0, 5) not in canvas.labels("bias")  # too small to read: not even written
    anchor = view_point(canvas, canvas.node_position(1, 5))
    wheel(canvas, anchor, 8)
    assert canvas.label_shown("bias", (0, 5))
    assert canvas.labels("bias")[(0, 5)] == f"b={g4(net.layers[0].bias[5])}"
    # a hidden node's value is known either way (its text, drawn once zoomed in)
    a = trainer.progress.forward_layers[0].a[0, 5]
    assert canvas.node_texts()[(1, 5)] == f"a={g4(a)}"


def test_no_text_is_drawn_too_small_to_read(qtbot, trainer):
    trainer.next_phase()
    moment = moment_from_trainer(trainer)
    for size in ((1000, 700), (260, 180)):
        view = NetworkCanvas()
        qtbot.addWidget(view)
        view.resize(*size)
        view.show()
        view.set_moment(moment)
        scale = view._scale()
        shown = [label for label in view.network_scene.all_labels if label.isVisible()]
        for label in shown:
            assert label.screen_px(scale) >= label.min_px >= 7
        roles = {label.role for label in shown if label.text()}
        if size == (1000, 700):
            assert {"header", "bias", "edge"} <= roles
            assert len(view.labels("edge")) == 9
        else:  # a small view: the weights are read in their tooltips
            assert "edge" not in roles and view.labels("edge") == {}
    assert MIN_LABEL_PX >= 9


def test_weak_edges_fade_in_big_layers(canvas):
    weights = [np.full((32, 20), 0.01), np.full((10, 32), 0.01)]
    weights[0][0, 0] = 1.0
    weights[0][0, 1] = 0.5
    weights[0][0, 2] = 0.05
    net = Network(weights, [None, None], ["relu", "linear"])
    canvas.set_moment(Moment(net))
    strong, middle, weak = (canvas.edge_pen(0, 0, i) for i in (0, 1, 2))
    assert strength(canvas, strong) > 0.95
    assert strength(canvas, middle) > 0.3  # half the layer's largest weight: clearly there
    assert strength(canvas, weak) < 0.1 * strength(canvas, strong)
    assert strength(canvas, weak) < strength(canvas, middle) < strength(canvas, strong)
    assert weak.widthF() <= middle.widthF() < strong.widthF()


def test_each_layer_is_scaled_by_its_own_weights(canvas):
    """A layer of small weights next to one of big weights is drawn as strongly."""
    net = Network([[[4.0, -2.0], [1.0, 0.5]], [[0.01, -0.005]]], [None, None], ["tanh", "linear"])
    canvas.set_moment(Moment(net))
    assert strength(canvas, canvas.edge_pen(1, 0, 0)) == pytest.approx(1.0, abs=0.02)
    assert canvas.edge_pen(1, 0, 0).widthF() == canvas.edge_pen(0, 0, 0).widthF()
    assert canvas.edge_pen(1, 0, 1).color() == canvas.edge_pen(0, 0, 1).color()
    kinds = dict(canvas.legend_entries())
    assert kinds["thickness"] == "thickness = |w| ÷ its layer's largest"


@pytest.fixture(scope="module")
def xor_2_32_32_32_1() -> Network:
    """2-32-32-32-1 trained on the four-quadrant XOR (the issue's example)."""
    from bp_studio.data.generators import generate

    data = generate("xor", 200, 0.1, 0)
    net = Network.create(
        [2, 32, 32, 32, 1], ["tanh", "tanh", "tanh", "sigmoid"], "binary_cross_entropy", seed=0
    )
    trainer = Trainer(net, data.X, data.T, lr=0.03, batch_size=32, optimizer="adam", seed=0)
    trainer.run_steps(300)
    return net


def test_no_layer_of_a_trained_deep_network_vanishes(canvas, xor_2_32_32_32_1):
    net = xor_2_32_32_32_1
    canvas.set_moment(Moment(net))
    scene = canvas.network_scene
    for index, layer in enumerate(net.layers):
        magnitude = np.abs(layer.weight)
        order = np.argsort(magnitude, axis=None)[::-1]
        units, inputs = np.unravel_index(order, magnitude.shape)
        top = canvas.edge_pen(index, int(units[0]), int(inputs[0]))
        assert top.color().alpha() == 255 and strength(canvas, top) > 0.95, index
        assert top.widthF() >= 1.8, index
        for unit, input in zip(units[:10], inputs[:10]):  # the strongest are all drawn, clearly
            pen = canvas.edge_pen(index, int(unit), int(input))
            assert strength(canvas, pen) > 0.3, (index, unit, input)
        drawn = scene.edge_items[index].drawn
        shown = layer.weight.size if drawn is None else len(drawn)
        assert shown >= min(layer.weight.size, 190), index
        # every unit shows where it listens
        if drawn is not None:
            assert set(drawn // layer.inputs) == set(range(layer.units))
    # the strongest edges are drawn on top: the last batch holds the top level
    groups = scene.edge_items[3]._groups
    assert groups[-1][0].widthF() == max(pen.widthF() for pen, _, _ in groups)


def test_edge_buckets_are_level_and_sign():
    weight = np.array([[0.0, 0.1, -0.1, 0.5], [-0.99, 1.0, -1.0, 0.124]])
    assert edge_buckets(weight, 1.0).tolist() == [0, 0, 1, 8, 15, 14, 15, 0]
    assert edge_buckets(weight, 0.0).tolist() == [0, 0, 1, 0, 1, 0, 1, 0]
    broken = edge_buckets(np.array([[np.nan, np.inf, -np.inf]]), 1.0)  # never a crash
    assert ((broken >= 0) & (broken < 2 * LEVELS)).all()


def thinned_network(weights_0: dict[tuple[int, int], float]) -> Network:
    """30-32-10: the first layer (960 edges) is too big to draw whole, the second is not."""
    weights = [np.full((32, 30), 0.01), np.full((10, 32), 0.5)]
    weights[0][0, 0] = 1.0
    for (unit, input), value in weights_0.items():
        weights[0][unit, input] = value
    return Network(weights, [None, None], ["relu", "linear"])


def test_big_layers_draw_their_strongest_edges(canvas):
    net = thinned_network({(0, 1): 0.1, (0, 2): -0.6, (5, 7): -0.9})
    canvas.set_moment(Moment(net))
    first, second = canvas.network_scene.edge_items
    assert first.thinning == Thinning(per_unit=6, strongest=192) and second.thinning is None
    assert len(first.drawn) <= 6 * 32 + 192
    assert set(first.drawn // 30) == set(range(32))  # every unit's strongest are drawn
    shown, strongest = canvas.edge_pen(0, 0, 2), canvas.edge_pen(0, 5, 7)
    assert shown.color().alpha() == 255 and sign_colour(shown) == "negative"
    assert strength(canvas, strongest) > 0.95 and sign_colour(strongest) == "negative"
    # |w| < max / 8 in a big layer: within a few % of the background, not drawn at all
    assert first.is_drawn(0, 1) and canvas.edge_pen(0, 0, 1).color().alpha() == 0
    assert not first.is_drawn(7, 20) and canvas.edge_pen(0, 7, 20).color().alpha() == 0
    lines = [sum(len(group) for _, _, group in item._groups) for item in (first, second)]
    assert lines == [3, 32 * 10]  # 1.0, -0.6, -0.9; the second layer whole
    # small layers keep every edge visible, however weak
    canvas.set_moment(Moment(Network([[[1.0, 0.01]]], [None], ["linear"])))
    assert canvas.edge_pen(0, 0, 1).color().alpha() == 255


def test_thinning_keeps_each_units_and_the_layers_strongest():
    magnitude = np.array([[0.1, 0.9, 0.2, 0.3], [0.05, 0.04, 0.03, 0.8], [0.7, 0.6, 0.5, 0.0]])
    drawn = Thinning(per_unit=1, strongest=3).drawn(magnitude)
    # row maxima 1, 7, 8 and the three largest overall 1 (0.9), 7 (0.8), 8 (0.7)
    assert drawn.tolist() == [1, 7, 8]
    drawn = Thinning(per_unit=2, strongest=4).drawn(magnitude)
    assert drawn.tolist() == [1, 3, 4, 7, 8, 9]
    assert Thinning(1, 20).drawn(magnitude).tolist() == list(range(12))


def test_a_selected_hidden_edge_is_marked_in_its_sign_colour(canvas):
    canvas.set_moment(Moment(thinned_network({(3, 5): -0.01})))
    canvas.set_selection(Selection("edge", 0, 3, 5))
    ((_, glow, pen),) = canvas.network_scene.edge_marks._marks
    assert pen.color().alpha() == 255 and sign_colour(pen) == "negative"
    assert glow.color() == canvas._colours.selection


def test_the_edges_are_regrouped_only_when_a_pen_changes(canvas):
    net = thinned_network({})
    canvas.set_moment(Moment(net))
    items = canvas.network_scene.edge_items
    groups = [item._groups for item in items]
    canvas.set_moment(Moment(net, step_number=5))  # same weights: nothing to redo
    assert all(item._groups is group for item, group in zip(items, groups))
    net.set_weight(0, 0, 1, -1.0)  # one edge changes sign and level
    canvas.set_moment(Moment(net, step_number=6))
    assert items[0]._groups is not groups[0]
    assert items[1]._groups is groups[1]
    assert sign_colour(canvas.edge_pen(0, 0, 1)) == "negative"


def test_the_legend_is_drawn_along_the_bottom(canvas, trainer):
    canvas.set_moment(moment_from_trainer(trainer))
    image = canvas.render_to_image(1000, 700)
    background = canvas._colours.background.rgb()
    bottom = [image.pixel(x, y) for x in range(0, 1000, 2) for y in range(640, 700, 2)]
    assert sum(pixel != background for pixel in bottom) > 100  # text and swatches
    assert image.pixel(2, 690) == background  # but only in its box


# -- the engine's numbers, phase by phase ---------------------------------------------------


def test_idle_network_shows_weights_and_biases_but_no_values(canvas, trainer):
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas.node_texts() == {}
    assert canvas.labels("bias")[(0, 0)] == "b=0.35"
    assert canvas.labels("edge")[(0, 1, 0)] == "w=−0.25"


def test_forward_shows_inputs_and_activations_computed_so_far(canvas, trainer):
    record = trainer.next_layer()
    moment = moment_from_trainer(trainer)
    canvas.set_moment(moment)
    texts = canvas.node_texts()
    assert texts[(0, 0)] == f"x₁={g4(X[0, 0])}"
    assert texts[(0, 1)] == f"x₂={g4(X[0, 1])}"
    for unit in range(3):
        assert texts[(1, unit)] == f"a={g4(record.a[0, unit])}"
    assert (2, 0) not in texts  # not computed yet
    assert canvas.network_scene.band.isVisible()

    record = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas.node_texts()[(2, 0)] == f"a={g4(record.a[0, 0])}"


def test_the_chosen_sample_is_shown(canvas, trainer):
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer, sample=1))
    record = trainer.progress.forward_layers[0]
    assert canvas.node_texts()[(0, 1)] == f"x₂={g4(X[1, 1])}"
    assert canvas.node_texts()[(1, 2)] == f"a={g4(record.a[1, 2])}"


def test_error_shows_target_output_error_and_loss(canvas, trainer):
    trainer.next_phase()
    record = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    assert moment.phase == Phase.ERROR
    canvas.set_moment(moment)
    t, o, e = record.targets[0, 0], record.outputs[0, 0], record.error[0, 0]
    text = canvas.labels("error")[(0,)]
    assert text.split() == [f"t={g4(t)}", f"o={g4(o)}", f"e={g4(e)}"]
    assert f"Loss (mse) = {g4(record.loss)}" in canvas.labels("loss")[()]
    assert "batch of 2" in canvas.labels("loss")[()]


def test_backward_shows_deltas_and_weight_gradients(canvas, trainer):
    trainer.next_phase()
    trainer.next_phase()
    output = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas.node_texts()[(2, 0)] == f"δ={g4(output.delta[0, 0])}"
    assert canvas.node_texts()[(1, 0)].startswith("a=")  # not reached yet
    edges = canvas.labels("edge")
    for input in range(3):
        assert edges[(1, 0, input)] == f"∂L/∂w={g4(output.grad_weight[0, input])}"
    assert edges[(0, 0, 0)] == "w=0.15"
    assert canvas.labels("error") == {}
    # the bias labels of a layer whose backward pass is done show dL/db, the others b
    biases = canvas.labels("bias")
    assert biases[(1, 0)] == f"∂L/∂b={g4(output.grad_bias[0])}"
    assert biases[(0, 1)] == "b=0.35"

    hidden = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    for unit in range(3):
        assert canvas.node_texts()[(1, unit)] == f"δ={g4(hidden.delta[0, unit])}"
    assert canvas.labels("edge")[(0, 2, 1)] == f"∂L/∂w={g4(hidden.grad_weight[2, 1])}"
    assert canvas.labels("bias")[(0, 1)] == f"∂L/∂b={g4(hidden.grad_bias[1])}"


def test_update_shows_old_and_new_weights(canvas, trainer):
    for _ in range(3):
        trainer.next_phase()
    update = trainer.next_phase()
    moment = moment_from_trainer(trainer)
    assert moment.phase == Phase.UPDATE
    canvas.set_moment(moment)
    old, new = update.before[1].weight[0, 1], update.after[1].weight[0, 1]
    assert canvas.labels("edge")[(1, 0, 1)] == f"{g4(old)} → {g4(new)}"
    old_b, new_b = update.before[0].bias[2], update.after[0].bias[2]
    assert canvas.labels("bias")[(0, 2)] == f"b={g4(old_b)}→{g4(new_b)}"
    # the edges are restyled to the new weights
    assert sign_colour(canvas.edge_pen(1, 0, 1)) == ("negative" if new < 0 else "positive")


def test_edge_colour_follows_sign_and_width_follows_magnitude(canvas):
    net = Network([[[0.1, -0.2], [0.8, -1.6]]], [None], ["linear"])
    canvas.set_moment(Moment(net))
    colours = canvas._colours
    signs = [sign_colour(canvas.edge_pen(0, u, i)) for u, i in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    assert signs == ["positive", "negative", "positive", "negative"]
    assert canvas.edge_pen(0, 1, 1).color().rgb() == colours.negative.rgb()  # the strongest
    widths = [canvas.edge_pen(0, u, i).widthF() for u, i in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    assert widths == sorted(widths)
    assert widths[-1] == pytest.approx(6.0)
    assert widths[0] < 1.5
    # weaker edges are paler: closer to the background
    background = colours.background
    paleness = [canvas.edge_pen(0, u, i).color().lightnessF() for u, i in [(0, 0), (1, 0)]]
    assert paleness[0] > paleness[1]
    assert background.lightnessF() > 0.5 or paleness[0] < paleness[1]


def test_restyles_in_place_when_only_weights_change(canvas, trainer):
    canvas.set_moment(moment_from_trainer(trainer))
    items = list(canvas.network_scene.edge_items)
    trainer.network.set_weight(1, 0, 0, -0.9)
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas.network_scene.edge_items == items
    assert canvas.labels("edge")[(1, 0, 0)] == "w=−0.9"
    assert sign_colour(canvas.edge_pen(1, 0, 0)) == "negative"


def test_rebuilds_when_the_architecture_changes(canvas, trainer, qtbot):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_selection(Selection("node", 1, 2))
    other = Network.create([4, 2, 2], ["relu", "sigmoid"])
    with qtbot.waitSignal(canvas.selection_changed) as blocker:
        canvas.set_moment(Moment(other))  # hidden node 2 no longer exists
    assert blocker.args == [None]
    assert canvas.selection is None
    assert [len(column) for column in canvas.network_scene.nodes] == [4, 2, 2]
    assert canvas.labels("header")[(1,)] == "Hidden layer 1 (2) · relu"
    assert len(canvas.labels("edge")) == 12


def test_a_selection_that_still_exists_survives_a_rebuild(canvas, trainer, qtbot):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_selection(Selection("node", 0, 1))
    with qtbot.assertNotEmitted(canvas.selection_changed):
        canvas.set_moment(Moment(Network.create([2, 5, 2], ["relu", "sigmoid"])))
    assert canvas.selection == Selection("node", 0, 1)


# -- mouse ------------------------------------------------------------------------------------


def test_clicking_a_node_selects_it(canvas, trainer, qtbot):
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    point = view_point(canvas, canvas.node_position(1, 2))
    with qtbot.waitSignal(canvas.selection_changed) as blocker:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [Selection("node", 1, 2)]
    assert canvas.selection == Selection("node", 1, 2)

    empty = view_point(canvas, canvas.node_position(1, 0) + QPointF(0, -400))
    with qtbot.waitSignal(canvas.selection_changed) as blocker:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=empty)
    assert blocker.args == [None]


def test_clicking_an_edge_selects_it(canvas, trainer, qtbot):
    canvas.set_moment(moment_from_trainer(trainer))
    point = view_point(canvas, canvas.edge_point(1, 0, 1, 0.3))
    with qtbot.waitSignal(canvas.selection_changed) as blocker:
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [Selection("edge", 1, 0, 1)]


def test_selection_at_finds_edges_in_a_big_network(canvas):
    net = Network.create([64, 32, 10], ["relu", "softmax"], "cross_entropy")
    canvas.set_moment(Moment(net))
    canvas.scale(3, 3)
    point = canvas.edge_point(1, 7, 30, 0.9)  # near the output end, where edges spread out
    assert canvas.selection_at(point) == Selection("edge", 1, 7, 30)
    assert canvas.selection_at(canvas.node_position(0, 63)) == Selection("node", 0, 63)
    # from the image only the edges drawn can be hit
    item = canvas.network_scene.edge_items[0]
    drawn = int(item.drawn[len(item.drawn) // 2])
    unit, input = divmod(drawn, 64)
    assert canvas.selection_at(canvas.edge_point(0, unit, input, 0.93)) == Selection(
        "edge", 0, unit, input
    )
    hidden = next(e for e in range(64 * 32) if not item.is_drawn(*divmod(e, 64)))
    point = canvas.edge_point(0, *divmod(hidden, 64), 0.93)
    assert canvas.selection_at(point) != Selection("edge", 0, *divmod(hidden, 64))


class FakeDialog:
    """Stands in for ``QInputDialog.getDouble``: records its calls, returns ``answer``."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.answer: tuple[float, bool] = (0.5, True)

    def get_double(self, *args, **kwargs) -> tuple[float, bool]:
        self.calls.append(args)
        return self.answer


@pytest.fixture
def dialog(monkeypatch) -> FakeDialog:
    fake = FakeDialog()
    monkeypatch.setattr(QInputDialog, "getDouble", staticmethod(fake.get_double))
    return fake


def test_double_click_on_an_edge_asks_for_a_new_weight(canvas, trainer, qtbot, dialog):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_editable(True)
    point = view_point(canvas, canvas.edge_point(1, 0, 2, 0.3))
    with qtbot.waitSignal(canvas.weight_edit_requested) as blocker:
        qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [1, 0, 2, 0.5]
    assert dialog.calls[-1][3] == pytest.approx(0.60)  # prefilled with the current weight
    # named as the explanation and the tooltips name it, counting from 1
    assert dialog.calls[-1][1] == "Edit weight"
    assert dialog.calls[-1][2] == (
        "New value of w₁,₃ of layer 2\n(hidden node 3 of layer 1 → output node 1):"
    )


def test_double_click_on_a_bias_label_asks_for_a_new_bias(canvas, trainer, qtbot, dialog):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_editable(True)
    label = canvas.network_scene.bias_labels[(0, 1)]
    point = view_point(canvas, label.pos() + label.text_rect().center())
    with qtbot.waitSignal(canvas.bias_edit_requested) as blocker:
        qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [0, 1, 0.5]
    assert dialog.calls[-1][3] == pytest.approx(0.35)
    assert dialog.calls[-1][1:3] == (
        "Edit bias",
        "New value of b₂ of layer 1\n(into hidden node 2 of layer 1):",
    )


def test_no_edit_unless_editable(canvas, trainer, qtbot, dialog):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_editable(False)
    point = view_point(canvas, canvas.edge_point(1, 0, 2, 0.3))
    with qtbot.assertNotEmitted(canvas.weight_edit_requested):
        qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert dialog.calls == []


@pytest.mark.parametrize("answer", [(0.5, False), (float("nan"), True), (float("inf"), True)])
def test_cancelled_or_non_finite_edits_are_dropped(canvas, trainer, qtbot, dialog, answer):
    dialog.answer = answer
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_editable(True)
    point = view_point(canvas, canvas.edge_point(1, 0, 2, 0.3))
    with qtbot.assertNotEmitted(canvas.weight_edit_requested):
        qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert len(dialog.calls) == 1


def move_mouse(widget, point) -> None:
    """A plain mouse move (QTest.mouseMove moves the cursor, which offscreen does not have)."""
    position = QPointF(point)
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        position,
        QPointF(widget.mapToGlobal(point)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_hovering_a_node_reports_it(canvas, trainer, qtbot):
    canvas.set_moment(moment_from_trainer(trainer))
    point = view_point(canvas, canvas.node_position(2, 0))
    with qtbot.waitSignal(canvas.node_hovered) as blocker:
        move_mouse(canvas.viewport(), point)
    assert blocker.args == [Selection("node", 2, 0)]
    with qtbot.assertNotEmitted(canvas.node_hovered):  # still on the same node
        move_mouse(canvas.viewport(), point + QPoint(1, 0))
    with qtbot.waitSignal(canvas.node_hovered) as blocker:
        move_mouse(
            canvas.viewport(), view_point(canvas, canvas.node_position(2, 0) + QPointF(0, -400))
        )
    assert blocker.args == [None]


def test_dragging_pans_and_does_not_select(canvas, trainer, qtbot):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.scale(3, 3)  # zoomed in, so there is room to pan
    start = view_point(canvas, canvas.node_position(1, 1))
    before = canvas.mapToScene(canvas.viewport().rect().center())
    with qtbot.assertNotEmitted(canvas.selection_changed):
        qtbot.mousePress(canvas.viewport(), Qt.MouseButton.LeftButton, pos=start)
        for step in range(1, 6):
            press_move(canvas.viewport(), start + QPoint(-20 * step, 0))
        qtbot.mouseRelease(
            canvas.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(-100, 0)
        )
    after = canvas.mapToScene(canvas.viewport().rect().center())
    assert after.x() > before.x()  # the view moved right as the scene was dragged left


def press_move(widget, point) -> None:
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(point),
        QPointF(widget.mapToGlobal(point)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_wheel_zooms_around_the_cursor_and_fit_restores(canvas, trainer):
    canvas.set_moment(moment_from_trainer(trainer))
    fitted = canvas._scale()
    anchor = view_point(canvas, canvas.node_position(2, 0))
    event = QWheelEvent(
        QPointF(anchor),
        QPointF(canvas.viewport().mapToGlobal(anchor)),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)
    assert canvas._scale() == pytest.approx(fitted * 1.44, rel=1e-3)
    moved = view_point(canvas, canvas.node_position(2, 0))
    assert abs(moved.x() - anchor.x()) <= 2 and abs(moved.y() - anchor.y()) <= 2
    canvas.fit()
    assert canvas._scale() == pytest.approx(fitted)


def test_dark_palette_is_followed(canvas, trainer):
    canvas.set_moment(moment_from_trainer(trainer))
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    canvas.setPalette(palette)
    assert canvas._colours.dark
    assert canvas._colours.background == QColor("#1e1e1e")
    image = canvas.render_to_image(300, 200)
    assert QColor(image.pixel(2, 2)) == QColor("#1e1e1e")


# -- tooltips, export -------------------------------------------------------------------------


def test_tooltips_give_value_gradient_and_formula(canvas, trainer):
    for _ in range(3):
        trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    backward = trainer.progress.backward
    edge = canvas.tooltip_text(Selection("edge", 1, 0, 1)).splitlines()
    assert edge[0] == "Weight w₁,₂ of layer 2 = −0.55"
    assert edge[1] == "hidden node 2 of layer 1 → output node 1"
    assert f"∂L/∂w = {g4(backward.layers[1].grad_weight[0, 1])}" in edge
    assert "z = Σᵢ wⱼᵢ aᵢ + bⱼ" in edge
    node = canvas.tooltip_text(Selection("node", 1, 2)).splitlines()
    forward = trainer.progress.forward.layers[0]
    assert node[0] == "Hidden node 3 of layer 1 · tanh"
    assert f"a = f(z) = {g4(forward.a[0, 2])}" in node
    assert f"z = {g4(forward.z[0, 2])}" in node
    assert f"δ = ∂L/∂z = {g4(backward.layers[0].delta[0, 2])}" in node
    assert "b₃ of layer 1 = 0.35" in node
    bias = canvas.tooltip_text(Selection("bias", 0, 2)).splitlines()
    assert bias[:2] == ["Bias b₃ of layer 1 = 0.35", "into hidden node 3 of layer 1"]
    assert f"∂L/∂b = {g4(backward.layers[0].grad_bias[2])}" in bias
    output = canvas.tooltip_text(Selection("node", 2, 0)).splitlines()
    assert output[0] == "Output node 1 · sigmoid"
    assert canvas.tooltip_text(Selection("node", 0, 1)).splitlines()[:2] == [
        "Input node 2",
        "x₂ = 0.1",
    ]


def test_normalised_inputs_say_so(canvas):
    from bp_studio.engine.normalization import Normalization

    net = network_231()
    net.normalization = Normalization("standardize", [0.5, 2.0], [0.5, 4.0])
    net.input_names = ("sepal_length", "x2")
    trainer = Trainer(net, np.array([[0.0, 2.0], [1.0, 6.0]]), T)
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    lines = canvas.tooltip_text(Selection("node", 0, 0)).splitlines()
    assert lines[:2] == ["Input node 1 (sepal_length)", "x₁ = −1 (standardised; raw 0)"]
    assert canvas.tooltip_text(Selection("node", 0, 1)).splitlines()[:2] == [
        "Input node 2",
        "x₂ = 0 (standardised; raw 2)",
    ]
    assert canvas.labels("header")[(0,)] == "Input (2)\nstandardised"
    net.normalization = Normalization("minmax", [0.0, 2.0], [1.0, 4.0])
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas.labels("header")[(0,)] == "Input (2)\nscaled to 0..1"


@pytest.mark.qt_log_ignore("does not support raise")  # the offscreen platform
def test_hovering_shows_the_tooltip(canvas, trainer, qtbot):
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    point = view_point(canvas, canvas.edge_point(1, 0, 2, 0.3))
    event = QHelpEvent(QEvent.Type.ToolTip, point, canvas.viewport().mapToGlobal(point))
    QApplication.sendEvent(canvas.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == canvas.tooltip_text(Selection("edge", 1, 0, 2))


def test_render_to_image_draws_what_the_canvas_shows(canvas, trainer):
    """The picture holds the nodes in their value colours, the edges in their sign colours
    and the legend along the bottom, where the canvas fitted to that size puts them."""
    record = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    image = canvas.render_to_image(640, 400)
    assert (image.width(), image.height()) == (640, 400)
    canvas.resize(640, 400)
    canvas.fit()
    colours = canvas._colours
    assert QColor(image.pixel(2, 2)) == colours.background

    def pixel(scene_point: QPointF) -> QColor:
        point = canvas.mapFromScene(scene_point)
        return QColor(image.pixel(point.x(), point.y()))

    def close(a: QColor, b: QColor, tolerance: int = 6) -> bool:
        return all(abs(p - q) <= tolerance for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))

    radius = canvas._layout.columns[1].radius
    for unit in range(3):  # below the value written inside: the node's fill
        inside = canvas.node_position(1, unit) + QPointF(0, radius * 0.75)
        assert close(pixel(inside), colours.diverging(float(record.a[0, unit])))
    edge = canvas.edge_pen(0, 1, 0)  # w = -0.25: an orange line
    mid = canvas.edge_point(0, 1, 0, 0.25)
    assert sign_colour(edge) == "negative" and close(pixel(mid), edge.color(), 40)
    assert pixel(canvas.node_position(2, 0)) == colours.background  # not computed yet: hollow


# -- names, the input image, pictures ---------------------------------------------------------


def iris_like() -> tuple[Trainer, tuple[str, ...]]:
    """4-8-3 with iris's input names and species: long names, three named outputs."""
    rng = np.random.default_rng(1)
    net = Network.create([4, 8, 3], ["tanh", "softmax"], "cross_entropy", seed=1)
    net.input_names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    X = rng.normal(size=(6, 4))
    trainer = Trainer(net, X, np.eye(3)[[0, 1, 2, 0, 1, 2]])
    return trainer, ("setosa", "versicolor", "virginica")


def test_input_names_beside_the_nodes_and_class_names_beside_the_outputs(canvas):
    trainer, species = iris_like()
    trainer.next_phase()
    trainer.next_phase()  # error: the t/o/e boxes show
    moment = moment_from_trainer(trainer, output_names=species)
    canvas.set_moment(moment)
    names = canvas.labels("input_name")
    assert names == {(0,): "sepal_length", (1,): "sepal_width", (2,): "petal_length",
                     (3,): "petal_width"}  # fmt: skip
    assert canvas.labels("output_name") == {(0,): "setosa", (1,): "versicolor", (2,): "virginica"}
    scene = canvas.network_scene
    first = canvas._layout.columns[0]
    for label in scene.input_names:  # never clipped inside a circle: wholly left of it
        rect = label.text_rect().translated(label.pos())
        assert rect.right() < first.x - first.radius
    assert [node.symbol for node in scene.nodes[0]] == ["x₁", "x₂", "x₃", "x₄"]
    # the error boxes sit right of the names and clear of every bias label
    boxes = [label.text_rect().translated(label.pos()) for label in scene.error_labels]
    assert len(canvas.labels("error")) == 3
    taken = [label.text_rect().translated(label.pos()) for label in scene.output_names]
    taken += [label.text_rect().translated(label.pos()) for label in scene.bias_labels.values()]
    for box in boxes:
        assert not any(box.intersects(other) for other in taken)
    assert canvas.tooltip_text(Selection("node", 2, 1)).startswith("Output node 2 (versicolor)")
    assert canvas.tooltip_text(Selection("node", 0, 2)).startswith("Input node 3 (petal_length)")


def digits_like(sample: int = 0) -> Trainer:
    rng = np.random.default_rng(2)
    net = Network.create([64, 32, 10], ["tanh", "softmax"], "cross_entropy", seed=2)
    X = rng.uniform(0, 1, size=(4, 64))
    X[:, 5] = -0.5  # one input below zero: orange
    return Trainer(net, X, np.eye(10)[[3, 1, 4, 1]])


def test_wide_inputs_are_an_image_of_the_sample(canvas):
    trainer = digits_like()
    canvas.set_moment(moment_from_trainer(trainer))
    scene = canvas.network_scene
    assert scene.image.image() is None  # nothing fed yet: blank cells
    assert canvas.labels("caption")[()] == "Inputs x₁ … x₆₄, row by row"
    trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer, sample=2))
    picture = scene.image.image()
    assert (picture.width(), picture.height()) == (8, 8)
    x = trainer.progress.forward_layers[0].inputs[2]
    scale = max(1.0, float(np.max(np.abs(x))))
    expected = canvas._colours.diverging_rgb(x / scale)
    for index in (0, 5, 9, 63):  # row by row: input 9 is row 1, column 1
        colour = picture.pixelColor(index % 8, index // 8)
        assert (colour.red(), colour.green(), colour.blue()) == tuple(expected[index])
    assert picture.pixelColor(5, 0).red() > picture.pixelColor(5, 0).blue()  # -0.5: orange
    assert canvas.labels("caption")[()] == "Inputs of sample 3 (8 × 8), coloured as nodes"
    assert canvas.tooltip_text(Selection("node", 0, 9)).splitlines()[:2] == [
        "Input node 10",
        f"x₁₀ = {g4(x[9])}",
    ]


def test_a_hidden_units_weights_show_as_an_image(canvas, qtbot):
    trainer = digits_like()
    trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    scene = canvas.network_scene
    sample = scene.image.image()
    with qtbot.waitSignal(canvas.node_hovered):
        move_mouse(canvas.viewport(), view_point(canvas, canvas.node_position(1, 6)))
    weights = trainer.network.layers[0].weight[6]
    expected = canvas._colours.diverging_rgb(weights / np.max(np.abs(weights)))
    picture = scene.image.image()
    for index in (0, 17, 63):
        colour = picture.pixelColor(index % 8, index // 8)
        assert (colour.red(), colour.green(), colour.blue()) == tuple(expected[index])
    caption = canvas.labels("caption")[()]
    assert caption.startswith("Weights into hidden node 7 of layer 1: what it looks for")
    # off the node: the sample again; a selected unit keeps its weights shown
    move_mouse(canvas.viewport(), view_point(canvas, canvas.node_position(1, 6) + QPointF(0, -900)))
    assert scene.image.image() == sample
    canvas.set_selection(Selection("node", 1, 2))
    assert canvas.labels("caption")[()].startswith("Weights into hidden node 3 of layer 1")


def test_a_784_input_network_draws_a_few_strong_edges_per_unit(canvas):
    net = Network.create([784, 128, 10], ["tanh", "softmax"], "cross_entropy", seed=0)
    canvas.set_moment(Moment(net))
    scene = canvas.network_scene
    assert scene.image.grid_shape == (28, 28)
    first, second = scene.edge_items
    assert len(first.drawn) == 128 and set(first.drawn // 784) == set(range(128))
    strongest = np.unravel_index(np.argmax(np.abs(net.layers[0].weight)), (128, 784))
    assert first.is_drawn(*map(int, strongest))
    assert len(second.drawn) <= 384
    drawn_lines = sum(len(lines) for item in scene.edge_items for _, _, lines in item._groups)
    assert drawn_lines <= 128 + 384
    legend = dict(canvas.legend_entries())
    assert legend["strongest"] == (
        "from the image: each unit's strongest weight; hover a unit for all"
    )


def test_nodes_show_their_pictures_and_the_legend_says_what_they_are(canvas):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    canvas.set_moment(Moment(net))
    assert "picture" not in dict(canvas.legend_entries())
    image = QImage(8, 8, QImage.Format.Format_RGB888)
    image.fill(QColor("#2166ac"))
    canvas.set_node_images({(1, 0): image, (2, 0): image})
    scene = canvas.network_scene
    assert scene.nodes[2][0]._image is image  # the output node has its picture too
    assert scene.nodes[1][1]._image is None
    legend = dict(canvas.legend_entries())
    assert legend["picture"] == "node picture = its value over the input plane"
    assert legend["scale"] == "node colour = value a (δ in backward): −1 … 0 … +1"


def test_text_is_sized_for_the_view(qtbot):
    net = Network.create([2, 16, 16, 1], ["tanh", "tanh", "sigmoid"], seed=0)
    view = NetworkCanvas()
    qtbot.addWidget(view)
    view.resize(1500, 900)
    view.show()
    view.set_moment(Moment(net))
    big = view._layout.zoom
    view.resize(760, 430)  # a laptop's canvas: the text is laid out again, larger in the scene
    assert view._layout.zoom > 1.3 * big
    header = view.network_scene.headers[1]
    assert header.screen_px(view._scale()) >= 9


def test_a_value_too_wide_for_its_node_is_written_with_fewer_digits(canvas):
    trainer = digits_like()
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    outputs = trainer.progress.forward_layers[-1].a[0]
    for unit, node in enumerate(canvas.network_scene.nodes[2]):
        assert node.value_text == g4(outputs[unit])  # the full value: node_texts, tooltips
        assert node.shown_text in (node.value_text, f"{outputs[unit]:.2f}")
    assert any(node.shown_text != node.value_text for node in canvas.network_scene.nodes[2])


@pytest.mark.parametrize(
    "sizes",
    [[1, 1], [2, 1], [64, 10], [50, 3], [33, 40, 2], [3, 600, 2], [784, 16, 16, 10]],
)
def test_any_shape_is_drawn_and_answers_clicks(qtbot, sizes):
    """Odd shapes: one weight, no hidden layer, a non-square image (50 inputs: 8 x 7 cells),
    a layer wider than it is deep; through a forward pass and a hover of unit 1 of layer 1."""
    rng = np.random.default_rng(len(sizes))
    net = Network.create(sizes, ["tanh"] * (len(sizes) - 2) + ["sigmoid"], seed=0)
    view = NetworkCanvas()
    qtbot.addWidget(view)
    view.resize(900, 560)
    view.show()
    trainer = Trainer(net, rng.normal(size=(3, sizes[0])), rng.uniform(size=(3, sizes[-1])))
    trainer.next_layer()
    view.set_moment(moment_from_trainer(trainer))
    view._set_hover(Selection("node", 1, 0))
    image = view.render_to_image(400, 260)
    assert QColor(image.pixel(1, 1)) == view._colours.background
    last = len(sizes) - 1
    assert view.selection_at(view.node_position(last, 0)) == Selection("node", last, 0)
    assert view.selection_at(view.node_position(0, sizes[0] - 1)) == Selection(
        "node", 0, sizes[0] - 1
    )
    if sizes[0] == 50:
        assert view.network_scene.image.grid_shape == (7, 8)


def test_weights_that_are_not_numbers_do_not_break_the_drawing(canvas):
    net = Network([np.full((40, 30), 0.5), np.full((2, 40), 0.5)], [None, None], ["tanh", "linear"])
    net.layers[0].weight[3, 4] = np.nan  # (a diverged run: the trainer stops before this)
    net.layers[0].weight[5, 6] = np.inf
    net.layers[1].weight[0, 0] = -np.inf
    canvas.set_moment(Moment(net))
    first = canvas.network_scene.edge_items[0]
    assert first.is_drawn(3, 4) and first.is_drawn(5, 6)  # not numbers: shown, as the largest
    assert canvas.edge_pen(0, 0, 0).color().alpha() in (0, 255)


def on_screen(canvas: NetworkCanvas, label) -> QRectF:
    """A label's text box in viewport pixels."""
    transform = label.deviceTransform(canvas.viewportTransform())
    return transform.mapRect(label.text_rect())


@pytest.mark.parametrize(
    ("sizes", "names"),
    [([2, 8, 8, 8, 8, 1], ("P(lower moon)",)), ([784, 128, 10], tuple("0123456789"))],
)
def test_titles_and_output_names_stay_legible_in_a_small_canvas(qtbot, sizes, names):
    """A laptop window's canvas (560 x 420): every column says what it is, at a readable
    size, abbreviated rather than overlapping; the tooltip gives the whole title."""
    activations = ["sigmoid"] * (len(sizes) - 1)
    net = Network.create(sizes, activations, "mse", seed=0)
    view = NetworkCanvas()
    qtbot.addWidget(view)
    view.resize(560, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_moment(Moment(net, output_names=names))
    titles = view.labels("header")
    assert set(titles) == {(column,) for column in range(len(sizes))}
    assert titles[(0,)].startswith("Input") and titles[(len(sizes) - 1,)].startswith("Out")
    assert view.labels("output_name") == {(unit,): name for unit, name in enumerate(names)}
    scene = view.network_scene
    boxes = [on_screen(view, header) for header in scene.headers]
    for header, box in zip(scene.headers, boxes):
        assert header.screen_px(view._scale()) >= MIN_LABEL_PX
        assert view.viewport().rect().contains(box.toAlignedRect())
    for left, right in zip(boxes, boxes[1:]):
        assert left.right() < right.left()  # side by side, never overlapping
    for label in scene.output_names:
        assert on_screen(view, label).height() >= MIN_LABEL_PX
    # zoomed out further, they keep their size on screen (and shorten)
    anchor = view_point(view, view.node_position(1, 0))
    wheel(view, anchor, -3)

    def line_height(label) -> float:
        return (on_screen(view, label).height() - 2 * label.PAD_Y) / (label.text().count("\n") + 1)

    assert line_height(scene.headers[1]) == pytest.approx(
        (boxes[1].height() - 2 * scene.headers[1].PAD_Y) / (titles[(1,)].count("\n") + 1)
    )
    shortened = [h for h in scene.headers if h.full_text]
    assert shortened
    header = shortened[0]
    assert header.full_text == "\n".join(
        view._layout.header_lines(net, header.key[0])
    )  # what the tooltip says
    point = on_screen(view, header).center().toPoint()
    assert view.full_text_at(point) == header.full_text


@pytest.mark.parametrize("size", [(560, 420), (1000, 700)])
def test_weight_labels_never_sit_under_a_node(qtbot, size):
    """A 2-3-1 network in a laptop's canvas: each weight label is drawn clear of every node's
    circle (or not at all: its tooltip gives it), never cut by a node drawn over it."""
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], "mse", seed=3)
    view = NetworkCanvas()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.set_moment(Moment(net, output_names=("P(lower moon)",)))
    scene, layout = view.network_scene, view._layout
    shown = [label for label in scene.edge_labels.values() if label.isVisible()]
    assert len(shown) >= 6
    for label in shown:
        box = label.scene_rect(view._scale())
        for column, geometry in enumerate(layout.columns):
            for unit in range(geometry.size):
                centre = layout.node(column, unit)
                dx = max(box.left() - centre.x(), centre.x() - box.right(), 0)
                dy = max(box.top() - centre.y(), centre.y() - box.bottom(), 0)
                assert dx * dx + dy * dy >= geometry.radius**2, (label.text(), column, unit)
