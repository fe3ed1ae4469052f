"""Loss functions: the value that training lowers, and its derivative at the output layer.

Conventions: ``o`` (outputs) and ``t`` (targets) have shape ``(samples, outputs)``; every loss
is a *mean over samples* of a per-sample loss ``L_s``, and the per-sample loss is a *sum over
outputs*. The backward pass starts from the output layer's

    delta[s] = dL_s/dz[s]          (shape (samples, outputs), one row per sample, no 1/n)

and the batch gradient averages over samples: ``dL/dW = (1/n) sum_s delta[s]^T a_prev[s]``.

- ``mse``:  ``L = (1/n) sum_s sum_k 1/2 (t_sk - o_sk)^2``; ``dL_s/do = o - t``, so
  ``delta = (o - t) * f'(z)``. This is the seed's convention: its update ``lr * error * input``
  is exactly the gradient of ``1/2 (t - o)^2``.
- ``binary_cross_entropy`` (sigmoid outputs):
  ``L = -(1/n) sum_s sum_k [t log o + (1 - t) log(1 - o)]``, computed from ``z`` as
  ``t log(1 + e^-z) + (1 - t) log(1 + e^z)`` so that no ``log(0)`` occurs; ``delta = o - t``.
- ``cross_entropy`` (softmax outputs): ``L = -(1/n) sum_s sum_k t_sk log o_sk`` with
  ``log o = z - logsumexp(z)``; ``delta = o - t``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bp_studio.engine.activations import ACTIVATIONS, Activation, NumberText


@dataclass(frozen=True)
class Loss:
    """A loss: ``value -> L``, ``sample_values -> L_s`` ``(n,)``, ``output_delta -> dL_s/dz``.

    Arguments are ``(z, o, t)``: the output layer's total input, its output and the targets,
    each ``(samples, outputs)``.

    - ``output_activation``: the activation this loss requires on the output layer (``None``:
      any elementwise activation); ``output_note`` adds why, for the settings panel's reason
      (``one output per class``);
    - ``targets``: what the targets are: ``"real"`` (any number), ``"probability"`` (each in
      [0, 1]) or ``"one_hot"`` (a row of class probabilities summing to 1; class numbers are
      turned into one-hot rows);
    - ``terms(z, o, t)``: output ``k``'s share of the sample loss ``L_s``, ``(samples,
      outputs)`` (``L_s = sum_k terms[s, k]``);
    - ``formula`` and ``delta_formula``: plain-text formulas the window prints;
      ``term_formula``: the formula of one share, and ``term_numbers(z, o, t, k, n)`` the same
      with sample values plugged in for output ``k`` (``z``, ``o``, ``t`` are the sample's
      rows; see ``activations.NumberText``).
    """

    name: str
    title: str
    value: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    sample_values: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    output_delta: Callable[[np.ndarray, np.ndarray, np.ndarray, Activation], np.ndarray]
    output_activation: str | None
    formula: str
    delta_formula: str
    terms: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    term_formula: str
    term_numbers: Callable[[np.ndarray, np.ndarray, np.ndarray, int, NumberText], str]
    targets: str = "real"
    output_note: str = ""

    @property
    def requirement(self) -> str:
        """One line for the settings panel: ``Cross-entropy needs a softmax output layer
        (one output per class).``, or ``""`` when any elementwise activation will do."""
        if self.output_activation is None:
            return ""
        note = f" ({self.output_note})" if self.output_note else ""
        return f"{self.title} needs a {self.output_activation} output layer{note}."


def _mse_value(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
    d = o - t
    return 0.5 * float(np.add.reduce(d * d, axis=None)) / o.shape[0]


def _mse_delta(z: np.ndarray, o: np.ndarray, t: np.ndarray, f: Activation) -> np.ndarray:
    if f.derivative is None:
        raise ValueError(f"mse cannot be used with a {f.name} output layer")
    return (o - t) * f.derivative(z, o)


def mse_value_and_delta(
    z: np.ndarray, o: np.ndarray, t: np.ndarray, f: Activation
) -> tuple[float, np.ndarray]:
    """``(L, delta)`` of mse from one ``o - t``: the operations of ``_mse_value`` and
    ``_mse_delta``, so bit for bit the same numbers (the fast path's output layer)."""
    derivative = f.derivative
    if derivative is None:
        raise ValueError(f"mse cannot be used with a {f.name} output layer")
    d = o - t
    loss = 0.5 * float(np.add.reduce(d * d, axis=None)) / o.shape[0]
    return loss, d * derivative(z, o)


def _mse_samples(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    d = o - t
    return 0.5 * np.sum(d * d, axis=1)


def _mse_terms(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    d = o - t
    return 0.5 * (d * d)


def _mse_numbers(z: np.ndarray, o: np.ndarray, t: np.ndarray, k: int, n: NumberText) -> str:
    return f"1/2 × ({n.f(t[k])} - {n.fp(o[k])})^2"


def _bce_terms(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    # -[t log o + (1-t) log(1-o)] with o = sigmoid(z):  log o = -log(1+e^-z),
    # log(1-o) = -log(1+e^z). logaddexp(0, x) = log(1 + e^x) without overflow.
    return t * np.logaddexp(0.0, -z) + (1.0 - t) * np.logaddexp(0.0, z)


def _bce_value(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
    return float(np.sum(_bce_terms(z, t))) / o.shape[0]


def _bce_samples(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.sum(_bce_terms(z, t), axis=1)


def _bce_output_terms(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    return _bce_terms(z, t)


def _bce_numbers(z: np.ndarray, o: np.ndarray, t: np.ndarray, k: int, n: NumberText) -> str:
    return f"-[{n.fp(t[k])} × log {n.fp(o[k])} + (1 - {n.fp(t[k])}) × log(1 - {n.fp(o[k])})]"


def _log_softmax(z: np.ndarray) -> np.ndarray:
    # log o_k = z_k - logsumexp(z), shifted by max z so that exp never overflows.
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _cross_entropy_value(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> float:
    return -float(np.add.reduce(t * _log_softmax(z), axis=None)) / o.shape[0]


def softmax_cross_entropy(z: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, float]:
    """``(softmax(z), cross-entropy loss)`` with the shift, ``exp`` and row sums done once.

    The same operations as ``activations._softmax`` followed by ``_cross_entropy_value``,
    so bit for bit the same numbers.
    """
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    log_o = shifted - np.log(total)
    return e / total, -float(np.add.reduce(t * log_o, axis=None)) / z.shape[0]


def _cross_entropy_samples(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -np.sum(t * _log_softmax(z), axis=1)


def _cross_entropy_terms(z: np.ndarray, o: np.ndarray, t: np.ndarray) -> np.ndarray:
    return -(t * _log_softmax(z))


def _cross_entropy_numbers(
    z: np.ndarray, o: np.ndarray, t: np.ndarray, k: int, n: NumberText
) -> str:
    return f"-{n.fp(t[k])} × log {n.fp(o[k])}"


def _output_minus_target(z: np.ndarray, o: np.ndarray, t: np.ndarray, f: Activation) -> np.ndarray:
    return o - t


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "mse",
            "Mean squared error",
            _mse_value,
            _mse_samples,
            _mse_delta,
            None,
            "L = (1/n) sum_samples sum_outputs 1/2 (t - o)^2",
            "delta = (o - t) * f'(z)",
            terms=_mse_terms,
            term_formula="1/2 (t - o)^2",
            term_numbers=_mse_numbers,
        ),
        Loss(
            "binary_cross_entropy",
            "Binary cross-entropy",
            _bce_value,
            _bce_samples,
            _output_minus_target,
            "sigmoid",
            "L = -(1/n) sum_samples sum_outputs [t log o + (1 - t) log(1 - o)]",
            "delta = o - t",
            terms=_bce_output_terms,
            term_formula="-[t log o + (1 - t) log(1 - o)]",
            term_numbers=_bce_numbers,
            targets="probability",
        ),
        Loss(
            "cross_entropy",
            "Cross-entropy",
            _cross_entropy_value,
            _cross_entropy_samples,
            _output_minus_target,
            "softmax",
            "L = -(1/n) sum_samples sum_classes t log o",
            "delta = o - t",
            terms=_cross_entropy_terms,
            term_formula="-t log o",
            term_numbers=_cross_entropy_numbers,
            targets="one_hot",
            output_note="one output per class",
        ),
    )
}
"""Every loss by name."""


def get_loss(name: str) -> Loss:
    """Return the loss called ``name``; ``ValueError`` names the known ones."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        known = ", ".join(LOSSES)
        raise ValueError(f"unknown loss {name!r} (known: {known})") from None


def output_activations(loss: str) -> tuple[str, ...]:
    """The output activations ``loss`` pairs with, in registry order: the one it requires,
    else every elementwise activation."""
    required = get_loss(loss).output_activation
    if required is not None:
        return (required,)
    return tuple(name for name, a in ACTIVATIONS.items() if a.elementwise)


def output_losses(activation: str) -> tuple[str, ...]:
    """The losses an output layer with ``activation`` pairs with, in registry order."""
    return tuple(name for name in LOSSES if activation in output_activations(name))


def check_output_activation(loss: str, activation: str) -> str | None:
    """Why ``activation`` cannot be the output layer's activation under ``loss``, or ``None``."""
    required = get_loss(loss).output_activation
    if required is not None and activation != required:
        return f"the {loss} loss needs a {required} output layer, not {activation}"
    if activation not in output_activations(loss):
        losses = " or ".join(output_losses(activation))
        if not losses:
            return f"{activation} cannot be the output layer's activation"
        return f"a {activation} output layer needs the {losses} loss"
    return None


def one_hot_targets(targets: np.ndarray, classes: int) -> np.ndarray:
    """Turn integer class labels (shape ``(n,)`` or ``(n, 1)``) into one-hot rows ``(n, classes)``.

    ``ValueError`` names the first label that is not a whole number in ``0 .. classes-1``.
    """
    labels = np.asarray(targets, dtype=np.float64).reshape(-1)
    with np.errstate(invalid="ignore"):
        good = np.isfinite(labels) & (labels == np.round(labels))
        good &= (labels >= 0) & (labels < classes)
    if not np.all(good):
        row = int(np.argmin(good))
        raise ValueError(
            f"target row {row + 1}: class label {float(labels[row])!r} is not one of "
            f"0 .. {classes - 1}"
        )
    out = np.zeros((labels.shape[0], classes))
    out[np.arange(labels.shape[0]), labels.astype(np.int64)] = 1.0
    return out
