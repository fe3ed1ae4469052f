"""Why is it (not) learning, in the studio: layer health over training, distributions, the
gradient check, breakpoints, validation with early stopping, and compared runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bp_studio.data.source import DataSpec
from bp_studio.engine import ACTIVATIONS
from bp_studio.engine.diagnostics import layer_health, step_health
from bp_studio.studio import HiddenLayer, Settings, Studio, StudioError
from bp_studio.studio.breakpoints import Breakpoint
from bp_studio.studio.diagnostics import sample_rows


def test_layer_health_is_recorded_after_each_step_and_while_running():
    s = Studio()
    s.step()
    steps, grads, ratios = s.diagnostics.series()
    expected = step_health(s.network, s.trainer.last_step)
    assert steps.tolist() == [1]
    assert grads[0].tolist() == [h.grad_norm for h in expected]
    assert ratios[0].tolist() == [h.update_ratio for h in expected]
    s.run(2000)
    steps, grads, ratios = s.diagnostics.series()
    assert len(steps) >= 2 and steps[-1] > 1 and grads.shape == (len(steps), 2)
    assert np.all(np.isfinite(ratios[1:])) and np.all(grads[1:] > 0)
    s.rewind(1)
    s.set(lr=0.1)  # a change in the past drops what was measured after it
    assert s.diagnostics.series()[0].tolist() == [1]


def test_distributions_for_the_histograms():
    s = Studio()
    s.set_data(DataSpec("generator", "circles", samples=300))
    s.set(hidden=(HiddenLayer(5, "tanh"),))
    layers = s.distributions()
    assert [d.weights.size for d in layers] == [2 * 5, 5 * 1]
    assert layers[0].activations.size == 256 * 5  # 256 rows spread over the 300
    assert layers[1].gradients.size == 5 and np.all(np.isfinite(layers[1].gradients))


def test_the_gradient_check_passes_and_fails_when_a_derivative_is_broken(monkeypatch):
    s = Studio()
    s.run(10)
    assert s.check_gradients().passed  # the next step's batch
    for _ in range(3):
        s.next_phase()  # backward done: the check takes the step in progress
    result = s.check_gradients()
    assert result.passed and result.worst < 1e-4
    assert s.phase == "backward" and s.step_count == 10  # the document did not move

    def broken(z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 2.0 * a * (1.0 - a)

    wrong = dataclasses.replace(ACTIVATIONS["sigmoid"], derivative=broken)
    monkeypatch.setitem(ACTIVATIONS, "sigmoid", wrong)
    s.reset()  # a network built now takes the broken registry entry
    assert s.network.layers[0].function is wrong
    assert not s.check_gradients().passed


def test_a_loss_breakpoint_pauses_at_exactly_the_first_step_below():
    s = Studio()
    s.set(lr=2.0)
    s.set_breakpoints([Breakpoint("loss_below", 0.1)])
    messages = []
    s.events.halted.connect(messages.append)
    steps = s.run(100_000)
    losses = np.array(s.trainer.step_losses)
    assert losses[-1] < 0.1 and np.all(losses[:-1] >= 0.1)
    assert s.step_count == len(losses) and steps >= s.step_count
    assert messages and messages[0].startswith("Breakpoint: loss of a step below 0.1")
    assert f"step {s.step_count:,}" in messages[0]


def test_an_epoch_breakpoint_and_one_turned_off():
    s = Studio()
    s.set_data(DataSpec("generator", "moons", samples=100, test_ratio=0.0))
    s.set(batch_size=7)
    s.set_breakpoints([Breakpoint("loss_below", 1e-9, enabled=False), Breakpoint("epoch", 13)])
    s.run(100_000)
    assert s.epoch == 13 and s.trainer.batch_index == 0  # exactly at the end of epoch 13
    assert s.step_count == 13 * 15  # 100 rows in batches of 7: 15 a epoch


def test_a_dead_unit_breakpoint():
    s = Studio()
    s.set(hidden=(HiddenLayer(4, "relu"),), lr=0.5)
    for unit in range(4):
        s.edit_bias(0, unit, -50.0)  # every unit dead from the start
    s.set_breakpoints([Breakpoint("unit_dead")])
    messages = []
    s.events.halted.connect(messages.append)
    s.run(1000)
    assert messages and "unit 1 of layer 1 is dead" in messages[0]
    assert s.diagnostics.latest[0].dead == 1.0


def test_breakpoints_are_checked_and_saved(tmp_path):
    with pytest.raises(ValueError, match="epoch"):
        Breakpoint("epoch", 2.5)
    with pytest.raises(ValueError, match="unknown breakpoint"):
        Breakpoint("weights_nan", 1.0)
    with pytest.raises(ValueError, match="accuracy"):
        Breakpoint("accuracy_reaches", 95)
    s = Studio()
    points = [Breakpoint("accuracy_reaches", 0.95), Breakpoint("grad_norm_above", 10.0)]
    s.set_breakpoints(points)
    path = tmp_path / "b.bpsession"
    s.save(path)
    assert Studio.open(path).breakpoints == tuple(points)


def test_early_stopping_goes_back_to_the_best_epoch():
    s = Studio()
    s.set_data(DataSpec("generator", "moons", samples=200, noise=0.3, validation_ratio=0.3))
    s.set(hidden=(HiddenLayer(32, "tanh"),) * 2, optimizer="adam", lr=0.05, patience=15)
    messages = []
    s.events.halted.connect(messages.append)
    done = s.run(100_000)
    assert messages and messages[0].startswith("Early stopping")
    stopper_best = int(messages[0].split("back at epoch ")[1].split(" ")[0].replace(",", ""))
    assert s.epoch == stopper_best and s.trainer.batch_index == 0
    assert done > s.step_count  # the later steps stay on the timeline
    assert s.later_steps == done - s.step_count
    assert s.evaluation.validation_loss is not None
    steps, losses = s.evaluations.test_curve("validation")
    assert len(steps) >= 1


def test_patience_needs_a_validation_share_to_act():
    s = Studio()
    s.set(patience=3)
    assert s.run(50) == 50  # XOR has no validation rows: nothing to watch
    with pytest.raises(StudioError, match="settings.patience"):
        s.set(patience=-1)


def test_a_run_label_names_a_setting_changed_during_the_run():
    s = Studio()
    s.set(hidden=(HiddenLayer(3, "sigmoid"),))  # a new run ...
    s.set(batch_size=2)  # ... and its batch before its first step: the run began with it
    s.run(20)
    s.set(lr=0.05)
    s.run(10)
    s.set(optimizer="adam")  # after the last step: never trained with
    s.reset()
    label = s.runs[0].label
    assert label == (
        f"xor · 2-3-1 sigmoid · sgd η {Settings().lr:g} · batch 2 · 30 steps · "
        f"η {Settings().lr:g}→0.05 at step 20"
    )


def test_runs_are_kept_for_comparing_and_saved(tmp_path):
    s = Studio()
    s.run(30)
    s.set(lr=0.05)
    s.reset()
    assert len(s.runs) == 1
    first = s.runs[0]
    assert len(first.step_losses) == 30 and "2-3-1 sigmoid" in first.label
    # Labelled with the rate it trained at: 0.05 came after its last step.
    assert f"η {Settings().lr:g} ·" in first.label and "30 steps" in first.label
    assert "η 0.05" not in first.label
    s.run(10)
    s.set(hidden=(HiddenLayer(5, "relu"),))
    assert [len(r.step_losses) for r in s.runs] == [30, 10]
    s.show_run(0, False)
    path = tmp_path / "runs.bpsession"
    s.save(path)
    again = Studio.open(path)
    assert [r.visible for r in again.runs] == [False, True]
    assert np.array_equal(again.runs[0].step_losses, first.step_losses)
    s.undo()  # back to before the architecture change: that run was not yet kept
    assert len(s.runs) == 1
    s.delete_run(0)
    assert s.runs == []


def test_a_run_keeps_its_colour_when_another_is_deleted_saved_and_opened(tmp_path):
    s = Studio()
    for lr in (0.5, 0.2, 0.05):
        s.run(5)
        s.set(lr=lr)
        s.reset()
    assert [run.color for run in s.runs] == [0, 1, 2]
    s.delete_run(0)
    assert [run.color for run in s.runs] == [1, 2]
    path = tmp_path / "colours.bpsession"
    s.save(path)
    assert [run.color for run in Studio.open(path).runs] == [1, 2]


def test_health_is_measured_where_a_run_ends():
    s = Studio()
    s.run(3000)  # XOR: a fraction of a second, measured at its start at least
    steps, grads, ratios = s.diagnostics.series()
    assert steps[-1] == 3000 and s.diagnostics.latest_step == 3000
    assert np.all(np.isfinite(grads[-1]))
    s.rewind(2999)
    before = s.parameters.copy()
    s.step()  # step 3000 again, by hand: its records give the update ratio
    assert s.step_count == 3000 and np.array_equal(s.parameters, s.trainer.network.parameters)
    by_hand = step_health(s.network, s.trainer.last_step)
    assert ratios[-1] == pytest.approx([h.update_ratio for h in by_hand], rel=1e-9)
    assert not np.array_equal(before, s.parameters)
    s.set(lr=2.0)
    s.set_breakpoints([Breakpoint("loss_below", 0.1)])
    s.reset()
    s.run(100_000)  # sent back to the step where the loss went below 0.1
    assert s.diagnostics.latest_step == s.step_count
    assert s.diagnostics.series()[0][-1] == s.step_count


def test_a_breakpoint_fires_when_its_condition_becomes_true_not_while_it_stays():
    s = Studio()
    s.set(lr=2.0)
    s.set_breakpoints([Breakpoint("loss_below", 0.1)])
    s.run(100_000)
    fired_at = s.step_count
    assert s.trainer.step_losses[-1] < 0.1
    messages = []
    s.events.halted.connect(messages.append)
    assert s.run(500) == 500  # Play again: the loss stays below 0.1, nothing fires
    losses = np.array(s.trainer.step_losses[fired_at - 1 :])
    assert np.all(losses < 0.1) and messages == []


def test_breakpoints_on_measured_figures_fire_on_the_crossing():
    from bp_studio.studio.breakpoints import first_hit

    class H:  # the two fields first_hit reads of a LayerHealth
        def __init__(self, layer, grad_norm, dead):
            self.layer, self.grad_norm, self.dead_units = layer, grad_norm, dead

    points = (
        Breakpoint("grad_norm_above", 1.0),
        Breakpoint("unit_dead"),
        Breakpoint("accuracy_reaches", 0.9),
    )
    empty = np.zeros(0)
    hit, held = first_hit(points, 0, empty, empty, 0, [H(0, 2.0, [])], 0.5, 10)
    assert hit.breakpoint.kind == "grad_norm_above" and held[points[0]] is True
    hit, held = first_hit(points, 10, empty, empty, 0, [H(0, 3.0, [])], 0.5, 20, held=held)
    assert hit is None  # still above: not again
    hit, held = first_hit(points, 20, empty, empty, 0, [H(0, 0.5, [1])], 0.95, 30, held=held)
    assert {h for h in (hit.breakpoint.kind,)} <= {"unit_dead", "accuracy_reaches"}
    assert held[points[1]] == frozenset({(0, 1)}) and held[points[2]] is True
    hit, held = first_hit(points, 30, empty, empty, 0, [H(0, 0.5, [1, 2])], 0.95, 40, held=held)
    assert hit.breakpoint.kind == "unit_dead" and "unit 3 of layer 1" in hit.message
    hit, held = first_hit(points, 40, empty, empty, 0, [H(0, 2.0, [1, 2])], 0.95, 50, held=held)
    assert hit.breakpoint.kind == "grad_norm_above"  # it fell below, and rose again


def test_health_now_is_the_health_at_the_current_step():
    s = Studio()
    assert s.health_now() is None  # step 0: nothing to measure
    s.set_data(DataSpec("generator", "moons", samples=200))
    s.set(hidden=(HiddenLayer(6, "tanh"),))
    s.run(300)
    assert s.health_now() is s.diagnostics.latest  # measured where the run ended
    s.rewind(290)
    now = s.health_now()
    assert s.health_now() is now  # kept for this step and these parameters
    trainer = s.trainer
    rows = sample_rows(trainer.samples)
    s.rewind(289)
    before = s.parameters.copy()
    s.rewind(290)
    by_hand = layer_health(
        s.network, trainer.X[rows], trainer.T[rows], s.parameters - before, normalized=True
    )
    for shown, expected in zip(now, by_hand):
        assert shown.grad_norm == pytest.approx(expected.grad_norm, rel=1e-12)
        assert shown.update_ratio == pytest.approx(expected.update_ratio, rel=1e-12)
    s.edit_weight(0, 0, 0, 3.0)  # the same step, other parameters: computed again
    edited = s.health_now()
    assert edited is not now and edited[0].weight_norm != now[0].weight_norm


def test_a_run_kept_when_the_data_changes_is_labelled_with_the_data_it_trained_on():
    s = Studio()
    s.run(20)
    s.set_data(DataSpec("generator", "moons", samples=100))
    assert s.runs[-1].label.startswith("xor · 2-3-1")  # not the moons now in place
    s.run(10)
    s.set_data(DataSpec("real", "iris"))
    assert s.runs[-1].label.startswith("moons · ")
    s.undo()  # back on moons with its run: kept again under its own name
    s.set_data(DataSpec("example", "xor"))
    assert s.runs[-1].label.startswith("moons · ")
