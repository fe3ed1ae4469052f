"""Training at full speed off the GUI thread.

The worker thread runs the trainer's fast path in chunks of about ``CHUNK_SECONDS`` and, after
each chunk, publishes what the window needs (a copy of the parameters, the counters and the new
losses) under a lock. The window reads the latest publication at display rate and never
touches the trainer while the worker runs. ``stop()`` is seen between chunks, so Pause takes
effect within one chunk (well under 100 ms).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QThread, Signal

from bp_studio.engine import Trainer, TrainingDiverged

CHUNK_SECONDS = 0.02


@dataclass
class Publication:
    """What the worker has done since the window last looked."""

    parameters: np.ndarray
    step_count: int
    epoch: int
    new_step_losses: np.ndarray
    new_epoch_losses: np.ndarray
    new_epoch_end_steps: np.ndarray


class TrainingWorker(QThread):
    """Runs ``trainer.run_steps`` until stopped; ``diverged(str)`` reports a failed step."""

    diverged = Signal(str)

    def __init__(
        self,
        trainer: Trainer,
        max_steps: int | None = None,
        after_chunk: Callable[[Trainer], None] | None = None,
    ) -> None:
        super().__init__()
        self.trainer = trainer
        self.after_chunk = after_chunk
        """Runs in the worker thread after each chunk (the window records its history)."""
        self.max_steps = max_steps
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._published_steps = len(trainer.step_losses)
        self._published_epochs = len(trainer.epoch_losses)
        self._latest: Publication | None = None
        self._pending_steps: list[np.ndarray] = []
        self._pending_epochs: list[np.ndarray] = []
        self._pending_epoch_ends: list[np.ndarray] = []
        self.steps_per_second = 0.0

    def stop(self) -> None:
        """Ask the worker to stop after the current chunk."""
        self._stop.set()

    def run(self) -> None:  # Qt's override name: runs in the worker thread
        trainer = self.trainer
        chunk = 1
        started = time.perf_counter()
        first_step = trainer.step_count
        try:
            while not self._stop.is_set():
                if self.max_steps is not None:
                    left = self.max_steps - (trainer.step_count - first_step)
                    if left <= 0:
                        break
                    chunk = min(chunk, left)
                t0 = time.perf_counter()
                trainer.run_steps(chunk)
                elapsed = time.perf_counter() - t0
                if self.after_chunk is not None:
                    self.after_chunk(trainer)
                self._publish()
                # Grow or shrink the chunk so that one takes about CHUNK_SECONDS.
                if elapsed < CHUNK_SECONDS / 2:
                    chunk = min(chunk * 2, 1_000_000)
                elif elapsed > CHUNK_SECONDS * 2 and chunk > 1:
                    chunk = max(1, chunk // 2)
        except TrainingDiverged as exc:
            self._publish()
            self.diverged.emit(str(exc))
        finally:
            total = time.perf_counter() - started
            if total > 0:
                self.steps_per_second = (trainer.step_count - first_step) / total

    def _publish(self) -> None:
        trainer = self.trainer
        steps = len(trainer.step_losses)
        epochs = len(trainer.epoch_losses)
        new_steps = np.frombuffer(trainer.step_losses[self._published_steps : steps], dtype=float)
        new_epochs = np.frombuffer(
            trainer.epoch_losses[self._published_epochs : epochs], dtype=float
        )
        new_ends = np.frombuffer(
            trainer.epoch_end_steps[self._published_epochs : epochs], dtype=np.int64
        )
        parameters = trainer.network.parameters.copy()
        with self._lock:
            self._pending_steps.append(new_steps)
            self._pending_epochs.append(new_epochs)
            self._pending_epoch_ends.append(new_ends)
            self._latest = Publication(
                parameters, trainer.step_count, trainer.epoch, new_steps, new_epochs, new_ends
            )
        self._published_steps, self._published_epochs = steps, epochs

    def take(self) -> Publication | None:
        """The latest publication with every loss since the last ``take``, or ``None``."""
        with self._lock:
            latest = self._latest
            if latest is None:
                return None
            publication = Publication(
                latest.parameters,
                latest.step_count,
                latest.epoch,
                np.concatenate(self._pending_steps) if self._pending_steps else np.zeros(0),
                np.concatenate(self._pending_epochs) if self._pending_epochs else np.zeros(0),
                np.concatenate(self._pending_epoch_ends)
                if self._pending_epoch_ends
                else np.zeros(0, dtype=np.int64),
            )
            self._latest = None
            self._pending_steps.clear()
            self._pending_epochs.clear()
            self._pending_epoch_ends.clear()
        return publication
