"""Optimisers: turn the gradient ``g = dL/dtheta`` into the step added to the parameters.

All parameters of a network live in one flat vector ``theta`` (see ``Network.parameters``), so
an optimiser works on two vectors of the same shape and its state (momentum ``v``, Adam's
``m`` and ``v``) is a flat vector too. ``apply`` changes ``theta`` in place and returns the step
it added, so that ``theta_after = theta_before + step`` holds exactly.

- ``sgd`` (the seed's rule):  ``step = -lr g``
- ``momentum``:               ``v <- mu v - lr g``;  ``step = v``            (mu = 0.9)
- ``adam``:                   ``m <- b1 m + (1 - b1) g``;  ``v <- b2 v + (1 - b2) g^2``;
  ``step = -lr m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - b1^t)``,
  ``v_hat = v / (1 - b2^t)`` (b1 = 0.9, b2 = 0.999, eps = 1e-8, t = update count)
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np


class Optimizer(ABC):
    """Base class. ``lr`` may be changed between steps; ``state`` holds flat vectors and ``t``.

    A subclass in ``OPTIMIZERS`` is all it takes to add an optimiser: ``name``, ``title`` and
    ``formula`` (plain text; rules separated by ``;``, each ``lhs <- rhs``) are what the window
    and the CLI show; ``state_vectors`` names the flat ``(P,)`` vectors of its state, which
    session files and rewind snapshots store (``trainer_state.OPTIMIZER_VECTORS``).
    """

    name = ""
    title = ""
    formula = ""
    state_vectors: tuple[str, ...] = ()

    def __init__(self, size: int, lr: float) -> None:
        self.lr = float(lr)
        self.size = size
        self.t = 0

    @abstractmethod
    def apply(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Add this optimiser's step for ``grad`` to ``theta`` in place; return the step."""

    def state(self) -> dict[str, np.ndarray | int]:
        """A copy of the optimiser state (vectors are copied), for records and session files."""
        return {"t": self.t}

    def set_state(self, state: dict) -> None:
        """Restore a state produced by ``state()``; ``ValueError`` on a wrong shape."""
        self.t = int(state.get("t", 0))

    def _check_vector(self, name: str, value: object) -> np.ndarray:
        vector = np.array(value, dtype=np.float64).reshape(-1)
        if vector.shape != (self.size,):
            raise ValueError(
                f"{self.name} state {name!r} has {vector.size} values, the network has "
                f"{self.size} parameters"
            )
        return vector


class SGD(Optimizer):
    name = "sgd"
    title = "Gradient descent"
    formula = "w <- w - lr * dL/dw"

    def apply(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        step = grad * -self.lr  # = -(lr g) exactly, in one pass
        theta += step
        self.t += 1
        return step


class Momentum(Optimizer):
    name = "momentum"
    title = "Momentum"
    formula = "v <- mu * v - lr * dL/dw;  w <- w + v"
    state_vectors = ("velocity",)

    def __init__(self, size: int, lr: float, momentum: float = 0.9) -> None:
        super().__init__(size, lr)
        self.momentum = float(momentum)
        self.velocity = np.zeros(size)

    def apply(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        velocity = self.momentum * self.velocity - self.lr * grad
        self.velocity = velocity
        theta += velocity
        self.t += 1
        return velocity

    def state(self) -> dict[str, np.ndarray | int]:
        return {"t": self.t, "velocity": self.velocity.copy()}

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.velocity = self._check_vector("velocity", state.get("velocity", np.zeros(self.size)))


class Adam(Optimizer):
    name = "adam"
    title = "Adam"
    formula = "w <- w - lr * m_hat / (sqrt(v_hat) + eps)"
    state_vectors = ("m", "v")

    def __init__(
        self,
        size: int,
        lr: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(size, lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m = np.zeros(size)
        self.v = np.zeros(size)

    def apply(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        t = self.t + 1
        m = self.beta1 * self.m + (1.0 - self.beta1) * grad
        v = self.beta2 * self.v + (1.0 - self.beta2) * (grad * grad)
        m_hat = m / (1.0 - self.beta1**t)
        v_hat = v / (1.0 - self.beta2**t)
        step = -(self.lr * m_hat / (np.sqrt(v_hat) + self.eps))
        theta += step
        self.m, self.v, self.t = m, v, t
        return step

    def state(self) -> dict[str, np.ndarray | int]:
        return {"t": self.t, "m": self.m.copy(), "v": self.v.copy()}

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.m = self._check_vector("m", state.get("m", np.zeros(self.size)))
        self.v = self._check_vector("v", state.get("v", np.zeros(self.size)))


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, Momentum, Adam)}
"""Every optimiser class by name."""


def make_optimizer(name: str, size: int, lr: float) -> Optimizer:
    """Create the optimiser called ``name`` for ``size`` parameters.

    ``ValueError`` names the known optimisers, or explains a learning rate that is not a
    positive finite number.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")
    check_learning_rate(lr)
    return OPTIMIZERS[name](size, lr)


def check_learning_rate(lr: float) -> float:
    """Return ``lr`` as a float; ``ValueError`` unless it is a positive finite number."""
    try:
        value = float(lr)
    except (TypeError, ValueError):
        raise ValueError(f"learning rate must be a number, got {lr!r}") from None
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"learning rate must be a positive finite number, got {lr!r}")
    return value
