"""The loss plot shows every step's loss and every epoch's mean, live."""

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect

from bp_studio.studio.runs import RunCurve
from bp_studio.ui.loss_plot import (
    EARLIER_RUNS,
    RUN_LABEL_CHARACTERS,
    LossPlot,
    distinct_labels,
    run_color,
    short_label,
)


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


def shown(plot: LossPlot) -> tuple[list[float], list[float]]:
    return plot.view_box.viewRange()


def test_ordinary_losses_are_printed_as_they_are(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.set_history(np.array([0.13, 0.12, 0.125]), np.zeros(0), np.zeros(0))
    plot.grab()
    left = plot.plot.getPlotItem().getAxis("left")
    assert "x0.001" not in left.labelString() and left.scale == 1.0
    (x0, x1), (y0, y1) = shown(plot)
    assert y0 == 0.0 and y1 == pytest.approx(0.13 * 1.05)
    ticks = [value for _, values in left.tickValues(y0, y1, 200) for value in values]
    assert left.tickStrings(ticks[:2], left.scale, 0.05) == ["0", "0.05"]


def test_a_single_step_gives_whole_non_negative_step_ticks(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.set_history(np.array([0.69]), np.zeros(0), np.zeros(0))
    plot.grab()
    (x0, x1), _ = shown(plot)
    assert (x0, x1) == (0.0, 5.0)
    bottom = plot.plot.getPlotItem().getAxis("bottom")
    ticks = [value for _, values in bottom.tickValues(x0, x1, 600) for value in values]
    assert ticks and all(value >= 0 and value == int(value) for value in ticks)
    assert bottom.tickStrings([0.0, 12000.0], 1.0, 1.0) == ["0", "12,000"]


def test_the_axes_follow_a_reset_and_not_a_user_who_zoomed(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 300)
    plot.set_history(np.linspace(2.0, 0.1, 5000), np.zeros(0), np.zeros(0))
    assert shown(plot)[0] == [0.0, pytest.approx(5100.0)]
    assert shown(plot)[1][1] == pytest.approx(2.1)
    plot.set_history(np.array([0.5, 0.4]), np.zeros(0), np.zeros(0))  # a reset
    assert shown(plot)[0] == [0.0, 5.0] and shown(plot)[1][1] == pytest.approx(0.525)
    plot.append_history(np.full(20, 0.3), np.zeros(0), np.zeros(0))  # live: still following
    assert shown(plot)[0][1] == pytest.approx(22 * 1.02)
    plot.view_box.sigRangeChangedManually.emit([True, True])  # the user zoomed in
    plot.view_box.setXRange(3.0, 8.0, padding=0.0)
    plot.append_history(np.full(100, 0.2), np.zeros(0), np.zeros(0))
    assert shown(plot)[0] == [pytest.approx(3.0), pytest.approx(8.0)]
    plot.set_history(np.array([0.5]), np.zeros(0), np.zeros(0))  # a new history follows again
    assert shown(plot)[0] == [0.0, 5.0]


def test_the_log_scale_shows_the_losses_decades(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_history(np.array([3.0, 0.02, 0.004]), np.zeros(0), np.zeros(0))
    plot.log_scale.setChecked(True)
    low, high = shown(plot)[1]
    assert low <= -3 < math.log10(0.004) and high >= math.log10(3.0)


def test_the_validation_loss_is_drawn_as_given_with_its_legend_entry(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    assert "validation loss" not in plot.legend_labels()  # no validation share: no entry
    steps, losses = np.array([0.0, 10.0, 20.0]), np.array([0.7, 0.5, 0.45])
    plot.set_validation_history(steps, losses)
    x, y = plot.validation_curve.getData()
    assert list(x) == [0.0, 10.0, 20.0] and list(y) == [0.7, 0.5, 0.45]
    assert "validation loss" in plot.legend_labels()
    assert (
        plot.validation_curve.opts["pen"].color().name()
        != plot.test_curve.opts["pen"].color().name()
    )
    plot.set_validation_history(np.zeros(0), np.zeros(0))
    assert len(plot.validation_curve.getData()[0] or []) == 0
    assert "validation loss" not in plot.legend_labels()


def run(label: str, steps: int, visible: bool = True, epochs: int = 0, color: int = 0) -> RunCurve:
    losses = np.linspace(1.0, 0.1, steps)
    ends = np.linspace(steps / max(epochs, 1), steps, epochs).round().astype(np.int64)
    return RunCurve(label, losses, ends, np.linspace(0.9, 0.2, epochs), visible, color)


def shown_plot(qtbot, width: int = 900, height: int = 300) -> LossPlot:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def test_earlier_runs_are_drawn_faded_with_what_tells_them_apart(qtbot):
    plot = shown_plot(qtbot)
    plot.set_history(np.linspace(0.5, 0.4, 30), np.zeros(0), np.zeros(0))
    runs = [
        run("2-3-1 sigmoid · sgd η 0.5 · full batch · 30 steps", 30, color=4),
        run("2-3-1 sigmoid · sgd η 0.05 · full batch · 30 steps", 30, False, color=5),
        run("2-3-1 relu · sgd η 0.05 · full batch · 30 steps", 30, color=6),
    ]
    plot.set_runs(runs)
    assert [curve.name() for curve in plot.run_curves] == [runs[0].label, runs[2].label]
    x, y = plot.run_curves[0].xData, plot.run_curves[0].yData
    assert list(x) == list(range(1, 31)) and np.array_equal(y, runs[0].step_losses)
    assert [label.toPlainText() for label in plot.run_labels] == [
        "2-3-1 sigmoid · sgd η 0.5",
        "2-3-1 relu · sgd η 0.05",
    ]  # each labelled at its end with what tells it apart
    end = plot.run_labels[0].pos()
    assert (end.x(), end.y()) == (30, pytest.approx(runs[0].step_losses[-1]))
    plot.log_scale.setChecked(True)  # a log axis places the label at log10 of the loss
    end = plot.run_labels[0].pos()
    assert end.y() == pytest.approx(np.log10(runs[0].step_losses[-1]))
    plot.log_scale.setChecked(False)
    faded = plot.run_curves[1].opts["pen"].color()
    assert faded.name() == run_color(6) and faded.alpha() < 255  # the run's own colour
    assert all(curve.zValue() < plot.epoch_curve.zValue() for curve in plot.run_curves)
    plot.set_runs(runs[:1], current="2-3-1 sigmoid · sgd η 0.05 · full batch · 30 steps")
    assert [label.toPlainText() for label in plot.run_labels] == ["sgd η 0.5"]
    plot.set_runs([])
    assert plot.run_curves == [] and plot.run_labels == []
    assert plot.legend_labels() == ["loss per step"] and plot.legend.isVisible()
    plot.set_history(np.zeros(0), np.zeros(0), np.zeros(0))
    assert plot.legend_labels() == [] and not plot.legend.isVisible()


def test_the_legend_is_a_row_over_the_plot_not_inside_it(qtbot):
    plot = shown_plot(qtbot)
    plot.set_history(np.linspace(1.0, 0.2, 40), np.linspace(0.9, 0.3, 4), np.arange(10, 41, 10))
    plot.set_validation_history(np.array([0.0, 20.0, 40.0]), np.array([1.0, 0.6, 0.4]))
    assert plot.legend.isVisible()
    items = plot.plot.scene().items()
    assert not any(isinstance(item, pg.LegendItem) for item in items)
    assert plot.plot.getPlotItem().legend is None
    assert not plot.plot.isAncestorOf(plot.legend)
    legend = QRect(plot.legend.mapTo(plot, QPoint(0, 0)), plot.legend.size())
    box = plot.view_box.sceneBoundingRect().toRect()
    box.translate(plot.plot.mapTo(plot, QPoint(0, 0)))
    assert not legend.intersects(box) and legend.bottom() < box.top()
    assert plot.legend_labels() == ["loss per step", "mean loss per epoch", "validation loss"]


def test_the_legend_names_each_earlier_run_in_its_colour_when_they_fit(qtbot):
    plot = shown_plot(qtbot, width=900)
    plot.set_history(np.linspace(1.0, 0.2, 40), np.zeros(0), np.zeros(0))
    runs = [
        run("2-3-1 sigmoid · sgd η 0.5 · 30 steps", 30, color=2),
        run("2-3-1 sigmoid · sgd η 0.05 · 30 steps", 30, False, color=3),
        run("2-3-1 relu · sgd η 0.05 · 30 steps", 30, color=7),
    ]
    plot.set_runs(runs)
    entries = [(entry.name, entry.color) for entry in plot.legend_entries()]
    assert entries == [
        ("loss per step", "#7f8c8d"),
        ("2-3-1 sigmoid · sgd η 0.5", run_color(2)),  # what tells it apart, in its colour
        ("2-3-1 relu · sgd η 0.05", run_color(7)),
    ]
    assert "earlier:" in plot.legend.text()
    plot.resize(260, 300)  # too narrow to name them on two lines: one entry for all
    assert plot.legend_labels() == ["loss per step", EARLIER_RUNS]
    assert plot.legend_entries()[-1].colors == (run_color(2), run_color(7))
    plot.resize(900, 300)
    assert plot.legend_labels()[1:] == ["2-3-1 sigmoid · sgd η 0.5", "2-3-1 relu · sgd η 0.05"]


def test_the_steps_follow_the_current_run_not_a_longer_earlier_one(qtbot):
    plot = shown_plot(qtbot)
    long = RunCurve("long", np.linspace(3.0, 0.01, 49_590), np.zeros(0), np.zeros(0))
    plot.set_runs([long])
    assert shown(plot)[0] == [0.0, pytest.approx(49_590 * 1.02)]  # no current steps yet
    plot.set_history(np.linspace(0.6, 0.5, 50), np.zeros(0), np.zeros(0))
    (x0, x1), (_, top) = shown(plot)
    assert (x0, x1) == (0.0, pytest.approx(50 * 1.02))  # the current run's steps
    # the earlier run's losses in those steps (drawn thinned: its first group's mean)
    assert top == pytest.approx(3.0 * 1.05, rel=1e-3)
    label = plot.run_labels[0]
    assert label.isVisible() and x1 - 1 <= label.pos().x() <= x1  # at the last step shown
    plot.append_history(np.full(950, 0.4), np.zeros(0), np.zeros(0))
    assert shown(plot)[0][1] == pytest.approx(1000 * 1.02)  # live: still the current run
    plot.plot.getPlotItem().autoBtnClicked()  # "A": the user can still see all of it
    qtbot.waitUntil(lambda: shown(plot)[0][1] >= 49_590)
    plot.set_history(np.array([0.5, 0.4]), np.zeros(0), np.zeros(0))  # a reset follows again
    assert shown(plot)[0] == [0.0, 5.0]


def test_earlier_runs_labels_do_not_overlap(qtbot):
    plot = shown_plot(qtbot, width=600, height=220)
    plot.set_history(np.linspace(1.0, 0.5, 30), np.zeros(0), np.zeros(0))
    same_end = [run(f"2-3-1 sigmoid · sgd η 0.{i} · 30 steps", 30, color=i) for i in range(1, 7)]
    plot.set_runs(same_end)  # all six end at the same point
    qtbot.wait(10)
    rects = [label.sceneBoundingRect() for label in plot.run_labels if label.isVisible()]
    assert len(rects) >= 2  # moved above and below the end, the rest left out
    area = plot.view_box.sceneBoundingRect()
    for i, rect in enumerate(rects):
        assert area.contains(rect)
        assert not any(rect.intersects(other) for other in rects[i + 1 :])
    assert plot.run_labels[-1].isVisible()  # the newest run's label is placed first


def test_nothing_is_drawn_in_an_empty_plot(qtbot):
    plot = shown_plot(qtbot, width=568, height=170)  # as at 1280 x 720
    image = plot.grab().toImage()
    assert not plot.legend.isVisible() and plot.legend_labels() == []
    items = [item for item in plot.view_box.addedItems if item.isVisible()]
    assert all(isinstance(item, pg.PlotDataItem) and item.xData is None for item in items)
    box = plot.view_box.sceneBoundingRect().toRect()
    box.translate(plot.plot.mapTo(plot, QPoint(0, 0)))
    lightness = [
        image.pixelColor(x, y).lightness()
        for x in range(box.left() + 2, box.right() - 2)
        for y in range(box.top() + 2, box.bottom() - 2)
    ]
    backdrop = max(set(lightness), key=lightness.count)
    assert max(lightness) <= backdrop + 8  # no empty white box: only the grid on the backdrop


def test_a_mini_batch_run_is_drawn_by_its_epoch_means(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_runs([run("mini-batch", 40, epochs=4)])
    x, y = plot.run_curves[0].getData()
    assert list(x) == [10.0, 20.0, 30.0, 40.0]
    assert np.allclose(y, np.linspace(0.9, 0.2, 4))


def test_labels_keep_what_differs_and_long_ones_are_shortened():
    assert distinct_labels(["a · b · c", "a · x · c"]) == ["b", "x"]
    assert distinct_labels(["a · b", "a · b"]) == ["a · b", "a · b"]
    assert distinct_labels(["only · one"]) == ["only · one"]
    long = "x" * 50
    assert short_label(long) == "x" * (RUN_LABEL_CHARACTERS - 1) + "…"
    assert short_label("short") == "short"


def test_a_long_earlier_run_is_drawn_thinned_to_its_group_means():
    from bp_studio.ui.loss_plot import RUN_POINTS, thinned

    x = np.arange(1, 8_001, dtype=float)  # groups of 4
    y = np.where(x % 2 == 0, 1.0, 3.0)  # the mean of every pair is 2
    y[4000:4002] = np.nan  # left out of its group's mean
    tx, ty = thinned(x, y)
    assert len(tx) == RUN_POINTS and tx[-1] == 8_000  # each at its group's last step
    assert np.allclose(ty, 2.0)
    short_x, short_y = thinned(x[:100], y[:100])
    assert short_x is x[:100].base or np.array_equal(short_x, x[:100])  # short: as it is
    assert np.array_equal(short_y, y[:100])
