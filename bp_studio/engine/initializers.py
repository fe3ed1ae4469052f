"""Weight initialisers. Weights have shape ``(units, inputs)``; biases start at zero.

- ``xavier`` (Glorot uniform): ``w ~ U(-a, a)`` with ``a = sqrt(6 / (inputs + units))``
- ``he`` (He normal): ``w ~ N(0, 2 / inputs)``, for relu layers
- ``uniform``: ``w ~ U(-a, a)`` with the given ``a`` (``scale``, default 0.5)

All randomness comes from the ``numpy.random.Generator`` passed in, so a seed fixes the result.
"""

from __future__ import annotations

import math

import numpy as np

INITIALIZERS = ("xavier", "he", "uniform")
"""Every initialiser by name."""


def initial_weight(
    name: str, units: int, inputs: int, rng: np.random.Generator, scale: float = 0.5
) -> np.ndarray:
    """Draw a ``(units, inputs)`` weight matrix with the initialiser called ``name``."""
    if name == "xavier":
        limit = math.sqrt(6.0 / (inputs + units))
        return rng.uniform(-limit, limit, size=(units, inputs))
    if name == "he":
        return rng.normal(0.0, math.sqrt(2.0 / inputs), size=(units, inputs))
    if name == "uniform":
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"uniform initialiser needs a positive finite scale, got {scale!r}")
        return rng.uniform(-scale, scale, size=(units, inputs))
    raise ValueError(f"unknown initializer {name!r} (known: {', '.join(INITIALIZERS)})")
