"""The canvas marks saturated and dead units, colours edges by a gradient check, and hides
the answer to an open quiz question."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from bp_studio.engine import Network, Phase, Trainer
from bp_studio.engine.diagnostics import layer_health
from bp_studio.engine.gradcheck import check_gradients
from bp_studio.engine.phases import backward, forward
from bp_studio.studio.explain_diagnostics import unit_health_tooltip
from bp_studio.studio.moment import Moment, Selection, moment_from_trainer
from bp_studio.studio.quiz import Question, Quiz
from bp_studio.ui.canvas import NetworkCanvas
from bp_studio.ui.canvas.checks import CHECK_LEVELS, check_colour, error_levels, parameter_offsets
from bp_studio.ui.canvas.marks import badge_colours, badge_place

from helpers import T_231 as T
from helpers import X_231 as X
from helpers import g4, network_231


@pytest.fixture
def canvas(qtbot) -> NetworkCanvas:
    view = NetworkCanvas()
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    qtbot.waitExposed(view)
    return view


def flat(text: str) -> str:
    """``text`` with its line breaks and runs of spaces made single spaces."""
    return " ".join(text.split())


def legend_kinds(canvas: NetworkCanvas) -> list[str]:
    return [kind for kind, _ in canvas.legend_entries()]


def close(a: QColor, b: QColor, tolerance: int = 12) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))


# -- unit health badges -------------------------------------------------------------------------


def inputs(samples: int = 40, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(samples, 2))


def saturated_sigmoid_net() -> Network:
    """Xavier weights times 50: every hidden sigmoid's z is far out on its flat tails."""
    net = Network.create([2, 4, 1], ["sigmoid", "sigmoid"], "mse", seed=1)
    net.set_parameters(net.parameters * 50.0)
    return net


def dead_relu_net() -> Network:
    """Units 1 and 3 of the hidden layer have bias −10: with inputs in [−3, 3] and weights of
    0.5, ``z = 0.5 x₁ + 0.5 x₂ − 10 < 0`` for every sample: dead. Unit 2 has bias +0.1."""
    weight = np.full((3, 2), 0.5)
    return Network([weight, [[0.3, 0.3, 0.3]]], [[-10.0, 0.1, -10.0], [0.0]], ["relu", "linear"])


def test_huge_sigmoid_weights_give_saturated_badges(canvas):
    net = saturated_sigmoid_net()
    X = inputs()
    health = layer_health(net, X)
    saturated = health[0].saturated_units
    assert saturated == [0, 1, 2, 3]  # the hand-made case: all hidden units saturated
    canvas.set_moment(Moment(net))
    canvas.set_unit_health(health)
    expected = {(1, unit): "saturated" for unit in saturated}
    expected.update({(2, u): "saturated" for u in health[1].saturated_units})
    assert canvas.unit_badges() == expected
    assert "saturated" in legend_kinds(canvas)
    text = canvas.tooltip_text(Selection("node", 1, 2))
    assert text.startswith("Hidden node 3 of layer 1 · sigmoid")
    assert flat(unit_health_tooltip(health[0], 2)) in flat(text)
    assert "smaller initial weights" in flat(text)
    assert max(len(line) for line in text.splitlines()) <= 64  # the note is wrapped


def test_relu_units_with_large_negative_biases_get_dead_badges(canvas):
    net = dead_relu_net()
    X = np.clip(inputs(), -3, 3)
    health = layer_health(net, X)
    canvas.set_moment(Moment(net))
    canvas.set_unit_health(health)
    assert canvas.unit_badges() == {(1, 0): "dead", (1, 2): "dead"}
    text = canvas.tooltip_text(Selection("node", 1, 2))
    assert "Dead unit: z ≤ 0 for every sample of the batch" in flat(text)
    assert "a lower learning rate" in flat(text)
    assert "Dead unit" not in canvas.tooltip_text(Selection("node", 1, 1))
    assert [kind for kind in legend_kinds(canvas) if kind in ("dead", "saturated")] == ["dead"]


def test_a_well_initialised_network_has_no_badges(canvas):
    net = Network.create([2, 8, 1], ["tanh", "sigmoid"], "mse", seed=0)
    health = layer_health(net, inputs())
    canvas.set_moment(Moment(net))
    canvas.set_unit_health(health)
    assert canvas.unit_badges() == {}
    assert not canvas.network_scene.badges.isVisible()
    assert "saturated" not in legend_kinds(canvas) and "dead" not in legend_kinds(canvas)


def test_badges_survive_new_moments_and_none_clears_them(canvas):
    net = dead_relu_net()
    canvas.set_moment(Moment(net))
    canvas.set_unit_health(layer_health(net, inputs()))
    item = canvas.network_scene.badges
    key = item._key
    net.set_weight(1, 0, 1, -0.7)
    canvas.set_moment(Moment(net, step_number=3))  # a new moment: the same badge item as is
    assert canvas.network_scene.badges is item and item._key == key
    assert canvas.unit_badges() == {(1, 0): "dead", (1, 2): "dead"}
    canvas.set_unit_health(None)
    assert canvas.unit_badges() == {}
    assert not item.isVisible()
    assert "dead" not in legend_kinds(canvas)
    assert "Dead unit" not in canvas.tooltip_text(Selection("node", 1, 0))


def test_health_of_another_network_is_refused_and_dropped_on_a_new_architecture(canvas):
    net = dead_relu_net()
    canvas.set_moment(Moment(net))
    with pytest.raises(ValueError, match="does not describe the network"):
        canvas.set_unit_health(layer_health(network_231(), X))
    canvas.set_unit_health(layer_health(net, inputs()))
    canvas.set_moment(Moment(Network.create([2, 5, 1], ["relu", "linear"])))
    assert canvas.unit_badges() == {}


OFF_THE_CROSS = ((0, -4), (0, 4), (-4, 0), (4, 0))


def test_a_badge_is_drawn_at_the_nodes_top_right(canvas):
    net = dead_relu_net()
    canvas.set_moment(Moment(net))
    canvas.set_unit_health(layer_health(net, inputs()))
    image = canvas.render_to_image(1280, 720)
    canvas.fit()
    radius = canvas._layout.columns[1].radius
    centre, _ = badge_place(canvas.node_position(1, 0), radius)
    point = canvas.mapFromScene(centre)
    fill, _ = badge_colours("dead")
    # the badge's disc, beside its letter (the ✕ crosses the centre and the diagonals)
    near = [QColor(image.pixel(point.x() + dx, point.y() + dy)) for dx, dy in OFF_THE_CROSS]
    assert any(close(pixel, fill) for pixel in near)
    centre, _ = badge_place(canvas.node_position(1, 1), radius)
    point = canvas.mapFromScene(centre)
    far = [QColor(image.pixel(point.x() + dx, point.y() + dy)) for dx, dy in OFF_THE_CROSS]
    assert not any(close(pixel, fill) for pixel in far)


def badge_on_screen(canvas: NetworkCanvas, item) -> QRectF:
    return item.deviceTransform(canvas.viewportTransform()).mapRect(item.boundingRect())


def zoom_out(canvas: NetworkCanvas, clicks: int) -> None:
    """Turn the wheel towards the user ``clicks`` times over the viewport's centre."""
    anchor = canvas.viewport().rect().center()
    event = QWheelEvent(
        QPointF(anchor), QPointF(canvas.viewport().mapToGlobal(anchor)), QPoint(0, 0),
        QPoint(0, -120 * clicks), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(canvas.viewport(), event)


def test_badges_keep_their_size_on_screen_on_small_nodes_and_zoomed_out(qtbot):
    """A 2-8-8-8-8-1 sigmoid network with weights x40 in a laptop's canvas: its nodes are a
    few pixels across, its badges 14 px and at each node's top right, zoomed out or not."""
    net = Network.create([2, 8, 8, 8, 8, 1], ["sigmoid"] * 5, "mse", seed=0)
    net.set_parameters(net.parameters * 40.0)
    canvas = NetworkCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(560, 420)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_moment(Moment(net))
    canvas.set_unit_health(layer_health(net, inputs()))
    badges = canvas.network_scene.badges.items()
    assert len(badges) == len(canvas.unit_badges()) > 8
    key = next(iter(canvas.unit_badges()))
    place, _ = badge_place(canvas.node_position(*key), canvas._layout.columns[key[0]].radius)
    (item,) = [badge for badge in badges if badge.pos() == place]
    before = badge_on_screen(canvas, item)
    node_px = canvas._layout.columns[1].radius * canvas._scale()
    assert node_px < 10 and 14 <= before.width() - 4 <= 15  # the letter's disc: 14 px across
    zoom_out(canvas, 3)
    after = badge_on_screen(canvas, item)
    assert canvas._layout.columns[1].radius * canvas._scale() < 0.8 * node_px
    assert after.size() == before.size()
    node = canvas.mapFromScene(canvas.node_position(*key))
    centre = after.center()
    assert node.x() < centre.x() and centre.y() < node.y()  # at the node's top right


@pytest.mark.qt_log_ignore("does not support raise")  # the offscreen platform
def test_hovering_a_badged_node_shows_what_it_means(canvas, qtbot):
    net = dead_relu_net()
    canvas.set_moment(Moment(net))
    canvas.set_unit_health(layer_health(net, inputs()))
    point = canvas.mapFromScene(canvas.node_position(1, 2))
    event = QHelpEvent(QEvent.Type.ToolTip, point, canvas.viewport().mapToGlobal(point))
    QApplication.sendEvent(canvas.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible)
    assert "Dead unit" in QToolTip.text()


# -- gradient check -----------------------------------------------------------------------------


def flat_weight_index(net: Network, layer: int, unit: int, input: int) -> int:
    first, _ = parameter_offsets(net)[layer]
    return first + unit * net.layers[layer].inputs + input


def test_a_correct_gradient_colours_every_edge_green(canvas):
    net = network_231()
    canvas.set_moment(Moment(net))
    check = check_gradients(net, X, T)
    assert check.passed
    canvas.set_gradient_check(check)
    green = check_colour(0, canvas._colours).rgb()
    for layer, item in enumerate(canvas.network_scene.edge_items):
        for unit in range(item.units):
            for input in range(item.inputs):
                assert canvas.edge_pen(layer, unit, input).color().rgb() == green
        assert not item.isVisible()  # the weight colours make way for the check's
    texts = dict(canvas.legend_entries())
    assert texts["check"] == (
        "edge colour = gradient check's relative error r: green < 0.0001 … red ≥ 0.01"
    )
    assert "check_worst_ok" in texts  # the worst of a passed check glows green, not red
    assert canvas.network_scene.check_edges._worst_pens[1].color().rgb() == green
    assert "positive" not in texts
    lines = canvas.tooltip_text(Selection("edge", 1, 0, 2)).splitlines()
    k = flat_weight_index(net, 1, 0, 2)
    assert f"backpropagation g = {g4(check.analytic[k])}" in lines
    assert f"finite differences g_num = {g4(check.numeric[k])}" in lines
    assert any(line.startswith("r = |g − g_num| / max(|g|, |g_num|, floor) = ") for line in lines)
    bias = canvas.tooltip_text(Selection("bias", 0, 1))
    assert "finite differences g_num" in bias


def test_a_wrong_gradient_makes_its_edge_red_and_the_worst(canvas):
    net = network_231()
    canvas.set_moment(Moment(net))
    analytic = backward(net, forward(net, X), T).gradient.copy()
    wrong = flat_weight_index(net, 1, 0, 2)
    analytic[wrong] += 0.5
    check = check_gradients(net, X, T, analytic=analytic)
    assert not check.passed and check.worst_index == wrong
    canvas.set_gradient_check(check)
    colours = canvas._colours
    assert canvas.edge_pen(1, 0, 2).color().rgb() == check_colour(CHECK_LEVELS - 1, colours).rgb()
    assert canvas.edge_pen(1, 0, 1).color().rgb() == check_colour(0, colours).rgb()
    assert canvas.gradient_check_worst() == Selection("edge", 1, 0, 2)
    assert "largest: w₁,₃ of layer 2" in dict(canvas.legend_entries())["check_worst"]
    assert "they disagree" in canvas.tooltip_text(Selection("edge", 1, 0, 2))


def test_error_levels_follow_a_log_scale():
    errors = np.array([np.nan, 1e-9, 9.9e-5, 1e-4, 1e-3, 5e-3, 1e-2, 1.0, np.inf])
    assert error_levels(errors, 1e-4).tolist() == [-1, 0, 0, 1, 3, 4, 5, 5, 5]


def test_a_new_step_or_new_weights_clear_the_check(canvas):
    net = network_231()
    canvas.set_moment(Moment(net, step_number=4))
    canvas.set_gradient_check(check_gradients(net, X, T))
    canvas.set_moment(Moment(net, step_number=4))  # the same step, the same weights: kept
    assert canvas.gradient_check_worst() is not None
    canvas.set_moment(Moment(net, step_number=5))
    assert canvas.gradient_check_worst() is None
    assert "positive" in dict(canvas.legend_entries())
    assert all(item.isVisible() for item in canvas.network_scene.edge_items)
    assert canvas.edge_pen(0, 1, 0).color().rgb() == canvas._colours.negative.rgb() or (
        canvas.edge_pen(0, 1, 0).color().blueF() < canvas.edge_pen(0, 1, 0).color().redF()
    )  # w = −0.25: the negative colour again

    canvas.set_gradient_check(check_gradients(net, X, T))
    net.set_weight(0, 0, 0, 0.9)  # an edit within the step: the check no longer applies
    canvas.set_moment(Moment(net, step_number=5))
    assert canvas.gradient_check_worst() is None
    canvas.set_gradient_check(check_gradients(net, X, T))
    canvas.set_gradient_check(None)
    assert canvas.gradient_check_worst() is None
    assert not canvas.network_scene.check_edges.isVisible()


def test_a_new_architecture_drops_the_check_and_draws_the_new_network(canvas):
    net = network_231()
    canvas.set_moment(Moment(net, step_number=4))
    canvas.set_gradient_check(check_gradients(net, X, T))
    wider = Network.create([2, 5, 1], ["tanh", "sigmoid"], seed=1)  # more edges than before
    canvas.set_moment(Moment(wider, step_number=4))
    assert canvas.gradient_check_worst() is None
    assert canvas.edge_pen(0, 4, 1).widthF() > 0  # an edge the old network did not have
    assert "positive" in dict(canvas.legend_entries())


def test_a_check_of_another_network_is_refused(canvas):
    canvas.set_moment(Moment(network_231()))
    other = Network.create([2, 2, 1], ["tanh", "sigmoid"])
    with pytest.raises(ValueError, match="parameters"):
        canvas.set_gradient_check(check_gradients(other, X, T))


# -- the quiz's hidden answer ---------------------------------------------------------------


@pytest.fixture
def trainer() -> Trainer:
    return Trainer(network_231(), X, T, lr=0.5)


def question(kind: str, phase: Phase, selection: Selection, value: float) -> Question:
    return Question(kind, phase, selection, 0, f"{kind} = ?", value, "", "")


def test_an_asked_activation_is_hidden_everywhere_and_comes_back(canvas, trainer):
    record = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    a = float(record.a[0, 1])
    canvas.set_hidden(question("a", Phase.FORWARD, Selection("node", 1, 1), a))
    texts = canvas.node_texts()
    assert texts[(1, 1)] == "a=?"
    assert texts[(1, 0)] == f"a={g4(record.a[0, 0])}"  # only the asked node
    lines = canvas.tooltip_text(Selection("node", 1, 1)).splitlines()
    assert "a = f(z) = ?" in lines
    assert f"z = {g4(record.z[0, 1])}" in lines  # what the student computes a from
    assert g4(a) not in canvas.tooltip_text(Selection("node", 1, 1))
    assert "question" in legend_kinds(canvas)
    node = canvas.network_scene.nodes[1][1]
    assert node._question is not None and node.shown_text == "?"
    # a new moment of the same step keeps it hidden
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas.node_texts()[(1, 1)] == "a=?"

    canvas.set_hidden(None)
    assert canvas.node_texts()[(1, 1)] == f"a={g4(a)}"
    assert f"a = f(z) = {g4(a)}" in canvas.tooltip_text(Selection("node", 1, 1))
    assert node._question is None
    assert "question" not in legend_kinds(canvas)


def test_an_asked_z_hides_a_too(canvas, trainer):
    record = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_hidden(question("z", Phase.FORWARD, Selection("node", 1, 0), record.z[0, 0]))
    assert canvas.node_texts()[(1, 0)] == "z=?"  # what is asked: z (its a is hidden too)
    assert canvas.node_texts()[(1, 1)] == f"a={g4(record.a[0, 1])}"
    lines = canvas.tooltip_text(Selection("node", 1, 0)).splitlines()
    assert "z = ?" in lines and "a = f(z) = ?" in lines


def test_an_asked_error_is_hidden_beside_its_output(canvas, trainer):
    trainer.next_phase()
    record = trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_hidden(question("error", Phase.ERROR, Selection("node", 2, 0), record.error[0, 0]))
    assert canvas.labels("error")[(0,)].split() == [
        f"t={g4(record.targets[0, 0])}",
        f"o={g4(record.outputs[0, 0])}",
        "e=?",
    ]


def test_an_asked_delta_hides_the_delta_and_the_bias_gradient(canvas, trainer):
    trainer.next_phase()
    trainer.next_phase()
    output = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_hidden(question("delta", Phase.BACKWARD, Selection("node", 2, 0), 0.0))
    assert canvas.node_texts()[(2, 0)] == "δ=?"
    assert "δ = ∂L/∂z = ?" in canvas.tooltip_text(Selection("node", 2, 0)).splitlines()
    assert canvas.labels("bias")[(1, 0)] == "∂L/∂b=?"  # for a sample, ∂L/∂b = δ
    assert canvas.labels("edge")[(1, 0, 0)] == f"∂L/∂w={g4(output.grad_weight[0, 0])}"


def test_an_asked_gradient_is_hidden_on_its_edge_which_glows(canvas, trainer):
    trainer.next_phase()
    trainer.next_phase()
    output = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    where = Selection("edge", 1, 0, 2)
    canvas.set_hidden(question("gradient", Phase.BACKWARD, where, output.grad_weight[0, 2]))
    assert canvas.labels("edge")[(1, 0, 2)] == "∂L/∂w=?"
    assert canvas.labels("edge")[(1, 0, 1)] == f"∂L/∂w={g4(output.grad_weight[0, 1])}"
    assert "∂L/∂w = ?" in canvas.tooltip_text(where).splitlines()
    marks = canvas.network_scene.edge_marks._marks
    assert len(marks) == 1 and marks[0][1].color().rgb() != canvas._colours.selection.rgb()
    label = canvas.network_scene.edge_labels[(1, 0, 2)]
    assert label.border_width() == 3.0  # bordered in the accent: where the question is


def test_an_asked_update_hides_the_new_bias(canvas, trainer):
    for _ in range(3):
        trainer.next_phase()
    update = trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    new = float(update.after[0].bias[2])
    canvas.set_hidden(question("update", Phase.UPDATE, Selection("bias", 0, 2), new))
    assert canvas.labels("bias")[(0, 2)] == f"b={g4(update.before[0].bias[2])}→?"
    bias = canvas.tooltip_text(Selection("bias", 0, 2))
    assert bias.splitlines()[0] == "Bias b₃ of layer 1 = ?"
    assert g4(new) not in bias
    assert "b₃ of layer 1 = ?" in canvas.tooltip_text(Selection("node", 1, 2)).splitlines()


def test_the_quizs_own_question_is_hidden(canvas, trainer):
    quiz = Quiz()
    quiz.start(("a",))
    before = moment_from_trainer(trainer)
    trainer.next_layer()
    after = moment_from_trainer(trainer)
    asked = quiz.ask(before, after, digits=4, step=0)
    canvas.set_moment(after)
    canvas.set_hidden(asked)
    layer, unit = asked.selection.layer, asked.selection.unit
    assert canvas.node_texts()[(layer, unit)] == "a=?"
    assert g4(asked.value) not in canvas.tooltip_text(asked.selection)
    with pytest.raises(ValueError, match="not part of this network"):
        canvas.set_hidden(question("a", Phase.FORWARD, Selection("node", 1, 7), 0.0))


@pytest.mark.parametrize(
    ("kind", "selection", "phases", "mark"),
    [
        ("z", Selection("node", 1, 7), 0, "z=?"),
        ("a", Selection("node", 1, 7), 0, "a=?"),
        ("error", Selection("node", 2, 0), 2, "e=?"),
        ("delta", Selection("node", 1, 7), 4, "δ=?"),
        ("gradient", Selection("edge", 0, 7, 1), 4, "∂L/∂w=?"),
        ("gradient", Selection("bias", 0, 7), 4, "∂L/∂b=?"),
        ("update", Selection("edge", 1, 0, 7), 6, "new w=?"),
    ],
)
def test_the_question_is_written_on_a_small_network_too(qtbot, kind, selection, phases, mark):
    """A 2-32-1 network in a laptop's canvas writes no numbers: the asked node, edge or bias
    still says what is asked, at a readable size on screen; zoomed in, its own text does."""
    net = Network.create([2, 32, 1], ["tanh", "sigmoid"], "mse", seed=0)
    trainer = Trainer(net, X, T, lr=0.5)
    trainer.next_layer()
    for _ in range(phases):
        trainer.next_layer()
    moment = moment_from_trainer(trainer)
    view = NetworkCanvas()
    qtbot.addWidget(view)
    view.resize(560, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_moment(moment)
    view.set_hidden(question(kind, moment.phase, selection, 0.0))
    if kind == "error":  # the one output's t/o/e box is big enough: its "e=?" says it
        assert view.labels("error")[(0,)].split("\n")[-1] == mark
        assert view.labels("question") == {}
        return
    assert view.labels("question") == {(): mark}
    label = view.network_scene.question_mark
    box = label.deviceTransform(view.viewportTransform()).mapRect(label.text_rect())
    assert box.height() >= 12 and view.viewport().rect().contains(box.toAlignedRect())
    if selection.kind == "node":  # on the asked node
        assert box.contains(QPointF(view.mapFromScene(view.node_position(1, selection.unit))))
    if kind in ("z", "a", "delta"):
        symbol = mark.split("=")[0]
        assert view.node_texts()[(1, 7)] == f"{symbol}=?"
        zoom_out(view, -10)  # zoomed in: the node's own "z=?" is readable, the mark goes
        assert view.network_scene.nodes[1][7].text_readable_at(view._scale())
        assert view.labels("question") == {}
    view.set_hidden(None)
    assert view.labels("question") == {}
