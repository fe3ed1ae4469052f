"""Helpers shared by several test modules (``tests/`` is on ``sys.path`` through conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from bp_studio.engine import Network, Parameters
from bp_studio.studio.explain import format_number


def flat(parameters: Iterable[Parameters]) -> np.ndarray:
    """``Parameters`` records (one per layer) as one vector in the order of
    ``Network.parameters``: each layer's weight row by row, then its bias."""
    parts = []
    for p in parameters:
        parts.append(p.weight.ravel())
        if p.bias is not None:
            parts.append(p.bias)
    return np.concatenate(parts)


LOCAL_EXAMPLES = 25
"""Hypothesis examples per property test on a developer's machine (see ``fuzz_examples``)."""


def fuzz_examples(full: int) -> int:
    """How many examples a property test whose full count is ``full`` runs.

    ``FUZZ_EXAMPLES=N`` in the environment: ``N``. Else the full count in CI (``CI`` set, as
    ``.ci/run`` and CI services do), and at most ``LOCAL_EXAMPLES`` on a developer's machine.
    """
    chosen = os.environ.get("FUZZ_EXAMPLES")
    if chosen:
        return int(chosen)
    if os.environ.get("CI"):
        return full
    return min(full, LOCAL_EXAMPLES)


# -- the small network the canvas tests draw ----------------------------------------------------

X_231 = np.array([[0.05, 0.10], [0.9, -0.4]])
"""Two samples for ``network_231``."""
T_231 = np.array([[0.01], [0.99]])


def network_231() -> Network:
    """A 2-3-1 network (tanh, sigmoid, mse) with hand-chosen weights and biases."""
    return Network(
        [[[0.15, 0.20], [-0.25, 0.30], [0.40, -0.45]], [[0.50, -0.55, 0.60]]],
        [[0.35, 0.35, 0.35], [0.60]],
        ["tanh", "sigmoid"],
        "mse",
    )


def g4(value: float) -> str:
    """Four significant digits with a real minus sign, as the canvas and explanation print."""
    return format_number(value, 4)
