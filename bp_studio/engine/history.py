"""Rewinding training: snapshots after every step, thinned to a memory budget, and replay.

``TrainingHistory.record(trainer)`` is called after every step (and once at step 0, and after
any change made between steps: edited weights, a new learning rate, batch size, optimiser or
regularisation). It keeps a snapshot of the trainer: one copy of the parameter vector and the
optimiser's vectors (a single float64 array ``(P * (1 + k),)``, ``k`` = 0 for sgd, 1 for
momentum, 2 for adam), the optimiser's step count, the batch schedule (rng state, the epoch's
permutation, batch index, epoch loss sums; shared between snapshots while unchanged) and the
settings. No phase records are kept, and the loss arrays stay in the trainer.

``rewind(trainer, history, step)`` restores the latest snapshot at or before ``step`` and
replays the remaining steps with ``Trainer.run_steps``. The fast path and the step-by-step
path compute the same bits, so the trainer ends exactly where it was at ``step``: same
parameters, optimiser state, schedule, counters and losses.

Memory: the snapshots' bytes (``nbytes``: array data plus an estimate of the Python objects
around them) never exceed ``max_bytes`` (default 256 MB). When a new snapshot would exceed
it, the older snapshots are thinned (down to ``LOW_WATER`` of the budget, so thinning is
rare): recent steps stay dense and the spacing doubles towards the past, on nested
power-of-two grids (every 2nd, then every 4th, ... step; step 0 is on every grid), so the
count grows only with the logarithm of the number of steps. Rewinding to a thinned step
replays from the snapshot before it. Snapshots taken right after a change ("keyframes":
replay from an earlier snapshot would not cross the change) are never thinned; if the budget
cannot hold them, the oldest snapshots go and the history then starts later. A network whose
single snapshot is larger than the budget keeps no history.

Changing the training data (``Trainer.set_data``) empties the history at the next ``record``:
the recorded past cannot be replayed on other data.
"""

from __future__ import annotations

import bisect
import copy
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bp_studio.engine.trainer import Trainer
from bp_studio.engine.trainer_state import OPTIMIZER_VECTORS, TrainerState, rng_state

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
"""The default memory budget of a history."""

SNAPSHOT_OVERHEAD = 400
"""Bytes of Python objects per snapshot besides its vector's data (measured with tracemalloc:
the snapshot object, the ndarray header, the schedule tuple and its numbers, the list slot)."""

RNG_STATE_BYTES = 720
"""Bytes of one stored rng state (a small dict of big ints; measured with tracemalloc)."""

LOW_WATER = 0.75
"""Thinning goes down to this fraction of ``max_bytes``, so that it is rare (amortised)."""

ARRAY_OVERHEAD = 112
"""Bytes of an ndarray object besides its data (a stored epoch permutation)."""


class _Snapshot:
    """One recorded moment, compact; ``TrainingHistory.state`` turns it into a TrainerState."""

    __slots__ = ("step", "vector", "schedule", "settings", "keyframe")

    def __init__(
        self,
        step: int,
        vector: np.ndarray,
        schedule: tuple,
        settings: tuple,
        keyframe: bool = False,
    ) -> None:
        self.step = step
        self.vector = vector
        """float64: parameters, then the optimiser's vectors in ``OPTIMIZER_VECTORS`` order."""
        self.schedule = schedule
        """``(t, batch_index, epoch, epoch_loss_sum, epoch_samples, order, rng_state)``."""
        self.settings = settings
        """``(optimizer, lr, batch_size, shuffle, regularization, rate, seed, vector names)``."""
        self.keyframe = keyframe

    def same_as(self, other: _Snapshot) -> bool:
        """Bit for bit the same state (the same point of the same timeline)."""
        if self.step != other.step or self.settings != other.settings:
            return False
        if self.vector.shape != other.vector.shape or not np.array_equal(
            self.vector.view(np.uint64), other.vector.view(np.uint64)
        ):
            return False
        *mine, order, rng = self.schedule
        *theirs, other_order, other_rng = other.schedule
        if mine != theirs or rng != other_rng:
            return False
        if order is None or other_order is None:
            return order is other_order
        return order is other_order or np.array_equal(order, other_order)


@dataclass
class _Future:
    """Losses of the recorded steps after ``start``, moved out of the trainer by a rewind."""

    start: int
    step_losses: array = field(default_factory=lambda: array("d"))
    epochs: list[tuple[int, float]] = field(default_factory=list)
    """``(end step, mean loss)`` of each epoch that ends after ``start``."""

    @property
    def end(self) -> int:
        return self.start + len(self.step_losses)

    def advance(self, step: int) -> None:
        """Forget the losses up to ``step`` (they are in the trainer again)."""
        count = step - self.start
        del self.step_losses[:count]
        self.epochs = [(end, loss) for end, loss in self.epochs if end > step]
        self.start = step


class TrainingHistory:
    """Snapshots of a trainer after every step, within ``max_bytes``; see the module docstring.

    ``record(trainer)`` after every step; ``snapshot_at(step)`` for the latest snapshot at or
    before ``step`` (a ``TrainerState`` without loss arrays); ``rewind(trainer, history,
    step)`` to go back (or forward again); ``truncate(after_step)`` when the user changes
    something at an earlier moment, so the recorded future is gone.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"max_bytes must be a whole number of bytes, got {max_bytes!r}")
        self.max_bytes = max_bytes
        self._snapshots: list[_Snapshot] = []
        self._steps: list[int] = []
        self._shared: dict[int, list[Any]] = {}
        """``id -> [object, references, bytes]`` for orders and rng states."""
        self._nbytes = 0
        self._future: _Future | None = None
        self._revisions: tuple[int, int] | None = None
        """``(trainer.revision, network.revision)`` at the last record or rewind."""
        self._data_revision: int | None = None
        self._density: float | None = None
        """The thinning density (see ``_enforce_budget``); ``None`` until the first thinning."""

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._snapshots)

    @property
    def steps(self) -> list[int]:
        """The steps that have a snapshot, oldest first."""
        return list(self._steps)

    @property
    def keyframe_steps(self) -> list[int]:
        """The steps whose snapshot follows a change (never thinned)."""
        return [s.step for s in self._snapshots if s.keyframe]

    @property
    def first_step(self) -> int:
        """The earliest step that can be reached (``LookupError`` if the history is empty)."""
        if not self._snapshots:
            raise LookupError("the history is empty")
        return self._steps[0]

    @property
    def last_step(self) -> int:
        """The latest recorded step (``LookupError`` if the history is empty)."""
        if not self._snapshots:
            raise LookupError("the history is empty")
        return self._steps[-1]

    @property
    def nbytes(self) -> int:
        """Bytes used by the snapshots (what ``max_bytes`` bounds): vectors, orders, rng states
        and an estimate of the Python objects around them."""
        return self._nbytes

    @property
    def future_nbytes(self) -> int:
        """Bytes of the losses a rewind moved out of the trainer (kept so that going forward
        again needs no replay). Not part of the budget: the trainer held them before."""
        future = self._future
        return 0 if future is None else future.step_losses.itemsize * len(future.step_losses)

    def snapshot_at(self, step: int) -> TrainerState:
        """The latest snapshot at or before ``step`` (``LookupError`` if there is none)."""
        index = bisect.bisect_right(self._steps, int(step)) - 1
        if index < 0:
            if not self._snapshots:
                raise LookupError("the history is empty")
            raise LookupError(f"the history starts at step {self._steps[0]}, after step {step}")
        return self.state(self._snapshots[index])

    def snapshots(self) -> list[TrainerState]:
        """Every snapshot as a ``TrainerState``, oldest first (copies)."""
        return [self.state(s) for s in self._snapshots]

    def state(self, snapshot: _Snapshot) -> TrainerState:
        """``snapshot`` as a ``TrainerState`` without loss arrays (copies)."""
        optimizer, lr, batch_size, shuffle, kind, rate, seed, names = snapshot.settings
        t, batch_index, epoch, loss_sum, samples, order, rng = snapshot.schedule
        size = snapshot.vector.size // (1 + len(names))
        optimizer_state: dict[str, Any] = {"t": t}
        for i, name in enumerate(names, start=1):
            optimizer_state[name] = snapshot.vector[i * size : (i + 1) * size].copy()
        return TrainerState(
            parameters=snapshot.vector[:size].copy(),
            optimizer=optimizer,
            lr=lr,
            optimizer_state=optimizer_state,
            batch_size=batch_size,
            shuffle=shuffle,
            regularization=kind,
            regularization_rate=rate,
            rng_state=copy.deepcopy(rng),
            order=None if order is None else order.copy(),
            batch_index=batch_index,
            epoch_loss_sum=loss_sum,
            epoch_samples=samples,
            step_count=snapshot.step,
            epoch=epoch,
            seed=seed,
        )

    # -- recording ---------------------------------------------------------------------------

    def record(self, trainer: Trainer) -> None:
        """Snapshot ``trainer`` (after a step, at step 0, or after a change between steps).

        At a step already recorded, the new snapshot replaces the later history unless it is
        bit for bit the one recorded (then nothing changes and the recorded future stays):
        the trainer was changed at an earlier moment, so the future it had is gone. New data
        (``set_data``) or another network size starts the history afresh.
        """
        revisions = (trainer.revision, trainer.network.revision)
        changed = self._revisions is not None and revisions != self._revisions
        if self._data_revision is not None and trainer.data_revision != self._data_revision:
            self.clear()
            changed = False
        elif self._snapshots and (
            _parameter_count(self._snapshots[-1]) != trainer.network.parameters.size
        ):
            self.clear()
            changed = False
        self._revisions = revisions
        self._data_revision = trainer.data_revision
        last = self._snapshots[-1] if self._snapshots else None
        snapshot = self._capture(trainer, last)
        step = snapshot.step
        if last is not None and step <= last.step:
            index = bisect.bisect_left(self._steps, step)
            existing = self._snapshots[index] if self._steps[index] == step else None
            if existing is not None and existing.same_as(snapshot):
                if self._future is not None and self._future.start <= step <= self._future.end:
                    self._future.advance(step)
                return
            self.truncate(step - 1)
            changed = True
            last = self._snapshots[-1] if self._snapshots else None
        else:
            self._future = None
        if last is not None:
            snapshot.keyframe = changed or snapshot.settings is not last.settings
        self._append(snapshot)
        self._enforce_budget()

    def truncate(self, after_step: int) -> None:
        """Drop every snapshot after ``after_step`` (and the losses kept for going forward)."""
        index = bisect.bisect_right(self._steps, int(after_step))
        for snapshot in self._snapshots[index:]:
            self._release(snapshot)
        del self._snapshots[index:]
        del self._steps[index:]
        future = self._future
        if future is not None and future.start >= after_step:
            self._future = None
        elif future is not None and future.end > after_step:
            del future.step_losses[after_step - future.start :]
            future.epochs = [(end, loss) for end, loss in future.epochs if end <= after_step]

    def clear(self) -> None:
        """Drop everything."""
        self._snapshots.clear()
        self._steps.clear()
        self._shared.clear()
        self._nbytes = 0
        self._future = None
        self._revisions = None
        self._data_revision = None
        self._density = None

    def attach(self, trainer: Trainer) -> None:
        """Declare that ``trainer`` is at a point of this history as it is now (after loading
        a session, or after restoring a state from it yourself), so the next ``record`` sees
        no change and no new data."""
        self._revisions = (trainer.revision, trainer.network.revision)
        self._data_revision = trainer.data_revision

    def arrays(self) -> list[np.ndarray]:
        """The snapshot vectors (shared, never modified; for memory accounting of copies)."""
        return [snapshot.vector for snapshot in self._snapshots]

    def copy(self) -> TrainingHistory:
        """An independent copy that shares the (never modified) snapshot arrays: recording
        into one does not change the other. Costs one pointer per snapshot (for undo)."""
        other = TrainingHistory(self.max_bytes)
        other._snapshots = list(self._snapshots)
        other._steps = list(self._steps)
        other._shared = {key: list(entry) for key, entry in self._shared.items()}
        other._nbytes = self._nbytes
        future = self._future
        if future is not None:
            other._future = _Future(
                future.start, array("d", future.step_losses), list(future.epochs)
            )
        other._revisions = self._revisions
        other._data_revision = self._data_revision
        other._density = self._density
        return other

    def thinned(self, max_bytes: int) -> TrainingHistory:
        """A copy of this history thinned to ``max_bytes`` (for example to save it)."""
        other = TrainingHistory(max(self.max_bytes, max_bytes))
        for snapshot in self._snapshots:
            other._append(
                _Snapshot(
                    snapshot.step,
                    snapshot.vector,
                    snapshot.schedule,
                    snapshot.settings,
                    snapshot.keyframe,
                )
            )
        other.max_bytes = max_bytes
        other._enforce_budget()
        other.max_bytes = self.max_bytes
        return other

    def iter_snapshots(self) -> Iterator[tuple[TrainerState, bool]]:
        """Every snapshot as ``(TrainerState, keyframe)``, oldest first, one copy at a time
        (for writing a long history without copying it whole)."""
        for snapshot in list(self._snapshots):
            yield self.state(snapshot), snapshot.keyframe

    @classmethod
    def from_states(
        cls,
        states: list[TrainerState],
        keyframes: list[bool] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> TrainingHistory:
        """A history holding ``states`` (steps strictly increasing), e.g. from a session file.

        ``ValueError`` if the steps do not increase or the states are of different networks.
        Call ``attach(trainer)`` once a trainer is restored to one of them.
        """
        if keyframes is None:
            keyframes = [False] * len(states)
        if len(keyframes) != len(states):
            raise ValueError("keyframes needs one flag per state")
        return cls.from_snapshots(zip(states, keyframes), max_bytes)

    @classmethod
    def from_snapshots(
        cls,
        snapshots: Iterable[tuple[TrainerState, bool]],
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> TrainingHistory:
        """``from_states`` for ``(state, keyframe)`` pairs taken one at a time: each state is
        stored compactly before the next is asked for (a session file's snapshots are read
        one by one). The budget is applied at the end, as ``from_states`` does."""
        history = cls(max_bytes)
        previous: _Snapshot | None = None
        for index, (state, keyframe) in enumerate(snapshots):
            state.check(f"snapshots[{index}]")
            snapshot = _from_state(state, previous, bool(keyframe))
            if previous is not None:
                if snapshot.step <= previous.step:
                    raise ValueError(
                        f"snapshots[{index}].step_count: steps must increase "
                        f"({snapshot.step} after {previous.step})"
                    )
                if state.parameters.size != _parameter_count(previous):
                    raise ValueError(
                        f"snapshots[{index}].parameters: {state.parameters.size} parameters, "
                        f"the snapshot before has another number"
                    )
            history._append(snapshot)
            previous = snapshot
        history._enforce_budget()
        return history

    # -- internals ---------------------------------------------------------------------------

    def _capture(self, trainer: Trainer, last: _Snapshot | None) -> _Snapshot:
        # The trainer's schedule is read directly: this is the engine's own bookkeeping.
        optimizer = trainer.optimizer
        names = _vector_names(optimizer.name, optimizer)
        parts = [trainer.network.parameters] + [getattr(optimizer, n) for n in names]
        vector = np.concatenate(parts) if len(parts) > 1 else parts[0].copy()
        rng = rng_state(trainer._rng)
        order = trainer._order
        regularization = trainer.regularization
        settings = (
            optimizer.name,
            optimizer.lr,
            trainer.batch_size,
            trainer.shuffle,
            regularization.kind,
            float(regularization.rate),
            trainer.seed,
            names,
        )
        if last is not None:
            if last.settings == settings:
                settings = last.settings
            if last.schedule[6] == rng:
                rng = last.schedule[6]
        schedule = (
            optimizer.t,
            trainer._batch_index,
            trainer.epoch,
            trainer._epoch_loss_sum,
            trainer._epoch_samples,
            order,
            rng,
        )
        return _Snapshot(trainer.step_count, vector, schedule, settings)

    def _append(self, snapshot: _Snapshot) -> None:
        self._snapshots.append(snapshot)
        self._steps.append(snapshot.step)
        self._nbytes += snapshot.vector.nbytes + SNAPSHOT_OVERHEAD
        order, rng = snapshot.schedule[5], snapshot.schedule[6]
        if order is not None:
            self._share(order, order.nbytes + ARRAY_OVERHEAD)
        self._share(rng, RNG_STATE_BYTES)

    def _share(self, obj: Any, nbytes: int) -> None:
        entry = self._shared.get(id(obj))
        if entry is None:
            self._shared[id(obj)] = [obj, 1, nbytes]
            self._nbytes += nbytes
        else:
            entry[1] += 1

    def _release(self, snapshot: _Snapshot) -> None:
        self._nbytes -= snapshot.vector.nbytes + SNAPSHOT_OVERHEAD
        for obj in snapshot.schedule[5:7]:
            if obj is None:
                continue
            entry = self._shared[id(obj)]
            entry[1] -= 1
            if entry[1] == 0:
                del self._shared[id(obj)]
                self._nbytes -= entry[2]

    def _enforce_budget(self) -> None:
        """Thin to ``LOW_WATER * max_bytes`` once ``max_bytes`` is exceeded.

        Snapshot ``s`` of age ``a`` (steps before the newest snapshot) stays when ``a <
        density`` or ``s`` is a multiple of ``2^floor(log2(a / density))``: the newest
        ``density`` steps keep every snapshot, the next ``density`` every 2nd, the next
        ``2 density`` every 4th, and so on, so a rewind replays at most ``age / density``
        steps. The grids are nested, so a snapshot once dropped is never needed again.
        ``density`` shrinks (by 0.8) only when ageing alone frees too little. The oldest,
        the newest and keyframes always stay; if even they exceed the budget, the oldest go.
        """
        if self._nbytes <= self.max_bytes:
            return
        target = int(self.max_bytes * LOW_WATER)
        density = self._density if self._density is not None else float(len(self._snapshots))
        while True:
            self._keep_grid(density)
            if self._nbytes <= target or density < 1e-9:
                break
            density *= 0.8
        self._density = density
        while self._nbytes > self.max_bytes and self._snapshots:
            # Only keyframes (or one snapshot too large) left: the history starts later.
            count = max(1, len(self._snapshots) // 8)
            for snapshot in self._snapshots[:count]:
                self._release(snapshot)
            del self._snapshots[:count]
            del self._steps[:count]

    def _keep_grid(self, density: float) -> None:
        snapshots = self._snapshots
        if len(snapshots) <= 2:
            return
        newest = snapshots[-1].step
        kept = [snapshots[0]]
        for snapshot in snapshots[1:-1]:
            age = newest - snapshot.step
            if snapshot.keyframe or age < density:
                kept.append(snapshot)
                continue
            ratio = int(age / density)
            spacing = 1 << (ratio.bit_length() - 1)
            if snapshot.step % spacing == 0:
                kept.append(snapshot)
            else:
                self._release(snapshot)
        kept.append(snapshots[-1])
        self._snapshots = kept
        self._steps = [s.step for s in kept]

    def _index_at(self, step: int) -> int:
        return bisect.bisect_right(self._steps, step) - 1

    def _stash_after(self, trainer: Trainer, step: int) -> None:
        """Move the trainer's losses of the steps after ``step`` into the future."""
        current = trainer.step_count
        losses = array("d", trainer.step_losses[step:current])
        first_epoch = bisect.bisect_right(trainer.epoch_end_steps, step)
        epochs = list(
            zip(
                trainer.epoch_end_steps[first_epoch:].tolist(),
                trainer.epoch_losses[first_epoch:].tolist(),
            )
        )
        future = self._future
        if future is not None and future.start == current:
            losses.extend(future.step_losses)
            epochs.extend(future.epochs)
        self._future = _Future(step, losses, epochs)

    def _unstash_to(self, trainer: Trainer, step: int) -> bool:
        """Give the trainer back the stored losses up to ``step``; ``False`` if not stored."""
        future = self._future
        current = trainer.step_count
        if future is None or future.start != current or future.end < step:
            return False
        if len(trainer.step_losses) != current:
            return False
        trainer.step_losses.extend(future.step_losses[: step - current])
        for end, loss in future.epochs:
            if end <= step:
                trainer.epoch_end_steps.append(end)
                trainer.epoch_losses.append(loss)
        future.advance(step)
        return True

    def _check_trainer(self, trainer: Trainer) -> None:
        if self._data_revision is not None and trainer.data_revision != self._data_revision:
            raise ValueError("the training data changed since this history was recorded")
        if self._snapshots:
            size = _parameter_count(self._snapshots[-1])
            if size != trainer.network.parameters.size:
                raise ValueError(
                    f"this history was recorded for {size} parameters, the network has "
                    f"{trainer.network.parameters.size}"
                )


def rewind(trainer: Trainer, history: TrainingHistory, step: int) -> None:
    """Bring ``trainer`` to exactly recorded step ``step``, backwards or forwards.

    Restores the latest snapshot at or before ``step`` and replays with ``run_steps``; when
    ``step`` is ahead of the trainer and no snapshot lies in between, the trainer simply runs
    on. Afterwards parameters, optimiser state, schedule, counters and loss arrays are what
    they were when the trainer was at ``step`` (loss arrays are cut back; the cut losses are
    kept in the history so that rewinding forward again needs no replay of them). A half-done
    step is discarded. ``ValueError`` if ``step`` is outside ``history.first_step ..
    history.last_step`` or the trainer does not fit the history; ``LookupError`` if empty.
    """
    step = int(step)
    first, last = history.first_step, history.last_step
    if not first <= step <= last:
        raise ValueError(f"step {step} is outside the history (steps {first} to {last})")
    history._check_trainer(trainer)
    # A half-done step may have drawn the next epoch's order already: restore in that case.
    half_done = trainer.progress is not None
    trainer.discard_progress()
    current = trainer.step_count
    snapshot = history._snapshots[history._index_at(step)]
    if snapshot.step <= current <= step and not half_done:
        trainer.run_steps(step - current)
    else:
        if snapshot.step < current:
            history._stash_after(trainer, snapshot.step)
        elif snapshot.step > current and not history._unstash_to(trainer, snapshot.step):
            _replay_forward(trainer, history, step)
            _finish(trainer, history, step)
            return
        trainer.set_state(history.state(snapshot))
        trainer.run_steps(step - snapshot.step)
    _finish(trainer, history, step)


def _replay_forward(trainer: Trainer, history: TrainingHistory, step: int) -> None:
    """Run on from the trainer's step to ``step``, applying each keyframe on the way."""
    while trainer.step_count < step:
        current = trainer.step_count
        index = bisect.bisect_right(history._steps, current)
        keyframe = None
        for snapshot in history._snapshots[index:]:
            if snapshot.step > step:
                break
            if snapshot.keyframe:
                keyframe = snapshot
                break
        target = step if keyframe is None else keyframe.step
        trainer.run_steps(target - current)
        if keyframe is not None:
            trainer.set_state(history.state(keyframe))


def _finish(trainer: Trainer, history: TrainingHistory, step: int) -> None:
    future = history._future
    if future is not None:
        if future.start <= step <= future.end:
            future.advance(step)
        elif step > future.end:
            history._future = None
    history.attach(trainer)


def _vector_names(name: str, optimizer: Any = None) -> tuple[str, ...]:
    """The names of the optimiser's ``(P,)`` state vectors, in a fixed order."""
    names = OPTIMIZER_VECTORS.get(name)
    if names is None:
        state = optimizer.state() if optimizer is not None else {}
        names = tuple(sorted(k for k, v in state.items() if isinstance(v, np.ndarray)))
    return names


def _parameter_count(snapshot: _Snapshot) -> int:
    return snapshot.vector.size // (1 + len(snapshot.settings[7]))


def _from_state(state: TrainerState, previous: _Snapshot | None, keyframe: bool) -> _Snapshot:
    names = OPTIMIZER_VECTORS.get(state.optimizer) or tuple(
        sorted(k for k, v in state.optimizer_state.items() if isinstance(v, np.ndarray))
    )
    parts = [np.asarray(state.parameters, dtype=np.float64)]
    parts += [np.asarray(state.optimizer_state[n], dtype=np.float64) for n in names]
    vector = np.concatenate(parts)
    settings = (
        state.optimizer,
        float(state.lr),
        state.batch_size,
        bool(state.shuffle),
        state.regularization,
        float(state.regularization_rate),
        state.seed,
        names,
    )
    rng = state.rng_state
    order = None if state.order is None else np.asarray(state.order, dtype=np.intp)
    if previous is not None:
        if previous.settings == settings:
            settings = previous.settings
        if previous.schedule[6] == rng:
            rng = previous.schedule[6]
        previous_order = previous.schedule[5]
        if order is not None and previous_order is not None:
            if order.shape == previous_order.shape and np.array_equal(order, previous_order):
                order = previous_order
    # Shared with the snapshot before where equal; otherwise the history's own copies.
    if rng is state.rng_state:
        rng = copy.deepcopy(rng)
    if order is state.order and order is not None:
        order = order.copy()
    schedule = (
        int(state.optimizer_state.get("t", 0)),
        int(state.batch_index),
        int(state.epoch),
        float(state.epoch_loss_sum),
        int(state.epoch_samples),
        order,
        rng,
    )
    return _Snapshot(int(state.step_count), vector, schedule, settings, keyframe)
