"""Rewinding: snapshots, thinning within a memory budget, replay, keyframes and truncation."""

from __future__ import annotations

import numpy as np
import pytest

from bp_studio.engine import Network, Trainer
from bp_studio.engine.history import (
    SNAPSHOT_OVERHEAD,
    TrainingHistory,
    rewind,
)

OPTIMIZERS = ["sgd", "momentum", "adam"]


def make(
    optimizer: str = "adam",
    batch_size: int | None = 3,
    shuffle: bool = True,
    sizes: tuple[int, ...] = (3, 6, 2),
    samples: int = 11,
) -> Trainer:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(samples, sizes[0]))
    T = rng.uniform(size=(samples, sizes[-1]))
    net = Network.create(list(sizes), ["tanh"] * (len(sizes) - 2) + ["sigmoid"], seed=2)
    return Trainer(net, X, T, lr=0.05, batch_size=batch_size, shuffle=shuffle, optimizer=optimizer)


def fingerprint(trainer: Trainer) -> tuple:
    """Everything that decides the future, as bytes."""
    state = trainer.get_state()
    vectors = [np.asarray(v).tobytes() for _, v in sorted(state.optimizer_state.items())]
    return (
        state.parameters.tobytes(),
        tuple(vectors),
        repr(state.rng_state),
        None if state.order is None else state.order.tobytes(),
        state.batch_index,
        state.epoch_loss_sum,
        state.epoch_samples,
        state.step_count,
        state.epoch,
        state.step_losses.tobytes(),
        state.epoch_losses.tobytes(),
        state.epoch_end_steps.tobytes(),
        state.lr,
        state.batch_size,
        state.shuffle,
    )


def one_snapshot(factory) -> int:
    """The bytes of one snapshot (with its order and rng state) of a trainer from ``factory``."""
    trainer = factory()
    trainer.run_steps(1)
    history = TrainingHistory()
    history.record(trainer)
    assert history.nbytes >= trainer.network.parameters.nbytes + SNAPSHOT_OVERHEAD
    return history.nbytes


def reference_run(factory, steps: int, changes=None) -> list[tuple]:
    """The fingerprint after every step 0..steps of an uninterrupted run."""
    trainer = factory()
    changes = changes or {}
    prints = []
    for step in range(steps + 1):
        if step in changes:
            changes[step](trainer)
        prints.append(fingerprint(trainer))
        trainer.run_steps(1)
    return prints


def recorded_run(factory, steps: int, history: TrainingHistory, changes=None) -> Trainer:
    trainer = factory()
    changes = changes or {}
    for step in range(steps + 1):
        if step in changes:
            changes[step](trainer)
        history.record(trainer)
        if step < steps:
            trainer.run_steps(1)
    return trainer


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize(
    ("batch_size", "shuffle"), [(3, True), (None, True), (1, False), (4, True)]
)
def test_rewind_and_replay_is_bit_identical(
    optimizer: str, batch_size: int | None, shuffle: bool
) -> None:
    def factory() -> Trainer:
        return make(optimizer, batch_size, shuffle)

    steps = 120
    expected = reference_run(factory, steps)
    # A small budget so that the older snapshots are thinned.
    budget = 40 * one_snapshot(factory)
    history = TrainingHistory(max_bytes=budget)
    trainer = recorded_run(factory, steps, history)
    assert len(history) < steps  # thinned
    assert history.nbytes <= budget
    rng = np.random.default_rng(0)
    for target in [0, 1, 119, 57, 120, 3, 64, 64, 100, 2, 120] + rng.integers(0, 121, 25).tolist():
        rewind(trainer, history, target)
        assert fingerprint(trainer) == expected[target], target
    # Going on from a rewound moment is the same as never having rewound.
    rewind(trainer, history, 33)
    trainer.run_steps(steps - 33)
    assert fingerprint(trainer) == expected[steps]


def test_rewind_of_a_half_done_step_discards_it() -> None:
    expected = reference_run(make, 20)
    history = TrainingHistory()
    trainer = recorded_run(make, 20, history)
    trainer.next_phase()
    rewind(trainer, history, 20)
    assert trainer.progress is None
    assert fingerprint(trainer) == expected[20]


def test_snapshot_at_returns_the_latest_at_or_before() -> None:
    history = TrainingHistory(max_bytes=10**9)
    trainer = recorded_run(make, 30, history)
    assert history.steps == list(range(31))
    state = history.snapshot_at(17)
    assert state.step_count == 17 and not state.has_losses
    history.truncate(after_step=10)
    assert history.snapshot_at(17).step_count == 10
    with pytest.raises(LookupError):
        TrainingHistory().snapshot_at(3)
    fresh = make()
    fresh.run_steps(10)
    fresh.set_state(history.snapshot_at(5))
    assert fresh.step_count == 5
    assert trainer.step_count == 30


@pytest.mark.parametrize(
    ("sizes", "optimizer", "steps"),
    [((2, 8, 8, 1), "adam", 3000), ((64, 32, 10), "adam", 600), ((2, 3, 1), "sgd", 3000)],
)
def test_memory_stays_within_a_small_budget(sizes, optimizer: str, steps: int) -> None:
    budget = 1024 * 1024
    trainer = make(optimizer, 4, True, sizes=sizes, samples=50)
    history = TrainingHistory(max_bytes=budget)
    history.record(trainer)
    for _ in range(steps):
        trainer.run_steps(1)
        history.record(trainer)
        assert history.nbytes <= budget
    steps_kept = history.steps
    assert steps_kept[0] == 0  # the start stays reachable
    assert steps_kept[-1] == steps
    # Recent steps are dense, older ones sparser.
    assert steps_kept[-5:] == list(range(steps - 4, steps + 1))
    gaps = np.diff(steps_kept)
    assert gaps[: len(gaps) // 4].mean() > gaps[-len(gaps) // 4 :].mean()
    # Rewinding into a thinned stretch is still exact.
    target = (steps_kept[1] + steps_kept[2]) // 2 + 1
    reference = make(optimizer, 4, True, sizes=sizes, samples=50)
    reference.run_steps(target)
    rewind(trainer, history, target)
    assert fingerprint(trainer) == fingerprint(reference)


def test_budget_smaller_than_one_snapshot_keeps_nothing() -> None:
    trainer = make()
    history = TrainingHistory(max_bytes=100)
    history.record(trainer)
    trainer.run_steps(1)
    history.record(trainer)
    assert len(history) == 0 and history.nbytes == 0
    with pytest.raises(LookupError):
        rewind(trainer, history, 0)


def test_changes_between_steps_become_keyframes() -> None:
    """A new learning rate, batch size, optimiser or edited weight is replayed exactly."""
    changes = {
        30: lambda t: setattr(t, "lr", 0.2),
        45: lambda t: t.network.set_weight(0, 1, 2, 0.75),
        60: lambda t: setattr(t, "batch_size", 2),
        75: lambda t: t.set_optimizer("momentum"),
        90: lambda t: setattr(t, "shuffle", False),
    }
    steps = 150
    expected = reference_run(make, steps, changes)
    history = TrainingHistory(max_bytes=20 * one_snapshot(make))
    trainer = recorded_run(make, steps, history, changes)
    assert set(changes) <= set(history.keyframe_steps)
    assert history.nbytes <= history.max_bytes
    for target in [31, 29, 30, 44, 46, 59, 61, 74, 76, 89, 91, 149, 0, 150]:
        rewind(trainer, history, target)
        assert fingerprint(trainer) == expected[target], target


def test_a_change_recorded_only_after_the_next_step_is_still_exact() -> None:
    """The trainer and network revisions reveal a change the caller did not record."""
    steps = 40
    changes = {20: lambda t: setattr(t, "lr", 0.3)}
    expected = reference_run(make, steps, changes)
    history = TrainingHistory(max_bytes=10 * 1024)
    trainer = make()
    for step in range(steps + 1):
        if step in changes:
            changes[step](trainer)
        else:
            history.record(trainer)
        if step < steps:
            trainer.run_steps(1)
    assert 21 in history.keyframe_steps
    for target in [19, 21, 30, 40]:
        rewind(trainer, history, target)
        assert fingerprint(trainer) == expected[target]


def test_truncate_when_editing_at_an_earlier_moment() -> None:
    history = TrainingHistory()
    trainer = recorded_run(make, 60, history)
    rewind(trainer, history, 25)
    trainer.network.set_weight(1, 0, 0, -0.5)
    history.truncate(after_step=25)
    assert history.last_step == 25
    with pytest.raises(ValueError, match="outside the history"):
        rewind(trainer, history, 40)
    history.record(trainer)
    for _ in range(30):
        trainer.run_steps(1)
        history.record(trainer)
    # The new timeline: the same edit at step 25, without any rewinding.
    expected = reference_run(make, 55, {25: lambda t: t.network.set_weight(1, 0, 0, -0.5)})
    for target in [40, 26, 25, 10, 55]:
        rewind(trainer, history, target)
        assert fingerprint(trainer) == expected[target]


def test_recording_at_an_earlier_step_replaces_the_future() -> None:
    history = TrainingHistory()
    trainer = recorded_run(make, 30, history)
    rewind(trainer, history, 10)
    trainer.lr = 0.4  # a change at step 10, recorded: the old future is gone
    history.record(trainer)
    assert history.last_step == 10
    assert history.keyframe_steps[-1] == 10


def test_going_on_unchanged_after_a_rewind_keeps_the_future() -> None:
    expected = reference_run(make, 50)
    history = TrainingHistory()
    trainer = recorded_run(make, 50, history)
    rewind(trainer, history, 20)
    for _ in range(5):
        trainer.run_steps(1)
        history.record(trainer)  # the same states as recorded: nothing is dropped
    assert history.last_step == 50
    rewind(trainer, history, 50)
    assert fingerprint(trainer) == expected[50]


def test_forward_rewind_needs_no_replay_of_kept_losses() -> None:
    expected = reference_run(make, 80)
    history = TrainingHistory()
    trainer = recorded_run(make, 80, history)
    rewind(trainer, history, 5)
    assert len(trainer.step_losses) == 5
    assert history.future_nbytes == 75 * 8
    rewind(trainer, history, 70)
    assert fingerprint(trainer) == expected[70]
    rewind(trainer, history, 80)
    assert fingerprint(trainer) == expected[80]
    assert history.future_nbytes == 0


def test_forward_rewind_without_kept_losses_replays_through_keyframes() -> None:
    changes = {12: lambda t: setattr(t, "lr", 0.01)}
    expected = reference_run(make, 40, changes)
    history = TrainingHistory()
    trainer = recorded_run(make, 40, history, changes)
    fresh = make()  # at step 0, with no kept losses
    history.attach(fresh)
    rewind(fresh, history, 40)
    assert fingerprint(fresh) == expected[40]
    assert trainer.step_count == 40


def test_new_data_starts_a_new_history() -> None:
    history = TrainingHistory()
    trainer = recorded_run(make, 10, history)
    trainer.set_data(trainer.X[:6], trainer.T[:6])
    with pytest.raises(ValueError, match="training data changed"):
        rewind(trainer, history, 5)
    history.record(trainer)
    assert history.steps == [10]


def test_thinned_copy_and_from_states() -> None:
    history = TrainingHistory()
    trainer = recorded_run(make, 100, history)
    small = history.thinned(history.nbytes // 4)
    assert small.nbytes <= history.nbytes // 4 and len(small) < len(history)
    assert small.max_bytes == history.max_bytes
    rebuilt = TrainingHistory.from_states(small.snapshots())
    assert rebuilt.steps == small.steps
    assert rebuilt.nbytes == small.nbytes
    with pytest.raises(ValueError, match="steps must increase"):
        TrainingHistory.from_states(list(reversed(small.snapshots())))
    expected = reference_run(make, 100)
    fresh = make()
    fresh.set_state(trainer.get_state())
    rebuilt.attach(fresh)
    for target in [3, 77, 100]:
        rewind(fresh, rebuilt, target)
        assert fingerprint(fresh) == expected[target]


def test_bad_budget() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        TrainingHistory(max_bytes=-1)
