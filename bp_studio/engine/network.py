"""A fully connected network of any depth.

Layer ``l`` holds ``weight`` ``(units, inputs)`` (``weight[j, i]`` connects input ``i`` to unit
``j``: the seed's orientation and PyTorch ``nn.Linear``'s), an optional ``bias`` ``(units,)`` and
an activation. Samples are rows: ``X`` is ``(samples, inputs)`` and
``predict(X) = f_L(... f_1(X W_1^T + b_1) ... W_L^T + b_L)``.

All parameters live in one flat float64 vector (``parameters``), layer by layer, weight then
bias; each layer's ``weight`` and ``bias`` are views into it. Optimisers and the gradient check
work on that vector; the window and users read and edit the views.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from bp_studio.engine.activations import ACTIVATIONS, Activation, get_activation
from bp_studio.engine.initializers import initial_weight
from bp_studio.engine.losses import Loss, check_output_activation, get_loss
from bp_studio.engine.normalization import Normalization
from bp_studio.engine.records import ForwardRecord

MAX_PARAMETERS = 2_000_000
"""The most parameters (weights and biases) a network may have.

Why: training keeps the parameter vector in several copies (gradient, backup, optimiser
state, history snapshots), and a network file writes each parameter as text of up to 26
bytes, in a file capped at 64 MiB (``bp_studio.io.network_file.MAX_BYTES``); two million
parameters always fit. A larger network is refused before any weight is drawn, with one
line saying so, rather than failing later with an out-of-memory error.
"""
_LIMIT_REASON = (
    "every parameter is kept in several copies while training, and a network file, at up "
    "to 26 bytes of text per parameter, may have at most 64 MiB"
)


class Layer:
    """One fully connected layer: ``a = f(a_prev @ weight.T + bias)``.

    ``weight`` and ``bias`` are views into the network's parameter vector: edit their values
    in place (``layer.weight[j, i] = 0.4``), never rebind them.
    """

    __slots__ = ("weight", "bias", "activation", "function")

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None, activation: str) -> None:
        self.weight = weight
        self.bias = bias
        self.activation = activation
        self.function: Activation = get_activation(activation)

    @property
    def units(self) -> int:
        return self.weight.shape[0]

    @property
    def inputs(self) -> int:
        return self.weight.shape[1]

    @property
    def has_bias(self) -> bool:
        return self.bias is not None

    def __repr__(self) -> str:
        bias = "" if self.has_bias else ", no bias"
        return f"Layer({self.inputs} -> {self.units}, {self.activation}{bias})"


class Network:
    """A fully connected network: its layers, its loss and its parameter vector.

    Build one with ``Network.create`` (random initial weights) or ``Network(weights, biases,
    activations, loss)`` (given weights); read one with ``Network.load``.
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray | Sequence],
        biases: Sequence[np.ndarray | Sequence | None],
        activations: Sequence[str],
        loss: str = "mse",
    ) -> None:
        check_architecture([np.shape(w) for w in weights], activations, loss, biases)
        shapes = [np.shape(w) for w in weights]
        self.loss_name = loss
        self.loss: Loss = get_loss(loss)
        self.parameters = np.zeros(
            sum(u * i + (u if b is not None else 0) for (u, i), b in zip(shapes, biases))
        )
        self.layers: list[Layer] = []
        self._slices: list[tuple[str, slice, tuple[int, ...]]] = []
        offset = 0
        for index, (weight, bias, activation) in enumerate(zip(weights, biases, activations)):
            units, inputs = shapes[index]
            w_view = self.parameters[offset : offset + units * inputs].reshape(units, inputs)
            w_view[...] = np.asarray(weight, dtype=np.float64)
            self._slices.append(
                (f"layers.{index}.weight", slice(offset, offset + units * inputs), (units, inputs))
            )
            offset += units * inputs
            b_view = None
            if bias is not None:
                b_view = self.parameters[offset : offset + units]
                b_view[...] = np.asarray(bias, dtype=np.float64).reshape(units)
                self._slices.append(
                    (f"layers.{index}.bias", slice(offset, offset + units), (units,))
                )
                offset += units
            self.layers.append(Layer(w_view, b_view, activation))
        if not np.all(np.isfinite(self.parameters)):
            name = next(
                n for n, s, _ in self._slices if not np.all(np.isfinite(self.parameters[s]))
            )
            raise ValueError(f"{name} contains a value that is not a finite number")
        self.normalization: Normalization | None = None
        """Applied to raw inputs by ``check_inputs`` (and so by predict, forward and training)."""
        self.input_names: tuple[str, ...] | None = None
        """Names of the inputs (for example ``x1``, ``x1^2``), shown on the canvas."""
        self.revision = 0
        """Counts changes made through ``set_parameters``, ``set_weight`` and ``set_bias``."""

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        sizes: Sequence[int],
        activations: Sequence[str] | str = "sigmoid",
        loss: str = "mse",
        *,
        bias: bool | Sequence[bool] = True,
        init: str = "xavier",
        init_scale: float = 0.5,
        seed: int | None = 0,
    ) -> Network:
        """A network with layer sizes ``sizes`` (``[inputs, hidden..., outputs]``).

        ``activations`` has one name per layer after the input (a single name applies to all);
        ``bias`` says which layers have a bias; weights are drawn by ``init`` (``xavier``,
        ``he`` or ``uniform`` with ``init_scale``) from ``numpy.random.default_rng(seed)``.
        ``ValueError`` for a network of more than ``MAX_PARAMETERS`` parameters (before any
        weight is drawn).
        """
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError("a network needs at least two layer sizes: inputs and outputs")
        for position, size in enumerate(sizes):
            if size < 1:
                raise ValueError(f"layer size {position + 1} must be at least 1, got {size}")
        count = len(sizes) - 1
        if isinstance(activations, str):
            activations = [activations] * count
        activations = list(activations)
        if len(activations) != count:
            raise ValueError(
                f"{count} layer(s) after the input need {count} activation(s), "
                f"got {len(activations)}"
            )
        flags = [bias] * count if isinstance(bias, bool) else list(bias)
        if len(flags) != count:
            raise ValueError(f"bias needs {count} flag(s), got {len(flags)}")
        _check_parameter_count(parameter_count(sizes, flags))
        rng = np.random.default_rng(seed)
        weights, biases = [], []
        for inputs, units, with_bias in zip(sizes[:-1], sizes[1:], flags):
            weights.append(initial_weight(init, units, inputs, rng, init_scale))
            biases.append(np.zeros(units) if with_bias else None)
        return cls(weights, biases, activations, loss)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Network:
        """Read a network file (JSON, format ``bp-studio.network``); see ``bp_studio.io``."""
        return _file_format().load(path)

    def save(self, path: str | os.PathLike) -> None:
        """Write this network as a network file, atomically."""
        _file_format().save(self, path)

    def copy(self) -> Network:
        """An independent copy (parameters copied; normalisation and names shared, immutable)."""
        network = Network(
            [layer.weight.copy() for layer in self.layers],
            [None if layer.bias is None else layer.bias.copy() for layer in self.layers],
            [layer.activation for layer in self.layers],
            self.loss_name,
        )
        network.normalization = self.normalization
        network.input_names = self.input_names
        return network

    # -- description ----------------------------------------------------------------------

    @property
    def sizes(self) -> list[int]:
        """``[inputs, units of layer 1, ..., outputs]``."""
        return [self.layers[0].inputs] + [layer.units for layer in self.layers]

    @property
    def activations(self) -> list[str]:
        return [layer.activation for layer in self.layers]

    @property
    def inputs(self) -> int:
        return self.layers[0].inputs

    @property
    def outputs(self) -> int:
        return self.layers[-1].units

    def parameter_slices(self) -> list[tuple[str, slice, tuple[int, ...]]]:
        """``(name, slice of parameters, shape)`` for each array, e.g. ``layers.0.weight``."""
        return list(self._slices)

    def weight_mask(self) -> np.ndarray:
        """A boolean vector over ``parameters``: ``True`` for weights, ``False`` for biases."""
        mask = np.zeros(self.parameters.shape, dtype=bool)
        for name, where, _ in self._slices:
            if name.endswith(".weight"):
                mask[where] = True
        return mask

    def describe(self) -> str:
        """For example ``2-4-1 (tanh, sigmoid), mse``."""
        sizes = "-".join(str(s) for s in self.sizes)
        return f"{sizes} ({', '.join(self.activations)}), {self.loss_name}"

    def __repr__(self) -> str:
        return f"Network({self.describe()})"

    # -- using it -------------------------------------------------------------------------

    def check_inputs(self, X: np.ndarray, what: str = "inputs") -> np.ndarray:
        """Raw ``X`` as the float64 ``(samples, inputs)`` array the first layer sees.

        ``ValueError`` says what is wrong with ``X``; with an input ``normalization`` the
        result is normalised.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and self.inputs == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] != self.inputs:
            raise ValueError(
                f"{what} must have shape (samples, {self.inputs}), got {tuple(np.shape(X))}"
            )
        # The sum is a fast test (one pass, no temporary); an overflowing sum is checked again.
        if not math.isfinite(np.add.reduce(X, axis=None)) and not np.all(np.isfinite(X)):
            row, column = np.argwhere(~np.isfinite(X))[0]
            value = X[row, column]
            raise ValueError(f"{what} row {row + 1}, column {column + 1}: {value} is not finite")
        if self.normalization is not None:
            X = self.normalization.apply(X)
        return X

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs for ``X`` ``(samples, inputs)``: ``(samples, outputs)``."""
        a = self.check_inputs(X)
        for layer in self.layers:
            z = a @ layer.weight.T
            if layer.bias is not None:
                z += layer.bias
            a = layer.function.forward(z)
        return a

    def forward(self, X: np.ndarray) -> ForwardRecord:
        """Phase 1 on ``X``, with every layer's ``z`` and ``a`` recorded."""
        from bp_studio.engine.phases import forward

        return forward(self, self.check_inputs(X))

    def train(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        epochs: int = 100,
        lr: float = 0.5,
        batch_size: int | None = None,
        shuffle: bool = False,
        optimizer: str = "sgd",
        *,
        seed: int | None = 0,
        regularization: str = "none",
        regularization_rate: float = 0.0,
        callback: Callable[[int, float], bool | None] | None = None,
    ) -> list[float]:
        """Train on ``X`` ``(samples, inputs)`` and ``Y`` ``(samples, outputs)``; return history.

        ``batch_size=None`` is full batch, ``1`` is online (one sample a step); gradients are
        averaged over each batch. ``history[e]`` is the mean training loss of epoch ``e + 1``
        (each batch's loss taken before its update, weighted by its size). ``callback(epoch,
        loss)`` runs after each epoch; returning ``False`` stops early. Raises
        ``TrainingDiverged`` (the network left as it was before the failing step).
        """
        from bp_studio.engine.regularization import Regularization
        from bp_studio.engine.trainer import Trainer

        trainer = Trainer(
            self,
            X,
            Y,
            lr=lr,
            batch_size=batch_size,
            shuffle=shuffle,
            optimizer=optimizer,
            seed=seed,
            regularization=Regularization(regularization, regularization_rate),
        )
        return trainer.run_epochs(epochs, callback=callback)

    # -- editing --------------------------------------------------------------------------

    def set_parameters(self, values: np.ndarray) -> None:
        """Replace every parameter (a flat vector in the order of ``parameters``)."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != self.parameters.shape:
            raise ValueError(
                f"expected {self.parameters.size} parameters, got {values.size} {values.shape}"
            )
        if not np.all(np.isfinite(values)):
            raise ValueError("parameters must be finite numbers")
        self.parameters[...] = values
        self.revision += 1

    def set_weight(self, layer: int, unit: int, input: int, value: float) -> None:
        """Set ``layers[layer].weight[unit, input]``; ``ValueError`` for a non-finite value."""
        self.layers[layer].weight[unit, input] = _finite(value, f"layers.{layer}.weight")
        self.revision += 1

    def set_bias(self, layer: int, unit: int, value: float) -> None:
        """Set ``layers[layer].bias[unit]``; ``ValueError`` if the layer has no bias."""
        bias = self.layers[layer].bias
        if bias is None:
            raise ValueError(f"layers.{layer} has no bias")
        bias[unit] = _finite(value, f"layers.{layer}.bias")
        self.revision += 1


class NetworkFileFormat(NamedTuple):
    """How ``Network.load`` and ``Network.save`` read and write files.

    The engine knows no files: ``bp_studio.io.network_file`` registers the network file
    format here when it is imported (``bp_studio`` imports it), so the engine does not
    import ``io`` and ``io`` may import the engine.
    """

    load: Callable[[str | os.PathLike], Network]
    save: Callable[[Network, str | os.PathLike], None]


_FILE_FORMAT: list[NetworkFileFormat] = []


def register_file_format(file_format: NetworkFileFormat) -> None:
    """Make ``file_format`` the one ``Network.load``/``save`` use."""
    _FILE_FORMAT[:] = [file_format]


def _file_format() -> NetworkFileFormat:
    if not _FILE_FORMAT:
        raise RuntimeError("no network file format is registered (import bp_studio.io)")
    return _FILE_FORMAT[0]


def _finite(value: float, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {value!r} is not a finite number")
    return number


def parameter_count(sizes: Sequence[int], bias: bool | Sequence[bool] = True) -> int:
    """Weights and biases of a network with layer sizes ``sizes``: ``sum(n_l * (n_{l-1} + b_l))``.

    ``bias`` says which layers (after the input) have a bias, or one flag for all.
    """
    sizes = [int(s) for s in sizes]
    flags = [bias] * (len(sizes) - 1) if isinstance(bias, bool) else list(bias)
    return sum(
        units * inputs + (units if with_bias else 0)
        for inputs, units, with_bias in zip(sizes[:-1], sizes[1:], flags)
    )


def _check_parameter_count(count: int) -> None:
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"the network would have {count:,} parameters, more than the {MAX_PARAMETERS:,} "
            f"BP Studio handles ({_LIMIT_REASON})"
        )


def check_architecture(
    shapes: Sequence[tuple[int, ...]],
    activations: Sequence[str],
    loss: str,
    biases: Sequence[ArrayLike | None] | None = None,
) -> None:
    """Raise ``ValueError`` naming the first problem with these layer shapes and choices.

    Rules: at least one layer; weights are 2-D ``(units, inputs)``; each layer's inputs equal
    the previous layer's units; biases (where given) have ``units`` values; activations and loss
    are known; an activation that is not ``hidden`` (softmax) only on the output layer, and
    softmax with at least 2 units (one unit would always output 1); the loss fits the output
    activation (``losses.output_activations``); at most ``MAX_PARAMETERS`` parameters.
    """
    if len(shapes) == 0:
        raise ValueError("a network needs at least one layer")
    if len(activations) != len(shapes):
        raise ValueError(
            f"{len(shapes)} layers need {len(shapes)} activations, got {len(activations)}"
        )
    get_loss(loss)
    for index, (shape, activation) in enumerate(zip(shapes, activations)):
        if len(shape) != 2 or 0 in shape:
            raise ValueError(
                f"layers[{index}].weight must be a non-empty matrix, got shape {shape}"
            )
        if index > 0 and shape[1] != shapes[index - 1][0]:
            raise ValueError(
                f"layers[{index}].weight: expected {shapes[index - 1][0]} columns "
                f"(the units of layers[{index - 1}]), got {shape[1]}"
            )
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            try:
                get_activation(activation)
            except ValueError as exc:
                raise ValueError(f"layers[{index}].activation: {exc}") from None
        if not ACTIVATIONS[activation].hidden and index != len(shapes) - 1:
            raise ValueError(f"layers[{index}]: {activation} is only allowed on the output layer")
        if activation == "softmax" and shape[0] < 2:
            raise ValueError(
                f"layers[{index}]: softmax needs at least 2 units (with {shape[0]} its output "
                "is always 1); use sigmoid with binary_cross_entropy for one output"
            )
        bias = None if biases is None else biases[index]
        if bias is not None:
            bias_shape = np.shape(bias)
            if bias_shape != (shape[0],):
                raise ValueError(
                    f"layers[{index}].bias: expected {shape[0]} values (one per unit), "
                    f"got shape {bias_shape}"
                )
    reason = check_output_activation(loss, activations[-1])
    if reason is not None:
        raise ValueError(f"layers[{len(shapes) - 1}]: {reason}")
    has_bias = [biases is not None and biases[i] is not None for i in range(len(shapes))]
    _check_parameter_count(
        sum(int(u) * int(i) + (int(u) if b else 0) for (u, i), b in zip(shapes, has_bias))
    )
