"""Why is it (not) learning, in the window: the gradient check command, breakpoints that
pause Play and say why in the banner, early stopping, the diagnostics dock, compared runs."""

from __future__ import annotations

import dataclasses

import numpy as np

from bp_studio.data.source import DataSpec
from bp_studio.engine.activations import ACTIVATIONS
from bp_studio.studio.breakpoints import Breakpoint
from bp_studio.studio.settings import HiddenLayer
from bp_studio.ui.play import FASTEST, SPEEDS


def test_check_gradients_explains_the_result_and_says_it(window, qtbot):
    window.studio.step()
    assert window.check_gradients_action.shortcut().toString() == "Ctrl+G"
    window.check_gradients_action.trigger()
    qtbot.waitUntil(lambda: window.gradient_check is not None, timeout=20_000)
    check = window.gradient_check
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
    window.check_gradients()
    qtbot.waitUntil(lambda: window.gradient_check is not None, timeout=20_000)
    assert not window.gradient_check.passed
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
