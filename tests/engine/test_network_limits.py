"""The documented limit on a network's size (issue 13, point 7) and softmax's two units."""

from __future__ import annotations

import numpy as np
import pytest

from bp_studio.engine import Network
from bp_studio.engine.network import MAX_PARAMETERS, check_architecture, parameter_count


def test_the_limit_is_two_million_parameters_and_says_why() -> None:
    assert MAX_PARAMETERS == 2_000_000
    assert parameter_count([2, 4, 1]) == 2 * 4 + 4 + 4 * 1 + 1
    assert parameter_count([2, 4, 1], [True, False]) == 2 * 4 + 4 + 4
    with pytest.raises(ValueError) as info:
        Network.create([100_000, 100_000, 1], "sigmoid")  # 10 billion: refused before drawing
    message = str(info.value)
    assert message == (
        "the network would have 10,000,200,001 parameters, more than the 2,000,000 BP Studio "
        "handles (every parameter is kept in several copies while training, and a network "
        "file, at up to 26 bytes of text per parameter, may have at most 64 MiB)"
    )
    assert "Network.create" not in message


def test_the_limit_itself_is_allowed_and_one_more_is_not() -> None:
    # 1 input, units u, 1 output, no biases: 2u parameters
    assert parameter_count([1, MAX_PARAMETERS // 2, 1], [False, False]) == MAX_PARAMETERS
    check_architecture(
        [(MAX_PARAMETERS // 2, 1), (1, MAX_PARAMETERS // 2)], ["tanh", "linear"], "mse"
    )
    with pytest.raises(ValueError, match="2,000,001 parameters, more than the 2,000,000"):
        check_architecture(
            [(MAX_PARAMETERS // 2, 1), (1, MAX_PARAMETERS // 2)],
            ["tanh", "linear"],
            "mse",
            [None, np.zeros(1)],
        )


def test_softmax_needs_two_units() -> None:
    with pytest.raises(ValueError, match=r"layers\[1\]: softmax needs at least 2 units"):
        Network.create([2, 3, 1], ["tanh", "softmax"], "cross_entropy")
    Network.create([2, 3, 2], ["tanh", "softmax"], "cross_entropy")
