"""Helpers shared by several test modules (``tests/`` is on ``sys.path`` through conftest.py)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from bp_studio.engine import Parameters


def flat(parameters: Iterable[Parameters]) -> np.ndarray:
    """``Parameters`` records (one per layer) as one vector in the order of
    ``Network.parameters``: each layer's weight row by row, then its bias."""
    parts = []
    for p in parameters:
        parts.append(p.weight.ravel())
        if p.bias is not None:
            parts.append(p.bias)
    return np.concatenate(parts)

