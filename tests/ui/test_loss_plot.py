"""The loss plot shows every step's loss and every epoch's mean, live."""

import numpy as np

from bp_studio.ui.loss_plot import LossPlot


def test_history_and_live_appends(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_history(np.array([0.5, 0.4]), np.array([0.45]), np.array([2]))
    x, y = plot.step_curve.getData()
    assert list(y) == [0.5, 0.4] and list(x) == [1.0, 2.0]
    plot.append_history(np.array([0.3, 0.2]), np.array([0.25]), np.array([4]))
    x, y = plot.epoch_curve.getData()
    assert list(x) == [2.0, 4.0] and list(y) == [0.45, 0.25]
    assert plot.points == 4
    assert plot.marker.value() == 4
    assert "Step 4: loss 0.2" in plot.summary.text()


def test_log_scale_clips_zero(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.log_scale.setChecked(True)
    plot.set_history(np.array([1.0, 0.0]), np.zeros(0), np.zeros(0))
    _, y = plot.step_curve.getData()  # in log mode pyqtgraph hands back log10 of the data
    assert np.all(np.isfinite(y))
    assert y[0] == 0.0 and y[1] < -300


def test_million_points_are_downsampled(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    losses = np.exp(-np.linspace(0, 10, 1_000_000))
    plot.set_history(losses, np.zeros(0), np.zeros(0))
    plot.grab()
    shown = plot.step_curve.getData()[0]
    assert plot.points == 1_000_000
    assert len(shown) < 100_000  # auto downsampling draws far fewer points than it holds
