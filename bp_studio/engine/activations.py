"""Activation functions: the registry of everything the rest of BP Studio reads about them.

Every activation maps the layer's total input ``z`` (shape ``(samples, units)``) to its output
``a = f(z)`` (same shape). The derivative ``f'(z)`` is written in terms of ``z`` and ``a`` so
that the backward pass can reuse the forward pass's outputs, as the seed's
``hidden_outputs * (1 - hidden_outputs)`` does for the sigmoid.

``softmax`` is different: each output depends on every unit of its row, so it has no
elementwise derivative. It is only allowed on the output layer together with the
``cross_entropy`` loss, whose combined derivative ``dL/dz = (a - t) / n`` is handled by the loss.

One entry of ``ACTIVATIONS`` is all it takes to add an activation: the settings lists, the
explanation, the data view's colours, the ONNX export, the layer-health diagnostics and the
parametrised tests all read the entry's fields (see ``Activation``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

LEAKY_RELU_SLOPE = 0.01
"""Slope of ``leaky_relu`` for negative inputs."""

INF = float("inf")


class NumberText(Protocol):
    """How the explanation writes numbers into a formula (``studio.explain`` provides it).

    ``f(x)`` a number (``0.3775``, ``−0.7414``); ``fp(x)`` a factor of a product (negative
    numbers in parentheses); ``sum(count, term)`` the sum ``term(0) + term(1) + …``,
    shortened when it has many terms.
    """

    def f(self, x: float) -> str: ...

    def fp(self, x: float) -> str: ...

    def sum(self, count: int, term: Callable[[int], str]) -> str: ...


@dataclass(frozen=True)
class OnnxNode:
    """One ONNX node of an activation: ``output = op(*inputs, **attributes)``.

    Names in ``inputs`` and ``output``: ``z`` is the layer's total input (the ``Gemm``'s
    output), ``a`` the activation's output (the last node's ``output``), a name in
    ``Activation.onnx_constants`` is a float64 constant, anything else the output of an
    earlier node of the same activation. Every op must run in float64 in onnxruntime.
    """

    op: str
    inputs: tuple[str, ...] = ("z",)
    output: str = "a"
    attributes: tuple[tuple[str, int | float | str], ...] = ()


@dataclass(frozen=True)
class NumpyCode:
    """An activation in generated numpy code (scripts that import only numpy).

    ``call``: the expression of ``a`` from ``{z}``; ``derivative``: the expression of ``f'(z)``
    from ``{z}`` and ``{a}`` (``None``: 1, nothing to multiply; softmax: never used, the
    cross-entropy gives ``delta = o - t``); ``derivative_comment``: a comment for the reader;
    ``function``: the source of a helper the expressions call; ``constants``: lines of module
    constants they read. The expressions compute what ``forward`` and ``derivative`` compute,
    bit for bit (a registry test runs them).
    """

    call: str
    derivative: str | None
    derivative_comment: str
    function: str = ""
    constants: tuple[str, ...] = ()


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` and its derivative ``f'``, side by side, and what the rest reads.

    The maths:

    - ``forward(z) -> a`` and ``derivative(z, a) -> f'(z)`` (``None``: no elementwise
      derivative, the loss differentiates through it: softmax);
    - ``output_range``: ``(low, high)`` of ``f``, ``±inf`` where unbounded (the data view's
      colour scale uses it when both ends are finite, else a range symmetric around 0);
    - ``max_derivative``: ``max_z |f'(z)|`` (``None`` without an elementwise derivative);
    - ``kinks``: the ``z`` where ``f'`` jumps (finite differences must not straddle them);
    - ``saturates``: ``f'(z) -> 0`` in a tail, so a unit can saturate (layer health counts
      ``|f'(z)| < 1 % of max_derivative``); ``dead_below``: a unit whose ``z <= dead_below``
      for every sample is dead (``None``: the activation cannot die);
    - ``hidden``: may be used on a hidden layer (every activation may be an output layer's;
      which losses it pairs with follows from ``Loss.output_activation``, see
      ``losses.output_activations``).

    What people read:

    - ``title`` (``Leaky ReLU``) and ``symbol``, the explanation's name of ``f`` (``σ``);
    - ``formula`` and ``derivative_formula``: plain text in the notation of
      ``studio.explain.formula_html`` (``1 / (1 + e^-z)``, ``a (1 - a)``);
    - ``formula_numbers(z_row, unit, n)``: ``formula`` with sample values plugged in for unit
      ``unit`` (``z_row`` is the sample's ``z`` of the whole layer), written with the
      ``NumberText`` ``n`` and ``^(...)`` for an exponent; ``None`` where it adds nothing;
    - ``derivative_numbers(z, a, n)``: the same for ``derivative_formula``.

    Export: ``onnx`` (the nodes computing ``a`` from ``z``) and ``onnx_constants``
    (``(name, value)``, each stored as a float64 initializer ``layers.{i}.{name}`` of shape
    ``(1,)``); ``numpy_code``: the activation in generated numpy scripts (``NumpyCode``).
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    formula: str
    derivative_formula: str
    title: str = ""
    symbol: str = "f"
    output_range: tuple[float, float] = (-INF, INF)
    max_derivative: float | None = 1.0
    kinks: tuple[float, ...] = ()
    saturates: bool = False
    dead_below: float | None = None
    hidden: bool = True
    formula_numbers: Callable[[np.ndarray, int, NumberText], str | None] | None = None
    derivative_numbers: Callable[[float, float, NumberText], str | None] | None = None
    onnx: tuple[OnnxNode, ...] = ()
    onnx_constants: tuple[tuple[str, float], ...] = ()
    numpy_code: NumpyCode | None = None

    def __post_init__(self) -> None:
        known = {"z", *(name for name, _ in self.onnx_constants)}
        for node in self.onnx:
            missing = [name for name in node.inputs if name not in known]
            if missing:
                raise ValueError(
                    f"activation {self.name}: ONNX node {node.op} reads {missing[0]!r}, which "
                    "is neither z, a constant nor an earlier node's output"
                )
            known.add(node.output)
        if not self.onnx or self.onnx[-1].output != "a":
            raise ValueError(f"activation {self.name}: its ONNX nodes must end with output 'a'")

    @property
    def elementwise(self) -> bool:
        """``a_j`` depends on ``z_j`` alone, so ``f'`` exists unit by unit (not softmax)."""
        return self.derivative is not None


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # 1 / (1 + e^-z) as written, within 2 ulps everywhere, while no e^-z can overflow (z above
    # -709: the usual case, one pass to check); below, see _sigmoid_with_tails.
    if z.size and np.minimum.reduce(z, axis=None) >= SIGMOID_EXP_LIMIT:
        return 1.0 / (1.0 + np.exp(-z))
    return _sigmoid_with_tails(z)


def _sigmoid_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return a * (1.0 - a)


def _tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _tanh_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return 1.0 - a * a


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return (z > 0.0).astype(np.float64)


def _leaky_relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0.0, z, LEAKY_RELU_SLOPE * z)


def _leaky_relu_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(z > 0.0, 1.0, LEAKY_RELU_SLOPE)


def _linear(z: np.ndarray) -> np.ndarray:
    return z


def _linear_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


def _softmax(z: np.ndarray) -> np.ndarray:
    # e^(z_k - max z) / sum_j e^(z_j - max z): the shift leaves the result unchanged and
    # keeps exp from overflowing.
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


SIGMOID_EXP_LIMIT = -709.0
"""Below this ``z``, ``e^-z`` overflows float64 (at ``z = -709.78``)."""


def _sigmoid_with_tails(z: np.ndarray) -> np.ndarray:
    """The sigmoid of any ``z``, NaN and infinities included, without overflow or warnings.

    At or above ``SIGMOID_EXP_LIMIT`` the same numbers as ``1 / (1 + e^-z)``; below it
    ``e^z / (1 + e^z) = e^z`` (to double precision, since ``e^z < 1e-308``), which keeps
    every value down to the smallest subnormal (``sigmoid(-745) = 5e-324``).
    """
    return np.where(
        z < SIGMOID_EXP_LIMIT,
        np.exp(np.minimum(z, 0.0)),
        1.0 / (1.0 + np.exp(-np.maximum(z, SIGMOID_EXP_LIMIT))),
    )


def _softplus(z: np.ndarray) -> np.ndarray:
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|) inside logaddexp: no overflow, exact tails.
    return np.logaddexp(0.0, z)


def _softplus_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return _sigmoid(z)


# -- what the explanation plugs in -----------------------------------------------------------


def _sigmoid_numbers(z: np.ndarray, unit: int, n: NumberText) -> str:
    return f"1 / (1 + e^({n.f(-z[unit])}))"


def _sigmoid_derivative_numbers(z: float, a: float, n: NumberText) -> str:
    return f"{n.fp(a)} × (1 - {n.fp(a)})"


def _tanh_numbers(z: np.ndarray, unit: int, n: NumberText) -> str:
    return f"tanh({n.f(z[unit])})"


def _tanh_derivative_numbers(z: float, a: float, n: NumberText) -> str:
    return f"1 - {n.fp(a)}^2"


def _relu_numbers(z: np.ndarray, unit: int, n: NumberText) -> str:
    return f"max(0, {n.f(z[unit])})"


def _leaky_relu_numbers(z: np.ndarray, unit: int, n: NumberText) -> str | None:
    return None if z[unit] > 0 else f"{n.f(LEAKY_RELU_SLOPE)} × {n.fp(z[unit])}"


def _softmax_numbers(z: np.ndarray, unit: int, n: NumberText) -> str:
    denominator = n.sum(len(z), lambda j: f"e^({n.f(z[j])})")
    return f"e^({n.f(z[unit])}) / ({denominator})"


def _softplus_numbers(z: np.ndarray, unit: int, n: NumberText) -> str:
    return f"log(1 + e^({n.f(z[unit])}))"


def _softplus_derivative_numbers(z: float, a: float, n: NumberText) -> str:
    return f"1 / (1 + e^({n.f(-z)}))"


# -- what generated numpy code calls ------------------------------------------------------------

_SIGMOID_SOURCE = '''\
def sigmoid(z):
    """1 / (1 + e^-z) as written; below z = -709, where e^-z would overflow, e^z."""
    if z.size and z.min() >= -709.0:
        return 1.0 / (1.0 + np.exp(-z))
    low = np.exp(np.minimum(z, 0.0))
    return np.where(z < -709.0, low, 1.0 / (1.0 + np.exp(-np.maximum(z, -709.0))))'''

_SOFTMAX_SOURCE = '''\
def softmax(z):
    """e^z_k / sum_j e^z_j for each row; shifting z by the row maximum keeps exp finite."""
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)'''


# -- the registry ----------------------------------------------------------------------------

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            _sigmoid,
            _sigmoid_derivative,
            "1 / (1 + e^-z)",
            "a (1 - a)",
            title="Sigmoid",
            symbol="σ",
            output_range=(0.0, 1.0),
            max_derivative=0.25,
            saturates=True,
            formula_numbers=_sigmoid_numbers,
            derivative_numbers=_sigmoid_derivative_numbers,
            onnx=(OnnxNode("Sigmoid"),),
            numpy_code=NumpyCode(
                "sigmoid({z})", "{a} * (1.0 - {a})", "sigmoid'(z) = a (1 - a)", _SIGMOID_SOURCE
            ),
        ),
        Activation(
            "tanh",
            _tanh,
            _tanh_derivative,
            "tanh(z)",
            "1 - a^2",
            title="Tanh",
            symbol="tanh",
            output_range=(-1.0, 1.0),
            max_derivative=1.0,
            saturates=True,
            formula_numbers=_tanh_numbers,
            derivative_numbers=_tanh_derivative_numbers,
            onnx=(OnnxNode("Tanh"),),
            numpy_code=NumpyCode("np.tanh({z})", "1.0 - {a} * {a}", "tanh'(z) = 1 - a^2"),
        ),
        Activation(
            "relu",
            _relu,
            _relu_derivative,
            "max(0, z)",
            "1 if z > 0 else 0",
            title="ReLU",
            symbol="ReLU",
            output_range=(0.0, INF),
            max_derivative=1.0,
            kinks=(0.0,),
            dead_below=0.0,
            formula_numbers=_relu_numbers,
            onnx=(OnnxNode("Relu"),),
            numpy_code=NumpyCode(
                "np.maximum({z}, 0.0)",
                "({z} > 0.0).astype(np.float64)",
                "relu'(z) = 1 where z > 0, else 0",
            ),
        ),
        Activation(
            "leaky_relu",
            _leaky_relu,
            _leaky_relu_derivative,
            f"z if z > 0 else {LEAKY_RELU_SLOPE} z",
            f"1 if z > 0 else {LEAKY_RELU_SLOPE}",
            title="Leaky ReLU",
            symbol="leaky ReLU",
            max_derivative=1.0,
            kinks=(0.0,),
            dead_below=0.0,
            formula_numbers=_leaky_relu_numbers,
            # PRelu with a float64 slope, not LeakyRelu: ONNX keeps LeakyRelu's alpha as a
            # float32 attribute (0.009999999776...) and onnxruntime has no float64 kernel.
            onnx=(OnnxNode("PRelu", ("z", "leaky_relu_slope")),),
            onnx_constants=(("leaky_relu_slope", LEAKY_RELU_SLOPE),),
            numpy_code=NumpyCode(
                "np.where({z} > 0.0, {z}, LEAKY_SLOPE * {z})",
                "np.where({z} > 0.0, 1.0, LEAKY_SLOPE)",
                "leaky_relu'(z) = 1 where z > 0, else LEAKY_SLOPE",
                constants=(f"LEAKY_SLOPE = {LEAKY_RELU_SLOPE!r}  # leaky_relu's slope for z <= 0",),
            ),
        ),
        Activation(
            "softplus",
            _softplus,
            _softplus_derivative,
            "log(1 + e^z)",
            "σ(z) = 1 / (1 + e^-z)",
            title="Softplus",
            symbol="softplus",
            output_range=(0.0, INF),
            max_derivative=1.0,
            saturates=True,
            formula_numbers=_softplus_numbers,
            derivative_numbers=_softplus_derivative_numbers,
            # onnxruntime has no float64 Softplus kernel: max(z, 0) + log(1 + e^-|z|) from ops
            # that run in float64; within 2.3e-16 * max(1, f(z)) of the engine's values.
            onnx=(
                OnnxNode("Relu", ("z",), "positive_part"),
                OnnxNode("Abs", ("z",), "magnitude"),
                OnnxNode("Neg", ("magnitude",), "minus_magnitude"),
                OnnxNode("Exp", ("minus_magnitude",), "exp"),
                OnnxNode("Add", ("softplus_one", "exp"), "one_plus_exp"),
                OnnxNode("Log", ("one_plus_exp",), "log"),
                OnnxNode("Add", ("positive_part", "log"), "a"),
            ),
            onnx_constants=(("softplus_one", 1.0),),
            numpy_code=NumpyCode(
                "np.logaddexp(0.0, {z})",
                "sigmoid({z})",
                "softplus'(z) = sigmoid(z)",
                _SIGMOID_SOURCE,
            ),
        ),
        Activation(
            "linear",
            _linear,
            _linear_derivative,
            "z",
            "1",
            title="Linear",
            symbol="f",
            max_derivative=1.0,
            onnx=(OnnxNode("Identity"),),
            numpy_code=NumpyCode("{z}", None, "linear'(z) = 1"),
        ),
        Activation(
            "softmax",
            _softmax,
            None,
            "e^z_k / sum_j e^z_j",
            "(with cross-entropy) a - t",
            title="Softmax",
            symbol="softmax",
            output_range=(0.0, 1.0),
            max_derivative=None,
            hidden=False,
            formula_numbers=_softmax_numbers,
            onnx=(OnnxNode("Softmax", attributes=(("axis", 1),)),),
            numpy_code=NumpyCode("softmax({z})", None, "", _SOFTMAX_SOURCE),
        ),
    )
}
"""Every activation by name, in the order the window lists them."""


def get_activation(name: str) -> Activation:
    """Return the activation called ``name``; ``ValueError`` names the known ones."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        known = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r} (known: {known})") from None


def hidden_activations() -> tuple[str, ...]:
    """The activations a hidden layer may use, in registry order."""
    return tuple(name for name, a in ACTIVATIONS.items() if a.hidden)
