"""What a run has done since a display last looked: for drawing while training runs elsewhere.

``Studio.run`` publishes after every chunk of steps (a copy of the parameters, the counters
and the new losses) under a lock; a display takes the latest publication at its own rate
with every loss since its previous look, and never touches the trainer while it runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from bp_studio.engine import Trainer


@dataclass(frozen=True)
class Publication:
    """The state after the latest chunk, and the losses of every step since the last take."""

    parameters: np.ndarray
    step_count: int
    epoch: int
    batch_index: int
    new_step_losses: np.ndarray
    new_epoch_losses: np.ndarray
    new_epoch_end_steps: np.ndarray


class ProgressBoard:
    """Publications of one run: ``publish(trainer)`` in the run's thread, ``take()`` anywhere."""

    def __init__(self, trainer: Trainer) -> None:
        self._lock = threading.Lock()
        self._published_steps = len(trainer.step_losses)
        self._published_epochs = len(trainer.epoch_losses)
        self._latest: tuple[np.ndarray, int, int, int] | None = None
        self._steps: list[np.ndarray] = []
        self._epochs: list[np.ndarray] = []
        self._epoch_ends: list[np.ndarray] = []

    def publish(self, trainer: Trainer) -> None:
        steps, epochs = len(trainer.step_losses), len(trainer.epoch_losses)
        new_steps = np.frombuffer(trainer.step_losses[self._published_steps : steps], dtype=float)
        new_epochs = np.frombuffer(
            trainer.epoch_losses[self._published_epochs : epochs], dtype=float
        )
        new_ends = np.frombuffer(
            trainer.epoch_end_steps[self._published_epochs : epochs], dtype=np.int64
        )
        parameters = trainer.network.parameters.copy()
        with self._lock:
            self._steps.append(new_steps)
            self._epochs.append(new_epochs)
            self._epoch_ends.append(new_ends)
            self._latest = (parameters, trainer.step_count, trainer.epoch, trainer.batch_index)
        self._published_steps, self._published_epochs = steps, epochs

    def take(self) -> Publication | None:
        """The latest publication with every loss since the last ``take``, or ``None``."""
        with self._lock:
            if self._latest is None:
                return None
            parameters, step_count, epoch, batch_index = self._latest
            publication = Publication(
                parameters,
                step_count,
                epoch,
                batch_index,
                _joined(self._steps, np.float64),
                _joined(self._epochs, np.float64),
                _joined(self._epoch_ends, np.int64),
            )
            self._latest = None
            self._steps.clear()
            self._epochs.clear()
            self._epoch_ends.clear()
        return publication


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
