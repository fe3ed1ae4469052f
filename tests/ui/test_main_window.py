"""The studio window: steps show the engine's numbers; Play, Pause, edits, settings, keys."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from bp_studio.data.examples import EXAMPLES
from bp_studio.engine import Network, Phase, Trainer
from bp_studio.studio import HiddenLayer
from bp_studio.studio.moment import Selection
from bp_studio.ui.main_window import MainWindow
from bp_studio.ui.play import FASTEST as FAST


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
    assert window.studio.can_train
    assert window.studio.network.sizes == [2, 3, 1]
    assert window.windowTitle().startswith("untitled — 2-3-1")
    assert window.next_phase_action.isEnabled()
    assert window.phase_indicator.current is None


def test_each_phase_shows_the_engines_numbers(window):
    window.use_example("worked_example")
    reference = worked_example_trainer()

    window.next_phase()
    forward = reference.next_phase()
    assert window.phase_indicator.current == Phase.FORWARD
    window.canvas.selection_changed.emit(Selection("node", 1, 0))
    assert window.studio.selection == Selection("node", 1, 0)
    a = forward.layers[0].a[0, 0]
    assert f"{a:.4g}" in explanation_text(window)  # 0.5933

    window.next_phase()
    error = reference.next_phase()
    assert window.phase_indicator.current == Phase.ERROR
    window.canvas.selection_changed.emit(Selection("node", 2, 0))
    assert f"{error.error[0, 0]:.4g}" in explanation_text(window)  # -0.7414

    window.next_phase()
    backward = reference.next_phase()
    window.canvas.selection_changed.emit(Selection("edge", 1, 0, 0))
    assert f"{backward.layers[1].grad_weight[0, 0]:.4g}" in explanation_text(window)  # 0.08217

    window.next_phase()
    update = reference.next_phase()
    window.canvas.selection_changed.emit(Selection("edge", 1, 0, 0))
    assert f"{update.after[1].weight[0, 0]:.4g}" in explanation_text(window)  # 0.3589
    assert np.array_equal(window.studio.parameters, reference.network.parameters)
    assert window.phase_indicator.current == Phase.UPDATE


def test_next_layer_walks_forward_then_backward(window):
    window.use_example("worked_example")
    pieces = []
    for _ in range(6):
        window.next_layer()
        moment = window.canvas.moment
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
    studio = window.studio
    window.speed.setValue(FAST)
    window.toggle_play()
    assert window.player.playing and window.player.threaded
    assert window.play_action.text() == "Pause"
    assert not window.next_phase_action.isEnabled()
    qtbot.waitUntil(lambda: studio.step_count > 50, timeout=10_000)
    window.toggle_play()
    assert not window.player.playing and not studio.running
    assert window.play_action.text() == "Play"
    steps = studio.step_count
    qtbot.wait(100)
    assert studio.step_count == steps  # nothing runs after Pause
    assert window.canvas.moment.network is studio.network
    assert len(studio.trainer.step_losses) == steps
    assert window.loss_plot.points == steps
    assert f"Step {steps:,}" in window.status.text()
    assert window.timeline.value() == steps and window.timeline.isEnabled()


def test_play_while_paused_views_keep_up(window, qtbot):
    window.speed.setValue(FAST)
    window.player.start()
    qtbot.waitUntil(lambda: window.loss_plot.points > 20, timeout=10_000)
    window.player.stop()
    assert window.loss_plot.points == window.studio.step_count


def test_animated_play_steps_on_the_timer(window, qtbot):
    window.speed.setValue(0)
    window.player.start()
    window.player._timer.setInterval(1)
    qtbot.waitUntil(lambda: window.studio.pieces >= 2, timeout=5_000)
    assert window.canvas.moment.phase is not None  # the layers show as they are computed
    window.player.stop()
    assert not window.player._timer.isActive()


def test_learning_rate_changes_during_training_without_reset(window, qtbot):
    studio = window.studio
    window.speed.setValue(FAST)
    window.player.start()
    qtbot.waitUntil(lambda: studio.step_count > 10, timeout=10_000)
    window.settings_panel.lr.setValue(0.25)
    assert window.player.playing
    qtbot.waitUntil(lambda: studio.trainer.lr == 0.25, timeout=5_000)  # at a step boundary
    window.player.stop()
    assert studio.step_count > 10
    change = studio.changes[-1]
    assert (change.name, change.old, change.new) == ("lr", 0.5, 0.25)
    assert 0 < change.step <= studio.step_count


def test_editing_a_weight_changes_the_engine_and_the_loss(window):
    studio = window.studio
    before = studio.evaluation.train_loss
    window.canvas.weight_edit_requested.emit(0, 1, 0, 2.5)
    assert studio.network.layers[0].weight[1, 0] == 2.5
    assert studio.evaluation.train_loss != before
    assert f"{studio.evaluation.train_loss:.6g}" in window.status.text()
    window.canvas.bias_edit_requested.emit(1, 0, -0.75)
    assert studio.network.layers[1].bias[0] == -0.75
    assert window.undo_action.isEnabled() and "bias" in window.undo_action.text()
    window.undo_action.trigger()
    assert studio.network.layers[1].bias[0] == 0.0


def test_edit_mid_step_redoes_the_step_with_the_new_value(window):
    window.next_phase()
    assert window.studio.phase == "forward"
    window.canvas.weight_edit_requested.emit(0, 0, 0, 1.0)
    assert window.studio.phase == "forward" and window.studio.step_count == 0
    record = window.canvas.moment.forward_layers[0]
    network = window.studio.network
    expected = record.inputs @ network.layers[0].weight.T + network.layers[0].bias
    assert network.layers[0].weight[0, 0] == 1.0
    assert np.array_equal(record.z, expected)  # the forward pass was redone with the new weight


def test_architecture_change_rebuilds_network_and_canvas(window):
    studio = window.studio
    window.settings_panel.add_layer.click()
    assert studio.network.sizes == [2, 3, 3, 1]
    assert window.canvas.moment.network is studio.network
    window.settings_panel._rows[0].units.setValue(5)
    assert studio.network.sizes == [2, 5, 3, 1]
    assert "2-5-3-1" in window.windowTitle()
    window.undo_action.trigger()
    assert studio.network.sizes == [2, 3, 3, 1]
    assert window.settings_panel._rows[0].units.value() == 3


def test_cross_entropy_forces_a_softmax_output(window):
    index = window.settings_panel.loss.findData("cross_entropy")
    window.settings_panel.loss.setCurrentIndex(index)
    assert window.studio.network.layers[-1].activation == "softmax"
    assert window.studio.network.outputs == 2  # XOR: one output per class
    assert not window.settings_panel.output_activation.isEnabled()
    assert "softmax" in window.settings_panel.reason.text()


def test_shortcuts(window, qtbot):
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)
    assert window.studio.phase == "forward"
    qtbot.keyClick(window.canvas, Qt.Key.Key_B)
    assert window.studio.step_count == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_E)
    assert window.studio.epoch == 2  # full batch: one step per epoch
    qtbot.keyClick(window.canvas, Qt.Key.Key_Backspace)
    assert window.studio.step_count == 1 and window.studio.phase == "backward"
    labels = {
        a.text(): a.shortcut().toString() for a in window.findChildren(type(window.play_action))
    }
    assert labels["Play"] == "Space"
    assert labels["Next layer"] == "L"


def test_diverging_learning_rate_pauses_with_a_message(window, qtbot):
    window.studio.set(hidden=(HiddenLayer(3, "relu"),), output_activation="linear", lr=100.0)
    assert window.settings_panel.lr.value() == 100.0
    window.speed.setValue(FAST)
    window.toggle_play()
    qtbot.waitUntil(lambda: not window.player.playing, timeout=10_000)
    text = window.message_bar.label.text()
    assert window.message_bar.isVisible()
    assert "Lower the learning rate" in text
    assert f"The weights are those of step {window.studio.step_count:,}" in text
    assert np.all(np.isfinite(window.studio.parameters))


def test_diverging_step_by_step_keeps_the_previous_weights(window):
    window.studio.set(hidden=(HiddenLayer(3, "relu"),), output_activation="linear", lr=100.0)
    for _ in range(200):
        if not window.step_batch():
            break
    assert window.message_bar.isVisible()
    assert "became" in window.message_bar.label.text()
    assert np.all(np.isfinite(window.studio.parameters))


def test_step_sample_needs_online_mode(window):
    assert not window.step_sample_action.isEnabled()
    window.settings_panel.batch.setValue(1)
    assert window.studio.trainer.batch_size == 1
    assert window.step_sample_action.isEnabled()
    window.step_sample()
    assert window.studio.step_count == 1
    assert len(window.studio.trainer.last_step.batch) == 1


def test_batch_mode_shows_one_sample_and_says_so(window):
    window.next_phase()
    assert "batch of 4" in window.data_panel.note.text()
    window.data_panel.sample.setValue(3)
    moment = window.canvas.moment
    assert moment.sample == 2
    a = moment.forward_layers[0].a[2, 0]
    assert moment.node_value(1, 0) == a


def test_open_a_network_file_starts_an_untitled_session_on_it(window, tmp_path):
    path = tmp_path / "net.json"
    window.step_batch()
    assert window.files.export_weights_to(str(path), "json")
    saved = window.studio.parameters.copy()
    window.files.open_path(str(path))  # the prompt answers Discard
    assert np.array_equal(window.studio.parameters, saved)
    assert window.studio.step_count == 0 and not window.studio.dirty
    assert window.studio.path is None and window.windowTitle().startswith("untitled —")


def test_bad_network_file_keeps_current_work(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "bp-studio.network", "version": 1, "loss": "mse", "layers": []}')
    before = window.studio.network
    assert not window.files.open_path(str(bad))
    assert window.studio.network is before
    assert "bad.json" in window.message_bar.label.text()


def test_bad_data_file_keeps_current_work(window, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n1,2,3\n4,oops,6\n")
    before = window.studio.data
    assert not window.open_data(str(bad))
    assert window.studio.data is before
    message = window.message_bar.label.text()
    assert "bad.csv" in message and "line 3" in message


def test_open_data_csv(window, tmp_path):
    good = tmp_path / "and.csv"
    good.write_text("a,b,y\n0,0,0\n0,1,0\n1,0,0\n1,1,1\n")
    assert window.open_data(str(good))
    assert window.studio.trainer.samples == 4
    assert window.step_batch()


def test_unsaved_changes_prompt_on_close(window, monkeypatch):
    window.step_batch()
    assert window.studio.dirty and window.windowTitle().startswith("untitled *")
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


def test_every_command_shows_its_keys_in_its_tooltip_and_the_dialog(window):
    from bp_studio.ui.commands import COMMANDS, key_text

    window.show_shortcuts()
    text = window._shortcuts_box.text()
    keys = set()
    for command in COMMANDS:
        action = getattr(window, f"{command.name}_action")
        assert [k.toString() for k in action.shortcuts()] == list(command.keys)
        if command.keys:
            assert f"({key_text(command.keys)})" in action.toolTip()
            assert key_text(command.keys) in text
            keys.update(command.keys)
    assert len(keys) == sum(len(c.keys) for c in COMMANDS)  # no key used twice


def test_changing_speed_while_playing_keeps_playing(window, qtbot):
    window.speed.setValue(FAST)
    window.player.start()
    qtbot.waitUntil(lambda: window.studio.step_count > 5, timeout=10_000)
    window.speed.setValue(FAST - 1)  # restarts play on the timer
    window.speed.setValue(FAST)  # and back to the worker thread
    qtbot.wait(300)  # the first worker's late "finished" signal must not pause the new one
    assert window.player.playing and window.player.threaded and window.studio.running
    window.player.stop()


def test_pause_after_play_on_wide_data_is_quick_to_redraw(window, qtbot):
    """The data table is sized once per fill (it used to resize on every cell)."""
    from bp_studio.data.source import DataSpec

    spec = DataSpec("real", "digits")
    window.data_settings.set_spec(spec)
    window.data_settings.spec_changed.emit(spec)
    window.settings_panel.batch.setValue(32)
    window.next_phase()
    model = window.data_panel.table.model()
    assert model.columnCount() == 1 + 64 + 10 + 10
    assert model.rowCount() == 32
    first = window.studio.trainer.progress.batch[0]
    assert model.data(model.index(0, 0)) == str(first + 1)
    assert model.data(model.index(0, 1)) == f"{window.studio.data.train.X[first, 0]:.4g}"


def test_space_plays_from_a_checkbox_but_types_in_a_text_box(window, qtbot):
    shuffle = window.settings_panel.shuffle
    shuffle.setFocus()
    qtbot.keyClick(shuffle, Qt.Key.Key_Space)
    assert window.player.playing and not shuffle.isChecked()  # Space played, no tick
    qtbot.keyClick(shuffle, Qt.Key.Key_Space)
    assert not window.player.playing
    quiz_entry = window.quiz_panel.entry
    window.show_quiz()
    quiz_entry.setEnabled(True)
    quiz_entry.setFocus()
    qtbot.keyClicks(quiz_entry, "0 5")
    assert quiz_entry.text() == "0 5" and not window.player.playing


def test_enter_or_escape_in_a_number_box_hands_the_keys_back(window, qtbot):
    lr = window.settings_panel.lr
    lr.setFocus()
    lr.lineEdit().selectAll()
    qtbot.keyClicks(lr, "0.25")
    assert window.studio.settings.lr == 0.5  # not while typing
    qtbot.keyClick(lr, Qt.Key.Key_Return)
    assert window.studio.settings.lr == 0.25
    assert window.canvas.hasFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)
    assert window.studio.phase == "forward"  # the keys step again
    lr.setFocus()
    lr.lineEdit().selectAll()
    qtbot.keyClicks(lr, "3")
    qtbot.keyClick(lr, Qt.Key.Key_Escape)
    assert window.canvas.hasFocus()
    assert lr.value() == 0.25 and window.studio.settings.lr == 0.25  # the edit was dropped


def test_the_wheel_over_the_settings_scrolls_them_and_changes_nothing(window, qtbot):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication, QScrollArea

    window.resize(1024, 640)  # a short window: the settings column scrolls
    window.studio.set(hidden=(HiddenLayer(8, "sigmoid"),) * 4)
    box = window.settings_panel.findChildren(type(window.settings_panel.loss))[0]
    scroll = window.settings_dock.findChild(QScrollArea).verticalScrollBar()
    assert scroll.maximum() > 0
    before = window.studio.settings

    def wheel(widget) -> None:
        centre = QPointF(widget.rect().center())
        event = QWheelEvent(
            centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
            QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(widget, event)

    for _ in range(3):
        wheel(box)
        wheel(window.settings_panel.lr)
    assert window.studio.settings == before  # no activation, loss or rate turned
    assert scroll.value() > 0  # the column scrolled instead
    window.settings_panel.lr.setFocus()  # chosen: now the wheel turns it
    wheel(window.settings_panel.lr)
    assert window.settings_panel.lr.value() != before.lr


def test_nothing_is_stale_at_launch_between_steps_and_after_an_edit(window, tmp_path):
    from bp_studio.studio import Studio

    # the data view shows the network's map at launch, not "No network yet"
    assert window.data_view.network is window.studio.network
    assert "No network yet" not in window.data_view.score.text()
    # between steps the nodes show the forward pass of a training row
    moment = window.canvas.moment
    assert moment.phase is None and moment.node_value(2, 0) is not None
    assert window.canvas.moment.node_value(0, 1) == window.studio.data.train.X[0, 1]
    window.data_panel.row_chosen.emit(3)
    assert window.canvas.moment.node_value(0, 0) == window.studio.data.train.X[3, 0]
    # after an edit in the update phase, the explanation shows the edited value
    window.use_example("worked_example")
    for _ in range(4):
        window.next_phase()
    window.canvas.selection_changed.emit(Selection("edge", 1, 0, 0))
    window.canvas.weight_edit_requested.emit(1, 0, 0, 0.123)
    assert "0.123" in explanation_text(window)
    # and after opening a session, the data view draws it at once
    saved = Studio()
    saved.run(30)
    path = tmp_path / "s.bpsession"
    saved.save(path)
    window.files.open_path(str(path))
    assert window.data_view.network is window.studio.network


def test_while_playing_the_banner_timeline_and_explanation_follow_the_run(window, qtbot):
    window.speed.setValue(FAST)
    window.player.start()
    qtbot.waitUntil(lambda: window.studio.step_count > 300, timeout=10_000)
    qtbot.waitUntil(lambda: "Training: step" in window.explanation.plain_text(), timeout=10_000)
    assert window.phase_indicator.hint.full_text().startswith("Training: step")
    assert window.timeline.value() > 0
    window.player.stop()
    assert not window.phase_indicator.hint.full_text().startswith("Training")


def test_a_click_on_the_timeline_goes_to_that_step(window, qtbot):
    from PySide6.QtCore import QPoint

    window.studio.run(1000)
    window.refresh()
    slider = window.timeline
    assert slider.maximum() == 1000 and slider.value() == 1000
    x = round(slider.width() * 0.1)
    target = slider.value_at(x)
    assert 40 <= target <= 160  # about a tenth of the way, by the groove's geometry
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(x, slider.height() // 2))
    assert window.studio.step_count == target  # not one page (10 steps) back from 1,000


def test_the_data_tab_names_the_sample_count_once(window):
    from bp_studio.data.source import DataSpec

    spec = DataSpec("generator", "moons", samples=200, test_ratio=0.2)
    window.data_settings.set_spec(spec)
    window.data_settings.spec_changed.emit(spec)
    note = window.data_panel.note.text()
    assert note.count("160 samples") == 1, note  # "(training: 160 samples)", not twice
    window.use_example("xor")
    assert window.data_panel.note.text().startswith("XOR (4 samples); the nodes show row 1")
