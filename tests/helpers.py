"""Helpers shared by several test modules (``tests/`` is on ``sys.path`` through conftest.py)."""

from __future__ import annotations

import os
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
