"""The window's data choices, sessions, exports, rewind, autosave and crash recovery."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from bp_studio.data.source import DataSpec
from bp_studio.engine import Network
from bp_studio.io.session import load_session
from bp_studio.ui.main_window import MainWindow


def choose(window, **fields):
    """Choose data as the Data set dock does: the widget shows the spec and emits it."""
    spec = DataSpec(**fields)
    window.data_settings.set_spec(spec)
    window.data_settings.spec_changed.emit(spec)


def test_choosing_data_rebuilds_the_network_to_fit(window):
    studio = window.studio
    choose(window, kind="real", name="iris")
    assert studio.network.inputs == 4 and studio.network.outputs == 3  # one output per class
    assert studio.trainer.samples == 150
    choose(window, kind="generator", name="circles", samples=120, noise=0.05)
    assert studio.network.sizes[0] == 2 and studio.trainer.samples == 120
    assert "120 samples" in window.data_settings.summary.text()


def test_features_normalisation_and_split(window, tmp_path):
    choose(
        window,
        kind="generator",
        name="circles",
        samples=100,
        features=("x1^2", "x2^2", "x1*x2"),
        normalization="standardize",
        test_ratio=0.2,
    )
    studio = window.studio
    assert studio.network.inputs == 3
    assert studio.network.input_names == ("x1^2", "x2^2", "x1*x2")
    assert studio.trainer.samples == 80
    window.step_epoch()
    latest = studio.evaluations.latest()
    assert latest.test_loss is not None and latest.test_accuracy is not None
    assert "test loss" in window.status.text() and "accuracy" in window.status.text()
    steps, losses = window.loss_plot.test_curve.getData()
    assert len(steps) >= 1
    # The normalisation travels with the network: predict on raw features after a reload.
    path = tmp_path / "net.json"
    assert window.files.export_weights_to(str(path), "json")
    loaded = Network.load(path)
    raw = studio.data.train.X
    assert np.array_equal(loaded.predict(raw), studio.network.predict(raw))


def test_bad_data_choice_keeps_the_session(window):
    before = window.studio.network
    choose(window, kind="generator", name="gaussian", samples=4, classes=5)
    assert window.studio.network is before
    assert window.data_settings.spec() == window.studio.data_spec  # the dock shows what is used
    assert "samples are too few" in window.message_bar.label.text()


def test_drawn_points_keep_training_the_same_network(window):
    choose(window, kind="generator", name="moons", samples=40)
    studio = window.studio
    network = studio.network
    raw = studio.data.train_raw
    edited = type(raw)(
        raw.name,
        raw.title,
        np.vstack([raw.X, [[0.5, 0.5]]]),
        np.vstack([raw.T, [[1.0]]]),
        raw.input_names,
        raw.target_names,
        raw.classes,
    )
    window.data_view.points_edited.emit(edited)
    assert studio.network is network
    assert studio.trainer.samples == 41
    assert studio.data_spec.kind == "rows"
    assert window.step_batch()


def test_session_reopens_and_continues_bit_for_bit(window, tmp_path):
    studio = window.studio
    choose(window, kind="generator", name="xor", samples=60, test_ratio=0.25)
    window.settings_panel.optimizer.setCurrentIndex(
        window.settings_panel.optimizer.findData("adam")
    )
    window.settings_panel.batch.setValue(8)
    window.settings_panel.shuffle.setChecked(True)
    studio.run(23)
    path = tmp_path / "s.bpsession"
    assert window.files.save_to(str(path))
    assert window.windowTitle().startswith("s.bpsession —")  # the session is the document
    studio.run(30)
    assert window.windowTitle().startswith("s.bpsession * —")
    expected = studio.parameters.copy()
    expected_losses = np.frombuffer(studio.trainer.step_losses, dtype=float).copy()

    studio.reset()
    assert window.files.open_path(str(path))
    assert studio.step_count == 23 and studio.path == str(path)
    assert window.settings_panel.batch.value() == 8 and window.settings_panel.shuffle.isChecked()
    studio.run(30)
    assert np.array_equal(studio.parameters, expected)
    assert np.array_equal(np.frombuffer(studio.trainer.step_losses, dtype=float), expected_losses)
    assert str(path) in window.files.recent_files()[0]


def test_save_writes_the_session_it_came_from(window, tmp_path, monkeypatch):
    path = tmp_path / "run.bpsession"
    window.step_batch()
    assert window.files.save_to(str(path))
    window.step_batch()
    window.save_action.trigger()  # no dialog: the document has its file
    assert load_session(path).step_count == 2
    window.step_batch()
    # closing with unsaved changes: Save writes the session, not a network file
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    assert window.close()
    assert load_session(path).step_count == 3


def test_drawn_data_session_keeps_the_rows(window, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("a,b,label\n0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n")
    assert window.open_data(str(csv))
    studio = window.studio
    assert studio.data.raw.classes == ("no", "yes")
    path = tmp_path / "rows.bpsession"
    assert window.files.save_to(str(path))
    session = load_session(path)
    assert session.data["rows"]["X"].shape == (4, 2)
    window.files.new()
    assert window.files.open_path(str(path))
    assert studio.data.raw.classes == ("no", "yes") and studio.trainer.samples == 4


def test_corrupt_session_keeps_the_current_work(window, tmp_path):
    bad = tmp_path / "bad.bpsession"
    bad.write_text('{"format": "bp-studio.session", "version": 99}')
    before = window.studio.network
    assert not window.files.open_path(str(bad))
    assert window.studio.network is before
    assert "bad.bpsession" in window.message_bar.label.text()


@pytest.mark.parametrize("fmt", ["json", "npz", "csv", "onnx"])
def test_export_weights(window, tmp_path, fmt):
    path = tmp_path / f"w.{fmt}"
    assert window.files.export_weights_to(str(path), fmt)
    weight = window.studio.network.layers[0].weight
    if fmt == "json":
        assert np.array_equal(Network.load(path).layers[0].weight, weight)
    elif fmt == "npz":
        with np.load(path, allow_pickle=False) as arrays:
            assert np.array_equal(arrays["layers.0.weight"], weight)
    elif fmt == "csv":
        assert repr(float(weight[0, 0])) in path.read_text()
    else:
        assert path.read_bytes()[:2] == b"\x08\x08"  # an ONNX protobuf: ir_version first


def test_import_weights_round_trip_and_mismatch(window, tmp_path):
    studio = window.studio
    path = tmp_path / "w.npz"
    window.files.export_weights_to(str(path), "npz")
    saved = studio.parameters.copy()
    studio.run(5)
    assert window.files.import_weights_from(str(path))
    assert np.array_equal(studio.parameters, saved)
    other = tmp_path / "other.json"
    Network.create([2, 5, 1]).save(other)
    current = studio.parameters.copy()
    assert not window.files.import_weights_from(str(other))
    assert "layers.0.weight: file has (5, 2), network has (3, 2)" in window.message_bar.label.text()
    assert np.array_equal(studio.parameters, current)


def test_figures_and_loss_history(window, tmp_path):
    files = window.files
    window.studio.run(3)
    assert files.export_diagram(str(tmp_path / "d.png"))
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files.export_diagram(str(tmp_path / "d.svg"))
    assert b"<svg" in (tmp_path / "d.svg").read_bytes()
    assert files.export_loss_plot(str(tmp_path / "p.png"))
    image = QImage(str(tmp_path / "p.png"))
    plot = window.loss_plot
    assert (image.width(), image.height()) == (2 * plot.width(), 2 * plot.height())
    assert files.export_loss_plot(str(tmp_path / "p.svg"))
    svg = (tmp_path / "p.svg").read_bytes().decode()
    assert "<svg" in svg and "loss\xa0per\xa0step" in svg  # the legend is part of the figure
    assert files.export_loss_csv(str(tmp_path / "loss.csv"))
    lines = (tmp_path / "loss.csv").read_text().splitlines()
    assert lines[0] == "step,epoch,train_loss,test_loss,train_accuracy,test_accuracy"
    assert len(lines) == 4
    step, epoch, loss = lines[3].split(",")[:3]
    assert (step, epoch) == ("3", "3") and float(loss) == window.studio.trainer.step_losses[2]


def test_rewind_back_and_replay(window):
    studio = window.studio
    weights = [studio.parameters.copy()]
    for _ in range(5):
        window.step_batch()
        weights.append(studio.parameters.copy())
    window.timeline.setValue(2)
    assert np.array_equal(studio.parameters, weights[2])
    assert window.timeline.value() == 2 and window.timeline.maximum() == 5
    assert window.go_to_step(5)
    assert np.array_equal(studio.parameters, weights[5])
    # Back: to just before step 5's update, then through its phases.
    assert window.back()
    assert studio.step_count == 4 and studio.phase == "backward"
    assert np.array_equal(studio.parameters, weights[4])
    window.next_phase()
    assert np.array_equal(studio.parameters, weights[5])


def test_edit_at_an_earlier_moment_asks_and_drops_the_future(window, monkeypatch):
    studio = window.studio
    for _ in range(4):
        window.step_batch()
    window.go_to_step(1)
    asked = []

    def cancel(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", cancel)
    window.canvas.weight_edit_requested.emit(0, 0, 0, 0.5)
    assert asked and "drops the 3 later steps" in asked[0]
    assert studio.network.layers[0].weight[0, 0] != 0.5
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.canvas.weight_edit_requested.emit(0, 0, 0, 0.5)
    assert studio.network.layers[0].weight[0, 0] == 0.5
    assert studio.history.last_step == 1


def test_new_with_unsaved_changes_asks(window, monkeypatch):
    window.step_batch()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    window.new_action.trigger()
    assert window.studio.step_count == 1  # cancelled: nothing changed


def test_reset_asks_when_there_is_training_to_lose_and_undo_brings_it_back(window, monkeypatch):
    studio = window.studio
    window.use_example("worked_example")
    textbook = studio.parameters.copy()
    asked = []

    def answer(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Reset

    monkeypatch.setattr(QMessageBox, "question", answer)
    window.reset_action.trigger()  # nothing trained yet: no question
    assert not asked and not np.array_equal(studio.parameters, textbook)
    window.undo_action.trigger()
    assert np.array_equal(studio.parameters, textbook)  # the worked example's weights
    studio.run(40)
    trained = studio.parameters.copy()
    window.reset_action.trigger()
    assert asked and "40 steps" in asked[0]
    assert studio.step_count == 0
    window.undo_action.trigger()
    assert studio.step_count == 40 and np.array_equal(studio.parameters, trained)
    assert window.timeline.maximum() == 40


def test_crash_recovery(tmp_path, qtbot, monkeypatch):
    autosave = tmp_path / "autosave.bpsession"
    script = textwrap.dedent(
        f"""
        import os
        from PySide6.QtWidgets import QApplication
        from bp_studio.ui import file_actions
        from pathlib import Path
        file_actions.autosave_path = lambda: Path({str(autosave)!r})
        app = QApplication([])
        from bp_studio.ui.main_window import MainWindow
        w = MainWindow()
        for _ in range(7):
            w.step_batch()
        assert w.files.autosave()
        w.files.wait_for_autosave()
        os._exit(9)  # a crash: no clean close, the autosave stays
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 9, result.stderr
    assert autosave.exists()
    window = MainWindow()
    qtbot.addWidget(window)
    asked = []

    def yes(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    assert window.files.offer_recovery()
    assert asked and "did not close normally" in asked[0]
    assert window.studio.step_count == 7
    assert window.studio.dirty and window.studio.path is None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window.close()
    assert not autosave.exists()  # a clean close removes the autosave


def test_autosave_while_playing(window, qtbot):
    """A snapshot of a step boundary is saved without pausing the run."""
    from bp_studio.ui import file_actions

    window.player.start()
    qtbot.waitUntil(lambda: window.studio.step_count > 100, timeout=10_000)
    assert window.files.autosave()
    assert window.player.playing and window.studio.running
    window.files.wait_for_autosave()
    saved = load_session(file_actions.autosave_path())
    assert saved.step_count > 100
    window.player.stop()


def test_hidden_nodes_show_their_maps_and_hover_shows_one_large(window, monkeypatch):
    choose(window, kind="generator", name="circles", samples=80)
    nodes = window.canvas._nodes
    assert all(node._image is not None for node in nodes[1] + nodes[-1])  # hidden and output
    assert all(node._image is None for node in nodes[0])
    shown = []
    monkeypatch.setattr(window.data_view, "show_neuron", lambda *a: shown.append(a))
    window.canvas.node_hovered.emit(window.canvas.selection_at(window.canvas.node_position(1, 2)))
    assert shown == [(1, 2)]
    choose(window, kind="real", name="iris")
    assert all(node._image is None for column in window.canvas._nodes for node in column)


def test_many_classes_get_softmax_and_regression_a_linear_output(window):
    network = lambda: window.studio.network  # noqa: E731
    choose(window, kind="generator", name="gaussian", samples=90, classes=3)
    assert network().loss_name == "cross_entropy"
    assert network().layers[-1].activation == "softmax" and network().outputs == 3
    assert window.settings_panel.loss.currentData() == "cross_entropy"
    choose(window, kind="generator", name="sine", samples=50)
    assert network().loss_name == "mse" and network().layers[-1].activation == "linear"


def test_input_names_on_the_canvas(window):
    choose(window, kind="generator", name="circles", samples=40, features=("x1^2", "x2^2"))
    names = window.canvas.labels("input_name")  # written beside the input nodes
    assert names == {(0,): "x1^2", (1,): "x2^2"}


def test_features_can_be_chosen_for_the_opening_xor(window):
    features = window.data_settings.features
    assert window.data_settings.features_widget.isEnabled()
    assert features["x1"].isChecked() and features["x2"].isChecked()
    features["x1*x2"].setChecked(True)
    assert window.studio.network.input_names == ("x1", "x2", "x1*x2")
    features["x1"].setChecked(False)
    features["x2"].setChecked(False)
    assert window.studio.network.input_names == ("x1*x2",)
