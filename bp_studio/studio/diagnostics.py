"""Why is it (not) learning: the health of every layer over training, and its distributions.

``DiagnosticsLog`` keeps, at the steps where it was measured, each layer's gradient norm
``‖∂L/∂W‖`` and update ratio ``‖ΔW‖ / ‖W‖`` (``bp_studio.engine.diagnostics``), and the
full ``LayerHealth`` of the recent measurements (saturated and dead units, for the canvas's
badges and the view's health text at the step shown). The studio
records it after every manual step (from the step's own records) and, while ``run`` trains,
every few chunks on a fixed sample of the training rows (at most ``SHARE`` of the time, so
training keeps its speed). It is read from another thread by the displays: every read
returns copies taken under its lock. It also keeps the last health computed at a step that
was not measured (``Studio.health_now`` after a rewind), with the parameters it was taken at.

``health_with_last_update(trainer, history, fresh)`` is that computation: the health on the
fixed sample with the last step's update replayed from the history.

``distributions(network, X, T)`` gives each layer's weights, activations and gradients as flat
arrays for histograms (one forward and one backward pass on ``X``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bp_studio.engine import Network, Regularization
from bp_studio.engine.diagnostics import LayerHealth, layer_health, step_health
from bp_studio.engine.history import TrainingHistory
from bp_studio.engine.phases import backward, forward
from bp_studio.engine.trainer import Trainer, prepare_targets

SHARE = 0.03
"""While running, measuring layer health takes at most this share of the time."""
MIN_INTERVAL = 0.1
"""... and happens at most every this many seconds."""
SAMPLE_ROWS = 256
"""Rows of the training data the health is measured on while running (evenly spread)."""
RECENT = 64
"""The full ``LayerHealth`` of this many of the newest measurements is kept (by step)."""


class DiagnosticsLog:
    """Gradient norms and update ratios per layer at the steps measured (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: list[int] = []
        self._grad: list[np.ndarray] = []
        self._ratio: list[np.ndarray] = []
        self._latest: list[LayerHealth] | None = None
        self._latest_step = -1
        self._recent: dict[int, list[LayerHealth]] = {}
        """The newest ``RECENT`` measurements' health, by step (oldest first)."""
        self._computed: tuple[int, object, np.ndarray, list[LayerHealth]] | None = None
        """``(step, key, parameters, health)``: the last health computed at a step not measured."""

    def add(self, step: int, health: list[LayerHealth]) -> None:
        """Health measured after step ``step`` (a later measurement at an earlier step
        replaces what followed: the run went back in time)."""
        grad = np.array([np.nan if h.grad_norm is None else h.grad_norm for h in health])
        ratio = np.array([np.nan if h.update_ratio is None else h.update_ratio for h in health])
        with self._lock:
            while self._steps and self._steps[-1] >= step:
                self._steps.pop()
                self._grad.pop()
                self._ratio.pop()
            self._steps.append(int(step))
            self._grad.append(grad)
            self._ratio.append(ratio)
            self._latest = health
            self._latest_step = int(step)
            for later in [s for s in self._recent if s >= step]:
                del self._recent[later]
            self._recent[int(step)] = health
            while len(self._recent) > RECENT:
                del self._recent[next(iter(self._recent))]

    def truncate(self, after_step: int) -> None:
        """Forget what was measured after ``after_step`` (that future was dropped)."""
        with self._lock:
            while self._steps and self._steps[-1] > after_step:
                self._steps.pop()
                self._grad.pop()
                self._ratio.pop()
            if self._latest_step > after_step:
                self._latest, self._latest_step = None, -1
            for later in [s for s in self._recent if s > after_step]:
                del self._recent[later]

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def latest_step(self) -> int:
        """The step ``latest`` was measured after (-1 before any measurement)."""
        return self._latest_step

    @property
    def latest(self) -> list[LayerHealth] | None:
        """The newest ``LayerHealth`` of every layer (``None`` before any measurement)."""
        return self._latest

    def at(self, step: int) -> list[LayerHealth] | None:
        """The health measured after step ``step``, if it is one of the recent measurements."""
        with self._lock:
            return self._recent.get(int(step))

    def computed(self, step: int, key: object, parameters: np.ndarray) -> list[LayerHealth] | None:
        """The health ``keep_computed`` kept for ``step``, ``key`` and exactly these
        ``parameters`` (``None`` if it was another step, key or parameters)."""
        with self._lock:
            kept = self._computed
        if kept is None or kept[0] != step or kept[1] != key:
            return None
        if kept[2].shape != parameters.shape or not np.array_equal(kept[2], parameters):
            return None
        return kept[3]

    def keep_computed(
        self, step: int, key: object, parameters: np.ndarray, health: list[LayerHealth]
    ) -> None:
        """Keep ``health``, computed after step ``step`` at ``parameters`` (copied) with
        whatever else it depends on summed up in ``key``, for ``computed``."""
        with self._lock:
            self._computed = (int(step), key, parameters.copy(), health)

    def series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(steps (k,), gradient norms (k, layers), update ratios (k, layers))``; NaN where a
        figure does not apply (no update yet)."""
        with self._lock:
            steps = np.array(self._steps, dtype=np.int64)
            if not self._steps:
                return steps, np.zeros((0, 0)), np.zeros((0, 0))
            return steps, np.vstack(self._grad), np.vstack(self._ratio)

    def copy(self) -> DiagnosticsLog:
        other = DiagnosticsLog()
        with self._lock:
            other._steps = list(self._steps)
            other._grad = list(self._grad)
            other._ratio = list(self._ratio)
            other._latest, other._latest_step = self._latest, self._latest_step
            other._recent = dict(self._recent)
            other._computed = self._computed
        return other


def sample_rows(samples: int, most: int = SAMPLE_ROWS) -> np.ndarray:
    """``most`` row numbers spread evenly over ``samples`` rows (all of them if fewer)."""
    if samples <= most:
        return np.arange(samples)
    return np.linspace(0, samples - 1, most).round().astype(np.intp)


def health_after_step(trainer: Trainer) -> list[LayerHealth] | None:
    """The health during the trainer's last whole step, from its records (manual steps)."""
    last = trainer.last_step
    if last is None or last.update.step_number != trainer.step_count:
        return None
    return step_health(trainer.network, last)


def health_of_run(trainer: Trainer, update: np.ndarray | None) -> list[LayerHealth]:
    """The health on a fixed sample of the training rows, with ``update`` the last step's
    change of the parameters (while ``run`` trains; ``None``: not known, no update ratio)."""
    rows = sample_rows(trainer.samples)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return layer_health(
            trainer.network,
            trainer.X[rows],
            trainer.T[rows],
            update,
            regularization=trainer.regularization,
            normalized=True,
        )


def last_update(
    trainer: Trainer, history: TrainingHistory, fresh: Callable[[], Trainer]
) -> np.ndarray | None:
    """``θ_t − θ_(t−1)``: how the trainer's last step (step ``t``) changed the parameters.
    ``θ_(t−1)`` is replayed on ``fresh()`` (a new trainer like the live one) from the
    history's nearest snapshot at or before step ``t − 1``; ``None`` at step 0 or without
    such a snapshot."""
    step = trainer.step_count
    if step == 0:
        return None
    try:
        state = history.snapshot_at(step - 1)
    except LookupError:
        return None
    before = fresh()
    before.set_state(
        replace(  # the losses up to the snapshot, which set_state asks for
            state,
            step_losses=np.array(trainer.step_losses[: state.step_count]),
            epoch_losses=np.array(trainer.epoch_losses[: state.epoch]),
            epoch_end_steps=np.array(trainer.epoch_end_steps[: state.epoch]),
        )
    )
    before.run_steps(step - 1 - state.step_count)
    return trainer.network.parameters - before.network.parameters


def health_with_last_update(
    trainer: Trainer, history: TrainingHistory, fresh: Callable[[], Trainer]
) -> list[LayerHealth]:
    """``health_of_run`` with the last step's update from ``last_update``: the health where
    the trainer stands, as a run measures it (at the end of a run, after a rewind)."""
    return health_of_run(trainer, last_update(trainer, history, fresh))


@dataclass(frozen=True)
class LayerDistributions:
    """Layer ``layer``'s values for histograms: every weight, every activation ``a`` of the
    sample rows, every weight gradient ``∂L/∂w`` (the batch mean), flat float64 arrays."""

    layer: int
    weights: np.ndarray
    activations: np.ndarray
    gradients: np.ndarray


def distributions(
    network: Network,
    X: np.ndarray,
    T: np.ndarray,
    regularization: Regularization | None = None,
) -> list[LayerDistributions]:
    """Weights, activations and gradients of every layer on ``X`` (as the first layer sees
    it: normalised) and ``T`` ``(n, outputs)``: one forward and one backward pass."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        record = forward(network, X)
        targets = prepare_targets(network, T, X.shape[0])
        gradients = backward(network, record, targets, regularization or Regularization())
    return [
        LayerDistributions(
            index,
            layer.weight.reshape(-1).copy(),
            record.layers[index].a.reshape(-1).copy(),
            gradients.layers[index].grad_weight.reshape(-1).copy(),
        )
        for index, layer in enumerate(network.layers)
    ]


__all__ = [
    "DiagnosticsLog",
    "LayerDistributions",
    "LayerHealth",
    "distributions",
    "health_after_step",
    "health_of_run",
    "health_with_last_update",
    "last_update",
    "sample_rows",
]
