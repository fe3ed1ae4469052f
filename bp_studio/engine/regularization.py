"""L1 and L2 regularisation of the weights (biases are never regularised).

With rate ``lambda`` the objective is ``L + penalty``:

- ``l2``: ``penalty = lambda * sum_w 1/2 w^2``;  ``d penalty / dw = lambda * w``
- ``l1``: ``penalty = lambda * sum_w |w|``;      ``d penalty / dw = lambda * sign(w)``

The penalty does not depend on the data, so it is added once per step, not per sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

REGULARIZATIONS = ("none", "l1", "l2")


@dataclass(frozen=True)
class Regularization:
    """A regularisation ``kind`` (``none``, ``l1`` or ``l2``) with its ``rate`` lambda."""

    kind: str = "none"
    rate: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in REGULARIZATIONS:
            raise ValueError(
                f"unknown regularization {self.kind!r} (known: {', '.join(REGULARIZATIONS)})"
            )
        if not (math.isfinite(self.rate) and self.rate >= 0.0):
            raise ValueError(f"regularization rate must be >= 0 and finite, got {self.rate!r}")

    @property
    def active(self) -> bool:
        return self.kind != "none" and self.rate > 0.0

    @property
    def formula(self) -> str:
        if self.kind == "l1":
            return "penalty = lambda * sum |w|"
        if self.kind == "l2":
            return "penalty = lambda * sum 1/2 w^2"
        return "no penalty"

    def penalty(self, weights: np.ndarray) -> float:
        """The penalty for the weights (a flat vector of every weight, no biases)."""
        if not self.active:
            return 0.0
        if self.kind == "l1":
            return self.rate * float(np.sum(np.abs(weights)))
        return self.rate * 0.5 * float(np.sum(weights * weights))

    def gradient(self, weights: np.ndarray) -> np.ndarray:
        """``d penalty / dw`` for each weight (same shape as ``weights``)."""
        if self.kind == "l1":
            return self.rate * np.sign(weights)
        return self.rate * weights
