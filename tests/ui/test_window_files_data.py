"""The window's data choices, sessions, exports, rewind, autosave and crash recovery."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from bp_studio.data.source import DataSpec
from bp_studio.engine import Network
from bp_studio.io.session import load_session
from bp_studio.ui.main_window import MainWindow


def choose(window, **fields):
    spec = DataSpec(**fields)
    window.data_settings.set_spec(spec)
    window._on_data_spec_changed(spec)


def test_choosing_data_rebuilds_the_network_to_fit(window):
    choose(window, kind="real", name="iris")
    assert window.network.inputs == 4 and window.network.outputs == 3  # one output per class
    assert window.trainer.samples == 150
    choose(window, kind="generator", name="circles", samples=120, noise=0.05)
    assert window.network.sizes[0] == 2 and window.trainer.samples == 120
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
    assert window.network.inputs == 3
    assert window.network.input_names == ("x1^2", "x2^2", "x1*x2")
    assert window.trainer.samples == 80
    window.step_epoch()
    latest = window.evaluations.latest()
    assert latest.test_loss is not None and latest.test_accuracy is not None
    assert "test loss" in window.status.text() and "accuracy" in window.status.text()
    steps, losses = window.loss_plot.test_curve.getData()
    assert len(steps) >= 1
    # The normalisation travels with the network: predict on raw features after a reload.
    path = tmp_path / "net.json"
    assert window.save_network(str(path))
    loaded = Network.load(path)
    raw = window.data.train.X
    assert np.array_equal(loaded.predict(raw), window.network.predict(raw))


def test_bad_data_choice_keeps_the_session(window):
    before = window.network
    choose(window, kind="generator", name="gaussian", samples=4, classes=5)
    assert window.network is before
    assert "samples are too few" in window.message_bar.label.text()


def test_drawn_points_keep_training_the_same_network(window):
    choose(window, kind="generator", name="moons", samples=40)
    network = window.network
    raw = window.data.train_raw
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
    assert window.network is network
    assert window.trainer.samples == 41
    assert window.data_spec.kind == "rows"
    assert window.step_batch()


def test_session_reopens_and_continues_bit_for_bit(window, tmp_path):
    choose(window, kind="generator", name="xor", samples=60, test_ratio=0.25)
    window.settings_panel.optimizer.setCurrentIndex(
        window.settings_panel.optimizer.findData("adam")
    )
    window.settings_panel.batch.setValue(8)
    window.settings_panel.shuffle.setChecked(True)
    window.trainer.run_steps(23)
    path = tmp_path / "s.bpsession"
    assert window.save_session(str(path))
    window.trainer.run_steps(30)
    expected = window.network.parameters.copy()
    expected_losses = np.frombuffer(window.trainer.step_losses, dtype=float).copy()

    window.reset()
    assert window.open_session(str(path))
    assert window.trainer.step_count == 23
    window.trainer.run_steps(30)
    assert np.array_equal(window.network.parameters, expected)
    assert np.array_equal(np.frombuffer(window.trainer.step_losses, dtype=float), expected_losses)
    assert str(path) in window.recent_files()[0]


def test_drawn_data_session_keeps_the_rows(window, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("a,b,label\n0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n")
    assert window.open_data(str(csv))
    assert window.data.raw.classes == ("no", "yes")
    path = tmp_path / "rows.bpsession"
    assert window.save_session(str(path))
    session = load_session(path)
    assert session.data["rows"]["X"].shape == (4, 2)
    window.new_session()
    assert window.open_session(str(path))
    assert window.data.raw.classes == ("no", "yes") and window.trainer.samples == 4


def test_corrupt_session_keeps_the_current_work(window, tmp_path):
    bad = tmp_path / "bad.bpsession"
    bad.write_text('{"format": "bp-studio.session", "version": 99}')
    before = window.network
    assert not window.open_session(str(bad))
    assert window.network is before
    assert "bad.bpsession" in window.message_bar.label.text()


@pytest.mark.parametrize("fmt", ["json", "npz", "csv", "onnx"])
def test_export_weights(window, tmp_path, fmt):
    path = tmp_path / f"w.{fmt}"
    assert window.export_weights_to(str(path), fmt)
    assert path.stat().st_size > 0


def test_import_weights_round_trip_and_mismatch(window, tmp_path):
    path = tmp_path / "w.npz"
    window.export_weights_to(str(path), "npz")
    saved = window.network.parameters.copy()
    window.trainer.run_steps(5)
    assert window.import_weights_from(str(path))
    assert np.array_equal(window.network.parameters, saved)
    other = tmp_path / "other.json"
    Network.create([2, 5, 1]).save(other)
    current = window.network.parameters.copy()
    assert not window.import_weights_from(str(other))
    assert "layers.0.weight: file has (5, 2), network has (3, 2)" in window.message_bar.label.text()
    assert np.array_equal(window.network.parameters, current)


def test_figures_and_loss_history(window, tmp_path):
    window.trainer.run_steps(3)
    window.refresh()
    assert window.export_diagram(str(tmp_path / "d.png"))
    assert (tmp_path / "d.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert window.export_diagram(str(tmp_path / "d.svg"))
    assert b"<svg" in (tmp_path / "d.svg").read_bytes()
    assert window.export_loss_plot(str(tmp_path / "p.png"))
    assert window.export_loss_plot(str(tmp_path / "p.svg"))
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()
    assert window.export_loss_csv(str(tmp_path / "loss.csv"))
    lines = (tmp_path / "loss.csv").read_text().splitlines()
    assert lines[0] == "step,epoch,train_loss,test_loss,train_accuracy,test_accuracy"
    assert len(lines) == 4
    step, epoch, loss = lines[3].split(",")[:3]
    assert (step, epoch) == ("3", "3") and float(loss) == window.trainer.step_losses[2]


def test_rewind_back_and_replay(window):
    weights = [window.network.parameters.copy()]
    for _ in range(5):
        window.step_batch()
        weights.append(window.network.parameters.copy())
    assert window.go_to_step(2)
    assert np.array_equal(window.network.parameters, weights[2])
    assert window.timeline.value() == 2 and window.timeline.maximum() == 5
    assert window.go_to_step(5)
    assert np.array_equal(window.network.parameters, weights[5])
    # Back: to just before step 5's update, then through its phases.
    assert window.back()
    assert window.trainer.step_count == 4
    assert np.array_equal(window.network.parameters, weights[4])
    assert window.trainer.progress is not None and window.trainer.progress.backward is not None
    window.next_phase()
    assert np.array_equal(window.network.parameters, weights[5])


def test_edit_at_an_earlier_moment_asks_and_drops_the_future(window, monkeypatch):
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
    assert window.network.layers[0].weight[0, 0] != 0.5
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.canvas.weight_edit_requested.emit(0, 0, 0, 0.5)
    assert window.network.layers[0].weight[0, 0] == 0.5
    assert window.history.last_step == 1


def test_new_with_unsaved_changes_asks(window, monkeypatch):
    window.step_batch()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    window.new_session()
    assert window.trainer.step_count == 1  # cancelled: nothing changed


def test_crash_recovery(tmp_path, qtbot):
    autosave = tmp_path / "autosave.bpsession"
    script = textwrap.dedent(
        f"""
        import os
        from PySide6.QtWidgets import QApplication
        from bp_studio.ui import files
        from pathlib import Path
        files.autosave_path = lambda: Path({str(autosave)!r})
        app = QApplication([])
        from bp_studio.ui.main_window import MainWindow
        w = MainWindow()
        for _ in range(7):
            w.step_batch()
        assert w.autosave()
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

    import bp_studio.ui.files as files_module

    files_module.QMessageBox.question = yes
    try:
        assert window.offer_recovery()
    finally:
        del files_module.QMessageBox.question
    assert asked and "did not close normally" in asked[0]
    assert window.trainer.step_count == 7
    window.dirty = False
    window.close()
    assert not autosave.exists()  # a clean close removes the autosave


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
    choose(window, kind="generator", name="gaussian", samples=90, classes=3)
    assert window.network.loss_name == "cross_entropy"
    assert window.network.layers[-1].activation == "softmax" and window.network.outputs == 3
    choose(window, kind="generator", name="sine", samples=50)
    assert window.network.loss_name == "mse" and window.network.layers[-1].activation == "linear"


def test_input_names_on_the_canvas(window):
    choose(window, kind="generator", name="circles", samples=40, features=("x1^2", "x2^2"))
    names = window.canvas.labels("input_name")  # written beside the input nodes
    assert names == {(0,): "x1^2", (1,): "x2^2"}


def test_features_can_be_chosen_for_the_opening_xor(window):
    features = window.data_settings.features
    assert window.data_settings.features_widget.isEnabled()
    assert features["x1"].isChecked() and features["x2"].isChecked()
    features["x1*x2"].setChecked(True)
    assert window.network.input_names == ("x1", "x2", "x1*x2")
    features["x1"].setChecked(False)
    features["x2"].setChecked(False)
    assert window.network.input_names == ("x1*x2",)
