"""Input normalisation, part of the network so that ``predict`` takes raw inputs.

``x_normalised = (x - offset) / scale`` column by column (``offset`` and ``scale`` have shape
``(inputs,)``):

- ``standardize``: ``offset = mean``, ``scale = standard deviation`` of the training inputs;
- ``minmax``: ``offset = min``, ``scale = max - min``, mapping the training inputs to [0, 1].

A column with no spread gets ``scale = 1`` so that nothing is divided by zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NORMALIZATIONS = ("standardize", "minmax")


@dataclass(frozen=True)
class Normalization:
    """``apply(X) = (X - offset) / scale``; ``kind`` says how offset and scale were fitted."""

    kind: str
    offset: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        if self.kind not in NORMALIZATIONS:
            raise ValueError(
                f"unknown normalization {self.kind!r} (known: {', '.join(NORMALIZATIONS)})"
            )
        offset = np.array(self.offset, dtype=np.float64).reshape(-1)
        scale = np.array(self.scale, dtype=np.float64).reshape(-1)
        if offset.shape != scale.shape:
            raise ValueError(
                f"normalization offset has {offset.size} values but scale has {scale.size}"
            )
        if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale))):
            raise ValueError("normalization offset and scale must be finite numbers")
        if np.any(scale <= 0):
            raise ValueError("normalization scale must be positive")
        offset.flags.writeable = False
        scale.flags.writeable = False
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "scale", scale)

    @classmethod
    def fit(cls, kind: str, X: np.ndarray) -> Normalization:
        """Fit ``kind`` to the training inputs ``X`` ``(samples, inputs)``."""
        X = np.asarray(X, dtype=np.float64)
        if kind == "standardize":
            offset, scale = X.mean(axis=0), X.std(axis=0)
        elif kind == "minmax":
            offset, scale = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
        else:
            raise ValueError(f"unknown normalization {kind!r} (known: {', '.join(NORMALIZATIONS)})")
        scale = np.where(scale > 0, scale, 1.0)
        return cls(kind, offset, scale)

    @property
    def inputs(self) -> int:
        return self.offset.shape[0]

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Normalised inputs ``(X - offset) / scale``, same shape as ``X``."""
        return (X - self.offset) / self.scale
