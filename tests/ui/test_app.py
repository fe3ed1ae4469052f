"""Launching: the window opens with a network file, and the start-up smoke run exits cleanly."""

import os
import subprocess
import sys

import numpy as np

from bp_studio.engine import Network
from bp_studio.ui.main_window import MainWindow


def test_window_opens_with_a_network_file(qtbot, tmp_path):
    net = Network.create([2, 5, 1], ["tanh", "sigmoid"], "mse", seed=3)
    path = tmp_path / "net.json"
    net.save(path)
    window = MainWindow(str(path))
    qtbot.addWidget(window)
    studio = window.studio
    assert np.array_equal(studio.parameters, net.parameters)
    assert studio.network.sizes == [2, 5, 1]
    assert studio.can_train  # XOR fits 2 inputs and 1 output
    assert window.windowTitle().startswith("untitled — 2-5-1")  # a new session on the network
    assert window.settings_panel.settings().hidden[0].units == 5


def test_window_opens_with_a_session_as_its_document(qtbot, tmp_path):
    from bp_studio.studio import Studio

    studio = Studio()
    studio.next_phase()
    studio.next_phase()  # saved during the Error phase
    path = tmp_path / "run.bpsession"
    studio.save(path)
    window = MainWindow(str(path))
    qtbot.addWidget(window)
    assert window.windowTitle().startswith("run.bpsession — ")
    assert window.studio.phase == "error"
    assert window.phase_indicator.current is not None and window.phase_indicator.current.value == 2


def test_network_without_fitting_data_says_what_to_do(qtbot, tmp_path):
    path = tmp_path / "wide.json"
    Network.create([7, 3, 2], "sigmoid", "mse").save(path)
    window = MainWindow(str(path))
    qtbot.addWidget(window)
    assert not window.studio.can_train
    assert not window.next_phase_action.isEnabled()
    assert "7 inputs" in window.message_bar.label.text()


def test_app_starts_and_quits_in_a_subprocess(tmp_path):
    path = tmp_path / "net.json"
    Network.create([2, 4, 1], ["tanh", "sigmoid"], "mse").save(path)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    code = f"from bp_studio.ui.app import run; raise SystemExit(run({str(path)!r}, 300))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
