"""Every registry entry (activations, losses, optimisers, initialisers) tells the truth.

The rest of BP Studio reads these fields instead of knowing the names, so each field is
checked here against the entry's own maths: derivatives against central differences,
``max_derivative`` and ``output_range`` against a dense grid, the loss terms against the
loss, the optimiser's state vectors against its state. Parametrised over the registries, so
a new entry is checked without a new test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from bp_studio.engine import (
    ACTIVATIONS,
    INITIALIZER_TABLE,
    LOSSES,
    OPTIMIZERS,
    Network,
    check_output_activation,
    hidden_activations,
    output_activations,
    output_losses,
)
from bp_studio.engine.activations import Activation, OnnxNode
from bp_studio.engine.losses import one_hot_targets
from bp_studio.engine.trainer_state import OPTIMIZER_VECTORS

ELEMENTWISE = [name for name, a in ACTIVATIONS.items() if a.elementwise]
GRID = np.linspace(-30.0, 30.0, 240_001)  # step 2.5e-4, includes 0
H = 1e-6


def _away_from_kinks(activation: Activation, z: np.ndarray, margin: float = 1e-3) -> np.ndarray:
    keep = np.ones(z.shape, dtype=bool)
    for kink in activation.kinks:
        keep &= np.abs(z - kink) > margin
    return z[keep]


class _Plain:
    """A ``NumberText`` that writes every digit, so that the text can be evaluated back."""

    def f(self, x: float) -> str:
        return repr(float(x))

    def fp(self, x: float) -> str:
        return f"({float(x)!r})" if x < 0 else repr(float(x))

    def sum(self, count, term) -> str:
        return " + ".join(term(i) for i in range(count))


def _evaluate(text: str) -> float:
    """The number a formula with numbers plugged in stands for (``e^(0.5)``, ``a × b``,
    ``max(0, z)``, ``tanh(z)``, ``log o``, ``[...]``, ``x^2``): an independent reading of the
    text the explanation shows."""
    expression = text.replace("e^(", "exp(").replace("^2", "**2").replace("×", "*")
    expression = expression.replace("[", "(").replace("]", ")")
    expression = re.sub(r"\blog ([0-9.e()+-]+)", r"log(\1)", expression)
    return float(
        eval(
            expression,
            {"__builtins__": {}},
            {"exp": math.exp, "log": math.log, "tanh": math.tanh, "max": max},
        )
    )


# -- activations ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name: str) -> None:
    activation = ACTIVATIONS[name]
    z = _away_from_kinks(activation, np.linspace(-12.0, 12.0, 4001)).reshape(-1, 1)
    numeric = (activation.forward(z + H) - activation.forward(z - H)) / (2 * H)
    analytic = activation.derivative(z, activation.forward(z))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_max_derivative_is_the_largest_slope(name: str) -> None:
    activation = ACTIVATIONS[name]
    z = GRID.reshape(-1, 1)
    slopes = np.abs(activation.derivative(z, activation.forward(z)))
    assert np.max(slopes) <= activation.max_derivative * (1 + 1e-12)
    assert np.max(slopes) == pytest.approx(activation.max_derivative, rel=1e-6)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_output_range_holds_every_value_and_is_reached(name: str) -> None:
    activation = ACTIVATIONS[name]
    low, high = activation.output_range
    z = np.concatenate([GRID[1:], [-1e3, 1e3, -1e300, 1e300]]).reshape(-1, 2)
    a = activation.forward(z)
    assert np.all(np.isfinite(a)), "forward must not overflow"
    assert np.all((a >= low) & (a <= high))
    # Tight: the ends are approached (a finite end within 1e-6, an infinite one passed 1e3).
    for end, extreme in ((low, np.min(a)), (high, np.max(a))):
        if math.isfinite(end):
            assert abs(extreme - end) < 1e-6
        else:
            assert abs(extreme) > 1e3


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.saturates])
def test_saturating_activations_lose_their_slope_in_a_tail(name: str) -> None:
    activation = ACTIVATIONS[name]
    z = np.array([[-50.0, 50.0]])
    slopes = np.abs(activation.derivative(z, activation.forward(z)))
    assert np.min(slopes) < 1e-3 * activation.max_derivative


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.dead_below is not None])
def test_the_dead_side_passes_at_most_one_percent_of_the_slope(name: str) -> None:
    activation = ACTIVATIONS[name]
    z = np.linspace(-100.0, activation.dead_below, 1001).reshape(-1, 1)
    slopes = np.abs(activation.derivative(z, activation.forward(z)))
    assert np.all(slopes <= 0.01 * activation.max_derivative)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_formulas_with_numbers_evaluate_to_the_values(name: str) -> None:
    activation = ACTIVATIONS[name]
    assert activation.title and activation.symbol and activation.formula
    assert activation.derivative_formula
    z = np.array([-0.75, 0.5, 1.25])
    a = activation.forward(z.reshape(1, -1))[0]
    shown = 0
    for unit in range(3):
        if activation.formula_numbers is not None:
            text = activation.formula_numbers(z, unit, _Plain())
            if text is not None:
                assert _evaluate(text) == pytest.approx(a[unit], rel=1e-12)
                shown += 1
        if activation.derivative_numbers is not None:
            text = activation.derivative_numbers(z[unit], a[unit], _Plain())
            slope = activation.derivative(z.reshape(1, -1), a.reshape(1, -1))[0, unit]
            assert _evaluate(text) == pytest.approx(slope, rel=1e-12)
    assert shown or activation.formula_numbers is None or activation.kinks


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_numpy_code_computes_the_same_bits(name: str) -> None:
    """The expressions generated scripts use, run as they would run, against the engine."""
    activation = ACTIVATIONS[name]
    code = activation.numpy_code
    namespace: dict = {"np": np}
    exec("\n".join([code.function, *code.constants]), namespace)
    z = np.random.default_rng(5).normal(0.0, 4.0, (7, 3))
    z[0] = [0.0, -800.0, 800.0]
    a = eval(code.call.format(z="z"), namespace | {"z": z})
    assert np.array_equal(a, activation.forward(z))
    if code.derivative is not None:
        slope = eval(code.derivative.format(z="z", a="a"), namespace | {"z": z, "a": a})
        assert np.array_equal(slope, activation.derivative(z, a))
    elif activation.derivative is not None:
        assert np.all(activation.derivative(z, a) == 1.0)


def test_only_elementwise_activations_go_on_hidden_layers() -> None:
    assert set(hidden_activations()) <= set(ELEMENTWISE)
    for name, activation in ACTIVATIONS.items():
        if not activation.hidden:
            with pytest.raises(ValueError, match=f"{name} is only allowed on the output layer"):
                Network.create([2, 3, 2], [name, "sigmoid"])


def test_an_entry_with_incomplete_onnx_nodes_is_refused() -> None:
    sigmoid = ACTIVATIONS["sigmoid"]
    with pytest.raises(ValueError, match="must end with output 'a'"):
        Activation("x", sigmoid.forward, sigmoid.derivative, "f", "f'")
    with pytest.raises(ValueError, match="reads 'slope'"):
        Activation(
            "x",
            sigmoid.forward,
            sigmoid.derivative,
            "f",
            "f'",
            onnx=(OnnxNode("PRelu", ("z", "slope")),),
        )


# -- losses and how they pair with activations -------------------------------------------------


@pytest.mark.parametrize("loss", list(LOSSES))
def test_every_output_activation_of_a_loss_makes_a_network(loss: str) -> None:
    for activation in output_activations(loss):
        assert check_output_activation(loss, activation) is None
        assert loss in output_losses(activation)
        Network.create([2, 3], activation, loss)
    for activation in set(ACTIVATIONS) - set(output_activations(loss)):
        reason = check_output_activation(loss, activation)
        assert reason is not None
        with pytest.raises(ValueError, match="output layer"):
            Network.create([2, 3], activation, loss)


def test_every_activation_pairs_with_some_loss() -> None:
    for name in ACTIVATIONS:
        assert output_losses(name), name


def _targets(loss: str, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    kind = LOSSES[loss].targets
    if kind == "one_hot":
        return np.eye(k)[rng.integers(0, k, n)]
    if kind == "probability":
        return rng.uniform(0.0, 1.0, (n, k))
    return rng.normal(0.0, 1.0, (n, k))


@pytest.mark.parametrize("loss", list(LOSSES))
def test_loss_terms_add_up_to_the_sample_losses(loss: str) -> None:
    rng = np.random.default_rng(4)
    entry = LOSSES[loss]
    activation = ACTIVATIONS[output_activations(loss)[0]]
    z = rng.normal(0.0, 2.0, (6, 3))
    o = activation.forward(z)
    t = _targets(loss, rng, 6, 3)
    terms = entry.terms(z, o, t)
    assert terms.shape == (6, 3)
    np.testing.assert_allclose(terms.sum(axis=1), entry.sample_values(z, o, t), rtol=1e-12)
    assert entry.value(z, o, t) == pytest.approx(float(np.mean(entry.sample_values(z, o, t))))
    assert entry.term_formula
    for k in range(3):
        text = entry.term_numbers(z[0], o[0], t[0], k, _Plain())
        assert _evaluate(text) == pytest.approx(terms[0, k], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_settings_reason_names_the_required_activation(loss: str) -> None:
    entry = LOSSES[loss]
    if entry.output_activation is None:
        assert entry.requirement == ""
    else:
        assert entry.requirement.startswith(f"{entry.title} needs a {entry.output_activation}")
        assert entry.requirement.endswith(".")


# -- optimisers and initialisers ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_vectors_are_its_state(name: str) -> None:
    optimizer = OPTIMIZERS[name](5, 0.1)
    theta = np.zeros(5)
    optimizer.apply(theta, np.arange(5.0))
    state = optimizer.state()
    assert set(state) - {"t"} == set(OPTIMIZERS[name].state_vectors)
    assert OPTIMIZER_VECTORS[name] == OPTIMIZERS[name].state_vectors
    for key in OPTIMIZERS[name].state_vectors:
        assert state[key].shape == (5,)
    assert OPTIMIZERS[name].title and "<-" in OPTIMIZERS[name].formula


@pytest.mark.parametrize("name", list(INITIALIZER_TABLE))
def test_initializers_draw_seeded_weights_of_the_right_shape(name: str) -> None:
    init = INITIALIZER_TABLE[name]
    first = init.draw(4, 7, np.random.default_rng(3), 0.5)
    second = init.draw(4, 7, np.random.default_rng(3), 0.5)
    assert first.shape == (4, 7) and np.array_equal(first, second)
    assert np.all(np.isfinite(first)) and np.std(first) > 0
    assert init.title and init.formula and init.use
    net = Network.create([7, 4], "tanh", init=name, seed=3)
    assert net.layers[0].weight.shape == (4, 7)


@pytest.mark.parametrize(
    ("labels", "row", "shown"),
    [
        ([0, 1, 2.5], 3, "2.5"),
        ([-1, 0], 1, "-1.0"),
        ([0, np.nan], 2, "nan"),
        ([1e300], 1, "1e+300"),
    ],
)
def test_one_hot_targets_name_the_first_bad_label(labels, row: int, shown: str) -> None:
    with pytest.raises(ValueError, match=f"^target row {row}: class label {re.escape(shown)} is"):
        one_hot_targets(np.array(labels), 3)
    assert one_hot_targets(np.array([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
