"""Breakpoints: pause training by itself when something worth a look happens.

A ``Breakpoint`` is a condition on the run: the loss of a step below a value, an epoch
number reached, a layer's gradient norm above a value, a unit turning dead, the accuracy
reaching a value. A breakpoint fires when its condition becomes true (not again while it
stays true). ``Studio.run`` checks them after every chunk of steps; when one fires the
run stops, at the exact step where it fired when that step is known (a step's loss, the end
of an epoch: the studio rewinds to it), else at the end of the chunk (figures measured then:
gradient norms, dead units, accuracy), and the banner says which one fired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bp_studio.engine.diagnostics import LayerHealth

KINDS = {
    "loss_below": "loss of a step below",
    "epoch": "epoch reaches",
    "grad_norm_above": "gradient norm of a layer above",
    "unit_dead": "a unit turns dead",
    "accuracy_reaches": "training accuracy reaches",
}
"""Every kind of breakpoint and how the breakpoints list reads it."""


@dataclass(frozen=True)
class Breakpoint:
    """Pause when ``kind`` (one of ``KINDS``) holds for ``value`` (unused for ``unit_dead``;
    an accuracy is a share, 0.95 = 95 %); ``enabled=False`` keeps it but does not pause."""

    kind: str
    value: float = 0.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown breakpoint {self.kind!r} (known: {', '.join(KINDS)})")
        name = f"breakpoint “{KINDS[self.kind]}”"
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise ValueError(f"{name}: the value must be a number, got {self.value!r}")
        if not math.isfinite(self.value):
            raise ValueError(f"{name}: the value must be a finite number, got {self.value}")
        if self.kind == "epoch" and (self.value < 1 or self.value != int(self.value)):
            raise ValueError(f"{name}: a whole number of at least 1, got {self.value:g}")
        if self.kind == "accuracy_reaches" and not 0 < self.value <= 1:
            raise ValueError(f"{name}: a share above 0 and at most 1, got {self.value:g}")
        if not isinstance(self.enabled, bool):
            raise ValueError(f"{name}: enabled must be true or false")

    def describe(self) -> str:
        """``loss of a step below 0.01`` as the list and the banner say it."""
        if self.kind == "unit_dead":
            return KINDS[self.kind]
        if self.kind == "epoch":
            return f"{KINDS[self.kind]} {int(self.value):,}"
        if self.kind == "accuracy_reaches":
            return f"{KINDS[self.kind]} {self.value:.1%}"
        return f"{KINDS[self.kind]} {self.value:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": float(self.value), "enabled": self.enabled}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Breakpoint:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object with kind, value, enabled")
        # Read from JSON as they are: __post_init__ checks each and names the bad one.
        kind: Any = data.get("kind")
        try:
            return cls(kind, data.get("value", 0.0), data.get("enabled", True))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class Hit:
    """A breakpoint that fired: at ``step`` (the studio goes there), and why, in words."""

    breakpoint: Breakpoint
    step: int
    message: str


def first_hit(
    breakpoints: tuple[Breakpoint, ...],
    first_step: int,
    step_losses: np.ndarray,
    epoch_end_steps: np.ndarray,
    epochs_before: int,
    health: list[LayerHealth] | None,
    accuracy: float | None,
    last_step: int,
    previous_loss: float | None = None,
    held: dict[Breakpoint, Any] | None = None,
) -> tuple[Hit | None, dict[Breakpoint, Any]]:
    """The earliest breakpoint that fired among the steps ``first_step + 1 .. last_step`` just
    run, and what each measured condition was at their end (pass it back as ``held`` next
    time).

    ``step_losses`` are those steps' losses and ``previous_loss`` the loss of step
    ``first_step`` (``None`` before the first step); ``epoch_end_steps`` the steps where the
    epochs ``epochs_before + 1, ...`` ended during them; ``health`` and ``accuracy``
    (``None``: not measured this time) were measured at ``last_step``.

    A breakpoint fires when its condition *becomes* true, not while it stays true: the loss
    of a step goes below the value after a step at or above it; a gradient norm rises above
    the value, a unit that was alive turns dead, the accuracy reaches the value, where the
    previous measurement (``held``) said otherwise. Play after a breakpoint therefore goes on
    until the next crossing.
    """
    held = dict(held or {})
    hits: list[Hit] = []
    for point in breakpoints:
        if not point.enabled:
            continue
        if point.kind == "loss_below":
            losses = np.concatenate(
                [[np.inf if previous_loss is None else previous_loss], step_losses]
            )
            crossed = np.flatnonzero((losses[1:] < point.value) & ~(losses[:-1] < point.value))
            if crossed.size:
                step = first_step + 1 + int(crossed[0])
                loss = float(step_losses[crossed[0]])
                hits.append(Hit(point, step, f"the loss of step {step:,} is {loss:.4g}"))
        elif point.kind == "epoch":
            epoch = int(point.value)
            position = epoch - epochs_before - 1
            if 0 <= position < len(epoch_end_steps):
                step = int(epoch_end_steps[position])
                hits.append(Hit(point, step, f"epoch {epoch:,} ended at step {step:,}"))
        elif point.kind == "grad_norm_above" and health is not None:
            above = [h for h in health if h.grad_norm is not None and h.grad_norm > point.value]
            if above and not held.get(point, False):
                h = above[0]
                hits.append(
                    Hit(
                        point,
                        last_step,
                        f"the gradient norm of layer {h.layer + 1} is {h.grad_norm:.4g}",
                    )
                )
            held[point] = bool(above)
        elif point.kind == "unit_dead" and health is not None:
            dead = frozenset((h.layer, unit) for h in health for unit in h.dead_units)
            new = sorted(dead - held.get(point, frozenset()))
            if new:
                layer, unit = new[0]
                hits.append(Hit(point, last_step, f"unit {unit + 1} of layer {layer + 1} is dead"))
            held[point] = dead
        elif point.kind == "accuracy_reaches" and accuracy is not None:
            reached = accuracy >= point.value
            if reached and not held.get(point, False):
                hits.append(Hit(point, last_step, f"the training accuracy is {accuracy:.1%}"))
            held[point] = reached
    if not hits:
        return None, held
    return min(hits, key=lambda hit: hit.step), held


def breakpoints_from(data: Any, where: str = "breakpoints") -> tuple[Breakpoint, ...]:
    """Breakpoints from a session's list; ``ValueError`` names the bad entry."""
    if not isinstance(data, list):
        raise ValueError(f"{where}: expected a list")
    return tuple(Breakpoint.from_dict(item, f"{where}[{i}]") for i, item in enumerate(data))
