"""The studio model, without a window: the API contract and each of its rules."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from bp_studio.data.examples import WORKED_EXAMPLE_WEIGHTS
from bp_studio.data.source import DataSpec
from bp_studio.engine import Network, TrainingDiverged
from bp_studio.io.session import load_session
from bp_studio.studio import Change, HiddenLayer, Settings, Studio, StudioError
from bp_studio.studio.document import make_trainer


def bits(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype=np.float64).tobytes()


def replay(studio: Studio, steps: int) -> list[bytes]:
    """The run of ``studio`` done again from its state at step 0 (which holds every change
    made at step 0), applying its later changes at their steps: the parameters at every step
    (index = step count; a change at step k is part of the state at step k, as the studio's
    history records it, and acts from step k + 1 on)."""
    state = studio.history.snapshot_at(0)
    network = studio.network.copy()
    network.set_parameters(state.parameters)
    trainer = make_trainer(network, studio.data, Settings())
    trainer.set_state(state.__class__(**{**state.__dict__}))
    changes = studio.changes
    out = []
    for step in range(steps + 1):
        if step > 0:
            trainer.run_steps(1)
            for change in changes:
                if change.step == step:
                    apply_change(trainer, change)
        out.append(bits(network.parameters))
    return out


def apply_change(trainer, change: Change) -> None:
    if change.name == "lr":
        trainer.lr = change.new
    elif change.name.startswith("layers."):
        layer = int(change.name.split(".")[1])
        index = [int(i) for i in change.name.split("[")[1].rstrip("]").split(",")]
        if ".weight[" in change.name:
            trainer.network.set_weight(layer, index[0], index[1], change.new)
        else:
            trainer.network.set_bias(layer, index[0], change.new)
        trainer.network_changed()
    else:
        raise AssertionError(f"the replay does not know {change.name}")


# -- the document ------------------------------------------------------------------------------


def test_the_default_document_is_what_the_window_opens_with():
    s = Studio()
    assert s.path is None and not s.dirty and s.name == "untitled"
    assert s.network.sizes == [2, 3, 1] and s.data_spec == DataSpec()
    assert s.phase is None and s.step_count == 0 and s.changes == []
    assert s.parameters.flags.writeable is False
    with pytest.raises(ValueError):
        s.parameters[0] = 1.0


def test_save_and_open_make_the_session_the_document(tmp_path):
    s = Studio()
    s.step()
    assert s.dirty
    with pytest.raises(StudioError, match="no file yet"):
        s.save()
    path = tmp_path / "run.bpsession"
    s.save(path)
    assert s.path == str(path) and not s.dirty and s.name == "run.bpsession"
    s.set(lr=0.1)
    assert s.dirty
    s.save()
    assert not s.dirty
    again = Studio.open(path)
    assert again.path == str(path) and not again.dirty
    assert again.settings.lr == 0.1 and again.step_count == 1
    assert [(c.step, c.name, c.old, c.new) for c in again.changes] == [(1, "lr", 0.5, 0.1)]
    assert np.array_equal(again.parameters, s.parameters)


def test_a_network_file_opens_as_a_new_untitled_session(tmp_path):
    network = Network.create([2, 5, 1], ["tanh", "sigmoid"], seed=4)
    path = tmp_path / "net.json"
    network.save(path)
    s = Studio.open(path)
    assert s.path is None and not s.dirty
    assert s.settings.hidden == (HiddenLayer(5, "tanh", True),)
    assert np.array_equal(s.parameters, network.parameters)
    assert s.data_spec.name == "xor"  # the first example that fits 2 inputs, 1 output


def test_a_bad_file_leaves_the_document_as_it_was(tmp_path):
    s = Studio()
    s.step()
    before = s.parameters.copy()
    bad = tmp_path / "bad.bpsession"
    bad.write_text('{"format": "bp-studio.session", "version": 99}')
    with pytest.raises(StudioError, match="bad.bpsession"):
        s.load(bad)
    assert s.step_count == 1 and np.array_equal(s.parameters, before)


# -- settings -------------------------------------------------------------------------------------


def test_set_checks_every_field_and_changes_nothing_on_a_bad_one():
    s = Studio()
    for changes, message in (
        ({"lr": "abc"}, "settings.lr: expected a number"),
        ({"lr": 0}, "settings.lr: expected a positive"),
        ({"batch_size": 0}, "settings.batch_size: expected 1"),
        ({"optimizer": "rmsprop"}, "settings.optimizer: expected one of sgd"),
        ({"seed": 2**40}, "settings.seed: expected 0 to"),
        ({"hidden": [{"units": 100_000}]}, r"settings.hidden\[1\].units: expected 1 to 512"),
        ({"speed": 3}, "settings.speed: not a setting"),
        ({"output_activation": "softmax"}, "the mse loss allows"),
    ):
        with pytest.raises(StudioError, match=message):
            s.set(lr=0.3, **changes) if "lr" not in changes else s.set(**changes)
        assert s.settings == Settings() and s.changes == [] and not s.dirty


def test_a_training_setting_applies_at_the_step_boundary_and_is_recorded():
    s = Studio()
    s.run(3)
    s.next_layer()
    s.next_layer()  # mid-step: forward done
    s.set(lr=0.1, batch_size=2)
    assert s.phase == "forward" and s.pieces == 2  # the step was redone up to where it was
    assert s.trainer.lr == 0.1 and s.trainer.batch_size == 2
    assert len(s.trainer.progress.batch) == 2  # the redone step uses the new batches
    assert [(c.step, c.name) for c in s.changes] == [(3, "lr"), (3, "batch_size")]
    s.step()
    assert s.history.keyframe_steps[-1] == 3


def test_architecture_settings_build_a_new_network_and_undo_brings_the_old_one():
    s = Studio()
    s.run(10)
    trained = s.parameters.copy()
    s.set(hidden=(HiddenLayer(4, "tanh"), HiddenLayer(2, "relu")))
    assert s.network.sizes == [2, 4, 2, 1] and s.step_count == 0
    assert s.changes[0].name == "hidden"
    assert s.undo()
    assert s.network.sizes == [2, 3, 1] and s.step_count == 10
    assert np.array_equal(s.parameters, trained)
    assert s.redo()
    assert s.network.sizes == [2, 4, 2, 1]


def test_choosing_data_fits_the_loss_and_the_network():
    s = Studio()
    notices = []
    s.events.notice.connect(notices.append)
    s.set_data(DataSpec("generator", "gaussian", samples=60, classes=3))
    assert s.settings.loss == "cross_entropy" and s.network.outputs == 3
    assert notices and "cross_entropy" in notices[-1]
    s.set_data(DataSpec("generator", "sine", samples=40))
    assert s.settings.output_activation == "linear" and s.network.outputs == 1
    with pytest.raises(StudioError, match="samples are too few"):
        s.set_data(DataSpec("generator", "gaussian", samples=4, classes=5))
    assert s.data_spec.name == "sine"


# -- threads: changes while run() works -----------------------------------------------------------


def test_lr_changed_from_another_thread_while_running_rewinds_exactly():
    """The bug of the old window: a rate set mid-run took effect mid-chunk but was recorded at
    the chunk's end, so rewinding gave other weights. Every step must replay exactly."""
    s = Studio()
    s.set(batch_size=2, shuffle=True)
    worker = threading.Thread(target=s.run)
    worker.start()
    try:
        for index, lr in enumerate((0.9, 0.2, 1.3, 0.05, 0.7)):
            time.sleep(0.004 * (index % 3))
            s.set(lr=lr)
            if index == 2:
                s.edit_weight(0, 1, 0, 0.25)
        deadline = time.perf_counter() + 10
        while len(s.changes) < 8 and time.perf_counter() < deadline:
            time.sleep(0.001)
    finally:
        s.stop()
        worker.join()
    changes = s.changes
    assert [c.name for c in changes][-6:] == ["lr", "lr", "lr", "layers.0.weight[1,0]", "lr", "lr"]
    steps = s.step_count
    assert steps > changes[-1].step
    expected = replay(s, steps)
    assert bits(s.parameters) == expected[steps]
    # every step, scrubbing forward from the start
    s.rewind(0)
    for step in range(1, steps + 1):
        s.rewind(step)
        assert bits(s.parameters) == expected[step], f"step {step}"
    # and backwards, around every change and at a spread of steps
    checks = {max(0, c.step + d) for c in changes for d in (-1, 0, 1)}
    checks |= set(range(steps, -1, -max(1, steps // 50)))
    for step in sorted(checks, reverse=True):
        s.rewind(step)
        assert bits(s.parameters) == expected[step], f"step {step}"


def test_stop_from_another_thread_returns_run():
    s = Studio()
    result = []
    worker = threading.Thread(target=lambda: result.append(s.run()))
    worker.start()
    while s.step_count < 20:
        time.sleep(0.001)
    s.stop()
    worker.join(timeout=10)
    assert not worker.is_alive() and not s.running
    assert result == [s.step_count]


def test_commands_other_than_settings_stop_a_run_first():
    s = Studio()
    worker = threading.Thread(target=s.run)
    worker.start()
    while s.step_count < 20:
        time.sleep(0.001)
    s.reset()  # stops the run, then resets
    worker.join(timeout=10)
    assert not worker.is_alive() and s.step_count == 0
    assert s.undo() and s.step_count >= 20


def test_save_while_running_writes_a_step_boundary(tmp_path):
    s = Studio()
    worker = threading.Thread(target=s.run)
    worker.start()
    try:
        while s.step_count < 50:
            time.sleep(0.001)
        path = tmp_path / "live.bpsession"
        s.save(path)
        assert s.running
    finally:
        s.stop()
        worker.join()
    saved = Studio.open(path)
    step = saved.step_count
    assert step >= 50
    s.rewind(step)
    assert np.array_equal(saved.parameters, s.parameters)


def test_a_diverging_run_says_so_and_keeps_finite_weights():
    s = Studio()
    s.set(hidden=(HiddenLayer(3, "relu"),), output_activation="linear", lr=100.0)
    messages = []
    s.events.diverged.connect(messages.append)
    with pytest.raises(TrainingDiverged):
        s.run(10_000)
    assert messages and "Lower the learning rate" in messages[0]
    assert np.all(np.isfinite(s.parameters))
    assert f"those of step {s.step_count:,}" in messages[0]


# -- edits, reset, undo -----------------------------------------------------------------------


def test_edits_are_recorded_undoable_and_checked():
    s = Studio()
    s.run(2)
    old = float(s.network.layers[0].weight[1, 0])
    old_bias = float(s.network.layers[1].bias[0])
    s.edit_weight(0, 1, 0, 0.75)
    s.edit_bias(1, 0, -0.5)
    assert s.network.layers[0].weight[1, 0] == 0.75 and s.network.layers[1].bias[0] == -0.5
    assert [(c.step, c.name, c.old, c.new) for c in s.changes] == [
        (2, "layers.0.weight[1,0]", old, 0.75),
        (2, "layers.1.bias[0]", old_bias, -0.5),
    ]
    assert s.undo_text.startswith("edit layers.1.bias")
    s.undo()
    s.undo()
    assert s.network.layers[0].weight[1, 0] == old and s.changes == []
    s.redo()
    assert s.network.layers[0].weight[1, 0] == 0.75
    for args, message in (
        ((5, 0, 0, 1.0), "was not changed"),
        ((0, 0, 0, float("nan")), "not a finite number"),
        ((0, 0, 0, "x"), "was not changed"),
    ):
        with pytest.raises(StudioError, match=message):
            s.edit_weight(*args)


def test_reset_is_undoable_with_its_training_and_history():
    s = Studio()
    s.run(87)
    trained = s.parameters.copy()
    losses = list(s.trainer.step_losses)
    s.reset()
    assert s.step_count == 0 and not np.array_equal(s.parameters, trained)
    s.undo()
    assert s.step_count == 87 and np.array_equal(s.parameters, trained)
    assert list(s.trainer.step_losses) == losses and s.history.last_step == 87
    s.rewind(40)  # the history came back too
    assert s.step_count == 40


def test_the_worked_examples_weights_come_back_with_undo():
    s = Studio()
    s.use_example("worked_example")
    assert s.network.layers[0].weight.tolist() == [list(r) for r in WORKED_EXAMPLE_WEIGHTS[0]]
    s.reset()
    assert s.network.layers[0].weight.tolist() != [list(r) for r in WORKED_EXAMPLE_WEIGHTS[0]]
    s.undo()
    assert s.network.layers[0].weight.tolist() == [list(r) for r in WORKED_EXAMPLE_WEIGHTS[0]]


def test_a_change_in_the_past_drops_the_recorded_future():
    s = Studio()
    s.run(10)
    s.set(lr=0.2)
    s.run(10)
    s.rewind(5)
    assert s.later_steps == 15
    s.set(lr=0.9)
    assert s.later_steps == 0 and s.history.last_step == 5
    assert [(c.step, c.new) for c in s.changes] == [(5, 0.9)]


def test_back_goes_back_through_pieces_and_steps():
    s = Studio()
    s.run(2)
    two = s.parameters.copy()
    s.next_phase()
    assert s.back() and s.phase == "forward" and s.pieces == 1
    assert s.back() and s.phase is None
    assert s.back() and s.step_count == 1 and s.phase == "backward"
    s.next_phase()
    assert np.array_equal(s.parameters, two)


# -- sessions ---------------------------------------------------------------------------------


def test_a_session_saved_mid_step_reopens_in_the_same_phase(tmp_path):
    s = Studio()
    s.set(batch_size=3, shuffle=True, optimizer="adam", lr=0.05)
    s.run(5)
    s.next_phase()
    s.next_phase()
    assert s.phase == "error"
    path = tmp_path / "mid.bpsession"
    s.save(path)
    again = Studio.open(path)
    assert again.phase == "error" and again.pieces == s.pieces
    assert bits(again.moment().error.error) == bits(s.moment().error.error)
    s.run(20)
    again.run(20)
    assert bits(again.parameters) == bits(s.parameters)


def test_a_version_1_session_still_opens(tmp_path):
    s = Studio()
    s.set(lr=0.3)
    s.run(4)
    path = tmp_path / "new.bpsession"
    s.save(path)
    data = json.loads(path.read_text())
    data["version"] = 1
    settings = data["settings"]
    data["settings"] = {
        "window": settings["training"],
        "data_spec": settings["data_spec"],
        "precision": 5,
    }
    for key in ("progress", "changes", "evaluations"):
        del data[key]
    old = tmp_path / "old.bpsession"
    old.write_text(json.dumps(data))
    again = Studio.open(old)
    assert again.step_count == 4 and again.settings.lr == 0.3 and again.precision == 5
    assert np.array_equal(again.parameters, s.parameters)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (("settings", "training", "lr"), "abc", "settings.training.lr: expected a number"),
        (("settings", "training", "seed"), 10**30, "settings.training.seed: expected 0 to"),
        (
            ("settings", "training", "hidden", 0, "units"),
            10**9,
            r"settings.training.hidden\[1\].units: expected 1 to 512",
        ),
        (("settings", "training", "optimizer"), ["sgd"], "settings.training.optimizer"),
        (("settings", "data_spec", "test_ratio"), "x", "data.test_ratio: expected a number"),
        (("settings", "data_spec", "name"), ["xor"], "data.name: expected text"),
        (("settings", "data_spec", "samples"), 1e300, "data.samples: expected a whole number"),
        (("progress", "pieces"), 99, "progress.pieces: expected 0 to 5"),
        (("changes",), [{"step": -1, "name": "lr"}], r"changes\[0\].step"),
        (("evaluations",), [[1, "x", None, None, None]], r"evaluations\[0\]\[1\]"),
    ],
)
def test_a_session_with_wrong_setting_types_is_refused_naming_the_field(
    tmp_path, field, value, message
):
    s = Studio()
    s.run(2)
    path = tmp_path / "s.bpsession"
    s.save(path)
    data = json.loads(path.read_text())
    target = data
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    path.write_text(json.dumps(data))
    current = Studio()
    with pytest.raises(StudioError, match=message):
        current.load(path)
    assert current.step_count == 0 and current.path is None


def test_the_session_file_holds_the_studio_fields(tmp_path):
    s = Studio()
    s.set(lr=0.25)
    s.run(3)
    s.next_layer()
    path = tmp_path / "s.bpsession"
    s.save(path)
    session = load_session(path)
    assert session.extra["progress"] == {"pieces": 1}
    assert session.extra["changes"] == [{"step": 0, "name": "lr", "old": 0.5, "new": 0.25}]
    stored = [e[0] for e in session.extra["evaluations"]]
    assert stored == s.evaluations.steps and stored[0] == 0 and stored[-1] == 3
    assert session.settings["training"]["lr"] == 0.25


# -- events -----------------------------------------------------------------------------------


def test_events_announce_each_change():
    s = Studio()
    seen = []
    s.events.connect(lambda info: seen.append(info.signal.name))
    s.next_phase()
    assert "stepped" in seen
    seen.clear()
    s.set(lr=0.2)
    assert {"settings_changed", "changed", "stepped"} <= set(seen)
    seen.clear()
    s.set(hidden=(HiddenLayer(2),))
    assert {"settings_changed", "network_changed", "undo_changed"} <= set(seen)
    seen.clear()
    s.select(None)
    assert seen == ["view_changed"]


def test_undo_memory_is_bounded_and_the_oldest_entries_go_first(monkeypatch):
    from bp_studio.studio import undo as studio_module

    s = Studio()
    s.run(500)
    one_run = s.history.nbytes + s.trainer.get_state().nbytes
    monkeypatch.setattr(studio_module, "UNDO_BYTES", int(2.5 * one_run))
    for _ in range(5):  # each reset keeps the whole run it replaced
        s.run(500)
        s.reset()
    labels = [e.label for e in s._undo.undo_entries]
    assert 1 <= len(labels) <= 3  # only what fits in the budget
    assert s.undo() and s.step_count == 500  # the newest is kept


def test_a_0_1_target_column_is_a_classification_by_default(tmp_path):
    from bp_studio.data.table_import import read_dataset

    s = Studio()
    s.set_data(DataSpec("generator", "sine", samples=40))
    assert s.settings.output_activation == "linear"  # regression
    path = tmp_path / "pass.csv"
    path.write_text("hours;score;passed\n1,5;40;0\n2;55;0\n3,5;70;1\n4;80;1\n")  # ; and ,
    s.use_rows(read_dataset(str(path)))
    assert s.data.raw.classes == ("0", "1")
    assert s.settings.output_activation == "sigmoid" and s.network.outputs == 1
    assert s.data.raw.X[0].tolist() == [1.5, 40.0]
    assert s.evaluation.train_accuracy is not None  # accuracy is shown
