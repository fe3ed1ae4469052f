"""Training: batches, the step-by-step phase machine, and the fast path.

A ``Trainer`` holds a network, its training data ``X`` ``(samples, inputs)`` and targets ``T``
``(samples, outputs)``, an optimiser and the batch schedule. A training step is the seed's four
steps on one batch: forward -> error -> backward -> update. It can be driven

- one layer at a time (``next_layer``: forward input to output, backward output to input),
- one phase at a time (``next_phase``), one step at a time (``step``), each returning the
  immutable records of ``bp_studio.engine.records``;
- or fast (``run_steps``, ``run_epochs``), which builds no records. Both paths call the same
  kernels in the same order, so they give bit for bit the same weights. Where the fast path
  fuses, it performs the same operations: the output layer's forward, loss and delta in one
  kernel (``phases.output_layer``), and the batch sums made means by one multiplication of
  the whole gradient vector instead of one per layer (the same product for every element).

Batches: ``batch_size=None`` is full batch, ``1`` online. Each epoch visits every sample
once, in a fresh seeded permutation when ``shuffle`` is on; the last batch of an epoch holds
the remainder. Gradients are averaged over the batch and computed from the pre-update weights.

A step whose loss, gradient or new weights are not finite raises ``TrainingDiverged`` and
leaves the network, the optimiser and the schedule exactly as they were before the step.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bp_studio.engine.losses import one_hot_targets
from bp_studio.engine.network import Network
from bp_studio.engine.optimizers import Optimizer, check_learning_rate, make_optimizer
from bp_studio.engine.phases import (
    add_penalty_gradient,
    backward_layer,
    error,
    forward_layer,
    gradient_views,
    hidden_delta,
    layer_forward,
    layer_gradient_sums,
    output_layer,
    to_mean,
)
from bp_studio.engine.records import (
    BackwardRecord,
    ErrorRecord,
    ForwardRecord,
    LayerBackward,
    LayerForward,
    Parameters,
    Phase,
    StepRecord,
    UpdateRecord,
    frozen_array,
)
from bp_studio.engine.regularization import Regularization
from bp_studio.engine.trainer_state import (
    OPTIMIZER_VECTORS,
    TrainerState,
    make_generator,
    rng_state,
)


class TrainingDiverged(ArithmeticError):
    """A step produced a loss, gradient or weights that are not finite numbers.

    ``what`` is ``"loss"``, ``"gradient"`` or ``"weights"``; ``value`` is ``"inf"``, ``"-inf"``
    or ``"nan"``; ``step`` is the number the failing step would have had (counted from 1).
    The network is left as it was after step ``step - 1``.
    """

    def __init__(self, what: str, value: float, step: int) -> None:
        self.what = what
        self.value = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        self.step = step
        super().__init__(f"{what} became {self.value} at step {step}: lower the learning rate")


def prepare_targets(network: Network, T: np.ndarray, samples: int) -> np.ndarray:
    """Targets as float64 ``(samples, outputs)``; class labels become one-hot for softmax.

    ``ValueError`` names the problem (shape, non-finite value, label out of range) and a
    target outside the loss's domain, by row and column counted from 1: binary cross-entropy
    takes probabilities ``0 <= t <= 1``; cross-entropy takes rows of probabilities summing
    to 1 (one-hot) or a single column of class labels ``0 .. k-1``. Outside them the loss has
    no minimum: training drives it to minus infinity and the weights to garbage.
    """
    T = np.asarray(T, dtype=np.float64)
    outputs = network.outputs
    if (
        network.loss_name == "cross_entropy"
        and outputs > 1
        and (T.ndim == 1 or (T.ndim == 2 and T.shape[1] == 1))
    ):
        T = one_hot_targets(T, outputs)
    if T.ndim == 1 and outputs == 1:
        T = T.reshape(-1, 1)
    if T.ndim != 2 or T.shape[1] != outputs:
        raise ValueError(f"targets must have shape (samples, {outputs}), got {tuple(T.shape)}")
    if T.shape[0] != samples:
        raise ValueError(f"there are {samples} input rows but {T.shape[0]} target rows")
    if not np.all(np.isfinite(T)):
        row, column = np.argwhere(~np.isfinite(T))[0]
        raise ValueError(f"targets row {row + 1}, column {column + 1} is not a finite number")
    _check_target_domain(network.loss_name, T)
    return T


_SUM_TOLERANCE = 1e-9
"""How far a cross-entropy target row's sum may be from 1 (rounding of soft labels)."""


def _check_target_domain(loss: str, T: np.ndarray) -> None:
    """``ValueError`` for the first target outside ``loss``'s domain (see ``prepare_targets``)."""
    if loss not in ("binary_cross_entropy", "cross_entropy"):
        return
    outside = (T < 0.0) | (T > 1.0)
    if outside.any():
        row, column = (int(i) for i in np.argwhere(outside)[0])
        value = float(T[row, column])
        if loss == "binary_cross_entropy":
            need = "binary_cross_entropy needs targets that are probabilities (usually 0 or 1)"
        else:
            need = (
                "cross_entropy needs one-hot rows (or a single column of class labels "
                f"0 .. {T.shape[1] - 1})"
            )
        raise ValueError(
            f"targets row {row + 1}, column {column + 1}: {value!r} is outside 0 .. 1; {need}"
        )
    if loss == "cross_entropy":
        sums = T @ np.ones(T.shape[1])  # a matrix-vector product: 5x faster than sum(axis=1)
        off = np.abs(sums - 1.0) > _SUM_TOLERANCE * T.shape[1]
        if off.any():
            row = int(np.argmax(off))
            raise ValueError(
                f"targets row {row + 1}: the row sums to {float(sums[row]):.6g}; cross_entropy "
                "needs rows that sum to 1 (one-hot, or probabilities) or a single column of "
                f"class labels 0 .. {T.shape[1] - 1}"
            )


@dataclass
class StepProgress:
    """The step being assembled phase by phase (the window draws it).

    ``phase`` and ``layer`` say what comes next; the lists hold what is done so far.
    """

    batch: np.ndarray
    inputs: np.ndarray
    targets: np.ndarray
    epoch: int
    phase: Phase = Phase.FORWARD
    layer: int = 0
    forward_layers: list[LayerForward] = field(default_factory=list)
    forward: ForwardRecord | None = None
    error: ErrorRecord | None = None
    backward_layers: list[LayerBackward] = field(default_factory=list)
    backward: BackwardRecord | None = None
    update: UpdateRecord | None = None
    gradient: np.ndarray | None = None


class Trainer:
    """Trains ``network`` on ``X`` and ``T``; see the module docstring for the two paths."""

    _order: np.ndarray | None
    """This epoch's shuffled sample order (``None`` in data order); set by ``_restart_epoch``."""

    def __init__(
        self,
        network: Network,
        X: np.ndarray,
        T: np.ndarray,
        *,
        lr: float = 0.5,
        batch_size: int | None = None,
        shuffle: bool = False,
        optimizer: str = "sgd",
        seed: int | None = 0,
        regularization: Regularization | None = None,
    ) -> None:
        if not isinstance(optimizer, str):
            raise ValueError(f"optimizer must be a name such as 'sgd', got {optimizer!r}")
        if regularization is not None and not isinstance(regularization, Regularization):
            raise ValueError(f"regularization must be a Regularization, got {regularization!r}")
        self.network = network
        self.optimizer: Optimizer = make_optimizer(
            optimizer, network.parameters.size, _check_rate(lr)
        )
        self.regularization = regularization or Regularization()
        self._rng = np.random.default_rng(_check_seed(seed))
        self.seed = seed
        self._shuffle = _check_flag(shuffle, "shuffle")
        self._batch_size = _check_batch_size(batch_size)
        self.step_count = 0
        """Updates done so far."""
        self.epoch = 0
        """Epochs completed so far."""
        self.step_losses = array("d")
        """The loss of every step (on its batch, before its update)."""
        self.epoch_losses = array("d")
        """The mean training loss of every completed epoch."""
        self.epoch_end_steps = array("q")
        """The step count at the end of every completed epoch."""
        self.progress: StepProgress | None = None
        self.last_step: StepRecord | None = None
        self.revision = 0
        """Counts changes of settings, data, optimiser or state (setters, ``set_*`` methods)."""
        self.data_revision = 0
        """Counts ``set_data`` calls (the first is made by ``__init__``)."""
        self._grad = np.zeros_like(network.parameters)
        self._backup = np.zeros_like(network.parameters)
        self._cached_views: list[tuple[np.ndarray, np.ndarray | None]] | None = None
        self.set_data(X, T)

    # -- settings -------------------------------------------------------------------------

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        """Change the learning rate; it applies from the next update on."""
        value = check_learning_rate(_check_rate(value))
        if value != self.optimizer.lr:
            self.optimizer.lr = value
            self.revision += 1

    @property
    def batch_size(self) -> int | None:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int | None) -> None:
        """Change the batch size; the current epoch starts over with the new batches."""
        self._batch_size = _check_batch_size(value)
        self._restart_epoch()
        self.revision += 1

    @property
    def shuffle(self) -> bool:
        return self._shuffle

    @shuffle.setter
    def shuffle(self, value: bool) -> None:
        self._shuffle = _check_flag(value, "shuffle")
        self._restart_epoch()
        self.revision += 1

    def set_data(self, X: np.ndarray, T: np.ndarray) -> None:
        """Use new training data; the current epoch starts over. ``ValueError`` if unfit."""
        X = self.network.check_inputs(X, "training inputs")
        if X.shape[0] == 0:
            raise ValueError("the training data has no samples")
        T = prepare_targets(self.network, T, X.shape[0])
        self.X, self.T = X, T
        self._restart_epoch()
        self.revision += 1
        self.data_revision += 1

    def set_optimizer(self, name: str) -> None:
        """Switch optimiser (its state starts fresh); the learning rate is kept."""
        self.optimizer = make_optimizer(name, self.network.parameters.size, self.optimizer.lr)
        self.discard_progress()
        self.revision += 1

    # -- state ------------------------------------------------------------------------------

    def get_state(self, include_losses: bool = True) -> TrainerState:
        """Everything needed to go on bit for bit (copies; see ``trainer_state``).

        A half-done step (``progress``) is not part of it: nothing of it has been applied,
        and the restored trainer redoes that step from its start, on the same batch.
        ``include_losses=False`` leaves out the loss history (a rewind snapshot).
        """
        order = self._order
        state = TrainerState(
            parameters=self.network.parameters.copy(),
            optimizer=self.optimizer.name,
            lr=self.optimizer.lr,
            optimizer_state=self.optimizer.state(),
            batch_size=self._batch_size,
            shuffle=self._shuffle,
            regularization=self.regularization.kind,
            regularization_rate=float(self.regularization.rate),
            rng_state=rng_state(self._rng),
            order=None if order is None else order.copy(),
            batch_index=self._batch_index,
            epoch_loss_sum=self._epoch_loss_sum,
            epoch_samples=self._epoch_samples,
            step_count=self.step_count,
            epoch=self.epoch,
            seed=self.seed,
        )
        if include_losses:
            state.step_losses = np.array(self.step_losses, dtype=np.float64)
            state.epoch_losses = np.array(self.epoch_losses, dtype=np.float64)
            state.epoch_end_steps = np.array(self.epoch_end_steps, dtype=np.int64)
        return state

    def set_state(self, state: TrainerState) -> None:
        """Restore a state from ``get_state`` (or a session file or rewind snapshot).

        Sets the parameters, optimiser, settings, schedule, counters and, when the state has
        them, the loss arrays; a state without them cuts this trainer's loss arrays back to
        its step (``ValueError`` if they are shorter). The data stays this trainer's: the
        state must fit it (same number of samples). All or nothing: ``ValueError`` names the
        problem and leaves the trainer unchanged.
        """
        state.check("state")
        size = self.network.parameters.size
        parameters = np.asarray(state.parameters, dtype=np.float64)
        if parameters.shape != (size,):
            raise ValueError(f"state has {parameters.size} parameters, the network has {size}")
        if not np.all(np.isfinite(parameters)):
            raise ValueError("state parameters must be finite numbers")
        optimizer = make_optimizer(state.optimizer, size, state.lr)
        optimizer.set_state(state.optimizer_state)
        for key in OPTIMIZER_VECTORS.get(optimizer.name, ()):
            if not np.all(np.isfinite(getattr(optimizer, key))):
                raise ValueError(f"state optimizer_state.{key} must be finite numbers")
        batch_size = _check_batch_size(state.batch_size)
        regularization = Regularization(state.regularization, float(state.regularization_rate))
        rng = make_generator(state.rng_state)
        n = self.samples
        state.check_fits(n, "state")
        order = None if state.order is None else np.array(state.order, dtype=np.intp)
        losses = state.losses
        if losses is not None:
            step_losses = _array("d", losses[0], np.float64)
            epoch_losses = _array("d", losses[1], np.float64)
            epoch_end_steps = _array("q", losses[2], np.int64)
        else:
            if len(self.step_losses) < state.step_count or len(self.epoch_losses) < state.epoch:
                raise ValueError(
                    f"the state has no loss history and this trainer's reaches step "
                    f"{len(self.step_losses)}, not step {state.step_count}"
                )
            step_losses = self.step_losses[: state.step_count]
            epoch_losses = self.epoch_losses[: state.epoch]
            epoch_end_steps = self.epoch_end_steps[: state.epoch]
        # Everything is valid: apply it all.
        self.network.set_parameters(parameters)
        self.optimizer = optimizer
        self._batch_size = batch_size
        self._shuffle = bool(state.shuffle)
        self.regularization = regularization
        self._rng = rng
        self.seed = state.seed
        self._order = order
        self._batch_index = int(state.batch_index)
        self._epoch_loss_sum = float(state.epoch_loss_sum)
        self._epoch_samples = int(state.epoch_samples)
        self.step_count = int(state.step_count)
        self.epoch = int(state.epoch)
        self.step_losses = step_losses
        self.epoch_losses = epoch_losses
        self.epoch_end_steps = epoch_end_steps
        self.progress = None
        self.last_step = None
        self.revision += 1

    def network_changed(self) -> None:
        """Call after editing the network's parameters: a half-done step is discarded."""
        self.discard_progress()

    def discard_progress(self) -> None:
        """Forget the step being assembled (nothing of it has been applied)."""
        self.progress = None

    def _restart_epoch(self) -> None:
        self.progress = None
        self._order = None
        self._batch_index = 0
        self._epoch_loss_sum = 0.0
        self._epoch_samples = 0

    # -- batches --------------------------------------------------------------------------

    @property
    def samples(self) -> int:
        return self.X.shape[0]

    @property
    def batches_per_epoch(self) -> int:
        size = self._batch_size or self.samples
        return -(-self.samples // size)

    @property
    def batch_index(self) -> int:
        """The batch of the current epoch that the next step uses (from 0)."""
        return self._batch_index

    def _next_batch(self) -> tuple[np.ndarray | slice, np.ndarray, np.ndarray]:
        n = self.X.shape[0]
        index = self._batch_index
        order = self._order
        if index == 0 and order is None and self._shuffle:
            order = self._order = self._rng.permutation(n)
        size = self._batch_size or n
        start = index * size
        stop = start + size
        rows: np.ndarray | slice
        if order is None:
            if start == 0 and stop >= n:
                return slice(0, n), self.X, self.T
            rows = slice(start, stop)
        else:
            rows = order[start:stop]
        return rows, self.X[rows], self.T[rows]

    def _commit(self, loss: float, samples: int) -> None:
        self.step_count += 1
        self.step_losses.append(loss)
        self._epoch_loss_sum += loss * samples
        self._epoch_samples += samples
        self._batch_index += 1
        n = self.X.shape[0]
        if self._batch_index * (self._batch_size or n) >= n:  # the epoch's last batch
            self.epoch += 1
            self.epoch_losses.append(self._epoch_loss_sum / self._epoch_samples)
            self.epoch_end_steps.append(self.step_count)
            self._batch_index = 0
            self._order = None
            self._epoch_loss_sum = 0.0
            self._epoch_samples = 0

    # -- the update, shared by both paths -----------------------------------------------------

    def _apply_update(self, gradient: np.ndarray) -> np.ndarray:
        """Add the optimiser's step to the parameters; undo it and raise if not finite."""
        theta = self.network.parameters
        optimizer = self.optimizer
        self._backup[...] = theta
        saved_state = optimizer.__dict__.copy()
        step = optimizer.apply(theta, gradient)
        if not _surely_finite(theta) and not np.all(np.isfinite(theta)):
            bad_weight = float(theta[~np.isfinite(theta)][0])
            np.copyto(theta, self._backup)
            optimizer.__dict__.update(saved_state)
            bad_gradient = gradient[~np.isfinite(gradient)]
            if bad_gradient.size:
                raise TrainingDiverged("gradient", float(bad_gradient[0]), self.step_count + 1)
            raise TrainingDiverged("weights", bad_weight, self.step_count + 1)
        return step

    # -- the fast path ----------------------------------------------------------------------

    def _fast_gradient(self, X: np.ndarray, T: np.ndarray) -> float:
        """Forward, loss and backward for one batch; the gradient goes into ``self._grad``.

        The same kernels as the phase records, in the same order, keeping only what the
        backward pass reads: each layer's input ``a_{l-1}`` and ``z``.
        """
        network = self.network
        layers = network.layers
        last = len(layers) - 1
        inputs = [X]
        zs = []
        a = X
        for index in range(last):
            z, a = layer_forward(layers[index], a)
            zs.append(z)
            inputs.append(a)
        z, a, loss, delta = output_layer(network, a, T)
        if not math.isfinite(loss):
            raise TrainingDiverged("loss", loss, self.step_count + 1)
        views = self._views
        for index in range(last, -1, -1):
            grad_weight, grad_bias = views[index]
            layer_gradient_sums(delta, inputs[index], grad_weight, grad_bias)
            if index:
                _, _, delta = hidden_delta(
                    layers[index], delta, layers[index - 1], zs[index - 1], inputs[index]
                )
        to_mean(self._grad, 1.0 / X.shape[0])
        regularization = self.regularization
        if regularization.active:
            for layer, (grad_weight, _) in zip(layers, views):
                add_penalty_gradient(regularization, layer, grad_weight)
        return loss

    @property
    def _views(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        views = self._cached_views
        if views is None:
            views = self._cached_views = gradient_views(self.network, self._grad)
        return views

    def run_steps(self, count: int) -> None:
        """Run ``count`` whole steps (a half-done step first finishes as one of them)."""
        count = _check_count(count, "steps")
        if count == 0:
            return
        if self.progress is not None:
            self.step()
            count -= 1
        next_batch, gradient, update, commit = (
            self._next_batch,
            self._fast_gradient,
            self._apply_update,
            self._commit,
        )
        grad = self._grad
        # Overflow is reported by TrainingDiverged, not by numpy warnings on stderr.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(count):
                _, X, T = next_batch()
                loss = gradient(X, T)
                update(grad)
                commit(loss, X.shape[0])

    def run_epochs(
        self, epochs: int, callback: Callable[[int, float], bool | None] | None = None
    ) -> list[float]:
        """Run until ``epochs`` more epochs are complete; return their mean losses.

        ``callback(epoch, loss)`` runs after each epoch; returning ``False`` stops early.
        """
        target = self.epoch + _check_count(epochs, "epochs")
        first = len(self.epoch_losses)
        while self.epoch < target:
            self.run_steps(self.batches_per_epoch - self._batch_index)
            if callback is not None and callback(self.epoch, self.epoch_losses[-1]) is False:
                break
        return list(self.epoch_losses[first:])

    # -- the step-by-step path ------------------------------------------------------------------

    def _start_step(self) -> StepProgress:
        rows, X, T = self._next_batch()
        batch = np.arange(self.samples)[rows]
        self.progress = StepProgress(batch, X, T, self.epoch + 1)
        return self.progress

    def next_layer(self) -> LayerForward | ErrorRecord | LayerBackward | UpdateRecord:
        """Do the next piece of work: one layer of forward or backward, the error, or the update.

        Returns that piece's record. After the update the step is complete (``last_step``).
        """
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._next_piece()

    def _next_piece(self) -> LayerForward | ErrorRecord | LayerBackward | UpdateRecord:
        progress = self.progress or self._start_step()
        layers = self.network.layers
        if progress.phase == Phase.FORWARD:
            index = progress.layer
            a_prev = progress.inputs if index == 0 else progress.forward_layers[-1].a
            layer_forward = forward_layer(self.network, index, a_prev)
            progress.forward_layers.append(layer_forward)
            if index == len(layers) - 1:
                progress.forward = ForwardRecord(
                    frozen_array(progress.inputs), tuple(progress.forward_layers)
                )
                progress.phase = Phase.ERROR
            else:
                progress.layer = index + 1
            return layer_forward
        if progress.phase == Phase.ERROR:
            assert progress.forward is not None, "the forward phase ends with its record"
            error_record = error(
                self.network, progress.forward, progress.targets, self.regularization
            )
            if not math.isfinite(error_record.loss):
                self.progress = None
                raise TrainingDiverged("loss", error_record.loss, self.step_count + 1)
            progress.error = error_record
            progress.phase = Phase.BACKWARD
            progress.layer = len(layers) - 1
            progress.gradient = np.zeros_like(self.network.parameters)
            return error_record
        if progress.phase == Phase.BACKWARD:
            assert progress.forward is not None and progress.gradient is not None, (
                "the error phase leaves the forward record and a gradient to fill"
            )
            index = progress.layer
            later = progress.backward_layers[-1] if progress.backward_layers else None
            layer_backward = backward_layer(
                self.network,
                index,
                progress.forward,
                progress.targets,
                later,
                progress.gradient,
                self.regularization,
            )
            progress.backward_layers.append(layer_backward)
            if index == 0:
                progress.backward = BackwardRecord(
                    tuple(reversed(progress.backward_layers)), frozen_array(progress.gradient)
                )
                progress.phase = Phase.UPDATE
            else:
                progress.layer = index - 1
            return layer_backward
        return self._update(progress)

    def _update(self, progress: StepProgress) -> UpdateRecord:
        forward, error_record, backward = progress.forward, progress.error, progress.backward
        assert forward is not None and error_record is not None and backward is not None, (
            "the update comes after the other three phases"
        )
        assert progress.gradient is not None, "the backward phase leaves the gradient"
        before = _parameters(self.network)
        state_before = self.optimizer.state()
        try:
            step_vector = self._apply_update(progress.gradient)
        except TrainingDiverged:
            self.progress = None
            raise
        record = UpdateRecord(
            step_number=self.step_count + 1,
            optimizer=self.optimizer.name,
            lr=self.optimizer.lr,
            before=before,
            step=_split(self.network, step_vector),
            after=_parameters(self.network),
            optimizer_state_before=state_before,
            optimizer_state_after=self.optimizer.state(),
        )
        progress.update = record
        self.last_step = StepRecord(
            batch=_frozen_rows(progress.batch),
            epoch=progress.epoch,
            forward=forward,
            error=error_record,
            backward=backward,
            update=record,
        )
        self._commit(error_record.loss, progress.inputs.shape[0])
        self.progress = None
        return record

    def next_phase(self) -> ForwardRecord | ErrorRecord | BackwardRecord | UpdateRecord:
        """Finish the current phase (all its remaining layers) and return its record."""
        progress = self.progress or self._start_step()
        phase = progress.phase
        while True:
            record = self.next_layer()
            if phase == Phase.FORWARD and progress.forward is not None:
                return progress.forward
            if phase == Phase.BACKWARD and progress.backward is not None:
                return progress.backward
            if isinstance(record, ErrorRecord | UpdateRecord):
                return record

    def step(self) -> StepRecord:
        """Finish the current step (or do a whole new one) and return its four records."""
        progress = self.progress or self._start_step()
        while progress.update is None:
            self.next_layer()
        assert self.last_step is not None, "the update records the step"
        return self.last_step


def _check_rate(value: float) -> float:
    """A learning rate must be a real number (not text, not True); its range is checked by
    ``check_learning_rate``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise ValueError(f"learning rate must be a number, got {value!r}")
    return value


def _check_count(value: int, name: str) -> int:
    """A count of epochs or steps: a whole number of 0 or more (not 2.5, not True)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number of 0 or more, got {value!r}")
    return int(value)


def _check_flag(value: bool, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_seed(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"seed must be a whole number of 0 or more (or None), got {value!r}")
    return int(value)


DOT_TEST_LIMIT = 10_000
"""Up to this many parameters the finiteness test is ``theta . theta`` (BLAS's ``ddot``, the
fastest for a few thousand values); beyond, OpenBLAS runs ``ddot`` on two threads, which a
busy machine makes slow, and the test is numpy's sum."""


def _surely_finite(theta: np.ndarray) -> bool:
    """A fast test: ``True`` means every value is finite (a sum with a non-finite value is not
    finite); ``False`` may also be an overflowing sum of finite values, so check again."""
    total = theta.dot(theta) if theta.size <= DOT_TEST_LIMIT else np.add.reduce(theta)
    return math.isfinite(total)


def _check_batch_size(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"batch size must be a whole number of at least 1 (or full), got {value!r}"
        )
    return int(value)


def _array(typecode: str, values: np.ndarray, dtype: type) -> array:
    """A copy of ``values`` as an ``array.array`` (as the trainer keeps its loss history)."""
    out = array(typecode)
    out.frombytes(np.ascontiguousarray(values, dtype=dtype).tobytes())
    return out


def _frozen_rows(rows: np.ndarray) -> np.ndarray:
    """A read-only integer copy of row numbers (usable as an index, unlike float64)."""
    out = np.array(rows, dtype=np.intp, copy=True)
    out.flags.writeable = False
    return out


def _parameters(network: Network) -> tuple[Parameters, ...]:
    return tuple(
        Parameters(frozen_array(layer.weight), frozen_array(layer.bias)) for layer in network.layers
    )


def _split(network: Network, vector: np.ndarray) -> tuple[Parameters, ...]:
    return tuple(
        Parameters(frozen_array(w), frozen_array(b)) for w, b in gradient_views(network, vector)
    )
