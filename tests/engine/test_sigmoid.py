"""The sigmoid kernel: within 2 ulps of ``1 / (1 + e^-z)`` everywhere, tails included.

The exact values come from ``decimal`` at 60 digits, rounded once to float64.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from bp_studio.engine import get_activation

sigmoid = get_activation("sigmoid").forward


def exact(z: float) -> float:
    """``1 / (1 + e^-z)`` to 60 digits, rounded to the nearest float64."""
    with localcontext() as context:
        context.prec = 60
        return float(1 / (1 + (-Decimal(z)).exp()))


def ulps(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Distance in units in the last place of ``expected`` (subnormals count 5e-324)."""
    return np.abs(actual - expected) / np.spacing(np.abs(expected))


GRID = np.concatenate(
    [
        np.random.default_rng(0).uniform(-60.0, 60.0, 2_000),
        np.random.default_rng(1).uniform(-760.0, 760.0, 2_000),
        [-750.0, -745.2, -745.0, -744.0, -709.8, -709.78, -709.0, -708.9, -700.0, -40.0],
        [-37.0, -1e-300, -5e-324, 0.0, 5e-324, 1e-300, 1.0, 36.7, 37.0, 40.0, 750.0],
    ]
)


def test_within_two_ulps_of_the_exact_value_everywhere() -> None:
    expected = np.array([exact(z) for z in GRID])
    assert np.max(ulps(sigmoid(GRID), expected)) <= 2.0


@pytest.mark.parametrize(
    ("z", "value"),
    [
        (-800.0, 0.0),  # e^-800 is below the smallest subnormal
        (-745.0, 5e-324),  # the smallest subnormal, not 0
        (-744.0, 1e-323),
        (0.0, 0.5),
        (40.0, 1.0),  # 1 - 4.2e-18 rounds to 1
        (800.0, 1.0),
        (np.inf, 1.0),
        (-np.inf, 0.0),
    ],
)
def test_tails_and_limits(z: float, value: float) -> None:
    assert sigmoid(np.array([z]))[0] == value


def test_the_lower_tail_keeps_its_relative_precision() -> None:
    z = np.array([-40.0, -100.0, -300.0, -700.0, -709.5])
    a = sigmoid(z)
    assert np.all(a > 0.0)
    assert np.max(ulps(a, np.array([exact(v) for v in z]))) <= 2.0


def test_nan_stays_nan_and_nothing_warns() -> None:
    # pytest turns RuntimeWarning (overflow in exp) into an error for the whole suite
    a = sigmoid(np.array([np.nan, -1e308, 1e308, -np.inf, np.inf, -710.0]))
    assert np.isnan(a[0])
    assert a[1:].tolist() == [0.0, 1.0, 0.0, 1.0, exact(-710.0)]


def test_each_value_is_independent_of_the_rest_of_the_array() -> None:
    """An array with a value below -709 takes the other formula; the others are unchanged."""
    z = np.random.default_rng(2).uniform(-700.0, 700.0, (64, 8))
    alone = sigmoid(z)
    z_with_tail = z.copy()
    z_with_tail[5, 3] = -720.0
    together = sigmoid(z_with_tail)
    mask = np.ones(z.shape, dtype=bool)
    mask[5, 3] = False
    assert np.array_equal(alone[mask], together[mask])
    assert together[5, 3] == exact(-720.0)


def test_shapes_are_kept() -> None:
    assert sigmoid(np.zeros((0, 3))).shape == (0, 3)
    assert sigmoid(np.zeros((2, 0))).shape == (2, 0)
    assert sigmoid(np.full((3, 2), -800.0)).shape == (3, 2)
    assert float(sigmoid(np.array(0.0))) == 0.5


def test_derivative_is_a_times_one_minus_a() -> None:
    f = get_activation("sigmoid")
    z = np.array([-800.0, -20.0, 0.0, 3.0, 40.0])
    a = f.forward(z)
    assert f.derivative(z, a).tolist() == (a * (1.0 - a)).tolist()
