"""Early stopping: stop when the validation loss has stopped improving, keep the best weights.

After epoch ``e`` (counted from 1; ``e = 0`` is the network before training) the validation
loss is the data loss of the current weights on the held-out samples,

    V_e = L(network, X_val, T_val)          (mean over the validation samples, no penalty)

and with ``best`` the lowest ``V`` so far:

- ``V_e < best - min_delta``: an improvement: ``best = V_e``, ``best_epoch = e``, the weights
  are copied, ``wait = 0``;
- otherwise ``wait += 1``, and training stops once ``wait == patience``: ``patience`` epochs in
  a row without an improvement. The stop comes after epoch ``best_epoch + patience``.

``restore()`` then puts the best weights back (only the weights: the optimiser state, the
step count and the loss history stay the trainer's).

Two ways to use it:

- ``train_with_early_stopping(trainer, stopper, max_epochs)``: the CLI's loop (fast path,
  whole epochs), returning an ``EarlyStoppingResult``;
- a studio that runs steps itself calls ``stopper.update(trainer.epoch)`` once at the start
  and after every completed epoch (one forward pass over the validation samples), stops when
  it returns ``True`` and calls ``restore()``. ``to_dict``/``from_dict`` keep a stopper in a
  session.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bp_studio.engine.network import Network
from bp_studio.engine.phases import layer_forward
from bp_studio.engine.trainer import Trainer, prepare_targets


def validation_loss(network: Network, X: np.ndarray, T: np.ndarray) -> float:
    """The data loss ``L`` of the network's current weights on ``X`` (as the first layer sees
    it: normalised) and ``T`` ``(n, outputs)``: the mean over the samples, no penalty."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a = X
        for layer in network.layers:
            z, a = layer_forward(layer, a)
        return float(network.loss.value(z, a, T))


class EarlyStopping:
    """Watches the validation loss of ``network`` epoch by epoch; see the module docstring.

    ``X`` raw validation inputs (as ``predict`` takes them) and ``T`` targets (as a ``Trainer``
    takes them) are checked once here; ``patience`` is a whole number of at least 1 and
    ``min_delta`` a number of 0 or more. ``ValueError`` names a bad argument.

    Read after updates: ``epochs`` and ``losses`` (every ``V_e`` seen, in order), ``best_loss``,
    ``best_epoch``, ``best_parameters`` (a copy), ``wait``, ``stopped_epoch`` (``None`` until
    the stop).
    """

    def __init__(
        self,
        network: Network,
        X: np.ndarray,
        T: np.ndarray,
        patience: int,
        min_delta: float = 0.0,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)):
            raise ValueError(f"patience must be a whole number of epochs, got {patience!r}")
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch, got {patience}")
        if not (isinstance(min_delta, (int, float)) and math.isfinite(min_delta)) or min_delta < 0:
            raise ValueError(f"min_delta must be a number of 0 or more, got {min_delta!r}")
        inputs = network.check_inputs(X, "validation inputs")
        if inputs.shape[0] == 0:
            raise ValueError("the validation data has no samples")
        self.network = network
        self.X = inputs
        self.T = prepare_targets(network, T, inputs.shape[0])
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.epochs: list[int] = []
        self.losses: list[float] = []
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.best_parameters: np.ndarray | None = None
        self.wait = 0
        self.stopped_epoch: int | None = None

    @property
    def stopped(self) -> bool:
        return self.stopped_epoch is not None

    def update(self, epoch: int) -> bool:
        """Measure ``V_epoch`` of the current weights; ``True`` when training should stop.

        A loss that is not a finite number never counts as an improvement. Once stopped, a
        stopper stays stopped: later updates record ``V`` but change neither the best nor the
        stop.
        """
        loss = validation_loss(self.network, self.X, self.T)
        self.epochs.append(int(epoch))
        self.losses.append(loss)
        if self.stopped:
            return True
        if math.isfinite(loss) and loss < self.best_loss - self.min_delta:
            self.best_loss = loss
            self.best_epoch = int(epoch)
            self.best_parameters = self.network.parameters.copy()
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = int(epoch)
        return self.stopped

    def restore(self) -> bool:
        """Put the best weights back into the network; ``False`` if there are none yet."""
        if self.best_parameters is None:
            return False
        self.network.set_parameters(self.best_parameters)
        return True

    def to_dict(self) -> dict:
        """A JSON-ready dict (floats stay exact); ``from_dict`` reads it back."""
        return {
            "patience": self.patience,
            "min_delta": self.min_delta,
            "epochs": list(self.epochs),
            "losses": [float(v) for v in self.losses],
            "best_loss": None if math.isinf(self.best_loss) else self.best_loss,
            "best_epoch": self.best_epoch,
            "best_parameters": None
            if self.best_parameters is None
            else [float(v) for v in self.best_parameters],
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
        }

    @classmethod
    def from_dict(cls, data: dict, network: Network, X: np.ndarray, T: np.ndarray) -> EarlyStopping:
        """A stopper for ``network`` and the validation data, in the state ``data`` holds.

        ``ValueError`` names the first field that is missing or does not fit.
        """
        if not isinstance(data, dict):
            raise ValueError("early_stopping: expected an object")

        def field(name: str) -> Any:
            if name not in data:
                raise ValueError(f"early_stopping.{name}: missing")
            return data[name]

        stopper = cls(network, X, T, field("patience"), field("min_delta"))
        epochs, losses = field("epochs"), field("losses")
        if not (isinstance(epochs, list) and isinstance(losses, list)):
            raise ValueError("early_stopping.epochs and .losses: expected lists")
        if len(epochs) != len(losses):
            raise ValueError(
                f"early_stopping: {len(epochs)} epochs but {len(losses)} validation losses"
            )
        stopper.epochs = [int(e) for e in epochs]
        stopper.losses = [float(v) for v in losses]
        best = field("best_loss")
        stopper.best_loss = math.inf if best is None else float(best)
        stopper.best_epoch = None if field("best_epoch") is None else int(data["best_epoch"])
        parameters = field("best_parameters")
        if parameters is not None:
            vector = np.asarray(parameters, dtype=np.float64)
            if vector.shape != network.parameters.shape or not np.all(np.isfinite(vector)):
                raise ValueError(
                    f"early_stopping.best_parameters: expected {network.parameters.size} "
                    "finite numbers"
                )
            stopper.best_parameters = vector
        stopper.wait = int(field("wait"))
        stopped = field("stopped_epoch")
        stopper.stopped_epoch = None if stopped is None else int(stopped)
        return stopper


@dataclass(frozen=True)
class EarlyStoppingResult:
    """What ``train_with_early_stopping`` did.

    ``stopped_epoch``: the epoch after which it stopped early (``None``: it ran all
    ``max_epochs``); ``epochs_run``: epochs trained in this call; ``best_epoch`` and
    ``best_loss``: the best validation loss and its epoch, whose weights the network now has;
    ``losses``: the training loss of each epoch run; ``validation_losses``: ``V_e`` for the
    starting point and each epoch run.
    """

    stopped_epoch: int | None
    epochs_run: int
    best_epoch: int
    best_loss: float
    losses: list[float]
    validation_losses: list[float]


def train_with_early_stopping(
    trainer: Trainer,
    stopper: EarlyStopping,
    max_epochs: int,
    callback: Callable[[int, float], bool | None] | None = None,
) -> EarlyStoppingResult:
    """Train whole epochs until the stopper says stop or ``max_epochs`` more are done, then
    restore the best weights (``trainer.network_changed()`` is called).

    The starting point is measured first (unless the stopper has seen this epoch already).
    ``callback(epoch, training_loss)`` runs after each epoch, as in ``run_epochs``; returning
    ``False`` stops too. Raises ``TrainingDiverged`` as ``run_epochs`` does (the best weights
    are restored first).
    """
    if stopper.network is not trainer.network:
        raise ValueError("the stopper watches another network than the trainer trains")
    first_seen = len(stopper.losses)
    if not stopper.epochs or stopper.epochs[-1] != trainer.epoch:
        stopper.update(trainer.epoch)

    def after_epoch(epoch: int, loss: float) -> bool:
        if callback is not None and callback(epoch, loss) is False:
            return False
        return not stopper.update(epoch)

    start = trainer.epoch
    try:
        losses = [] if stopper.stopped else trainer.run_epochs(max_epochs, after_epoch)
    finally:
        if stopper.restore():
            trainer.network_changed()
    return EarlyStoppingResult(
        stopped_epoch=stopper.stopped_epoch,
        epochs_run=trainer.epoch - start,
        best_epoch=stopper.best_epoch if stopper.best_epoch is not None else trainer.epoch,
        best_loss=stopper.best_loss,
        losses=losses,
        validation_losses=stopper.losses[first_seen:],
    )
