"""Compare runs: the loss curves of earlier runs, kept beside the current one.

When a new run starts (Reset, another architecture, other data) the run that ends is kept
as a ``RunCurve``: its label (what it was: the network, optimiser, learning rate, batch),
the loss of every step and the mean loss of every epoch. The loss plot draws the kept curves
faded and labelled, so "learning rate 0.5 against 0.05" or "sigmoid against relu" is one
picture; the user shows, hides or deletes them. At most ``MAX_RUNS`` are kept (the oldest go).
Each kept run gets a colour number of its own (``RunCurve.color``) that it keeps when others
are deleted, so a run is drawn and listed in the same colour for as long as it is kept.
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
RUN_COLOR_COUNT = MAX_RUNS
"""How many colour numbers there are: every kept run can have a different one."""


@dataclass(frozen=True)
class RunCurve:
    """One earlier run's losses: ``step_losses`` ``(steps,)``, ``epoch_end_steps`` and
    ``epoch_losses`` ``(epochs,)``; ``visible`` on the loss plot; ``color``, its colour
    number ``0..RUN_COLOR_COUNT-1`` (``RunArchive.keep`` gives it; the plot and the runs list
    turn it into a hue)."""

    label: str
    step_losses: np.ndarray
    epoch_end_steps: np.ndarray
    epoch_losses: np.ndarray
    visible: bool = True
    color: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "step_losses": [float(x) if math.isfinite(x) else None for x in self.step_losses],
            "epoch_end_steps": [int(x) for x in self.epoch_end_steps],
            "epoch_losses": [float(x) if math.isfinite(x) else None for x in self.epoch_losses],
            "visible": self.visible,
            "color": self.color,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str, color: int = 0) -> RunCurve:
        """The run saved by ``to_dict``; ``color`` when it has none (a file written before
        runs kept their colour)."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object with label and losses")
        label = data.get("label")
        if not isinstance(label, str):
            raise ValueError(f"{where}.label: expected text")
        visible = data.get("visible", True)
        if not isinstance(visible, bool):
            raise ValueError(f"{where}.visible: expected true or false")
        color = data.get("color", color)
        if not isinstance(color, int) or isinstance(color, bool) or color < 0:
            raise ValueError(f"{where}.color: expected a whole number from 0")
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
        return cls(label, arrays[0], arrays[1], arrays[2], visible, color % RUN_COLOR_COUNT)


@dataclass
class RunArchive:
    """The kept runs, oldest first."""

    runs: list[RunCurve] = field(default_factory=list)

    def keep(self, curve: RunCurve) -> None:
        """Keep ``curve`` (the oldest goes beyond ``MAX_RUNS``) with a colour no kept run
        has: the first free one after the newest run's, so that a new run does not take at
        once the colour of one just deleted."""
        del self.runs[: max(0, len(self.runs) - MAX_RUNS + 1)]
        used = {run.color for run in self.runs}
        start = self.runs[-1].color + 1 if self.runs else 0
        color = next(
            c
            for c in ((start + i) % RUN_COLOR_COUNT for i in range(RUN_COLOR_COUNT))
            if c not in used
        )
        self.runs.append(replace(curve, color=color))

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
        # A file from before runs kept their colour: each gets the one of its place in the list.
        first = max(0, len(data) - MAX_RUNS)
        runs = [
            RunCurve.from_dict(item, f"{where}[{i}]", max(0, i - first))
            for i, item in enumerate(data)
        ]
        return cls(runs[first:])


def run_label(
    settings: Settings,
    network: Network,
    steps: int,
    changes: Sequence[Change] = (),
    data: str | None = None,
) -> str:
    """What a run was, short: ``xor · 2-3-1 sigmoid · sgd η 0.5 · full batch · 120 steps``
    (``data``: the data set's name, first when given).

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
    if data:
        label = f"{data} · {label}"
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
