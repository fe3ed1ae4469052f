"""Weight initialisers. Weights have shape ``(units, inputs)``; biases start at zero.

- ``xavier`` (Glorot uniform): ``w ~ U(-a, a)`` with ``a = sqrt(6 / (inputs + units))``
- ``he`` (He normal): ``w ~ N(0, 2 / inputs)``, for relu layers
- ``uniform``: ``w ~ U(-a, a)`` with the given ``a`` (``scale``, default 0.5)

All randomness comes from the ``numpy.random.Generator`` passed in, so a seed fixes the result.
One entry of ``INITIALIZER_TABLE`` is all it takes to add an initialiser: the CLI's choices
and help, and the settings panel's list, read it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Initializer:
    """``draw(units, inputs, rng, scale) -> (units, inputs)`` weights, with what people read.

    ``formula`` is plain text in the explanation's notation; ``use`` says in a few words when
    it is the right choice (the CLI's help prints it).
    """

    name: str
    title: str
    formula: str
    use: str
    draw: Callable[[int, int, np.random.Generator, float], np.ndarray]


def _xavier(units: int, inputs: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    limit = math.sqrt(6.0 / (inputs + units))
    return rng.uniform(-limit, limit, size=(units, inputs))


def _he(units: int, inputs: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    return rng.normal(0.0, math.sqrt(2.0 / inputs), size=(units, inputs))


def _uniform(units: int, inputs: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"uniform initialiser needs a positive finite scale, got {scale!r}")
    return rng.uniform(-scale, scale, size=(units, inputs))


INITIALIZER_TABLE: dict[str, Initializer] = {
    init.name: init
    for init in (
        Initializer(
            "xavier",
            "Xavier (Glorot uniform)",
            "w ~ U(-a, a), a = sqrt(6 / (inputs + units))",
            "suits sigmoid and tanh layers",
            _xavier,
        ),
        Initializer("he", "He (normal)", "w ~ N(0, 2 / inputs)", "suits relu layers", _he),
        Initializer(
            "uniform",
            "Uniform",
            "w ~ U(-a, a), a = scale",
            "draws every weight from -scale..scale (scale 0.5 unless given)",
            _uniform,
        ),
    )
}
"""Every initialiser by name, in the order the window lists them."""

INITIALIZERS = tuple(INITIALIZER_TABLE)
"""Every initialiser's name."""


def initial_weight(
    name: str, units: int, inputs: int, rng: np.random.Generator, scale: float = 0.5
) -> np.ndarray:
    """Draw a ``(units, inputs)`` weight matrix with the initialiser called ``name``."""
    try:
        init = INITIALIZER_TABLE[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown initializer {name!r} (known: {', '.join(INITIALIZERS)})"
        ) from None
    return init.draw(units, inputs, rng, scale)
