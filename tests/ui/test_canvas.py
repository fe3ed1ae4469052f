"""The network canvas draws the engine's exact numbers and reports clicks and edits."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QToolTip

from bp_studio.engine import Network, Phase, Trainer
from bp_studio.studio.moment import Moment, Selection, moment_from_trainer
from bp_studio.ui.canvas import LEVELS, NetworkCanvas, edge_buckets

X = np.array([[0.05, 0.10], [0.9, -0.4]])
T = np.array([[0.01], [0.99]])


def g4(value: float) -> str:
    return f"{value:.4g}"


def network_231() -> Network:
    return Network(
        [[[0.15, 0.20], [-0.25, 0.30], [0.40, -0.45]], [[0.50, -0.55, 0.60]]],
        [[0.35, 0.35, 0.35], [0.60]],
        ["tanh", "sigmoid"],
        "mse",
    )


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


def sign_colour(pen) -> str:
    """Which of the two weight colours (blue ~ #2166ac, orange ~ #e66101) a pen is drawn in."""
    colour = pen.color()
    return "positive" if colour.blueF() > colour.redF() else "negative"


# -- building -------------------------------------------------------------------------------


def test_builds_a_2_3_1_network_with_headers(canvas):
    net = Network.create([2, 3, 1], ["tanh", "sigmoid"], bias=[True, False])
    canvas.set_moment(Moment(net))
    assert [len(column) for column in canvas._nodes] == [2, 3, 1]
    assert [len(item.lines) for item in canvas._edge_items] == [6, 3]
    headers = canvas.labels("header")
    assert headers[(0,)] == "Input (2)"
    assert headers[(1,)] == "Hidden 1 (3) · tanh"
    assert headers[(2,)] == "Output (1) · sigmoid\nno bias"
    assert set(canvas.labels("bias")) == {(0, 0), (0, 1), (0, 2)}
    assert canvas.labels("bias")[(0, 1)] == "b=0"
    assert len(canvas.labels("edge")) == 9
    assert canvas.labels("edge")[(1, 0, 2)] == f"w={g4(net.layers[1].weight[0, 2])}"


def test_builds_a_64_32_10_network(canvas):
    net = Network.create([64, 32, 10], ["relu", "softmax"], "cross_entropy")
    canvas.set_moment(Moment(net))
    assert [len(column) for column in canvas._nodes] == [64, 32, 10]
    assert sum(len(item.lines) for item in canvas._edge_items) == 64 * 32 + 32 * 10
    assert canvas.labels("edge") == {}  # too many edges to label: hover instead
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
    hidden_bias = canvas._bias_labels[(0, 5)]
    assert not hidden_bias.shown_at(canvas._scale())
    canvas.scale(4, 4)
    assert hidden_bias.shown_at(canvas._scale())
    # a hidden node's value is known either way (its text, drawn once zoomed in)
    a = trainer.progress.forward_layers[0].a[0, 5]
    assert canvas.node_texts()[(1, 5)] == f"a={g4(a)}"


def test_weak_edges_fade_in_big_networks(canvas):
    weights = [np.full((32, 64), 0.01), np.full((10, 32), 0.01)]
    weights[0][0, 0] = 1.0
    weights[0][0, 1] = 0.5
    net = Network(weights, [None, None], ["relu", "linear"])
    canvas.set_moment(Moment(net))
    background = canvas._colours.background

    def strength(pen) -> float:  # how far the drawn colour is from the background
        colour = pen.color()
        return colour.alphaF() * max(
            abs(colour.redF() - background.redF()),
            abs(colour.greenF() - background.greenF()),
            abs(colour.blueF() - background.blueF()),
        )

    strong, middle, weak = (canvas.edge_pen(0, 0, i) for i in (0, 1, 2))
    assert strength(strong) > 0.7
    assert strength(weak) < 0.05 * strength(strong)
    assert strength(weak) < strength(middle) < strength(strong)
    assert weak.widthF() < middle.widthF() < strong.widthF()


def test_edge_buckets_are_level_and_sign():
    weight = np.array([[0.0, 0.1, -0.1, 0.5], [-0.99, 1.0, -1.0, 0.124]])
    assert edge_buckets(weight, 1.0).tolist() == [0, 0, 1, 8, 15, 14, 15, 0]
    assert edge_buckets(weight, 0.0).tolist() == [0, 0, 1, 0, 1, 0, 1, 0]
    broken = edge_buckets(np.array([[np.nan, np.inf, -np.inf]]), 1.0)  # never a crash
    assert ((broken >= 0) & (broken < 2 * LEVELS)).all()


def big_network_with(weights_0: dict[tuple[int, int], float]) -> Network:
    weights = [np.full((32, 64), 0.5), np.full((10, 32), 0.5)]
    weights[0][0, 0] = 1.0
    for (unit, input), value in weights_0.items():
        weights[0][unit, input] = value
    return Network(weights, [None, None], ["relu", "linear"])


def test_big_networks_do_not_draw_the_weakest_level(canvas):
    net = big_network_with({(0, 1): 0.1, (0, 2): -0.2, (0, 3): -0.05})
    canvas.set_moment(Moment(net))
    hidden, shown = canvas.edge_pen(0, 0, 1), canvas.edge_pen(0, 0, 2)
    assert hidden.color().alpha() == 0  # |w| < max / 8: within 5 % of the background
    assert shown.color().alpha() == 255 and sign_colour(shown) == "negative"
    drawn = sum(len(lines) for item in canvas._edge_items for _, _, lines in item._groups)
    assert drawn == 64 * 32 + 32 * 10 - 2
    # small networks keep every edge visible, however weak
    canvas.set_moment(Moment(Network([[[1.0, 0.01]]], [None], ["linear"])))
    assert canvas.edge_pen(0, 0, 1).color().alpha() == 255


def test_a_selected_hidden_edge_is_marked_in_its_sign_colour(canvas):
    canvas.set_moment(Moment(big_network_with({(3, 5): -0.01})))
    canvas.set_selection(Selection("edge", 0, 3, 5))
    ((_, glow, pen),) = canvas._edge_marks._marks
    assert pen.color().alpha() == 255 and sign_colour(pen) == "negative"
    assert glow.color() == canvas._colours.selection


def test_the_edges_are_regrouped_only_when_a_pen_changes(canvas):
    net = big_network_with({})
    canvas.set_moment(Moment(net))
    groups = [item._groups for item in canvas._edge_items]
    canvas.set_moment(Moment(net, step_number=5))  # same weights: nothing to redo
    assert [item._groups for item in canvas._edge_items] == groups
    assert all(a is b for a, b in zip((item._groups for item in canvas._edge_items), groups))
    net.set_weight(0, 0, 1, -1.0)  # one edge changes sign and level
    canvas.set_moment(Moment(net, step_number=6))
    assert canvas._edge_items[0]._groups is not groups[0]
    assert canvas._edge_items[1]._groups is groups[1]
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
    assert canvas.labels("edge")[(0, 1, 0)] == "w=-0.25"


def test_forward_shows_inputs_and_activations_computed_so_far(canvas, trainer):
    record = trainer.next_layer()
    moment = moment_from_trainer(trainer)
    canvas.set_moment(moment)
    texts = canvas.node_texts()
    assert texts[(0, 0)] == f"x={g4(X[0, 0])}"
    assert texts[(0, 1)] == f"x={g4(X[0, 1])}"
    for unit in range(3):
        assert texts[(1, unit)] == f"a={g4(record.a[0, unit])}"
    assert (2, 0) not in texts  # not computed yet
    assert canvas._band.isVisible()

    record = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas.node_texts()[(2, 0)] == f"a={g4(record.a[0, 0])}"


def test_the_chosen_sample_is_shown(canvas, trainer):
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer, sample=1))
    record = trainer.progress.forward_layers[0]
    assert canvas.node_texts()[(0, 1)] == f"x={g4(X[1, 1])}"
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
        assert edges[(1, 0, input)] == f"dL/dw={g4(output.grad_weight[0, input])}"
    assert edges[(0, 0, 0)] == "w=0.15"
    assert canvas.labels("error") == {}

    hidden = trainer.next_layer()
    canvas.set_moment(moment_from_trainer(trainer))
    for unit in range(3):
        assert canvas.node_texts()[(1, unit)] == f"δ={g4(hidden.delta[0, unit])}"
    assert canvas.labels("edge")[(0, 2, 1)] == f"dL/dw={g4(hidden.grad_weight[2, 1])}"


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
    items = list(canvas._edge_items)
    trainer.network.set_weight(1, 0, 0, -0.9)
    canvas.set_moment(moment_from_trainer(trainer))
    assert canvas._edge_items == items
    assert canvas.labels("edge")[(1, 0, 0)] == "w=-0.9"
    assert sign_colour(canvas.edge_pen(1, 0, 0)) == "negative"


def test_rebuilds_when_the_architecture_changes(canvas, trainer, qtbot):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_selection(Selection("node", 1, 2))
    other = Network.create([4, 2, 2], ["relu", "sigmoid"])
    with qtbot.waitSignal(canvas.selection_changed) as blocker:
        canvas.set_moment(Moment(other))  # hidden node 2 no longer exists
    assert blocker.args == [None]
    assert canvas.selection is None
    assert [len(column) for column in canvas._nodes] == [4, 2, 2]
    assert canvas.labels("header")[(1,)] == "Hidden 1 (2) · relu"
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


def test_double_click_on_a_bias_label_asks_for_a_new_bias(canvas, trainer, qtbot, dialog):
    canvas.set_moment(moment_from_trainer(trainer))
    canvas.set_editable(True)
    label = canvas._bias_labels[(0, 1)]
    point = view_point(canvas, label.pos() + label.text_rect().center())
    with qtbot.waitSignal(canvas.bias_edit_requested) as blocker:
        qtbot.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [0, 1, 0.5]
    assert dialog.calls[-1][3] == pytest.approx(0.35)


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
    edge = canvas.tooltip_text(Selection("edge", 1, 0, 1))
    assert edge.splitlines()[0] == "w[2](0←1) = -0.55"
    assert f"dL/dw = {g4(backward.layers[1].grad_weight[0, 1])}" in edge
    assert "z_j = Σ_i w_ji a_i + b_j" in edge
    node = canvas.tooltip_text(Selection("node", 1, 2))
    forward = trainer.progress.forward.layers[0]
    assert f"a = f(z) = {g4(forward.a[0, 2])}" in node
    assert f"z = {g4(forward.z[0, 2])}" in node
    assert f"δ = dL/dz = {g4(backward.layers[0].delta[0, 2])}" in node
    bias = canvas.tooltip_text(Selection("bias", 0, 2))
    assert f"dL/db = {g4(backward.layers[0].grad_bias[2])}" in bias


@pytest.mark.qt_log_ignore("does not support raise")  # the offscreen platform
def test_hovering_shows_the_tooltip(canvas, trainer, qtbot):
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    point = view_point(canvas, canvas.edge_point(1, 0, 2, 0.3))
    event = QHelpEvent(QEvent.Type.ToolTip, point, canvas.viewport().mapToGlobal(point))
    QApplication.sendEvent(canvas.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible)
    assert QToolTip.text() == canvas.tooltip_text(Selection("edge", 1, 0, 2))


def test_render_to_image(canvas, trainer):
    trainer.next_phase()
    canvas.set_moment(moment_from_trainer(trainer))
    image = canvas.render_to_image(640, 400)
    assert (image.width(), image.height()) == (640, 400)
    colours = {image.pixel(x, y) for x in range(0, 640, 16) for y in range(0, 400, 16)}
    assert len(colours) > 5  # something was drawn
