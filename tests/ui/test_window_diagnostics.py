"""Why is it (not) learning, in the window: the gradient check command, breakpoints that
pause Play and say why in the banner, early stopping, the diagnostics dock, compared runs."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtWidgets import QMessageBox

from bp_studio.data.source import DataSpec
from bp_studio.engine.activations import ACTIVATIONS
from bp_studio.studio.breakpoints import Breakpoint
from bp_studio.studio.moment import Selection
from bp_studio.studio.settings import HiddenLayer
from bp_studio.ui.play import FASTEST, SPEEDS


def test_check_gradients_explains_the_result_and_says_it(window, qtbot):
    window.studio.step()
    assert window.check_gradients_action.shortcut().toString() == "Ctrl+G"
    window.check_gradients_action.trigger()
    qtbot.waitUntil(lambda: window.learning.gradient_check is not None, timeout=20_000)
    check = window.learning.gradient_check
    assert check.passed and check.worst < 1e-6
    assert len(check.indices) == window.studio.network.parameters.size  # XOR: all of them
    text = window.explanation.plain_text()
    assert "Gradient check" in text and "Passed" in text
    assert "Gradient check passed" in window.statusBar().currentMessage()
    assert window.check_gradients_action.isEnabled()


def test_a_broken_derivative_fails_the_check_in_the_window(window, qtbot, monkeypatch):
    def broken(z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 2.0 * a * (1.0 - a)  # twice the sigmoid's f'(z)

    wrong = dataclasses.replace(ACTIVATIONS["sigmoid"], derivative=broken)
    monkeypatch.setitem(ACTIVATIONS, "sigmoid", wrong)
    window.reset()
    window.studio.step()
    window.learning.check_gradients()
    qtbot.waitUntil(lambda: window.learning.gradient_check is not None, timeout=20_000)
    assert not window.learning.gradient_check.passed
    assert "Failed" in window.explanation.plain_text()
    assert "Gradient check FAILED" in window.statusBar().currentMessage()


def test_a_breakpoint_pauses_play_and_the_banner_says_which(window, qtbot):
    studio = window.studio
    studio.set(lr=2.0)
    studio.set_breakpoints([Breakpoint("loss_below", 0.1)])
    window.speed.setValue(FASTEST)
    assert SPEEDS[FASTEST][1] == "thread"
    window.player.start()
    qtbot.waitUntil(lambda: not window.player.playing, timeout=20_000)
    losses = np.asarray(studio.trainer.step_losses)
    assert losses[-1] < 0.1 and np.all(losses[:-1] >= 0.1)  # paused at exactly that step
    assert window.message_bar.isVisible()
    text = window.message_bar.label.text()
    assert text.startswith("Breakpoint: loss of a step below 0.1")
    assert f"step {studio.step_count:,}" in text


def test_a_breakpoint_pauses_fast_animated_play_too(window, qtbot):
    """The "fast" speed runs bursts of steps on a timer: a breakpoint must end play, not
    only the burst."""
    studio = window.studio
    studio.set_breakpoints([Breakpoint("epoch", 40)])
    window.speed.setValue(3)
    assert SPEEDS[3][1] == "burst"
    window.player.start()
    qtbot.waitUntil(lambda: not window.player.playing, timeout=20_000)
    assert studio.epoch == 40  # XOR trains on all four rows at once: an epoch is a step
    assert "epoch reaches 40" in window.message_bar.label.text()


def test_early_stopping_ends_play_at_the_best_epoch_and_says_so(window, qtbot):
    studio = window.studio
    studio.set_data(DataSpec("generator", "moons", samples=200, noise=0.3, validation_ratio=0.3))
    studio.set(hidden=(HiddenLayer(32, "tanh"),) * 2, optimizer="adam", lr=0.05, patience=15)
    window.player.start()
    qtbot.waitUntil(lambda: not window.player.playing, timeout=60_000)
    text = window.message_bar.label.text()
    assert text.startswith("Early stopping: the validation loss has not improved for 15 epochs")
    best = int(text.split("back at epoch ")[1].split(" ")[0].replace(",", ""))
    assert studio.epoch == best and studio.later_steps > 0
    assert window.timeline.value() == studio.step_count  # the window shows the best epoch
    assert window.timeline.maximum() > studio.step_count  # the later steps stay reachable


def test_the_diagnostics_dock_follows_manual_steps(window):
    assert not window.diagnostics_dock.isVisible()
    assert window.diagnostics_action.shortcut().toString() == "Ctrl+Shift+D"
    window.diagnostics_action.trigger()
    assert window.diagnostics_dock.isVisible()
    for _ in range(3):
        window.step_batch()
    steps, grads, _ = window.studio.diagnostics.series()
    assert list(steps) == [1, 2, 3]
    view = window.learning.view
    assert len(view.gradient_curves) == len(window.studio.network.layers)
    curve = view.gradient_curves[0]  # getData() gives log10 on a log axis; xData/yData not
    assert np.array_equal(curve.xData, steps) and np.allclose(curve.yData, grads[:, 0])


def test_saturated_units_get_badges_in_the_window(window):
    studio = window.studio
    studio.set(hidden=(HiddenLayer(4, "sigmoid"),))
    assert list(studio.network.sizes) == [2, 4, 1]
    for unit in range(4):  # |z| >= 20 on every XOR row: f'(z) < 1e-8, every unit saturated
        studio.edit_bias(0, unit, 20.0)
        for column in range(2):
            studio.edit_weight(0, unit, column, 40.0 * (1 if (unit + column) % 2 else -1))
    window.step_batch()
    badges = window.canvas.unit_badges()
    assert badges and set(badges.values()) == {"saturated"}
    assert all(column == 1 for column, _ in badges)  # the hidden layer's nodes


def test_the_gradient_check_colours_the_edges(window, qtbot):
    window.step_batch()
    window.learning.check_gradients()
    qtbot.waitUntil(lambda: window.learning.gradient_check is not None, timeout=20_000)
    assert window.canvas.gradient_check_worst() is not None
    assert "relative error" in dict(window.canvas.legend_entries())["check"]
    window.step_batch()  # the check belonged to the step before
    assert window.canvas.gradient_check_worst() is None


def test_validation_runs_and_breakpoints_in_the_window(window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Reset)
    studio = window.studio
    studio.set_data(DataSpec("generator", "moons", samples=100, validation_ratio=0.2))
    studio.run(30)
    window.refresh()
    steps, losses = studio.evaluations.test_curve("validation")
    x, y = window.loss_plot.validation_curve.getData()
    assert len(steps) and np.array_equal(x, steps) and np.allclose(y, losses)
    window.reset()
    assert len(studio.runs) == 1
    assert window.runs_list.checked() == [True] and len(window.loss_plot.run_curves) == 1
    window.runs_list.visibility_changed.emit(0, False)
    assert studio.runs[0].visible is False and window.loss_plot.run_curves == []
    window.breakpoints_panel.breakpoints_changed.emit((Breakpoint("epoch", 3),))
    assert studio.breakpoints == (Breakpoint("epoch", 3),)
    assert studio.dirty


def test_the_quiz_question_is_hidden_on_the_canvas(window):
    window.studio.start_quiz(("a",))
    window.next_phase()  # the forward pass: an activation is asked for
    question = window.studio.quiz.question
    assert question is not None and question.kind == "a"
    key = (question.selection.layer, question.selection.unit)
    assert "?" in window.canvas.node_texts()[key]
    window.studio.reveal()
    assert "?" not in window.canvas.node_texts()[key]


def test_the_health_figures_are_explained_with_their_formulas(window):
    window.learning.show()
    view = window.learning.view
    view.tabs.setCurrentIndex(2)
    assert not view.explain_button.isEnabled()  # nothing measured yet
    window.step_batch()
    assert view.explain_button.isEnabled()
    view.explain_button.click()
    text = window.explanation.plain_text()
    assert text.startswith("Layer health")
    assert "‖∂L/∂W‖" in text and "‖ΔW‖" in text  # the formulas, with the step's numbers
    assert window.explain_dock.isVisible()


def test_the_diagnostics_view_is_built_when_first_shown(window, qtbot):
    assert window.learning._view is None  # five plots: not at start-up
    window.step_batch()
    window.diagnostics_dock.show()  # a tab behind the explanation: still not built
    assert window.learning._view is None
    window.diagnostics_dock.raise_()  # its tab clicked
    qtbot.waitUntil(lambda: window.learning._view is not None, timeout=2000)
    assert window.diagnostics_dock.widget() is window.learning._view
    steps, _, _ = window.studio.diagnostics.series()
    assert list(window.learning._view.gradient_curves[0].xData) == list(steps)  # drawn


def test_a_refused_breakpoint_says_why_in_sight(window, qtbot):
    from PySide6.QtWidgets import QScrollArea

    window.resize(1024, 640)  # the smallest window: the panel is below the fold
    window.studio.set(hidden=(HiddenLayer(8, "sigmoid"),) * 4)
    window.breakpoints_section.set_expanded(True)
    window.settings_dock.findChild(QScrollArea).verticalScrollBar().setValue(0)
    panel = window.breakpoints_panel
    panel.kind.setCurrentIndex(panel.kind.findData("epoch"))
    panel.value.setText("0")
    panel.add.click()
    assert window.studio.breakpoints == ()
    assert panel.problem.text() == (
        "Breakpoint “epoch reaches”: a whole number of at least 1, got 0."
    )
    scroll = window.settings_dock.findChild(QScrollArea)
    viewport = scroll.viewport()

    def in_sight() -> bool:
        top_left = panel.problem.mapTo(viewport, panel.problem.rect().topLeft())
        bottom = top_left.y() + panel.problem.height()
        right = top_left.x() + panel.problem.width()
        return (
            panel.problem.isVisible()
            and top_left.y() >= 0
            and bottom <= viewport.height()
            and top_left.x() >= 0
            and right <= viewport.width()  # not cut on the right either
        )

    qtbot.waitUntil(in_sight, timeout=2000)
    panel.value.setText("5")
    panel.add.click()
    assert window.studio.breakpoints == (Breakpoint("epoch", 5),)
    assert not panel.problem.isVisible()
    assert panel.list.height() < 4 * panel.list.sizeHintForRow(0)  # as tall as its one row


def test_the_reset_question_counts_the_steps_the_timeline_holds(window, monkeypatch):
    asked = []

    def question(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    window.studio.run(120)
    window.go_to_step(100)
    assert not window.reset()
    assert "the 100 steps up to here and the 20 later steps on the timeline" in asked[0]
    assert window.studio.step_count == 100  # cancelled: nothing changed


def test_new_data_says_the_run_was_set_aside(window):
    window.studio.run(30)
    spec = DataSpec("generator", "moons", samples=100)
    window.data_settings.set_spec(spec)
    window.data_settings.spec_changed.emit(spec)
    assert window.studio.step_count == 0 and len(window.studio.runs) == 1
    message = window.statusBar().currentMessage()
    assert message.startswith("Other data: a new network starts; the 30 steps trained are set")
    assert "Compare runs" in message and "Undo" in message


def test_a_dock_shown_from_the_view_menu_comes_to_the_front(window):
    assert not window.runs_dock.isVisible()
    window.runs_dock.toggleViewAction().trigger()
    assert window.runs_dock.isVisible() and not window.runs_dock.visibleRegion().isEmpty()
    assert window.diagnostics_action.text() == "Show diagnostics"  # not twice "Diagnostics"


def test_hovering_a_node_during_a_quiz_does_not_show_its_map(window):
    window.studio.start_quiz(("a",))
    window.next_phase()
    assert window.studio.quiz.question is not None
    window._on_node_hovered(Selection("node", 1, 0))
    assert window.data_view.shown_neuron is None  # the map of that unit would give a away


def test_a_network_that_has_learned_gets_no_warning_badges(window, monkeypatch):
    studio = window.studio
    studio.set(hidden=(HiddenLayer(4, "sigmoid"),), lr=2.0)
    for unit in range(4):  # saturated: badges while it has not learned
        studio.edit_bias(0, unit, 20.0)
        for column in range(2):
            studio.edit_weight(0, unit, column, 40.0 * (1 if (unit + column) % 2 else -1))
    window.step_batch()
    assert window.canvas.unit_badges() and not window.learning.learned()
    with monkeypatch.context() as patch:
        patch.setattr(window.learning, "learned", lambda: True)
        window.refresh()
        assert window.canvas.unit_badges() == {}  # the same units, once learned: no alarm
    studio.set(lr=5.0)
    studio.reset()
    assert not window.learning.learned()
    studio.run(20_000)
    assert window.learning.learned()  # XOR: every row right
    assert studio.evaluation.train_accuracy == 1.0


def test_a_passing_message_has_the_status_bar_to_itself(window):
    window.say("Other data: a new network starts", 5000)
    bar = window.statusBar()
    assert bar.currentMessage() == "Other data: a new network starts"
    assert not window.status.isVisible()  # the step line makes room for it
    bar.clearMessage()
    assert window.status.isVisible()


def test_a_new_network_drops_the_open_quiz_question_from_the_panel(window):
    window.studio.start_quiz(("a",))
    window.next_phase()
    panel = window.quiz_panel
    assert window.studio.quiz.question is not None and "= ?" in panel.prompt.text()
    assert panel.reveal_button.isEnabled()
    window.studio.set(hidden=(HiddenLayer(5, "tanh"),))
    assert window.studio.quiz.question is None
    assert "= ?" not in panel.prompt.text() and not panel.reveal_button.isEnabled()
