"""The studio window: steps show the engine's numbers; Play, Pause, edits, settings, keys."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from bp_studio.data.examples import EXAMPLES
from bp_studio.engine import Network, Phase, Trainer
from bp_studio.studio.moment import Selection
from bp_studio.ui.main_window import SPEEDS, MainWindow
from bp_studio.ui.settings_panel import HiddenLayer

FAST = len(SPEEDS) - 1


def worked_example_trainer() -> Trainer:
    data = EXAMPLES["worked_example"]
    net = Network(
        [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
        [[0.35, 0.35], [0.60, 0.60]],
        ["sigmoid", "sigmoid"],
        "mse",
    )
    return Trainer(net, data.X, data.T, lr=0.5)


def explanation_text(window: MainWindow) -> str:
    return window.explanation.plain_text().replace("\u2212", "-")


def test_window_opens_ready_to_step(window):
    assert "BP Studio" in window.windowTitle()
    assert window.trainer is not None
    assert window.network.sizes == [2, 3, 1]
    assert window.next_phase_action.isEnabled()
    assert window.phase_indicator.current is None


def test_each_phase_shows_the_engines_numbers(window):
    window.use_example("worked_example")
    reference = worked_example_trainer()

    window.next_phase()
    forward = reference.next_phase()
    assert window.phase_indicator.current == Phase.FORWARD
    window.canvas.set_selection(Selection("node", 1, 0))
    window._on_selection_changed(Selection("node", 1, 0))
    a = forward.layers[0].a[0, 0]
    assert f"{a:.4g}" in explanation_text(window)  # 0.5933

    window.next_phase()
    error = reference.next_phase()
    assert window.phase_indicator.current == Phase.ERROR
    window._on_selection_changed(Selection("node", 2, 0))
    assert f"{error.error[0, 0]:.4g}" in explanation_text(window)  # -0.7414

    window.next_phase()
    backward = reference.next_phase()
    window._on_selection_changed(Selection("edge", 1, 0, 0))
    assert f"{backward.layers[1].grad_weight[0, 0]:.4g}" in explanation_text(window)  # 0.08217

    window.next_phase()
    update = reference.next_phase()
    window._on_selection_changed(Selection("edge", 1, 0, 0))
    assert f"{update.after[1].weight[0, 0]:.4g}" in explanation_text(window)  # 0.3589
    assert np.array_equal(window.network.parameters, reference.network.parameters)
    assert window.phase_indicator.current == Phase.UPDATE


def test_next_layer_walks_forward_then_backward(window):
    window.use_example("worked_example")
    pieces = []
    for _ in range(6):
        window.next_layer()
        moment = window.current_moment()
        pieces.append((moment.phase, moment.active_layer))
    assert pieces == [
        (Phase.FORWARD, 0),
        (Phase.FORWARD, 1),
        (Phase.ERROR, None),
        (Phase.BACKWARD, 1),
        (Phase.BACKWARD, 0),
        (Phase.UPDATE, None),
    ]


def test_play_then_pause_stops_and_weights_match_the_engine(window, qtbot):
    window.speed.setValue(FAST)
    window.start_play()
    assert window.playing and window.worker is not None
    worker = window.worker
    qtbot.waitUntil(lambda: window.trainer.step_count > 50, timeout=10_000)
    window.stop_play()
    assert not window.playing and window.worker is None
    assert worker.isFinished()
    steps = window.trainer.step_count
    qtbot.wait(100)
    assert window.trainer.step_count == steps  # nothing runs after Pause
    assert window.canvas.moment.network is window.network
    assert len(window.trainer.step_losses) == steps
    assert window.loss_plot.points == steps


def test_play_while_paused_views_keep_up(window, qtbot):
    window.speed.setValue(FAST)
    window.start_play()
    qtbot.waitUntil(lambda: window.loss_plot.points > 20, timeout=10_000)
    window.stop_play()
    assert window.loss_plot.points == window.trainer.step_count


def test_animated_play_steps_on_the_timer(window, qtbot):
    window.speed.setValue(0)
    window.play_timer.setInterval(1)
    window.start_play()
    window.play_timer.setInterval(1)
    qtbot.waitUntil(lambda: window.trainer.step_count >= 1, timeout=5_000)
    window.stop_play()
    assert not window.play_timer.isActive()


def test_learning_rate_changes_during_training_without_reset(window, qtbot):
    window.speed.setValue(FAST)
    window.start_play()
    qtbot.waitUntil(lambda: window.trainer.step_count > 10, timeout=10_000)
    window.settings_panel.lr.setValue(0.25)
    assert window.playing
    assert window.trainer.lr == 0.25
    window.stop_play()
    assert window.trainer.step_count > 10


def test_editing_a_weight_changes_the_engine_and_the_loss(window):
    before = window.data_loss()
    window.canvas.weight_edit_requested.emit(0, 1, 0, 2.5)
    assert window.network.layers[0].weight[1, 0] == 2.5
    assert window.data_loss() != before
    assert f"{window.data_loss():.6g}" in window.status.text()
    window.canvas.bias_edit_requested.emit(1, 0, -0.75)
    assert window.network.layers[1].bias[0] == -0.75


def test_edit_mid_step_discards_the_half_done_step(window):
    window.next_phase()
    assert window.trainer.progress is not None
    window.canvas.weight_edit_requested.emit(0, 0, 0, 1.0)
    assert window.trainer.progress is None
    assert window.trainer.step_count == 0


def test_architecture_change_rebuilds_network_and_canvas(window):
    window.settings_panel.add_layer.click()
    assert window.network.sizes == [2, 3, 3, 1]
    assert window.canvas.moment.network is window.network
    window.settings_panel._rows[0].units.setValue(5)
    assert window.network.sizes == [2, 5, 3, 1]


def test_cross_entropy_forces_a_softmax_output(window):
    index = window.settings_panel.loss.findData("cross_entropy")
    window.settings_panel.loss.setCurrentIndex(index)
    assert window.network.layers[-1].activation == "softmax"
    assert window.network.outputs == 2  # XOR: one output per class
    assert not window.settings_panel.output_activation.isEnabled()
    assert "softmax" in window.settings_panel.reason.text()


def test_shortcuts(window, qtbot):
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)
    assert window.trainer.progress is not None
    assert window.trainer.progress.phase == Phase.ERROR
    qtbot.keyClick(window.canvas, Qt.Key.Key_B)
    assert window.trainer.step_count == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_E)
    assert window.trainer.epoch == 2  # full batch: one step per epoch
    labels = {
        a.text(): a.shortcut().toString() for a in window.findChildren(type(window.play_action))
    }
    assert labels["Play"] == "Space"
    assert labels["Next layer"] == "L"


def test_diverging_learning_rate_pauses_with_a_message(window, qtbot):
    window.settings_value = window.settings_value.__class__(
        hidden=(HiddenLayer(3, "relu"),), output_activation="linear", lr=100.0
    )
    window.settings_panel.set_settings(window.settings_value)
    window._rebuild_from_settings()
    window.speed.setValue(FAST)
    window.start_play()
    qtbot.waitUntil(lambda: not window.playing, timeout=10_000)
    text = window.message_bar.label.text()
    assert window.message_bar.isVisible()
    assert "Lower the learning rate" in text
    assert f"The weights are those of step {window.trainer.step_count:,}" in text
    assert np.all(np.isfinite(window.network.parameters))


def test_diverging_step_by_step_keeps_the_previous_weights(window):
    window.settings_value = window.settings_value.__class__(
        hidden=(HiddenLayer(3, "relu"),), output_activation="linear", lr=100.0
    )
    window._rebuild_from_settings()
    for _ in range(200):
        if not window.step_batch():
            break
    assert window.message_bar.isVisible()
    assert "became" in window.message_bar.label.text()
    assert np.all(np.isfinite(window.network.parameters))


def test_step_sample_needs_online_mode(window):
    assert not window.step_sample_action.isEnabled()
    window.settings_panel.batch.setValue(1)
    assert window.trainer.batch_size == 1
    assert window.step_sample_action.isEnabled()
    window.step_sample()
    assert window.trainer.step_count == 1
    assert len(window.trainer.last_step.batch) == 1


def test_batch_mode_shows_one_sample_and_says_so(window):
    window.next_phase()
    assert "batch of 4" in window.data_panel.note.text()
    window.data_panel.sample.setValue(3)
    moment = window.current_moment()
    assert moment.sample == 2
    a = moment.forward_layers[0].a[2, 0]
    assert moment.node_value(1, 0) == a


def test_save_and_open_network(window, tmp_path):
    path = tmp_path / "net.json"
    window.step_batch()
    assert window.save_network(str(path))
    saved = window.network.parameters.copy()
    window.reset()
    assert not np.array_equal(window.network.parameters, saved) or window.trainer.step_count == 0
    assert window.open_network(str(path))
    assert np.array_equal(window.network.parameters, saved)
    assert not window.dirty


def test_bad_network_file_keeps_current_work(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "bp-studio.network", "version": 1, "loss": "mse", "layers": []}')
    before = window.network
    assert not window.open_network(str(bad))
    assert window.network is before
    assert "bad.json" in window.message_bar.label.text()


def test_bad_data_file_keeps_current_work(window, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n1,2,3\n4,oops,6\n")
    before = window.dataset
    assert not window.open_data(str(bad))
    assert window.dataset is before
    message = window.message_bar.label.text()
    assert "bad.csv" in message and "line 3" in message


def test_open_data_csv(window, tmp_path):
    good = tmp_path / "and.csv"
    good.write_text("a,b,y\n0,0,0\n0,1,0\n1,0,0\n1,1,1\n")
    assert window.open_data(str(good))
    assert window.trainer.samples == 4
    assert window.step_batch()


def test_unsaved_changes_prompt_on_close(window, monkeypatch):
    window.step_batch()
    assert window.dirty
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", answer)
    assert not window.close()
    assert asked and "changed" in asked[0]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    assert window.close()


def test_keyboard_shortcuts_dialog_lists_them(window):
    window.show_shortcuts()
    text = window._shortcuts_box.text()
    for name in ("Next phase", "Next layer", "Step epoch", "Space"):
        assert name in text


def test_every_listed_shortcut_belongs_to_an_action(window):
    from PySide6.QtGui import QAction

    from bp_studio.ui.main_window import SHORTCUTS

    bound = {a.shortcut().toString() for a in window.findChildren(QAction)}
    for name, keys in SHORTCUTS:
        assert keys in bound, f"{name}: {keys} is listed but no action has it"


def test_changing_speed_while_playing_keeps_playing(window, qtbot):
    window.speed.setValue(FAST)
    window.start_play()
    qtbot.waitUntil(lambda: window.trainer.step_count > 5, timeout=10_000)
    window.speed.setValue(FAST - 1)  # restarts play on the timer
    window.speed.setValue(FAST)  # and back to the worker thread
    qtbot.wait(300)  # the first worker's late "finished" signal must not pause the new one
    assert window.playing and window.worker is not None and window.worker.isRunning()
    window.stop_play()


def test_pause_after_play_on_wide_data_is_quick_to_redraw(window, qtbot):
    """The data table is sized once per fill (it used to resize on every cell)."""
    from bp_studio.data.source import DataSpec

    spec = DataSpec("real", "digits")
    window.data_settings.set_spec(spec)
    window._on_data_spec_changed(spec)
    window.settings_panel.batch.setValue(32)
    window.next_phase()
    model = window.data_panel.table.model()
    assert model.columnCount() == 1 + 64 + 10 + 10
    assert model.rowCount() == 32
    first = window.trainer.progress.batch[0]
    assert model.data(model.index(0, 0)) == str(first + 1)
    assert model.data(model.index(0, 1)) == f"{window.dataset.X[first, 0]:.4g}"
