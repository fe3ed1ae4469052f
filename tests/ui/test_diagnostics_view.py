"""The Diagnostics view draws the studio's layer health: gradient flow, update ratios,
distributions, the health text and the gradient check."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from bp_studio.data.source import DataSpec
from bp_studio.engine import backward, forward
from bp_studio.engine.diagnostics import layer_health
from bp_studio.engine.gradcheck import check_gradients
from bp_studio.studio import HiddenLayer, Studio
from bp_studio.studio.diagnostics import LayerDistributions, sample_rows
from bp_studio.ui.diagnostics_view import (
    EMPTY_TEXT,
    HEALTHY_COLOUR,
    LAYER_COLOURS,
    DiagnosticsView,
    decade_step,
    decades,
    histogram,
)


def shown_view(qtbot, studio: Studio, width: int = 380, height: int = 520) -> DiagnosticsView:
    view = DiagnosticsView(studio)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def curve_data(curve) -> tuple[np.ndarray, np.ndarray]:
    """The data given to ``setData`` (``getData`` hands back log10 of it on a log axis)."""
    x, y = curve.getOriginalDataset()
    if x is None:
        return np.zeros(0), np.zeros(0)
    return np.asarray(x), np.asarray(y)


def test_empty_until_a_step(qtbot):
    view = shown_view(qtbot, Studio())
    assert view.gradient_pages.currentWidget() is view.empty
    assert (
        view.empty.text()
        == EMPTY_TEXT
        == ("Take a step or press Play: the gradient norms appear here.")
    )
    assert not view.headline.isVisible()


def test_gradient_flow_and_update_ratio_curves_hold_the_series(qtbot):
    studio = Studio()
    studio.set(hidden=(HiddenLayer(4, "tanh"), HiddenLayer(3, "sigmoid")))
    view = shown_view(qtbot, studio)
    for _ in range(6):
        studio.step()
    view.refresh()
    steps, grads, ratios = studio.diagnostics.series()
    assert steps.tolist() == [1, 2, 3, 4, 5, 6] and grads.shape == (6, 3)
    assert len(view.gradient_curves) == len(view.ratio_curves) == 3
    for layer in range(3):
        x, y = curve_data(view.gradient_curves[layer])
        np.testing.assert_array_equal(x, steps)
        np.testing.assert_array_equal(y, grads[:, layer])
        x, y = curve_data(view.ratio_curves[layer])
        np.testing.assert_array_equal(y, ratios[:, layer])
    for plot in (view.gradient_plot, view.ratio_plot):
        assert plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert view.legend_names == ["layer 1", "layer 2", "output"]  # above the plots
    legend = view.legend.text()
    for layer, name in enumerate(view.legend_names):
        assert f'<span style="color:{LAYER_COLOURS[layer]}">' in legend and name in legend
    pens = {curve.opts["pen"].color().name() for curve in view.gradient_curves}
    assert len(pens) == 3  # every layer its own colour ...
    for gradient, ratio in zip(view.gradient_curves, view.ratio_curves):
        assert gradient.opts["pen"].color() == ratio.opts["pen"].color()  # ... in both plots
    assert view.gradient_pages.currentIndex() == 1
    # whole decades around the data
    low, high = view.gradient_plot.getPlotItem().getViewBox().viewRange()[1]
    assert low <= math.log10(np.nanmin(grads)) and high >= math.log10(np.nanmax(grads))


def test_the_rule_of_thumb_guide(qtbot):
    view = shown_view(qtbot, Studio())
    assert view.guide in view.ratio_plot.getPlotItem().items
    assert 10 ** view.guide.value() == pytest.approx(1e-3)  # the axis is log10
    assert view.guide.angle == 0
    assert view.guide.label.toPlainText() == "1e-3 rule of thumb"


def test_an_architecture_change_redraws_one_curve_per_layer(qtbot):
    studio = Studio()
    view = shown_view(qtbot, studio)
    studio.step()
    view.refresh()
    assert len(view.gradient_curves) == 2
    studio.set(hidden=(HiddenLayer(3), HiddenLayer(3), HiddenLayer(3)))
    studio.step()
    view.refresh()
    assert len(view.gradient_curves) == 4 and view.layer_choice.count() == 4
    assert view.layer_choice.itemText(3) == "layer 4 (output)"


def test_histograms_count_every_finite_value_of_the_chosen_layer(qtbot):
    studio = Studio()
    studio.set_data(DataSpec("generator", "moons", samples=300))
    studio.set(hidden=(HiddenLayer(8, "tanh"), HiddenLayer(8, "tanh")))
    view = shown_view(qtbot, studio)
    for _ in range(3):
        studio.step()
    view.tabs.setCurrentWidget(view.distribution_tab)  # opening the tab takes them
    view.layer_choice.setCurrentIndex(1)
    expected = studio.distributions()[1]
    assert expected.activations.size == 256 * 8
    for kind in ("weights", "activations", "gradients"):
        values = getattr(expected, kind)
        shown = view.histograms[kind].histogram
        assert shown.total == np.isfinite(values).sum() == values.size and shown.dropped == 0
        x, y = curve_data(view.histograms[kind].curve)
        assert len(x) == len(y) + 1  # step mode: bin edges around the counts
        assert x[0] == values.min() and x[-1] == values.max()
    assert (
        "Activations a = f(z)</b> on 256 rows · 2,048 values"
        in view.histograms["activations"].caption.text()
    )


def test_non_finite_values_are_left_out_and_counted(qtbot, monkeypatch):
    studio = Studio()
    view = shown_view(qtbot, studio)
    broken = LayerDistributions(
        0,
        np.array([0.5, np.nan, -0.25, np.inf, 1.0, -np.inf]),
        np.full(12, 0.7),  # constant: one bin
        np.array([np.nan, np.nan]),  # nothing finite
    )
    fine = LayerDistributions(1, np.ones(3), np.ones(4), np.ones(3))
    monkeypatch.setattr(studio, "distributions", lambda rows=256: [broken, fine])
    view.tabs.setCurrentWidget(view.distribution_tab)
    weights = view.histograms["weights"]
    assert weights.histogram.total == 3 and weights.histogram.dropped == 3
    assert "3 not finite (NaN or ±∞) left out" in weights.caption.text()
    activations = view.histograms["activations"].histogram
    assert activations.counts.tolist() == [12] and activations.dropped == 0
    assert activations.edges[0] < 0.7 < activations.edges[1]
    gradients = view.histograms["gradients"]
    assert gradients.histogram.total == 0 and gradients.histogram.dropped == 2
    assert "0 values" in gradients.caption.text()


def test_histogram_and_decades_by_hand():
    shown = histogram(np.array([0.0, 1.0, 2.0, 3.0, np.nan]))
    assert shown.total == 4 and shown.dropped == 1 and len(shown.counts) == 8
    assert shown.edges[0] == 0.0 and shown.edges[-1] == 3.0
    zeros = histogram(np.zeros(5))
    assert zeros.edges.tolist() == [-0.5, 0.5] and zeros.counts.tolist() == [5]
    huge = histogram(np.array([-1e308, 1e308]))
    assert huge.total == 2 and np.all(np.isfinite(huge.edges))
    assert decades(np.array([0.003, 0.07, np.nan, 0.0])) == (-3.0, -1.0)
    assert decades(np.array([0.5])) == (-1.0, 0.0)
    assert decades(np.zeros(0)) == (-3.0, 0.0)
    assert decade_step(4, 200) == 1  # room for every decade
    assert decade_step(9, 80) == 3  # 80 px hold 4 labels: every third of 9 decades
    assert decade_step(20, 60) == 10


def test_health_text_says_saturated_for_huge_sigmoid_weights(qtbot):
    studio = Studio()
    studio.set(hidden=(HiddenLayer(6, "sigmoid"),))
    network = studio.network
    first = network.layers[0].weight.copy()
    for unit in range(first.shape[0]):
        for column in range(first.shape[1]):
            studio.edit_weight(0, unit, column, 50.0 * first[unit, column])
    view = shown_view(qtbot, studio)
    studio.step()
    view.refresh()
    health = studio.diagnostics.latest
    assert health[0].saturated > 0.5
    text = view.health_text.toPlainText()
    assert f"Layer 1: {100 * health[0].saturated:.3g} % of its sigmoid outputs saturated" in text
    assert "try smaller initial weights" in text
    assert "layer 1 saturated" in view.headline.text()


def test_health_text_says_dead_for_relu_with_large_negative_biases(qtbot):
    studio = Studio()
    studio.set(hidden=(HiddenLayer(4, "relu"),))
    for unit in range(4):
        studio.edit_bias(0, unit, -50.0)
    view = shown_view(qtbot, studio)
    studio.step()
    view.refresh()
    text = view.health_text.toPlainText()
    assert "Layer 1: 4 of its 4 relu units dead (z ≤ 0 on every sample" in text
    assert "100 %" in text  # the table's dead share
    assert "layer 1: dead units" in view.headline.text()


def test_a_hidden_view_does_no_work(qtbot, monkeypatch):
    studio = Studio()
    view = shown_view(qtbot, studio)
    studio.step()
    view.refresh()
    before = curve_data(view.gradient_curves[0])
    view.hide()
    for _ in range(5):
        studio.step()

    def no_histograms(rows: int = 256):
        raise AssertionError("a hidden view took distributions")

    monkeypatch.setattr(studio, "distributions", no_histograms)
    monkeypatch.setattr(studio.diagnostics, "series", no_histograms)
    view.tabs.setCurrentWidget(view.distribution_tab)
    view.refresh()
    view.refresh_live()
    after = curve_data(view.gradient_curves[0])
    assert len(after[0]) == len(before[0]) == 1


def test_live_refresh_during_a_threaded_run(qtbot):
    studio = Studio()
    studio.set_data(DataSpec("generator", "moons", samples=200))
    studio.set(hidden=(HiddenLayer(8, "tanh"),))
    view = shown_view(qtbot, studio)
    view.tabs.setCurrentWidget(view.distribution_tab)
    run = threading.Thread(target=studio.run)
    run.start()
    try:

        def measured() -> None:
            view.refresh_live()
            assert len(curve_data(view.gradient_curves[0])[0]) >= 3

        qtbot.waitUntil(measured, timeout=10_000)
        assert view.distributions is not None and view.histograms["weights"].histogram.total
    finally:
        studio.stop()
        run.join()
    view.refresh()
    steps = studio.diagnostics.series()[0]
    np.testing.assert_array_equal(curve_data(view.ratio_curves[1])[0], steps)


def gradient_check(wrong: bool):
    studio = Studio()
    studio.step()
    trainer = studio.trainer
    network = studio.network
    analytic = backward(network, forward(network, trainer.X), trainer.T).gradient.copy()
    if wrong:
        analytic[0] += 0.5  # the weight w1,1 of layer 1
    return studio, check_gradients(
        network, trainer.X, trainer.T, normalized=True, analytic=analytic
    )


def test_a_passing_gradient_check_in_words(qtbot):
    studio, check = gradient_check(wrong=False)
    view = shown_view(qtbot, studio)
    view.show_gradient_check(check)
    text = view.check_text.text()
    assert check.passed and view.check_box.isVisible()
    assert view.tabs.currentIndex() == 2
    assert "Gradient check passed</span></b> at step 1: largest relative error r = " in text
    assert "below the tolerance 0.0001; all 13 parameters checked." in text
    assert "max(|g|, |g<sub>num</sub>|, floor)" in text and "/ 2h" in text
    view.show_gradient_check(None)
    assert not view.check_box.isVisible()


def test_a_failing_gradient_check_names_the_parameter(qtbot):
    studio, check = gradient_check(wrong=True)
    view = shown_view(qtbot, studio)
    view.show_gradient_check(check)
    text = view.check_text.text()
    assert not check.passed
    assert "Gradient check failed" in text
    assert "at the weight w<sub>1,1</sub> of layer 1, not below the tolerance 0.0001" in text


def test_small_enough_for_a_dock_and_wide_side_by_side(qtbot, tmp_path):
    studio = Studio()
    studio.set_data(DataSpec("generator", "moons", samples=200))
    studio.set(hidden=(HiddenLayer(8, "tanh"), HiddenLayer(8, "tanh")), lr=0.3)
    view = shown_view(qtbot, studio)
    for _ in range(20):
        studio.step()
    view.refresh()
    view.resize(800, 500)
    qtbot.wait(10)
    assert view.gradient_plot.geometry().top() == view.ratio_plot.geometry().top()
    assert view.gradient_plot.isVisible() and view.ratio_plot.isVisible()
    view.resize(380, 520)
    qtbot.wait(10)
    assert view.gradient_plot.geometry().bottom() < view.ratio_plot.geometry().top()
    assert not view.plot_bar.isVisible()
    view.tabs.setCurrentWidget(view.distribution_tab)
    rows = [row.geometry() for row in view.histograms.values()]
    assert rows[0].bottom() < rows[1].top()  # stacked when tall
    view.tabs.setCurrentIndex(0)
    assert view.minimumSizeHint().width() <= 260 and view.minimumSizeHint().height() < 360
    assert view.grab().save(str(tmp_path / "diagnostics.png"))


def test_a_short_dock_shows_one_gradient_plot_at_a_time(qtbot):
    studio = Studio()
    studio.set_data(DataSpec("generator", "moons", samples=200))
    studio.set(hidden=(HiddenLayer(8, "sigmoid"),) * 4)
    view = shown_view(qtbot, studio, 380, 250)
    studio.run(300)
    view.refresh()
    hint = view.minimumSizeHint()
    assert hint.width() <= 260 and hint.height() <= 180, hint
    assert view.plot_bar.isVisible()
    assert view.gradient_plot.isVisible() and not view.ratio_plot.isVisible()
    view.show_ratio.click()
    assert view.ratio_plot.isVisible() and not view.gradient_plot.isVisible()
    assert view.legend.isVisible() and view.legend_names[-1] == "output"
    view.tabs.setCurrentWidget(view.distribution_tab)
    rows = [row.geometry() for row in view.histograms.values()]
    assert rows[0].top() == rows[1].top() == rows[2].top()  # side by side when short
    assert rows[0].right() < rows[1].left()
    assert view.histograms["weights"].caption.text().startswith("<b>Weights w</b><br>mean ")
    assert "values, mean" in view.histograms["weights"].caption.toolTip()
    # the health text wraps in a narrow view: no table wider than the view
    view.tabs.setCurrentIndex(2)
    view.resize(260, 180)
    qtbot.wait(10)
    browser = view.health_text
    assert browser.horizontalScrollBar().maximum() == 0
    assert "Layer 1 sigmoid: ‖∂L/∂W‖" in browser.toPlainText().replace("\u00a0", " ")
    # tall again: both plots
    view.resize(380, 520)
    qtbot.wait(10)
    assert not view.gradient_plot.isHidden() and not view.ratio_plot.isHidden()


def test_the_view_follows_the_timeline(qtbot):
    studio = Studio()
    studio.set_data(DataSpec("generator", "moons", samples=200))
    studio.set(hidden=(HiddenLayer(6, "tanh"),))
    studio.run(400)
    view = shown_view(qtbot, studio)
    view.refresh()
    assert view.headline.text().startswith("Step 400: ")
    studio.rewind(390)
    view.refresh()
    assert view.headline.text().startswith("Step 390: ")
    assert "after step 390 on" in view.health_text.toPlainText()
    assert view.gradient_marker.isVisible() and view.gradient_marker.value() == 390
    assert view.ratio_marker.value() == 390
    # the health shown is the one at step 390, computed by hand
    trainer = studio.trainer
    rows = sample_rows(trainer.samples)
    before = Studio()
    before.set_data(DataSpec("generator", "moons", samples=200))
    before.set(hidden=(HiddenLayer(6, "tanh"),))
    before.run(389)
    update = studio.parameters - before.parameters
    expected = layer_health(
        studio.network, trainer.X[rows], trainer.T[rows], update, normalized=True
    )
    shown = view._health_shown
    assert [h.grad_norm for h in shown] == pytest.approx([h.grad_norm for h in expected])
    assert [h.update_ratio for h in shown] == pytest.approx([h.update_ratio for h in expected])
    assert f"{expected[0].grad_norm:.3g}" in view.health_text.toPlainText()


def test_a_learned_network_gets_a_calm_headline(qtbot):
    studio = Studio()  # XOR
    steps = 0
    while studio.evaluation.train_accuracy < 1.0 and steps < 50_000:
        studio.run(500)
        steps += 500
    view = shown_view(qtbot, studio)
    view.refresh()
    text = view.headline.text()
    assert "learned: the loss is " in text and f"color:{HEALTHY_COLOUR}" in text
    assert "small gradients and saturated outputs are expected now" in text


def test_a_live_tick_without_a_new_measurement_reads_nothing(qtbot, monkeypatch):
    studio = Studio()
    view = shown_view(qtbot, studio)
    studio.step()
    view.refresh_live()
    assert len(curve_data(view.gradient_curves[0])[0]) == 1
    reads = []
    series = studio.diagnostics.series
    monkeypatch.setattr(studio.diagnostics, "series", lambda: reads.append(1) or series())
    view.refresh_live()
    view.refresh_live()
    assert reads == []
    studio.step()
    view.refresh_live()
    assert len(reads) == 1 and len(curve_data(view.gradient_curves[0])[0]) == 2
