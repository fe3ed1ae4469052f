"""The record of what the user changed during a run: settings and hand edits, with their step.

``Change(step, name, old, new)``: ``step`` is the step count when the change took effect (it
applies from step ``step + 1`` on); ``name`` is a setting's name (``"lr"``, ``"optimizer"``,
``"hidden"`` ...) or the parameter edited, as ``Network.parameter_slices`` names it with its
0-based index: ``"layers.0.weight[1,0]"``, ``"layers.1.bias[0]"``; ``"weights"`` for an
import of every parameter (``old``/``new`` are then the parameter vectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Change:
    """One setting change or edit: at ``step``, ``name`` went from ``old`` to ``new``."""

    step: int
    name: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "name": self.name,
            "old": _plain(self.old),
            "new": _plain(self.new),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Change:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object with step, name, old, new")
        step, name = data.get("step"), data.get("name")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"{where}.step: expected a whole number of steps, got {step!r}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}.name: expected the name of a setting or parameter")
        return cls(step, name, data.get("old"), data.get("new"))


def weight_name(layer: int, unit: int, input: int) -> str:
    """The change name of ``layers[layer].weight[unit, input]`` (0-based, as in code)."""
    return f"layers.{layer}.weight[{unit},{input}]"


def bias_name(layer: int, unit: int) -> str:
    return f"layers.{layer}.bias[{unit}]"


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data (arrays become lists, hidden layers dicts)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value
