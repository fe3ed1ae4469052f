"""Compare runs: the loss curves of earlier runs, kept beside the current one.

When a new run starts (Reset, another architecture, other data) the run that ends is kept
as a ``RunCurve``: its label (what it was: the network, optimiser, learning rate, batch),
the loss of every step and the mean loss of every epoch. The loss plot draws the kept curves
faded and labelled, so "learning rate 0.5 against 0.05" or "sigmoid against relu" is one
picture; the user shows, hides or deletes them. At most ``MAX_RUNS`` are kept (the oldest go).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from bp_studio.engine import Network
from bp_studio.studio.changes import Change
from bp_studio.studio.settings import ARCHITECTURE_FIELDS, Settings

MAX_RUNS = 8


@dataclass(frozen=True)
class RunCurve:
    """One earlier run's losses: ``step_losses`` ``(steps,)``, ``epoch_end_steps`` and
    ``epoch_losses`` ``(epochs,)``; ``visible`` on the loss plot."""

    label: str
    step_losses: np.ndarray
    epoch_end_steps: np.ndarray
    epoch_losses: np.ndarray
    visible: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "step_losses": [float(x) if math.isfinite(x) else None for x in self.step_losses],
            "epoch_end_steps": [int(x) for x in self.epoch_end_steps],
            "epoch_losses": [float(x) if math.isfinite(x) else None for x in self.epoch_losses],
            "visible": self.visible,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> RunCurve:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object with label and losses")
        label = data.get("label")
        if not isinstance(label, str):
            raise ValueError(f"{where}.label: expected text")
        visible = data.get("visible", True)
        if not isinstance(visible, bool):
            raise ValueError(f"{where}.visible: expected true or false")
        arrays = []
        for name, kind in (
            ("step_losses", float),
            ("epoch_end_steps", int),
            ("epoch_losses", float),
        ):
            values = data.get(name, [])
            if not isinstance(values, list):
                raise ValueError(f"{where}.{name}: expected a list")
            for index, value in enumerate(values):
                ok = (value is None and kind is float) or (
                    isinstance(value, (int, float)) and not isinstance(value, bool)
                )
                if not ok:
                    raise ValueError(f"{where}.{name}[{index}]: expected a number")
            if kind is float:
                arrays.append(np.array([np.nan if v is None else v for v in values], float))
            else:
                arrays.append(np.array(values, dtype=np.int64))
        if len(arrays[1]) != len(arrays[2]):
            raise ValueError(f"{where}: epoch_end_steps and epoch_losses differ in length")
        return cls(label, arrays[0], arrays[1], arrays[2], visible)


@dataclass
class RunArchive:
    """The kept runs, oldest first."""

    runs: list[RunCurve] = field(default_factory=list)

    def keep(self, curve: RunCurve) -> None:
        self.runs.append(curve)
        del self.runs[:-MAX_RUNS]

    def show(self, index: int, visible: bool) -> None:
        self.runs[index] = replace(self.runs[index], visible=bool(visible))

    def delete(self, index: int) -> None:
        del self.runs[index]

    def copy(self) -> RunArchive:
        return RunArchive(list(self.runs))

    def to_list(self) -> list[dict[str, Any]]:
        return [run.to_dict() for run in self.runs]

    @classmethod
    def from_list(cls, data: Any, where: str = "runs") -> RunArchive:
        if not isinstance(data, list):
            raise ValueError(f"{where}: expected a list")
        runs = [RunCurve.from_dict(item, f"{where}[{i}]") for i, item in enumerate(data)]
        return cls(runs[-MAX_RUNS:])


def run_label(
    settings: Settings, network: Network, steps: int, changes: Sequence[Change] = ()
) -> str:
    """What a run was, short: ``2-3-1 sigmoid · sgd η 0.5 · full batch · 120 steps``.

    ``settings`` are those in effect now and ``changes`` the run's record: the label gives
    the settings the run's first step used, and a setting changed during the run as
    ``η 0.5→0.05 at step 80`` (one changed after its last step was never trained with).
    """
    used = settings
    during: list[Change] = []
    for change in reversed(changes):
        if change.name not in _TRAINING_NAMES or change.step == 0:
            continue  # an edit, or a change before the first step: the run began with it
        used = replace(used, **{change.name: change.old})  # back to what the run began with
        if change.step < steps:
            during.append(change)
    hidden = sorted({layer.activation for layer in network.layers[:-1]})
    activations = "/".join(hidden) if hidden else network.layers[-1].activation
    batch = "full batch" if used.batch_size is None else f"batch {used.batch_size}"
    sizes = "-".join(str(s) for s in network.sizes)
    label = (
        f"{sizes} {activations} · {used.optimizer} η {_value(used.lr)} · {batch} · {steps:,} steps"
    )
    for change in reversed(during):
        name = "η" if change.name == "lr" else change.name.replace("_", " ")
        label += f" · {name} {_value(change.old)}→{_value(change.new)} at step {change.step:,}"
    return label


_TRAINING_NAMES = frozenset(f.name for f in fields(Settings)) - set(ARCHITECTURE_FIELDS)
"""Settings that can change during a run (another architecture starts a new run)."""


def _value(value: Any) -> str:
    if value is None:
        return "full batch"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
