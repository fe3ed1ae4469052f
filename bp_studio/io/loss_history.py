"""The loss history as CSV: one row per step, for spreadsheets and plots elsewhere.

Columns: ``step, epoch, train_loss, test_loss, train_accuracy, test_accuracy``. ``train_loss``
is the loss of the step's batch before its update (``Trainer.step_losses``); the test loss
and the accuracies are filled at the steps where they were measured (empty elsewhere).
Floats are written with ``repr`` (exact). Written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from bp_studio.io.atomic import atomic_write_text

HEADER = "step,epoch,train_loss,test_loss,train_accuracy,test_accuracy"


def loss_history_csv(
    step_losses: np.ndarray,
    epoch_end_steps: np.ndarray,
    measured: Mapping[int, tuple[float | None, float | None, float | None]],
) -> str:
    """The CSV text. ``measured[step] = (test_loss, train_accuracy, test_accuracy)``."""
    losses = np.asarray(step_losses, dtype=np.float64)
    ends = np.asarray(epoch_end_steps, dtype=np.int64)
    epochs = np.searchsorted(ends, np.arange(1, len(losses) + 1), side="left") + 1
    lines = [HEADER]
    for step, (epoch, loss) in enumerate(zip(epochs, losses), start=1):
        cells = [str(step), str(int(epoch)), repr(float(loss))]
        for value in measured.get(step, (None, None, None)):
            cells.append("" if value is None else repr(float(value)))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def write_loss_history(
    path: str | os.PathLike,
    step_losses: np.ndarray,
    epoch_end_steps: np.ndarray,
    measured: Mapping[int, tuple[float | None, float | None, float | None]],
) -> None:
    """Write ``loss_history_csv(...)`` to ``path`` atomically (``AtomicWriteError``)."""
    atomic_write_text(path, loss_history_csv(step_losses, epoch_end_steps, measured))
